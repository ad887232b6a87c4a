"""A scripted LLM at our own seam, for tests and for offline harness runs; never used by the product itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from agent.core.contracts import Usage
from agent.llm.seam import EndpointInfo, LLMError, LLMOutputError, LLMResult, Message, T

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
        self.samples: list[int] = []  # the ``sample`` of each call, in order (0: the endpoint's own sampling)

    def complete(
        self,
        messages: Sequence[Message],
        schema: type[T],
        *,
        prompt_name: str = "",
        prompt_version: str = "",
        sample: int = 0,
    ) -> LLMResult[T]:
        self.calls.append((list(messages), schema, prompt_name))
        self.samples.append(sample)
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
