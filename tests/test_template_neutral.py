"""The template names a part's role in the brief, never a subject: no query, task, intent or claim guidance may
carry a word distinctive of one topic.

A topic's vocabulary is the content words of how an analyst states it and of its sources' titles: the dev-set
topics (``../shared/devset/*/case.toml`` and ``SOURCES.md``, beside the repository as CI has it) and the seeds
(``evals/cases/seeds-nk-russia``, the first lines of ``seeds/001``-``004``). A word is distinctive when at most two
topics use it. The only words exempt are the brief's own: its sub-headings (the output format) and the few role
words listed below, each of which names what a part does in any brief.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from agent.corpus.text import content_words
from agent.drafting.template import Template, load_template

REPO = Path(__file__).resolve().parents[1]
DEVSET = REPO.parent / "shared" / "devset"

# Words that name a part's role in any brief (scale, causes, consequences, responses, uncertainty, what comes next)
# and happen to occur in one or two topics' titles. Keep this short: a subject word added here defeats the test.
ROLE_WORDS = frozenset(
    [
        "cause",
        "causes",
        "response",
        "risk",
        "outcome",
        "impact",
        "result",
        "question",
        "support",
        "assessment",
        "implication",
        "outlook",
        "confirm",
        "incident",
        "event",
        "report",
        "said",
        "media",
        "region",
    ]
)
# Plain English that names no subject (numbers, time spans, function words the stop list lacks).
GENERAL_WORDS = frozenset(
    [
        "without",
        "still",
        "two",
        "mean",
        "means",
        "take",
        "takes",
        "year",
        "case",
        "first",
        "time",
        "new",
        "recent",
        "major",
        "state",
    ]
)
# The demo topic's subject words the template once carried (its titles alone do not hold them all).
SEEDS_WORDS = (
    "troops soldiers deployed killed signed treaty mutual defense alliance partnership strategic incentives payment "
    "money resources technology transfer weapons missiles shells munitions combat sanctions escalation expansion "
    "cooperation"
)


def stem(word: str) -> str:
    w = word.lower()
    for suffix in ("ing", "ed", "es", "s"):
        if len(w) > 4 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def vocabulary(text: str) -> set[str]:
    return {stem(w) for w in content_words(text) if w.isalpha()}


def seeds_text() -> str:
    case = tomllib.loads((REPO / "evals/cases/seeds-nk-russia/case.toml").read_text(encoding="utf-8"))
    heads = [p.read_text(encoding="utf-8").splitlines()[0] for p in sorted((REPO / "seeds").glob("00[1-4]_*.txt"))]
    return " ".join([case["topic"], case.get("description", ""), *heads, SEEDS_WORDS])


def devset_texts() -> dict[str, str]:
    out: dict[str, str] = {}
    for d in sorted(p for p in DEVSET.iterdir() if p.is_dir()) if DEVSET.is_dir() else []:
        topic = tomllib.loads((d / "case.toml").read_text(encoding="utf-8"))["topic"]
        rows = (d / "SOURCES.md").read_text(encoding="utf-8").splitlines()
        titles = [r.split("|")[3] for r in rows if r.startswith("| ") and not r.startswith("| file")]
        event = [r for r in rows if r.startswith("Event:")]
        out[d.name] = " ".join([topic, *titles, *event])
    return out


def distinctive(topics: dict[str, str], spread: int = 2) -> dict[str, set[str]]:
    """Per topic, the words of its vocabulary that at most ``spread`` topics use."""
    vocab = {k: vocabulary(v) for k, v in topics.items()}
    uses: dict[str, int] = {}
    for words in vocab.values():
        for w in words:
            uses[w] = uses.get(w, 0) + 1
    exempt = {stem(w) for w in ROLE_WORDS | GENERAL_WORDS}
    return {k: {w for w in words if uses[w] <= spread} - exempt for k, words in vocab.items()}


def template_words(t: Template) -> dict[str, set[str]]:
    """Where each word of the template's instructions occurs (query, task, intent, claim guidance), the output
    format's own words (sub-headings, titles) left out."""
    fmt = vocabulary(" ".join([*(lb for s in t.sections for lb in s.labels), *(s.title for s in t.sections)]))
    out: dict[str, set[str]] = {}
    for s in t.sections:
        texts = [(f"{s.key} intent", s.intent), (f"{s.key} claim", s.claim)]
        texts += [(f"{s.key} queries", q) for q in s.queries]
        for p in s.parts:
            where = f"{s.key}/{p.label or p.builder}"
            texts += [(f"{where} query", p.query), (f"{where} task", p.task), (f"{where} small task", p.small_task)]
        for where, text in texts:
            for w in vocabulary(re.sub(r"\{topic\}", " ", text)) - fmt:
                out.setdefault(w, set()).add(where)
    return out


def topic_words_in(t: Template, topics: dict[str, str]) -> list[str]:
    words = template_words(t)
    found: list[str] = []
    for topic, vocab in distinctive(topics).items():
        for w in sorted(vocab & set(words)):
            found.append(f"{w!r} (distinctive of {topic}) in {', '.join(sorted(words[w]))}")
    return found


def all_topics() -> dict[str, str]:
    return {**devset_texts(), "seeds": seeds_text()}


@pytest.mark.parametrize("name", ["brief_template", "brief_template_quotes"])
def test_the_template_carries_no_topic_words(name: str) -> None:
    topics = all_topics()
    if len(topics) < 9:
        pytest.skip("../shared/devset is not beside the repository; only the seeds' words can be checked")
    assert topic_words_in(load_template(name), topics) == []


def test_the_template_carries_none_of_the_seeds_words() -> None:
    """Runs without ../shared: the seeds are in the repository."""
    topics = {"seeds": seeds_text(), **{f"other{i}": w for i, w in enumerate(["a b c", "d e f", "g h i"])}}
    assert topic_words_in(load_template(), topics) == []


def test_the_check_finds_one_topics_words(tmp_path: Path) -> None:
    """Planted: the queries and the hypothesis task of the template as it was fitted to the demo topic."""
    text = (REPO / "prompts/brief_template.toml").read_text(encoding="utf-8")
    text = text.replace(
        'query = "{topic} how many, how much, how large: the figures, totals and extent, and when"',
        'query = "{topic} troops deployed killed signed figures"',
    ).replace(
        "the explanation these sentences give of why this happened",
        "the hypothesis that the alliance is driven mainly by material gain",
    )
    (tmp_path / "planted.toml").write_text(text, encoding="utf-8")
    found = topic_words_in(load_template("planted", tmp_path), all_topics())
    assert any(f.startswith("'troop'") for f in found), found
    assert any(f.startswith("'alliance'") for f in found), found
    if DEVSET.is_dir():
        assert any(f.startswith("'kill'") for f in found), found
