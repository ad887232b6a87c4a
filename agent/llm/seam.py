"""The one LLM seam: ``complete(messages, schema) -> validated instance (+ usage)``.

Everything that talks to a model goes through :class:`LLM`. The real implementation (the
``openai`` client against any OpenAI-compatible endpoint, with retries and a call log) lives in
:mod:`agent.llm.openai_client`; :func:`agent.llm.runtime.open_llm` picks the endpoint (configured, or the
embedded llama-server) and hands back an :class:`LLM`. Tests use :class:`agent.llm.testing.FakeLLM`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from agent.core.contracts import Usage

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
        sample: int = 0,
    ) -> LLMResult[T]:
        """``sample`` 0 asks with the endpoint's own sampling; ``sample`` k > 0 asks for another candidate answer to
        the same messages (another seed, a warmer temperature), so a server's prompt cache serves the prefix."""
        ...
