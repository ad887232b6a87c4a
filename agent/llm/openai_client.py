"""The real :class:`~agent.llm.seam.LLM`: the ``openai`` client against any OpenAI-compatible endpoint.

Why this module looks the way it does:

* **Structured output differs per server.** OpenAI, vLLM, Ollama and llama.cpp's ``llama-server``
  take ``response_format={"type": "json_schema", ...}``; llama-cpp-python's server answers that
  with HTTP 500 and wants ``{"type": "json_object", "schema": ...}``; some servers take neither.
  ``auto`` detects the server once (``GET /props``, ``GET /v1/models``) and, if a server still
  rejects the format, falls back one step (json_schema → json_object_schema → prompt) and keeps
  the step that worked for the rest of the session.
* **Small models wrap JSON.** Answers are parsed defensively (``<think>`` blocks and code fences
  stripped, the first complete JSON object taken); an answer that still does not validate is asked
  again with the validation error, a bounded number of times.
* **Retries live here and only here** (tenacity), for errors a retry can fix: connection errors,
  timeouts, 429 (honouring ``Retry-After``) and 5xx. The ``openai`` client's own retries are off
  (``max_retries=0``) so attempts are counted and logged in one place. Errors a retry cannot fix
  (400/401/403/404) fail at once with :class:`~agent.llm.seam.LLMConfigError` saying what to change.
* **Every call is logged** as one JSON line in the workspace call log; the API key never is.

No client exists until the first request: constructing an :class:`OpenAICompatibleLLM` does no I/O.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, cast

import httpx
import openai
from pydantic import BaseModel, ValidationError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from agent.core.atomic import append_json_line
from agent.core.contracts import Usage
from agent.core.settings import LLMSettings, StructuredMode, redact_url
from agent.llm.seam import EndpointInfo, LLMConfigError, LLMError, LLMOutputError, LLMResult, Message, T

log = logging.getLogger(__name__)

_FALLBACK: dict[str, str] = {"json_schema": "json_object_schema", "json_object_schema": "prompt"}
_PLACEHOLDER_KEY = "sk-no-key-required"
"""Sent to endpoints that need no key (local servers): the ``openai`` client insists on some key."""


# --------------------------------------------------------------------------- parsing


_THINK_RE = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE_RE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)```", re.DOTALL)


def extract_json(text: str) -> str:
    """The JSON object inside a model's answer, as text.

    Reasoning models prefix ``<think>…</think>``; small models wrap JSON in code fences or add a
    sentence around it. We drop reasoning blocks (and anything before an unmatched ``</think>``),
    prefer the content of a fenced block, then take the first ``{`` that starts a complete JSON
    object (``raw_decode`` finds its end, so braces inside strings are handled). Raises
    ``ValueError`` when there is no JSON object at all.
    """
    cleaned = _THINK_RE.sub("", text)
    if "</think>" in cleaned.lower():  # an opening tag the server swallowed: keep what follows the close
        cleaned = cleaned[cleaned.lower().rindex("</think>") + len("</think>") :]
    candidates = [m.group(1) for m in _FENCE_RE.finditer(cleaned)] + [cleaned]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        start = candidate.find("{")
        while start != -1:
            try:
                obj, end = decoder.raw_decode(candidate, start)
            except json.JSONDecodeError:
                start = candidate.find("{", start + 1)
                continue
            if isinstance(obj, dict):
                return candidate[start:end]
            start = candidate.find("{", end)
    raise ValueError("the answer contains no JSON object")


def parse_answer(text: str, schema: type[T]) -> T:
    """Validate a model's answer against ``schema`` (raises ``ValueError`` / ``ValidationError``)."""
    return schema.model_validate_json(extract_json(text))


def _strict_compatible(node: Any) -> bool:
    """Whether OpenAI's ``strict`` mode accepts this JSON schema.

    Strict mode rejects (HTTP 400) any object schema whose properties are not all required or that
    allows extra keys, which pydantic models with defaults produce. We ask for strict only when the
    schema already qualifies, so the same schema works everywhere.
    """
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            props = node.get("properties", {})
            if node.get("additionalProperties") is not False or set(node.get("required", [])) != set(props):
                return False
        return all(_strict_compatible(v) for v in node.values())
    if isinstance(node, list):
        return all(_strict_compatible(v) for v in node)
    return True


def _schema_name(schema: type[BaseModel]) -> str:
    return re.sub(r"[^a-zA-Z0-9_-]", "_", schema.__name__)[:64] or "answer"


# --------------------------------------------------------------------------- errors and retries


class _FormatRejected(Exception):
    """The endpoint refused our ``response_format``: try the next structured-output mode."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


def _status_detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        return json.dumps(body)[:500]
    if body is not None:
        return str(body)[:500]
    try:
        return exc.response.text[:500]
    except Exception:
        return str(exc)[:500]


def _mentions_format(exc: openai.APIStatusError) -> bool:
    text = (_status_detail(exc) + " " + str(exc)).lower()
    return any(word in text for word in ("response_format", "json_schema", "json schema", "grammar"))


def _url_secrets(url: str) -> list[str]:
    """The password and the query values of a URL (where credentials travel when not in a header)."""
    from urllib.parse import parse_qsl, urlsplit

    try:
        parts = urlsplit(url)
        return [x for x in (parts.password, *(v for _, v in parse_qsl(parts.query))) if x]
    except ValueError:
        return []


class BadResponse(Exception):
    """The endpoint answered 200 with a body that is not a chat completion: truncated, HTML from a proxy, …"""


def retryable(exc: BaseException) -> bool:
    """Errors a later attempt can fix: transport failures, timeouts, rate limits, server errors, cut-off bodies."""
    if isinstance(exc, openai.APIConnectionError | BadResponse):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return False


def retry_after_s(exc: BaseException | None) -> float | None:
    """The wait a server asked for (``retry-after-ms`` or ``Retry-After``, seconds or HTTP date)."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _describe(exc: BaseException) -> str:
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}: {_status_detail(exc)}"
    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        return f"connection failed ({cause or exc})"
    return f"{type(exc).__name__}: {exc}"


