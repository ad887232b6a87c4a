"""End to end on the real runtime: the embedded llama-server with the tiny SmolLM2-135M model.

The tiny model is far too weak to draft well; this checks the real path holds together: real
ingest, real retrieval, real structured output from llama-server, code-side verification, the
draft on disk, and that a prompt-injection source changes neither the structure nor lets an
uncited claim through.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.core import model_files
from agent.core.contracts import Draft, Flag, Provenance, SectionDraft, SourceDocument
from agent.core.drafts import load_draft
from agent.corpus.ingest import ingest_paths
from agent.drafting.pipeline import draft_brief
from agent.drafting.template import load_template
from agent.export.render import render
from agent.services import open_services
from tests.support.drafting import INJECTION
from tests.support.seeds import SOURCES, workspace


def _have_runtime() -> str | None:
    try:
        from agent.llm.runtime import find_llama_server

        find_llama_server()
    except Exception as e:
        return f"llama-server not installed ({e})"
    if not model_files.is_installed("smollm2-135m"):
        return "tiny model not fetched: brief models fetch smollm2-135m"
    return None


def check_draft(draft: Draft, docs: dict[str, SourceDocument], keys: list[str]) -> None:
    """What a draft of the real path must hold, whatever the model wrote."""
    assert [s.key for s in draft.sections] == keys
    for s in draft.sections:
        # Every section finished or recorded why not; none silently empty.
        assert s.status in ("done", "failed")
        assert s.status == "done" or s.error
        assert s.claims or s.empty_reason or s.error
        for c in s.claims:
            # a model-written claim always cites the sentences it stands on; only code-written ones may cite none
            assert c.citations or c.origin == "computed", c
            assert Flag.UNSUPPORTED not in c.flags
            for cit in c.citations:
                assert docs[cit.doc_id].text[cit.start : cit.end] == cit.quote
    # a brief whose every section failed is no brief: the path did not hold together
    assert any(s.status == "done" and s.claims for s in draft.sections), [(s.key, s.error) for s in draft.sections]


def test_the_check_refuses_a_draft_whose_every_section_failed() -> None:
    """``check_draft`` can fail: each section failed with its reason recorded is not a draft that held together."""
    keys = [s.key for s in load_template().sections]
    draft = Draft(id="d", topic="t", provenance=Provenance(model="m", endpoint_kind="llama-server"))
    draft.sections = [SectionDraft(key=k, title=k, status="failed", error="model refused") for k in keys]
    with pytest.raises(AssertionError, match="model refused"):
        check_draft(draft, {}, keys)


@pytest.mark.slow
def test_draft_end_to_end_on_the_tiny_real_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reason = _have_runtime()
    if reason:
        pytest.skip(reason)
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("BRIEF_LOCAL_MODEL", "smollm2-135m")
    monkeypatch.setenv("BRIEF_LLM__MAX_TOKENS", "300")
    monkeypatch.setenv("BRIEF_LLM__MAX_VALIDATION_RETRIES", "1")
    bad = tmp_path / "injected.txt"
    bad.write_text(INJECTION)
    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as services:
        ingest_paths(services, [*SOURCES, bad])
        draft = draft_brief(services, "North Korean troops supporting Russia in Kursk")
        assert services.llm.info.kind == "llama-server"
        docs = {d.id: d for d in services.store.documents()}
    check_draft(draft, docs, [s.key for s in load_template().sections])
    assert draft.provenance.model == "smollm2-135m" and draft.provenance.endpoint_kind == "llama-server"
    assert draft.usage.calls >= 1 and draft.usage.prompt_tokens > 0
    assert load_draft(ws, draft.id) == draft
    assert "Intelligence Report" in render(draft, docs.get, "md", include_pending=True)
