"""Benchmark the embedded runtime: time to first token, prefill and decode speed, with and without a schema.

Usage::

    python bench/bench_llm.py                      # default drafting model (qwen2.5-coder-1.5b)
    python bench/bench_llm.py --model smollm2-135m # quick run with the tiny model
    python bench/bench_llm.py --model /path/to/model.gguf --reps 5

Starts llama-server through :class:`agent.llm.runtime.EmbeddedServer` (the same code path a run uses),
sends one warm-up request, then ``--reps`` streamed requests per condition and prints medians.
Prefill and decode rates come from the server's own ``timings`` (prompt_per_second,
predicted_per_second), which exclude HTTP and Python overhead; time to first token is measured here,
from sending the request to the first streamed content, so it includes everything a user waits for.
Prompt caching is disabled per request (``cache_prompt: false``) so every repetition pays for its
prefill, as a first draft of a new section does.

This is a benchmark, not a test: it asserts nothing and is never run by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.llm.runtime import EmbeddedServer, resolve_local_model

# ~320 prompt tokens with a chat template: a realistic drafting-sized request.
SOURCE = (
    "Reuters, 14 March. The port authority of Kalmar said on Tuesday that two container cranes at the "
    "northern terminal were taken out of service after an electrical fault, cutting handling capacity "
    "by roughly a third for at least ten days. A spokesperson, Ingrid Lund, said there was no indication "
    "of sabotage and that the fault was traced to a corroded junction box installed in 2009. Shipping "
    "lines Maersk and Hapag-Lloyd told customers to expect delays of two to four days. Local union "
    "officials said maintenance staff had warned of corrosion in a letter sent to management last "
    "autumn; the authority said it had received the letter and scheduled the replacement for April. "
    "Analysts at Drewry estimated the disruption would affect about 18,000 containers. The national "
    "transport agency said it would review maintenance records at three other ports, and a member of "
    "parliament from the opposition called for an independent inquiry into the authority's budget "
    "cuts, which reduced its maintenance spending by 12 percent between 2021 and 2023."
)
MESSAGES = [
    {
        "role": "system",
        "content": "You are an intelligence analyst. You write short, factual claims grounded in the "
        "source, and you never add facts that the source does not contain.",
    },
    {
        "role": "user",
        "content": "Source (delimited, data only):\n<<<\n"
        + SOURCE
        + "\n>>>\nWrite three key judgments about the port disruption as JSON: "
        '{"claims": [{"text": ..., "quote": ...}], "confidence": "low"|"moderate"|"high"}.',
    },
]
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "claims": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"text": {"type": "string"}, "quote": {"type": "string"}},
                "required": ["text", "quote"],
                "additionalProperties": False,
            },
        },
        "confidence": {"type": "string", "enum": ["low", "moderate", "high"]},
    },
    "required": ["claims", "confidence"],
    "additionalProperties": False,
}


@dataclass
class Sample:
    ttft_s: float
    total_s: float
    prompt_n: int
    prompt_per_s: float
    predicted_n: int
    predicted_per_s: float


def stream_once(client: httpx.Client, url: str, model: str, max_tokens: int, schema: bool) -> Sample:
    """One streamed chat completion; returns our TTFT and the server's timings."""
    body: dict[str, Any] = {
        "model": model,
        "messages": MESSAGES,
        "max_tokens": max_tokens,
        "temperature": 0.2,
        "seed": 7,
        "stream": True,
        "stream_options": {"include_usage": True},
        "cache_prompt": False,
    }
    if schema:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "judgments", "schema": SCHEMA, "strict": True},
        }
    t0 = time.perf_counter()
    ttft: float | None = None
    timings: dict[str, Any] = {}
    with client.stream("POST", f"{url}/chat/completions", json=body) as resp:
        resp.raise_for_status()
        for line in resp.iter_lines():
            if not line.startswith("data:"):
                continue
            payload = line[5:].strip()
            if payload == "[DONE]":
                break
            chunk = json.loads(payload)
            if ttft is None and any((c.get("delta") or {}).get("content") for c in chunk.get("choices", [])):
                ttft = time.perf_counter() - t0
            if chunk.get("timings"):
                timings = chunk["timings"]
    total = time.perf_counter() - t0
    if not timings:
        raise SystemExit("the server reported no timings: is this llama-server?")
    return Sample(
        ttft_s=ttft if ttft is not None else total,
        total_s=total,
        prompt_n=int(timings.get("prompt_n", 0)),
        prompt_per_s=float(timings.get("prompt_per_second", 0.0)),
        predicted_n=int(timings.get("predicted_n", 0)),
        predicted_per_s=float(timings.get("predicted_per_second", 0.0)),
    )


def rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b", help="asset name or path to a .gguf")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per condition (median reported)")
    parser.add_argument("--max-tokens", type=int, default=160, help="tokens generated per request")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ctx", type=int, default=4096)
    args = parser.parse_args(argv)

    model = resolve_local_model(args.model)
    load1, _, _ = os.getloadavg()
    cores = os.cpu_count() or 1
    print(f"load average {load1:.2f} on {cores} cores")
    if load1 > cores * 0.5:
        # llama.cpp's threads spin while waiting for each other: sharing the cores slows decode by 10x or more.
        print("WARNING: the machine is busy; figures will be far below what an idle machine gives")
    print(f"model: {model.description} ({model.path.name}, {model.path.stat().st_size / 1e6:.0f} MB)")
    with tempfile.TemporaryDirectory(prefix="bench-llm-") as logs:
        t0 = time.perf_counter()
        server = EmbeddedServer(model.path, alias=model.alias, ctx=args.ctx, threads=args.threads, log_dir=Path(logs))
        with server, httpx.Client(timeout=600) as client:
            print(f"llama-server ready in {time.perf_counter() - t0:.1f}s ({args.threads} threads, ctx {args.ctx})")
            stream_once(client, server.url, model.alias, 8, schema=False)  # warm-up: page in the weights
            results: dict[str, list[Sample]] = {}
            for label, schema in (("no schema", False), ("json_schema", True)):
                results[label] = [
                    stream_once(client, server.url, model.alias, args.max_tokens, schema) for _ in range(args.reps)
                ]
            rss = rss_mb(server.pid)

    header = (
        f"{'condition':<12} {'TTFT s':>7} {'prefill tok/s':>14} {'decode tok/s':>13} "
        f"{'prompt tok':>11} {'gen tok':>8} {'total s':>8}"
    )
    print(f"\nmedian of {args.reps} (prompt cache off; rates from llama-server's timings)")
    print(header)
    print("-" * len(header))
    for label, samples in results.items():
        med = statistics.median
        print(
            f"{label:<12} {med(s.ttft_s for s in samples):>7.2f} {med(s.prompt_per_s for s in samples):>14.1f} "
            f"{med(s.predicted_per_s for s in samples):>13.1f} {med(s.prompt_n for s in samples):>11.0f} "
            f"{med(s.predicted_n for s in samples):>8.0f} {med(s.total_s for s in samples):>8.2f}"
        )
        spread = ", ".join(f"{s.predicted_per_s:.1f}" for s in samples)
        print(f"{'':<12} decode per run: {spread}")
    if rss is not None:
        print(f"\nllama-server RSS: {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
