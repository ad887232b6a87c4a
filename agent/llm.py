"""The one LLM seam: ``complete(messages, schema) -> validated instance (+ usage)``.

Everything that talks to a model goes through :class:`LLM`. The real implementation (the
``openai`` client against any OpenAI-compatible endpoint, with retries and a call log) lives in
:mod:`agent.llm_openai`; :func:`agent.runtime.open_llm` picks the endpoint (configured, or the
embedded llama-server) and hands back an :class:`LLM`. Tests use :class:`FakeLLM`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from agent.models import Usage

T = TypeVar("T", bound=BaseModel)

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


class LLMError(RuntimeError):
    """A call failed for good (after retries, or at once for errors a retry cannot fix)."""


class LLMConfigError(LLMError):
    """The endpoint refused us for a reason the user must fix (key, model name, URL)."""


class LLMOutputError(LLMError):
    """The model kept answering something that does not fit the schema."""

    def __init__(self, message: str, raw: str | None = None) -> None:
        super().__init__(message)
        self.raw = raw


@dataclass(frozen=True)
class EndpointInfo:
    """What is recorded in a draft's provenance (never a secret)."""

    model: str
    kind: str  # "openai", "llama-server", "llama-cpp-python", "vllm", "ollama", "openai-compatible", "fake"
    base_url: str | None = None
    structured_output: str = "json_schema"
    sampling: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LLMResult(Generic[T]):
    value: T
    usage: Usage
    raw: str = ""


class LLM(Protocol):
    info: EndpointInfo

    def complete(
        self,
        messages: Sequence[Message],
        schema: type[T],
        *,
        prompt_name: str = "",
        prompt_version: str = "",
    ) -> LLMResult[T]: ...


Responder = Callable[[Sequence[Message], type[BaseModel]], "BaseModel | dict[str, Any] | str | Exception"]


class FakeLLM:
    """A scripted model for tests, at our own seam.

    ``script`` is a list (consumed in order) or a function of ``(messages, schema)``. Each
    answer is a model instance, a dict or a JSON string (validated against the schema; an
    invalid one raises :class:`LLMOutputError`, as the real seam does after its re-asks), or an
    exception to raise. Every call is recorded in ``calls``.
    """

    def __init__(self, script: Sequence[Any] | Responder, *, model: str = "fake-model") -> None:
        self._script = script if callable(script) else list(script)
        self.info = EndpointInfo(model=model, kind="fake", sampling={"temperature": 0.0})
        self.calls: list[tuple[list[Message], type[BaseModel], str]] = []

    def complete(
        self,
        messages: Sequence[Message],
        schema: type[T],
        *,
        prompt_name: str = "",
        prompt_version: str = "",
    ) -> LLMResult[T]:
        self.calls.append((list(messages), schema, prompt_name))
        if callable(self._script):
            answer = self._script(messages, schema)
        else:
            if not self._script:
                raise LLMError("FakeLLM: script exhausted")
            answer = self._script.pop(0)
        if isinstance(answer, Exception):
            raise answer
        try:
            if isinstance(answer, schema):
                value = answer
            elif isinstance(answer, str):
                value = schema.model_validate_json(answer)
            else:
                value = schema.model_validate(answer)
        except ValidationError as e:
            raise LLMOutputError(f"answer does not fit {schema.__name__}: {e}", raw=str(answer)) from e
        usage = Usage(prompt_tokens=sum(len(m["content"]) // 4 for m in messages), completion_tokens=50, calls=1)
        return LLMResult(value=value, usage=usage, raw=value.model_dump_json())