def cost_usd(usage: Usage, settings: LLMSettings) -> float | None:
    """What the tokens cost, if the settings carry a price table (``None`` otherwise)."""
    if settings.price_per_mtok_in is None and settings.price_per_mtok_out is None:
        return None
    return (
        usage.prompt_tokens * (settings.price_per_mtok_in or 0.0)
        + usage.completion_tokens * (settings.price_per_mtok_out or 0.0)
    ) / 1_000_000


# --------------------------------------------------------------------------- the client


def _add_server_timings(state: _CallState, extra: dict[str, Any]) -> None:
    """llama-server reports ``timings``: ``prompt_n`` tokens it computed and ``cache_n`` it reused from its prompt
    cache. Other endpoints report nothing here, and nothing is recorded."""
    timings = extra.get("timings")
    if not isinstance(timings, dict) or not isinstance(timings.get("prompt_n"), int):
        return
    state.processed_prompt_tokens = (state.processed_prompt_tokens or 0) + timings["prompt_n"]
    if isinstance(timings.get("cache_n"), int):
        state.cached_prompt_tokens = (state.cached_prompt_tokens or 0) + timings["cache_n"]


SAMPLE_TEMPERATURE = 0.8  # a further candidate answer is drawn warmer than the first, so it differs


@dataclass
class _CallState:
    """What one :meth:`OpenAICompatibleLLM.complete` call accumulates for its usage and log line."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasks: int = 0
    sample: int = 0  # another candidate to the same messages: another seed, a warmer temperature
    processed_prompt_tokens: int | None = None  # what the server actually computed (llama-server's timings)
    cached_prompt_tokens: int | None = None  # prompt tokens the server took from its prompt cache
    attempt_log: list[dict[str, Any]] = field(default_factory=list)


class OpenAICompatibleLLM:
    """:class:`~agent.llm.seam.LLM` over the ``openai`` client; see the module docstring for the why.

    ``kind`` names the server when the caller knows it (the embedded runtime passes
    ``"llama-server"``); otherwise :meth:`detect` finds out on first use. ``http_client`` lets a
    caller share or instrument the transport; by default one ``httpx.Client`` is created lazily.
    ``sleep`` is what waits between retries (tests pass a recorder instead of waiting). ``server_check``,
    given by whoever started the server (the embedded runtime), is asked when a request loses its
    connection: an error it returns (the server died, and why) is raised at once instead of retrying.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None = None,
        model: str | None = None,
        temperature: float = 0.2,
        top_p: float = 0.95,
        max_tokens: int = 1200,
        seed: int | None = 7,
        structured_output: StructuredMode = "auto",
        timeout_s: float = 300.0,
        max_attempts: int = 5,
        max_retry_time_s: float = 600.0,
        max_validation_retries: int = 2,
        price_per_mtok_in: float | None = None,
        price_per_mtok_out: float | None = None,
        log_path: Path | None = None,
        log_text: bool = False,
        kind: str | None = None,
        key_notice: str | None = None,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        server_check: Callable[[], LLMError | None] | None = None,
    ) -> None:
        self._url = base_url.rstrip("/")  # what requests go to; never shown, logged or saved
        self.base_url = redact_url(self._url)  # the same without credentials: for messages, logs, provenance
        self._api_key = api_key
        self.key_notice = key_notice  # why the user's key is withheld from this endpoint (settings), if it is
        self.model = model
        self.sampling: dict[str, Any] = {"temperature": temperature, "top_p": top_p, "max_tokens": max_tokens}
        if seed is not None:
            self.sampling["seed"] = seed
        self.configured_mode: StructuredMode = structured_output
        self.timeout_s = timeout_s
        self.max_attempts = max(1, max_attempts)
        self.max_retry_time_s = max_retry_time_s
        self.max_validation_retries = max(0, max_validation_retries)
        self.prices = (price_per_mtok_in, price_per_mtok_out)
        self.log_path = log_path
        self.log_text = log_text
        self._kind = kind or self._kind_from_url()
        self._detected = kind is not None
        self._mode: str | None = None if structured_output == "auto" else structured_output
        self._http: httpx.Client | None = http_client
        self._owns_http = http_client is None
        self._client: openai.OpenAI | None = None
        self._sleep = sleep
        self._server_check = server_check
        self.info = self._make_info()

    @classmethod
    def from_settings(
        cls,
        settings: LLMSettings,
        *,
        log_path: Path | None,
        base_url: str | None = None,
        model: str | None = None,
        kind: str | None = None,
        **kwargs: Any,
    ) -> OpenAICompatibleLLM:
        """Build from :class:`~agent.core.settings.LLMSettings`; ``base_url``/``model``/``kind`` override them."""
        url = base_url or settings.base_url
        if not url:
            raise LLMConfigError("no endpoint: set llm.base_url / OPENAI_BASE_URL, or use agent.llm.runtime.open_llm")
        return cls(
            base_url=url,
            api_key=settings.api_key.get_secret_value() if settings.api_key else None,
            model=model or settings.model,
            temperature=settings.temperature,
            top_p=settings.top_p,
            max_tokens=settings.max_tokens,
            seed=settings.seed,
            structured_output=settings.structured_output,
            timeout_s=settings.timeout_s,
            max_attempts=settings.max_attempts,
            max_retry_time_s=settings.max_retry_time_s,
            max_validation_retries=settings.max_validation_retries,
            price_per_mtok_in=settings.price_per_mtok_in,
            price_per_mtok_out=settings.price_per_mtok_out,
            log_path=log_path,
            log_text=settings.log_text,
            kind=kind,
            key_notice=None if base_url else settings.key_notice,
            **kwargs,
        )

    # ------------------------------------------------------------------ lifecycle

    def _kind_from_url(self) -> str:
        return "openai" if "api.openai.com" in self._url else "openai-compatible"

    def _make_info(self) -> EndpointInfo:
        return EndpointInfo(
            model=self.model or "(endpoint default)",
            kind=self._kind,
            base_url=self.base_url,
            structured_output=self._mode or self.configured_mode,
            sampling=dict(self.sampling),
        )

    @property
    def kind(self) -> str:
        return self._kind

    @property
    def structured_mode(self) -> str:
        """The structured-output mode in use (``auto`` until the endpoint has been detected)."""
        return self._mode or self.configured_mode

    def _http_client(self) -> httpx.Client:
        # A plain ``httpx.Client`` (a pinned dependency) rather than the SDK's default transport:
        # one connection pool for the chat calls and our GET /props, /models probes, and HTTP-level
        # mocks (respx) see exactly what the SDK sends.
        if self._http is None:
            self._http = httpx.Client(timeout=httpx.Timeout(self.timeout_s, connect=min(10.0, self.timeout_s)))
        return self._http

    def _openai(self) -> openai.OpenAI:
        if self._client is None:
            self._client = openai.OpenAI(
                base_url=self._url,
                api_key=self._api_key or _PLACEHOLDER_KEY,
                max_retries=0,  # ours are the only retries
                timeout=self.timeout_s,
                # The SDK accepts a legacy ``httpx.Client`` at run time (it checks for either
                # ``httpx2.Client`` or ``httpx.Client``) though its annotation names only httpx2.
                http_client=cast(Any, self._http_client()),
            )
        return self._client

    def close(self) -> None:
        """Release the connection pool (only if we created it)."""
        if self._owns_http and self._http is not None:
            self._http.close()
        self._http = None if self._owns_http else self._http
        self._client = None

    def __enter__(self) -> OpenAICompatibleLLM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _scrub(self, text: str) -> str:
        """Remove the API key and the URL's credentials from anything we log or raise (servers and transport
        errors sometimes echo them)."""
        if self._url != self.base_url:
            text = text.replace(self._url, self.base_url)
        for secret in (self._api_key, *_url_secrets(self._url)):
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return text

    # ------------------------------------------------------------------ detection

    def _root_url(self) -> str:
        return self._url[: -len("/v1")] if self._url.endswith("/v1") else self._url

    def _get_json(self, url: str, timeout: float = 5.0) -> Any | None:
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        try:
            resp = self._http_client().get(url, headers=headers, timeout=timeout)
        except httpx.HTTPError:
            return None
        if resp.status_code != 200:
            return None
        try:
            return resp.json()
        except ValueError:
            return None

    def list_models(self) -> list[str] | None:
        """Model ids from ``GET /models``, or ``None`` if the endpoint does not answer it."""
        data = self._get_json(f"{self._url}/models")
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            return None
        return [str(m.get("id")) for m in data["data"] if isinstance(m, dict) and m.get("id")]

    def detect(self) -> EndpointInfo:
        """Find out what server this is, which structured-output mode to use, and the model name.

        llama-server answers ``GET /props`` and lists its models as ``owned_by: "llamacpp"``;
        llama-cpp-python's server lists them as ``owned_by: "me"``; vLLM as ``"vllm"``. A failed probe
        is not an error: an endpoint that answers neither is used as generic OpenAI-compatible, with
        ``json_schema`` first and the fallbacks behind it. The one error: OpenAI itself with no model
        named, since its first listed model is as likely an image model as a chat model.
        """
        if not self._detected:
            self._detected = True
            if self._kind != "openai":
                listing = self._get_json(f"{self._url}/models")
                data = listing.get("data") if isinstance(listing, dict) else None
                entries = [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []
                owners = {str(m.get("owned_by", "")).lower() for m in entries}
                props = self._get_json(f"{self._root_url()}/props")
                if "llamacpp" in owners or (
                    isinstance(props, dict) and ("default_generation_settings" in props or "total_slots" in props)
                ):
                    self._kind = "llama-server"
                elif "me" in owners:
                    self._kind = "llama-cpp-python"
                elif "vllm" in owners:
                    self._kind = "vllm"
                elif "library" in owners or "ollama" in owners:
                    self._kind = "ollama"
                if self.model is None and entries and entries[0].get("id"):
                    self.model = str(entries[0]["id"])
        if self._mode is None:
            self._mode = "json_object_schema" if self._kind == "llama-cpp-python" else "json_schema"
        if self.model is None and self._kind == "openai":
            raise LLMConfigError(f"{self.base_url}: no model named. Set llm.model or OPENAI_MODEL (e.g. gpt-4o-mini).")
        self.info = self._make_info()
        return self.info

    # ------------------------------------------------------------------ requests

    def _request_kwargs(
        self, messages: Sequence[Message], schema: type[BaseModel], mode: str, sample: int = 0
    ) -> dict[str, Any]:
        js = schema.model_json_schema()
        msgs = [dict(m) for m in messages]
        kwargs: dict[str, Any] = {"model": self.model or "default", "messages": msgs}
        sampling = dict(self.sampling)
        if sample:  # another candidate: same messages (the server's prompt cache serves them), another draw
            sampling["temperature"] = max(float(sampling.get("temperature") or 0.0), SAMPLE_TEMPERATURE)
            sampling["seed"] = int(sampling.get("seed") or 0) + sample
        if self._kind == "openai":  # newer OpenAI models refuse max_tokens
            sampling["max_completion_tokens"] = sampling.pop("max_tokens")
        kwargs.update(sampling)
        if mode == "json_schema":
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": _schema_name(schema), "schema": js, "strict": _strict_compatible(js)},
            }
        elif mode == "json_object_schema":
            kwargs["response_format"] = {"type": "json_object", "schema": js}
        else:
            instruction = (
                "Reply with exactly one JSON object that conforms to this JSON Schema, and nothing else "
                "(no prose, no code fences):\n" + json.dumps(js, ensure_ascii=False)
            )
            if msgs and msgs[0]["role"] == "system":
                msgs[0]["content"] = msgs[0]["content"].rstrip() + "\n\n" + instruction
            else:
                msgs.insert(0, {"role": "system", "content": instruction})
        return kwargs

    def _send(self, kwargs: dict[str, Any], state: _CallState, mode: str) -> tuple[str, str | None]:
        """One chat completion with transport retries; returns (content, finish_reason)."""

        def attempt() -> tuple[str, str | None]:
            state.requests += 1
            t0 = time.monotonic()
            try:
                completion = self._openai().chat.completions.create(**kwargs)
            except openai.APIStatusError as e:
                if (
                    self.configured_mode == "auto"
                    and mode in _FALLBACK
                    and e.status_code in (400, 422, 500)
                    and _mentions_format(e)
                ):
                    raise _FormatRejected(e.status_code, self._scrub(_status_detail(e))) from e
                raise
            except openai.APIConnectionError as e:
                # A server we started and that has died is not worth retrying: say why it died instead.
                dead = self._server_check() if self._server_check is not None else None
                if dead is not None:
                    raise dead from e
                raise
            except (json.JSONDecodeError, openai.APIResponseValidationError) as e:
                raise BadResponse(f"a body that is not a complete JSON chat completion ({type(e).__name__})") from e
            if not hasattr(completion, "choices"):
                raise BadResponse("a body that is not a JSON chat completion")
            usage = completion.usage
            if usage is not None:
                state.prompt_tokens += usage.prompt_tokens or 0
                state.completion_tokens += usage.completion_tokens or 0
            _add_server_timings(state, getattr(completion, "model_extra", None) or {})
            state.attempt_log.append({"attempt": state.requests, "ok": True, "s": round(time.monotonic() - t0, 3)})
            choice = completion.choices[0] if completion.choices else None
            content = (choice.message.content or "") if choice else ""
            return content, (choice.finish_reason if choice else None)

        def wait(rs: RetryCallState) -> float:
            exc = rs.outcome.exception() if rs.outcome else None
            asked = retry_after_s(exc)
            if asked is not None:
                return asked
            return float(wait_exponential_jitter(initial=1.0, max=30.0, jitter=1.0)(rs))

        def before_sleep(rs: RetryCallState) -> None:
            exc = rs.outcome.exception() if rs.outcome else None
            detail = self._scrub(_describe(exc)) if exc else "?"
            state.attempt_log.append(
                {"attempt": rs.attempt_number, "ok": False, "error": detail, "wait_s": round(rs.upcoming_sleep, 3)}
            )
            log.warning(
                "LLM attempt %d/%d to %s failed (%s); retrying in %.1fs",
                rs.attempt_number,
                self.max_attempts,
                self.base_url,
                detail,
                rs.upcoming_sleep,
            )

        retrying = Retrying(
            retry=retry_if_exception(retryable),
            stop=stop_after_attempt(self.max_attempts) | stop_before_delay(self.max_retry_time_s),
            wait=wait,
            before_sleep=before_sleep,
            sleep=self._sleep,
            reraise=True,
        )
        return retrying(attempt)

    def _config_error(self, exc: openai.APIStatusError) -> LLMConfigError:
        """Turn a refusal a retry cannot fix into a message that says what to change."""
        detail = self._scrub(_status_detail(exc))
        status = exc.status_code
        where = f"{self.base_url} (model {self.model!r})"
        if status == 401 and self.key_notice:
            msg = f"{where} asks for an API key (HTTP 401: {detail}), and {self.key_notice}"
        elif status == 401:
            msg = (
                f"{where} refused the API key (HTTP 401: {detail}). "
                "Set OPENAI_API_KEY, or llm.api_key in the workspace config.toml, to a valid key for this endpoint."
            )
        elif status == 403:
            msg = (
                f"{where}: the API key is not allowed to use this model or endpoint (HTTP 403: {detail}). "
                "Use a key with access, or choose another model (llm.model / OPENAI_MODEL)."
            )
        elif status == 404 or (status == 400 and "model" in detail.lower()):
            models = self.list_models()
            if models is not None and self.model not in models:
                msg = (
                    f"{where}: unknown model {self.model!r} (HTTP {status}: {detail}). "
                    f"The endpoint offers: {', '.join(models) or '(none)'}. "
                    "Set llm.model / OPENAI_MODEL to one of them."
                )
            elif models is None and status == 404:
                msg = (
                    f"{where}: no OpenAI-compatible API at this URL (HTTP 404: {detail}). Check llm.base_url / "
                    "OPENAI_BASE_URL: it usually ends in /v1 (e.g. http://127.0.0.1:8080/v1)."
                )
            else:
                msg = f"{where} refused the request (HTTP {status}: {detail}). Check llm.model and llm.base_url."
        else:
            msg = (
                f"{where} rejected the request (HTTP {status}: {detail}). "
                "Check the model's limits (context length, llm.max_tokens) and llm.structured_output."
            )
        return LLMConfigError(msg)

    # ------------------------------------------------------------------ the seam

    def complete(
        self,
        messages: Sequence[Message],
        schema: type[T],
        *,
        prompt_name: str = "",
        prompt_version: str = "",
        sample: int = 0,
    ) -> LLMResult[T]:
        """Ask for an instance of ``schema``; see the module docstring for retries, fallbacks and re-asks."""
        if not self._detected or self._mode is None:
            self.detect()
        state = _CallState(sample=sample)
        started = time.monotonic()
        when = datetime.now(UTC).isoformat()
        outcome, error, raw = "error", None, ""
        try:
            value, raw = self._complete(messages, schema, state)
            outcome = "ok"
        except LLMOutputError as e:
            outcome, error, raw = "invalid_output", str(e), e.raw or ""
            raise
        except LLMConfigError as e:
            outcome, error = "config_error", str(e)
            raise
        except LLMError as e:
            outcome, error = "error", str(e)
            raise
        except Exception as e:  # anything unexpected still gets its log line
            outcome, error = "error", self._scrub(f"{type(e).__name__}: {e}")
            raise
        finally:
            latency = time.monotonic() - started
            usage = Usage(
                prompt_tokens=state.prompt_tokens,
                completion_tokens=state.completion_tokens,
                calls=1,
                retries=max(0, state.requests - 1),
                latency_s=round(latency, 3),
            )
            said = (
                {"request": str(messages[-1].get("content", "")), "answer": raw} if self.log_text and messages else {}
            )
            self._log(when, prompt_name, prompt_version, state, usage, outcome, error, said)
        return LLMResult(value=value, usage=usage, raw=raw)

    def _complete(self, messages: Sequence[Message], schema: type[T], state: _CallState) -> tuple[T, str]:
        conversation: list[Message] = [dict(m) for m in messages]
        while True:
            mode = self._mode or "json_schema"
            kwargs = self._request_kwargs(conversation, schema, mode, state.sample)
            try:
                content, finish = self._send(kwargs, state, mode)
            except _FormatRejected as e:
                nxt = _FALLBACK[mode]
                log.warning("%s rejected response_format %s (%s); falling back to %s", self.base_url, mode, e, nxt)
                state.attempt_log.append({"attempt": state.requests, "ok": False, "error": str(e), "fallback": nxt})
                self._mode = nxt
                self.info = replace(self.info, structured_output=nxt)
                continue
            except openai.APIStatusError as e:
                if retryable(e):
                    raise LLMError(self._exhausted(state, e)) from e
                if e.status_code in (400, 401, 403, 404):
                    raise self._config_error(e) from e
                raise LLMError(f"{self.base_url}: {self._scrub(_describe(e))}") from e
            except (openai.APIConnectionError, BadResponse) as e:
                raise LLMError(self._exhausted(state, e)) from e
            try:
                return parse_answer(content, schema), content
            except (ValueError, ValidationError) as e:
                problem = str(e) if not isinstance(e, ValidationError) else _short_validation(e)
                if finish == "length":
                    problem += f" (the answer was cut off at max_tokens={self.sampling['max_tokens']})"
                if state.reasks >= self.max_validation_retries:
                    raise LLMOutputError(
                        f"{self.model} answered {state.reasks + 1} times without fitting {schema.__name__}: {problem}",
                        raw=content,
                    ) from e
                state.reasks += 1
                state.attempt_log.append({"attempt": state.requests, "ok": False, "error": f"invalid: {problem}"})
                conversation = [
                    *conversation,
                    {"role": "assistant", "content": content},
                    {
                        "role": "user",
                        "content": (
                            f"Your answer does not fit the required JSON schema for {schema.__name__}: {problem}\n"
                            "Reply again with only the corrected JSON object."
                        ),
                    },
                ]

    def _exhausted(self, state: _CallState, exc: BaseException) -> str:
        return (
            f"{self.base_url} did not answer after {state.requests} attempt(s) "
            f"(limit {self.max_attempts} attempts / {self.max_retry_time_s:.0f}s): {self._scrub(_describe(exc))}. "
            "Is the server running and reachable? (llm.base_url / OPENAI_BASE_URL)"
        )

    def _log(
        self,
        when: str,
        prompt_name: str,
        prompt_version: str,
        state: _CallState,
        usage: Usage,
        outcome: str,
        error: str | None,
        said: dict[str, str] | None = None,
    ) -> None:
        if self.log_path is None:
            return
        record: dict[str, Any] = {
            "time": when,
            "endpoint_kind": self._kind,
            "base_url": self.base_url,
            "model": self.model,
            "structured_output": self._mode,
            "prompt_name": prompt_name,
            "prompt_version": prompt_version,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "latency_s": usage.latency_s,
            "attempts": state.requests,
            "reasks": state.reasks,
            "outcome": outcome,
            "error": self._scrub(error) if error else None,
            "attempt_log": state.attempt_log,
            **(said or {}),
        }
        if state.processed_prompt_tokens is not None:
            record["server_prompt_processed"] = state.processed_prompt_tokens
            record["server_prompt_cached"] = state.cached_prompt_tokens
        price_in, price_out = self.prices
        if price_in is not None or price_out is not None:
            record["cost_usd"] = round(
                (usage.prompt_tokens * (price_in or 0.0) + usage.completion_tokens * (price_out or 0.0)) / 1e6, 6
            )
        try:
            append_json_line(self.log_path, record)
        except OSError as e:  # a full disk must not lose the answer we already paid for
            log.error("could not append to the LLM call log %s: %s", self.log_path, e)


def _short_validation(e: ValidationError) -> str:
    """A validation error the model can act on: field paths and messages, without pydantic's URLs."""
    parts = []
    for err in e.errors()[:10]:
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(root)"
        parts.append(f"{loc}: {err.get('msg')}")
    return "; ".join(parts)


__all__ = [
    "OpenAICompatibleLLM",
    "cost_usd",
    "extract_json",
    "parse_answer",
    "retry_after_s",
    "retryable",
]
