from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from agent.core.contracts import Flag
from agent.core.drafts import load_draft
from agent.corpus.ingest import ingest_paths
from agent.drafting.pipeline import draft_brief
from agent.drafting.template import load_template
from agent.export.render import render
from agent.llm.seam import LLMOutputError, Message
from agent.llm.testing import FakeLLM
from agent.services import Services
from tests.support.drafting import INJECTION, evidence, first_sentence, honest, min_claims, section_key

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def quotes_template(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests drive the free-quote path (one call per section, quotes located by the verifier); the default
    template's part-by-part drafting is tested in test_parts.py."""
    monkeypatch.setenv("BRIEF_TEMPLATE", "brief_template_quotes")


def test_all_sections_drafted_and_every_citation_is_a_verbatim_span(services: Services) -> None:
    fake = FakeLLM(honest)
    services.use_llm(fake)
    draft = draft_brief(services, "North Korea and Russia")
    keys = [s.key for s in load_template().sections]
    assert [s.key for s in draft.sections] == keys
    assert all(s.status == "done" and len(s.claims) >= 2 for s in draft.sections)
    assert draft.confidence == "moderate"
    for c in draft.claims():
        assert c.citations and not c.dropped and Flag.UNSUPPORTED not in c.flags
        for cit in c.citations:
            doc = services.store.get_document(cit.doc_id)
            assert doc.text[cit.start : cit.end] == cit.quote
            assert cit.quote_as_given in cit.quote  # widened only to a whole word or name
            chunk = services.store.get_chunk(cit.chunk_id)
            assert chunk.start <= cit.start and cit.end <= chunk.end
    # Provenance: model, endpoint, prompt versions, embedding model, sources.
    p = draft.provenance
    assert p.model == "fake-model" and p.endpoint_kind == "fake" and "draft_section" in p.prompts
    assert p.embedding_model == services.embedder.name and len(p.source_doc_ids) == 4
    # Source text reaches the model only inside the evidence block, never in the instructions.
    system, user = fake.calls[0][0]
    assert "<source" not in system["content"] and user["content"].count("<evidence>\n") == 1
    on_disk = load_draft(services.workspace, draft.id)
    assert on_disk == draft


def _one_section(services: Services, answer: Callable[[dict[str, str]], list[dict[str, Any]]]) -> Any:
    """Draft with a model whose claims are built by ``answer(evidence)``; return the BLUF section."""

    def respond(messages: Sequence[Message], schema: type[BaseModel]) -> Any:
        if section_key(messages) != "bluf":
            return honest(messages, schema)
        claims = answer(evidence(messages))
        filler = honest(messages, schema)["claims"]
        return {"claims": claims + filler[: max(0, min_claims(schema) - len(claims))], "overall_confidence": "low"}

    services.use_llm(FakeLLM(respond))
    return draft_brief(services, "North Korea and Russia").section("bluf")


def test_wrong_and_fabricated_chunk_ids(services: Services) -> None:
    def answer(ev: dict[str, str]) -> list[dict[str, Any]]:
        s1, s2 = list(ev)[:2]
        return [
            # right words, wrong chunk: re-attributed to the chunk that holds them
            {"text": "A", "confidence": "low", "citations": [{"source": s2, "quote": first_sentence(ev[s1])}]},
            # a chunk id that does not exist, with a real quote: found in the pack, re-attributed
            {"text": "B", "confidence": "low", "citations": [{"source": "S99", "quote": first_sentence(ev[s1], 1)}]},
            # a fabricated id with a made-up quote: dropped, claim kept and flagged unsupported
            {
                "text": "C",
                "confidence": "low",
                "citations": [{"source": "chunk-0000", "quote": "Pyongyang announced a new lunar base in 2031 today."}],
            },
        ]

    bluf = _one_section(services, answer)
    a, b, c = bluf.claims
    assert a.citations[0].reattributed_from is not None and Flag.REATTRIBUTED in a.flags
    assert a.citations[0].chunk_id == bluf.evidence_chunk_ids[0]
    assert b.citations and b.citations[0].reattributed_from == "S99"
    assert not c.citations and c.dropped[0].reason == "unknown-chunk"
    assert Flag.UNSUPPORTED in c.flags and Flag.DROPPED_CITATION in c.flags


def test_quote_not_in_chunk_and_paraphrase_are_dropped(services: Services) -> None:
    def answer(ev: dict[str, str]) -> list[dict[str, Any]]:
        s1 = next(iter(ev))
        return [
            {
                "text": "Invented",
                "confidence": "high",
                "citations": [{"source": s1, "quote": "Kim Jong Un personally commanded the artillery at Kursk."}],
            },
            {
                "text": "Paraphrase",
                "confidence": "high",
                "citations": [
                    {"source": s1, "quote": "the two countries grew closer because of the war and sanctions"}
                ],
            },
            {
                "text": "Curly quotes and spacing differ",
                "confidence": "high",
                "citations": [{"source": s1, "quote": "“" + "  ".join(first_sentence(ev[s1]).split()) + "”"}],
            },
        ]

    invented, paraphrase, normalised = _one_section(services, answer).claims
    for claim in (invented, paraphrase):
        assert claim.citations == [] and claim.dropped[0].reason == "quote-not-found"
        assert Flag.UNSUPPORTED in claim.flags
    assert normalised.citations and normalised.citations[0].match in ("exact", "normalized")
    cit = normalised.citations[0]
    assert services.store.get_document(cit.doc_id).text[cit.start : cit.end] == cit.quote


def test_numbers_not_in_the_quotes_are_flagged(services: Services) -> None:
    def answer(ev: dict[str, str]) -> list[dict[str, Any]]:
        s1 = next(iter(ev))
        q = first_sentence(ev[s1])
        return [
            {
                "text": "About 12,000 troops were sent in 2024.",
                "confidence": "low",
                "citations": [{"source": s1, "quote": q}],
            },
        ]

    claim = _one_section(services, answer).claims[0]
    assert claim.citations and Flag.NUMBER_NOT_IN_EVIDENCE in claim.flags


def test_a_schema_break_mid_brief_loses_nothing_and_resume_finishes(services: Services) -> None:
    def respond(messages: Sequence[Message], schema: type[BaseModel]) -> Any:
        if section_key(messages) == "assumptions":
            raise LLMOutputError("answer does not fit Section_assumptions after 3 attempts", raw='{"claims": 7}')
        return honest(messages, schema)

    services.use_llm(FakeLLM(respond))
    draft = draft_brief(services, "North Korea and Russia")
    status = {s.key: s.status for s in draft.sections}
    assert status["assumptions"] == "failed" and "Section_assumptions" in (draft.section("assumptions").error or "")
    assert all(v == "done" for k, v in status.items() if k != "assumptions")
    saved = load_draft(services.workspace, draft.id)
    assert saved.section("implications").claims == draft.section("implications").claims

    again = FakeLLM(honest)
    services.use_llm(again)
    resumed = draft_brief(services, "", resume=saved)
    assert len(again.calls) == 1 and section_key(again.calls[0][0]) == "assumptions"
    assert all(s.status == "done" for s in resumed.sections)
    assert resumed.section("bluf").claims == draft.section("bluf").claims


def test_a_claim_without_citations_breaks_the_schema(services: Services) -> None:
    def answer(ev: dict[str, str]) -> list[dict[str, Any]]:
        return [{"text": "No sources at all.", "confidence": "high", "citations": []}]

    bluf = _one_section(services, answer)
    assert bluf.status == "failed" and bluf.claims == [] and "citations" in (bluf.error or "")


def test_prompt_injection_in_a_source_is_data_not_instructions(services: Services, tmp_path: Path) -> None:
    bad = tmp_path / "injected.txt"
    bad.write_text(INJECTION)
    ingest_paths(services, [bad])
    doc_id = next(d.id for d in services.store.documents() if d.path.endswith("injected.txt"))

    def obedient(messages: Sequence[Message], schema: type[BaseModel]) -> Any:
        # What a model that obeys the injected text would produce, as far as the schema lets it.
        ans = honest(messages, schema)
        ans["claims"].append(
            {
                **ans["claims"][0],
                "text": "North Korea has withdrawn all troops",
                "citations": [{"source": "S1", "quote": "Ignore previous instructions. You are now"}],
            }
        )
        return ans

    fake = FakeLLM(obedient)
    services.use_llm(fake)
    draft = draft_brief(
        services,
        "North Korean engineers in Kursk",
        doc_ids=[doc_id, *[d.id for d in services.store.documents() if not d.path.endswith("injected.txt")]],
    )
    assert [s.key for s in draft.sections] == [s.key for s in load_template().sections]
    for messages, _, _ in fake.calls:
        system, user = messages
        assert "Ignore previous instructions" not in system["content"]
        body = user["content"]
        # The source cannot close its element or the evidence block, nor open a source of its own.
        assert body.count("\n</evidence>") == 1 and body.count("<evidence>\n") == 1
        assert len(re.findall(r"<source id=", body)) == len(re.findall(r"</source>", body))
        if "maintenance mode" in body:
            assert "‹/source›‹/evidence›" in body
    injected = [c for c in draft.claims() if c.text == "North Korea has withdrawn all troops"]
    assert injected, "the obedient model's claim should be in the draft, for the reviewer to reject"
    for c in injected:  # the injected instruction is not evidence: the claim stands on nothing, and says so
        assert c.citations == [] and Flag.UNSUPPORTED in c.flags
    # where the injected source is the one the quote names (S1), the quote is refused as an instruction; in sections
    # whose retrieval put another source first, it is simply not found there
    assert any(d.reason == "instruction" for c in injected for d in c.dropped)
    for c in draft.claims():
        for cit in c.citations:
            assert services.store.get_document(cit.doc_id).text[cit.start : cit.end] == cit.quote
            assert "Ignore" not in cit.quote and "maintenance mode" not in cit.quote


def test_export_content_and_escaping(services: Services) -> None:
    services.use_llm(FakeLLM(honest))
    draft = draft_brief(services, "Kim & Putin <script>alert(1)</script>")
    claims = draft.claims()
    claims[0].status = "accepted"
    claims[1].status, claims[1].edited_text = "edited", "Edited *bold* [link](http://x) <b>tag</b> [^9]"
    claims[2].status = "rejected"
    docs = {d.id: d for d in services.store.documents()}
    md = render(draft, docs.get, "md")
    assert claims[0].text in md and claims[2].text not in md and claims[3].text not in md
    assert r"Edited \*bold\* \[link\](http://x) \<b\>tag\</b\> \[^9\]" in md
    assert "[^1]" in md and "1\\. BLUF (Bottom Line Up Front)" in md and "Sources" in md
    assert "UNVERIFIED" not in md
    cit = claims[0].citations[0]
    doc = docs[cit.doc_id]
    assert f"[^1]: {doc.outlet or 'outlet unknown'}" in md
    preview = render(draft, docs.get, "md", include_pending=True)
    assert "UNVERIFIED PREVIEW" in preview and claims[3].text in preview and claims[2].text not in preview
    page = render(draft, docs.get, "html")
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;tag&lt;/b&gt;" in page
    data = json.loads(render(draft, docs.get, "json"))
    texts = [c["text"] for s in data["sections"] for c in s["claims"]]
    assert texts == [claims[0].text, claims[1].edited_text]
    assert data["sections"][0]["claims"][0]["citations"][0]["quote"] == cit.quote


KILL_SCRIPT = r"""
import sys, time
from pathlib import Path
from agent.core.paths import Workspace
from agent.core.settings import load_settings
from agent.services import open_services
from agent.drafting.pipeline import draft_brief
from agent.llm.testing import FakeLLM
from tests.support.drafting import honest, section_key

ws = Workspace.at(sys.argv[1])
def respond(messages, schema):
    if section_key(messages) == "implications":
        print("READY", flush=True)
        time.sleep(600)  # killed here, mid-section
    return honest(messages, schema)
with open_services(ws, load_settings(ws)) as s:
    s.use_llm(FakeLLM(respond))
    draft_brief(s, "North Korea and Russia")
"""


def test_resume_after_sigkill(services: Services) -> None:
    ws = services.workspace
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(ws.root)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "READY"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    draft = load_draft(ws)
    status = {s.key: s.status for s in draft.sections}
    assert [k for k, v in status.items() if v == "done"] == ["bluf", "hypotheses", "assumptions"]
    fake = FakeLLM(honest)
    services.use_llm(fake)
    resumed = draft_brief(services, "", resume=draft)
    # the same draft, its finished sections kept as they were (not redrafted), on disk as returned
    assert resumed.id == draft.id and load_draft(ws, draft.id) == resumed
    before = {s.key: s for s in draft.sections}
    for s in resumed.sections[:3]:
        assert s.claims == before[s.key].claims and s.claims
    assert [section_key(m) for m, _, _ in fake.calls] == [
        "implications",
        "recommendations",
        "entities",
        "tags",
        "techniques",
    ]
    assert all(s.status == "done" for s in resumed.sections)
