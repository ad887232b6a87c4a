"""The OpenAI-compatible seam through the real ``openai`` client, against HTTP mocked with respx.

Nothing here waits: the retry sleep is a recorder, so tests assert the waits that were *asked
for* (e.g. the server's ``Retry-After``) instead of measuring time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from pydantic import BaseModel

from agent.core.contracts import Usage
from agent.core.settings import LLMSettings
from agent.llm.openai_client import OpenAICompatibleLLM, cost_usd, extract_json, retry_after_s
from agent.llm.seam import LLMConfigError, LLMError, LLMOutputError

BASE = "http://llm.test/v1"
SECRET = "sk-test-SECRET-0123456789abcdef"


class Answer(BaseModel):
    answer: str


def completion(content: str, *, prompt_tokens: int = 11, completion_tokens: int = 5, finish: str = "stop") -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "finish_reason": finish, "message": {"role": "assistant", "content": content}}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def ok(content: str = '{"answer": "yes"}', **kw: Any) -> httpx.Response:
    return httpx.Response(200, json=completion(content, **kw))


def body(call: Any) -> dict[str, Any]:
    return json.loads(call.request.content)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "logs" / "llm_calls.jsonl"


@pytest.fixture
def mock() -> Any:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def make_llm(sleeps: list[float], log_path: Path, **kw: Any) -> OpenAICompatibleLLM:
    kw.setdefault("model", "m")
    kw.setdefault("kind", "openai-compatible")
    kw.setdefault("structured_output", "json_schema")
    return OpenAICompatibleLLM(base_url=BASE, api_key=SECRET, log_path=log_path, sleep=sleeps.append, **kw)


def log_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


MSGS = [{"role": "system", "content": "You answer questions."}, {"role": "user", "content": "Is it?"}]


# --------------------------------------------------------------------------- happy path and request shape


def test_json_schema_request_shape_and_usage(mock: Any, sleeps: list[float], log_path: Path) -> None:
    route = mock.post("/chat/completions").mock(return_value=ok(prompt_tokens=20, completion_tokens=4))
    llm = make_llm(sleeps, log_path, temperature=0.1, seed=3)
    result = llm.complete(MSGS, Answer, prompt_name="draft", prompt_version="v1")

    assert result.value == Answer(answer="yes")
    assert result.usage.prompt_tokens == 20 and result.usage.completion_tokens == 4
    assert result.usage.calls == 1 and result.usage.retries == 0
    sent = body(route.calls.last)
    assert sent["model"] == "m"
    assert sent["temperature"] == 0.1 and sent["seed"] == 3 and sent["max_tokens"] == 1200
    rf = sent["response_format"]
    assert rf["type"] == "json_schema"
    assert rf["json_schema"]["name"] == "Answer"
    assert rf["json_schema"]["schema"]["required"] == ["answer"]
    # pydantic's default schema allows extra keys, so OpenAI's strict mode would refuse it
    assert rf["json_schema"]["strict"] is False
    assert sent["messages"] == MSGS  # constrained modes leave the caller's prompt alone
    assert route.calls.last.request.headers["authorization"] == f"Bearer {SECRET}"
    assert sleeps == []


def test_another_sample_sends_the_same_messages_with_another_seed_and_a_warmer_temperature(
    mock: Any, sleeps: list[float], log_path: Path
) -> None:
    route = mock.post("/chat/completions").mock(return_value=ok(prompt_tokens=20, completion_tokens=4))
    llm = make_llm(sleeps, log_path, temperature=0.1, seed=3)
    llm.complete(MSGS, Answer)
    first = body(route.calls.last)
    llm.complete(MSGS, Answer, sample=1)
    second = body(route.calls.last)
    assert second["messages"] == first["messages"] == MSGS  # the prompt prefix the server has cached
    assert (first["seed"], first["temperature"]) == (3, 0.1)
    assert second["seed"] == 4 and second["temperature"] > first["temperature"]


def test_llama_server_timings_are_logged_as_processed_and_cached_prompt_tokens(
    mock: Any, sleeps: list[float], log_path: Path
) -> None:
    """llama-server says how much of the prompt it computed and how much it took from its prompt cache: the
    figure that shows a shared prompt prefix at work. Endpoints that say nothing get no such fields."""
    answer = completion('{"answer": "yes"}', prompt_tokens=300)
    answer["timings"] = {"prompt_n": 42, "cache_n": 258, "predicted_n": 5}
    mock.post("/chat/completions").mock(side_effect=[httpx.Response(200, json=answer), ok(prompt_tokens=300)])
    llm = make_llm(sleeps, log_path)
    llm.complete(MSGS, Answer)
    llm.complete(MSGS, Answer)
    first, second = log_lines(log_path)
    assert (first["server_prompt_processed"], first["server_prompt_cached"]) == (42, 258)
    assert "server_prompt_processed" not in second


def test_openai_kind_uses_max_completion_tokens(mock: Any, sleeps: list[float], log_path: Path) -> None:
    route = mock.post("/chat/completions").mock(return_value=ok())
    make_llm(sleeps, log_path, kind="openai", max_tokens=77).complete(MSGS, Answer)
    sent = body(route.calls.last)
    assert sent["max_completion_tokens"] == 77 and "max_tokens" not in sent


# --------------------------------------------------------------------------- retries


def test_429_then_200_retries_and_honours_retry_after(mock: Any, sleeps: list[float], log_path: Path) -> None:
    route = mock.post("/chat/completions").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "7"}, json={"error": {"message": "slow down"}}), ok()]
    )
    result = make_llm(sleeps, log_path).complete(MSGS, Answer)

    assert result.value.answer == "yes"
    assert route.call_count == 2
    assert sleeps == [7.0]  # exactly the server's wait, not our backoff
    assert result.usage.retries == 1
    (line,) = log_lines(log_path)
    assert line["attempts"] == 2 and line["outcome"] == "ok"
    assert line["attempt_log"][0]["error"].startswith("HTTP 429") and line["attempt_log"][0]["wait_s"] == 7.0


def test_retry_after_ms_takes_precedence(mock: Any, sleeps: list[float], log_path: Path) -> None:
    mock.post("/chat/completions").mock(
        side_effect=[httpx.Response(429, headers={"retry-after-ms": "1500", "Retry-After": "9"}, json={}), ok()]
    )
    make_llm(sleeps, log_path).complete(MSGS, Answer)
    assert sleeps == [1.5]


def test_connection_error_is_retried(mock: Any, sleeps: list[float], log_path: Path) -> None:
    route = mock.post("/chat/completions").mock(side_effect=[httpx.ConnectError("refused"), ok()])
    result = make_llm(sleeps, log_path).complete(MSGS, Answer)
    assert result.value.answer == "yes" and route.call_count == 2
    assert len(sleeps) == 1 and sleeps[0] > 0  # exponential backoff (with jitter), no Retry-After


def test_500s_exhaust_to_a_clear_error(mock: Any, sleeps: list[float], log_path: Path) -> None:
    route = mock.post("/chat/completions").mock(
        return_value=httpx.Response(500, json={"error": {"message": "model crashed"}})
    )
    with pytest.raises(LLMError) as info:
        make_llm(sleeps, log_path, max_attempts=3).complete(MSGS, Answer)

    assert not isinstance(info.value, LLMConfigError)
    assert route.call_count == 3
    assert len(sleeps) == 2
    assert sleeps[1] >= sleeps[0] - 1.0  # backoff grows (jitter is at most 1 s)
    message = str(info.value)
    assert "3 attempt(s)" in message and "HTTP 500" in message and "model crashed" in message
    (line,) = log_lines(log_path)
    assert line["outcome"] == "error" and line["attempts"] == 3


def test_total_retry_time_bounds_a_long_retry_after(mock: Any, sleeps: list[float], log_path: Path) -> None:
    route = mock.post("/chat/completions").mock(return_value=httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(LLMError):
        make_llm(sleeps, log_path, max_retry_time_s=60).complete(MSGS, Answer)
    assert route.call_count == 1 and sleeps == []  # waiting an hour would overrun the 60 s budget


def test_retry_after_http_date() -> None:
    import openai

    request = httpx.Request("POST", BASE)
    response = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, request=request)
    exc = openai.RateLimitError("x", response=response, body=None)  # type: ignore[arg-type]
    assert retry_after_s(exc) == 0.0  # a date in the past means "now"


# --------------------------------------------------------------------------- errors a retry cannot fix


def test_401_fails_at_once_and_never_leaks_the_key(mock: Any, sleeps: list[float], log_path: Path) -> None:
    route = mock.post("/chat/completions").mock(
        return_value=httpx.Response(401, json={"error": {"message": f"Incorrect API key provided: {SECRET}"}})
    )
    with pytest.raises(LLMConfigError) as info:
        make_llm(sleeps, log_path).complete(MSGS, Answer)

    assert route.call_count == 1 and sleeps == []
    assert "OPENAI_API_KEY" in str(info.value) and "llm.api_key" in str(info.value)
    assert SECRET not in str(info.value)
    text = log_path.read_text()
    assert SECRET not in text
    assert json.loads(text)["outcome"] == "config_error"


def test_404_unknown_model_lists_the_models(mock: Any, sleeps: list[float], log_path: Path) -> None:
    mock.post("/chat/completions").mock(
        return_value=httpx.Response(404, json={"error": {"message": "The model `gpt-9` does not exist"}})
    )
    mock.get("/models").mock(return_value=httpx.Response(200, json={"data": [{"id": "alpha"}, {"id": "beta"}]}))
    with pytest.raises(LLMConfigError) as info:
        make_llm(sleeps, log_path, model="gpt-9").complete(MSGS, Answer)
    assert "unknown model 'gpt-9'" in str(info.value)
    assert "alpha, beta" in str(info.value)


def test_404_without_models_endpoint_points_at_the_url(mock: Any, sleeps: list[float], log_path: Path) -> None:
    mock.post("/chat/completions").mock(return_value=httpx.Response(404, text="Not Found"))
    mock.get("/models").mock(return_value=httpx.Response(404, text="Not Found"))
    with pytest.raises(LLMConfigError) as info:
        make_llm(sleeps, log_path).complete(MSGS, Answer)
    assert "OPENAI_BASE_URL" in str(info.value) and "/v1" in str(info.value)


# --------------------------------------------------------------------------- parsing and re-asking


@pytest.mark.parametrize(
    "content",
    [
        '```json\n{"answer": "yes"}\n```',
        '<think>The user wants {"answer": "no"}? Let me think.</think>\n{"answer": "yes"}',
        'Sure! Here is the JSON:\n```\n{"answer": "yes"}\n```\nHope it helps.',
        'Here you go: {"answer": "yes"} (done)',
    ],
    ids=["fenced", "think", "prose+fence", "prose"],
)
def test_wrapped_answers_parse(content: str, mock: Any, sleeps: list[float], log_path: Path) -> None:
    route = mock.post("/chat/completions").mock(return_value=ok(content))
    result = make_llm(sleeps, log_path).complete(MSGS, Answer)
    assert result.value == Answer(answer="yes")
    assert route.call_count == 1
    assert result.raw == content


def test_extract_json_handles_braces_inside_strings() -> None:
    text = 'noise {not json} then {"answer": "a } and { inside"} trailing'
    assert json.loads(extract_json(text)) == {"answer": "a } and { inside"}
    with pytest.raises(ValueError):
        extract_json("no object here [1, 2]")


def test_malformed_json_is_reasked_then_reported(mock: Any, sleeps: list[float], log_path: Path) -> None:
    route = mock.post("/chat/completions").mock(
        side_effect=[ok('{"reply": "yes"}'), ok("I cannot answer that."), ok('{"answer": 42')]
    )
    llm = make_llm(sleeps, log_path, max_validation_retries=2)
    with pytest.raises(LLMOutputError) as info:
        llm.complete(MSGS, Answer, prompt_name="p")

    assert route.call_count == 3  # the first answer and two re-asks
    assert info.value.raw == '{"answer": 42'
    second = body(route.calls[1])["messages"]
    assert second[-2] == {"role": "assistant", "content": '{"reply": "yes"}'}
    assert second[-1]["role"] == "user"
    assert "answer: Field required" in second[-1]["content"]  # the validation error is handed back
    third = body(route.calls[2])["messages"]
    assert "no JSON object" in third[-1]["content"]
    (line,) = log_lines(log_path)
    assert line["outcome"] == "invalid_output" and line["reasks"] == 2 and line["attempts"] == 3


def test_reask_that_succeeds_counts_tokens_of_both(mock: Any, sleeps: list[float], log_path: Path) -> None:
    mock.post("/chat/completions").mock(side_effect=[ok("{}", prompt_tokens=10), ok(prompt_tokens=30)])
    result = make_llm(sleeps, log_path).complete(MSGS, Answer)
    assert result.value.answer == "yes"
    assert result.usage.prompt_tokens == 40 and result.usage.retries == 1


def test_truncated_answer_says_so(mock: Any, sleeps: list[float], log_path: Path) -> None:
    mock.post("/chat/completions").mock(return_value=ok('{"answer": "ye', finish="length"))
    with pytest.raises(LLMOutputError, match="max_tokens=1200"):
        make_llm(sleeps, log_path, max_validation_retries=0).complete(MSGS, Answer)


# --------------------------------------------------------------------------- structured-output modes


def test_auto_falls_back_from_json_schema_and_remembers(mock: Any, sleeps: list[float], log_path: Path) -> None:
    mock.get("/models").mock(return_value=httpx.Response(404))
    mock.get("http://llm.test/props").mock(return_value=httpx.Response(404))

    def server(request: httpx.Request) -> httpx.Response:
        rf = json.loads(request.content).get("response_format", {})
        if rf.get("type") == "json_schema":  # llama-cpp-python's server does this
            return httpx.Response(500, json={"detail": "response_format json_schema is not supported"})
        return ok()

    route = mock.post("/chat/completions").mock(side_effect=server)
    llm = make_llm(sleeps, log_path, kind=None, structured_output="auto")
    first = llm.complete(MSGS, Answer)
    assert first.value.answer == "yes"
    assert route.call_count == 2 and sleeps == []  # a format refusal is not retried as a 500
    rf = body(route.calls[1])["response_format"]
    assert rf == {"type": "json_object", "schema": Answer.model_json_schema()}
    assert llm.structured_mode == "json_object_schema"
    assert llm.info.structured_output == "json_object_schema"

    llm.complete(MSGS, Answer)
    assert route.call_count == 3  # remembered: straight to json_object_schema
    assert body(route.calls[2])["response_format"]["type"] == "json_object"


def test_auto_falls_back_to_prompt_mode(mock: Any, sleeps: list[float], log_path: Path) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        if "response_format" in json.loads(request.content):
            return httpx.Response(400, json={"error": {"message": "unsupported parameter: response_format"}})
        return ok('```json\n{"answer": "yes"}\n```')

    route = mock.post("/chat/completions").mock(side_effect=server)
    llm = make_llm(sleeps, log_path, kind="openai-compatible", structured_output="auto")
    llm._detected = True  # skip probing: this test is about the fallback chain
    assert llm.complete(MSGS, Answer).value.answer == "yes"
    assert route.call_count == 3 and llm.structured_mode == "prompt"
    sent = body(route.calls[2])
    assert "response_format" not in sent
    assert sent["messages"][0]["role"] == "system"
    assert sent["messages"][0]["content"].startswith("You answer questions.")
    assert '"answer"' in sent["messages"][0]["content"]  # the schema is in the instructions


def test_configured_json_schema_does_not_fall_back(mock: Any, sleeps: list[float], log_path: Path) -> None:
    mock.post("/chat/completions").mock(
        return_value=httpx.Response(400, json={"error": {"message": "response_format json_schema unsupported"}})
    )
    with pytest.raises(LLMConfigError, match="structured_output"):
        make_llm(sleeps, log_path, structured_output="json_schema").complete(MSGS, Answer)


def test_detects_llama_server_and_its_model(mock: Any, sleeps: list[float], log_path: Path) -> None:
    mock.get("/models").mock(return_value=httpx.Response(200, json={"data": [{"id": "qwen", "owned_by": "llamacpp"}]}))
    mock.get("http://llm.test/props").mock(return_value=httpx.Response(200, json={"total_slots": 1}))
    route = mock.post("/chat/completions").mock(return_value=ok())
    llm = OpenAICompatibleLLM(base_url=BASE, log_path=log_path, sleep=sleeps.append)
    info = llm.detect()
    assert (info.kind, info.model, info.structured_output) == ("llama-server", "qwen", "json_schema")
    llm.complete(MSGS, Answer)
    assert body(route.calls.last)["model"] == "qwen"
    assert body(route.calls.last)["response_format"]["type"] == "json_schema"


def test_detects_llama_cpp_python(mock: Any, sleeps: list[float], log_path: Path) -> None:
    mock.get("/models").mock(return_value=httpx.Response(200, json={"data": [{"id": "x.gguf", "owned_by": "me"}]}))
    mock.get("http://llm.test/props").mock(return_value=httpx.Response(404))
    llm = OpenAICompatibleLLM(base_url=BASE, log_path=log_path, sleep=sleeps.append)
    assert llm.detect().kind == "llama-cpp-python"
    assert llm.structured_mode == "json_object_schema"


# --------------------------------------------------------------------------- the call log and settings


def test_call_log_records_each_call_without_secrets(mock: Any, sleeps: list[float], log_path: Path) -> None:
    mock.post("/chat/completions").mock(side_effect=[ok(prompt_tokens=12, completion_tokens=3), ok()])
    llm = make_llm(sleeps, log_path, price_per_mtok_in=2.0, price_per_mtok_out=10.0)
    llm.complete(MSGS, Answer, prompt_name="draft_section", prompt_version="abc123")
    llm.complete(MSGS, Answer, prompt_name="redraft", prompt_version="def456")

    text = log_path.read_text()
    assert SECRET not in text and "Bearer" not in text
    first, second = log_lines(log_path)
    assert first["prompt_name"] == "draft_section" and first["prompt_version"] == "abc123"
    assert first["prompt_tokens"] == 12 and first["completion_tokens"] == 3
    assert first["model"] == "m" and first["base_url"] == BASE and first["endpoint_kind"] == "openai-compatible"
    assert first["outcome"] == "ok" and first["error"] is None and first["attempts"] == 1
    assert first["cost_usd"] == pytest.approx((12 * 2.0 + 3 * 10.0) / 1e6)
    assert "time" in first and "latency_s" in first
    assert second["prompt_name"] == "redraft"


def test_from_settings_honours_fields(mock: Any, log_path: Path) -> None:
    route = mock.post("/chat/completions").mock(return_value=ok())
    settings = LLMSettings(
        base_url=BASE,
        api_key=SECRET,
        model="m2",
        temperature=0.0,
        top_p=0.5,
        max_tokens=64,
        seed=None,
        structured_output="json_object_schema",
    )
    llm = OpenAICompatibleLLM.from_settings(settings, log_path=log_path, kind="vllm")
    llm.complete(MSGS, Answer)
    sent = body(route.calls.last)
    assert (sent["model"], sent["temperature"], sent["top_p"], sent["max_tokens"]) == ("m2", 0.0, 0.5, 64)
    assert "seed" not in sent
    assert sent["response_format"]["type"] == "json_object"
    assert SECRET not in repr(llm.info)


def test_cost_usd() -> None:
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=500_000)
    assert cost_usd(usage, LLMSettings()) is None
    assert cost_usd(usage, LLMSettings(price_per_mtok_in=0.5, price_per_mtok_out=2.0)) == pytest.approx(1.5)


@pytest.mark.parametrize("log_text", [False, True])
def test_the_call_log_holds_the_request_and_answer_only_when_asked(
    mock: Any, sleeps: list[float], log_path: Path, log_text: bool
) -> None:
    mock.post("/chat/completions").mock(return_value=ok(prompt_tokens=20, completion_tokens=4))
    make_llm(sleeps, log_path, log_text=log_text).complete(MSGS, Answer)
    record = json.loads(log_path.read_text(encoding="utf-8").splitlines()[-1])
    assert ("request" in record and "answer" in record) is log_text
    if log_text:
        assert record["request"] == "Is it?" and "yes" in record["answer"]
