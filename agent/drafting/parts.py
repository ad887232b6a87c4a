"""Drafting a section part by part: code selects the sentences, the model does one small job, code checks it.

A section of the template lists its parts (``[[sections.parts]]``): a model part gets the sentences code chose
for its query and one task over them (condense, judge, recommend); a code part is written by a builder
(:mod:`agent.drafting.builders`) from what the pipeline measured. Every model answer is checked
(:mod:`agent.drafting.checks`); a refused answer is asked again (twice at most) with the reason, then the part
is left out and the reason recorded for the reviewer — fewer, better claims rather than padding.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal, cast, get_args

from pydantic import BaseModel, Field, create_model

from agent.core.claims import make_claim
from agent.core.contracts import (
    UNNAMED_CUES,
    AchEvidence,
    AchMark,
    AchMatrix,
    Claim,
    ClaimOrigin,
    Draft,
    Flag,
    Likelihood,
    SectionDraft,
    Sentence,
    Usage,
    stable_id,
)
from agent.corpus.dates import human_date
from agent.corpus.explanations import drops_denial
from agent.corpus.numbers import numbers_in
from agent.corpus.text import content_words, name_stem
from agent.drafting import builders
from agent.drafting.analysis import Analysis
from agent.drafting.builders import Built, Made
from agent.drafting.checks import (
    event_cut,
    flags_for,
    is_repeat,
    refusal,
    trimmed,
    unsupported_names,
    unsupported_numbers,
)
from agent.drafting.context import DraftContext
from agent.drafting.evidence import SentenceBase
from agent.drafting.template import PartSpec, SectionSpec
from agent.llm.seam import LLMError, Message
from agent.tradecraft import ach
from agent.tradecraft.wires import agencies, credited

log = logging.getLogger(__name__)
LIKELIHOODS: tuple[str, ...] = get_args(Likelihood)  # the whole ICD-203 scale, "almost certain" included
_DIGIT = re.compile(r"\d")
MIN_OVERLAP = 2  # content words a cited sentence must share with the claim to stay cited
LENGTH_SLACK = 10  # words a claim may run over its part's limit before it is trimmed or asked shorter
ATTEMPTS = 3  # calls per part at most: the candidates, then re-asks with the reason the last one was refused
CANDIDATES = 2  # answers to the same messages (the first, then another sample) before a re-ask with the reason


def answer_schema(part: PartSpec, pick_from: int = 0) -> type[BaseModel]:
    """The answer: the statement, after the likelihood term when one is asked (chosen first, then used); with
    ``pick_from`` (a capable model), also the numbers of the sentences it rests on — an enum of the numbers it was
    shown, so it cannot cite one it was not given."""
    fields: dict[str, Any] = {}
    if part.likelihood:
        fields["likelihood"] = (Literal[LIKELIHOODS], Field(description="ICD-203 likelihood term"))
    fields["text"] = (str, Field(min_length=8, max_length=400))
    if pick_from:
        ids = tuple(str(n) for n in range(1, pick_from + 1))
        fields["sentences"] = (
            list[Literal[ids]],  # type: ignore[valid-type]
            # none when the answer is that the sentences give nothing (a capable model was offered that answer,
            # and a required number made it impossible to give); four, for a note naming four facts
            Field(
                min_length=0,
                max_length=4,
                description="The numbers of the sentences the statement rests on (none if they give nothing)",
            ),
        )
    return create_model("Statement", **fields)


class Role(BaseModel):
    role: str = Field(min_length=2, max_length=80)


def _numbered(sentences: Sequence[Sentence], leads: dict[str, Sentence] | None = None) -> str:
    """The sentences as numbered data; a bullet item is shown after the sentence that leads its list."""
    leads = leads or {}

    def shown(s: Sentence) -> str:
        text = f"{leads[s.id].text} {s.text}" if s.id in leads else s.text
        return text.replace("<", "‹").replace(">", "›")

    return "\n".join(f"[{n}] {shown(s)}" for n, s in enumerate(sentences, 1))


def _backing(
    text: str, sentences: Sequence[Sentence], topic: str = "", leads: Mapping[str, Sentence] | None = None
) -> list[Sentence]:
    """The chosen sentences that carry the claim: sharing a number, or at least two content words beyond the
    topic's own (every sentence of the sources shares those, so they prove nothing). A sentence is read with the
    one that leads it (:func:`agent.drafting.evidence.lead_ins`), as the model was shown it."""
    leads = leads or {}

    def read(s: Sentence) -> str:
        return f"{leads[s.id].text} {s.text}" if s.id in leads else s.text

    common = {name_stem(w) for w in content_words(topic)}

    def own(t: str) -> set[str]:
        return {w for w in content_words(t) if name_stem(w) not in common}

    cw = own(text)
    nums = numbers_in(text)
    for need in (MIN_OVERLAP, 1):  # a judgment shares fewer words with its sentences than a summary does
        out = [
            s for s in sentences if (nums & numbers_in(read(s))) or len(cw & (content_words(read(s)) - common)) >= need
        ]
        if out:
            return out
    return []


# An answer saying the evidence holds nothing for the task ("none", "No explanation is given"): an honest answer,
# never published as a claim; the part goes to the analyst with its evidence.
NOTHING = re.compile(
    r"^\W*(?:none|n/?a|nothing|no\s+(?:such\s+|clear\s+)?(?:evidence|information|explanation|consequence|answer"
    r"|statement|driver|cause|assumption|risk|data)\b|(?:the|these)\s+sentences\s+(?:do|does)\s+not\b"
    r"|there\s+is\s+no\s+(?:evidence|information)\b)",
    re.IGNORECASE,
)
NONE_OPTION = " If these sentences give nothing for this, answer with the words: nothing in these sentences."

PART_REF = re.compile(r"\{part:([^{}]+)\}")
DISTINCT_OVERLAP = 0.5  # share of content words two claims hold in common (of the smaller's) at which one rewords
# the other: a competing explanation that shares half its content words with the first is the first again


def overlap(a: str, b: str, topic: str = "") -> float:
    """Content words (name-folded) ``a`` and ``b`` share beyond the topic's own, over the fewer of the two: two
    explanations of one event both name it, which does not make them one explanation."""
    common = {name_stem(w) for w in content_words(topic)}
    x = {name_stem(w) for w in content_words(a)} - common
    y = {name_stem(w) for w in content_words(b)} - common
    return len(x & y) / min(len(x), len(y)) if x and y else 0.0


def part_query(part: PartSpec, topic: str) -> str:
    """What the part's sentences are chosen by: its own words (the topic weighs in separately), or the topic."""
    own = " ".join(part.query.replace("{topic}", " ").split())
    return own or topic


def model_part(
    ctx: DraftContext,
    spec: SectionSpec,
    part: PartSpec,
    earlier: Sequence[str],
    drafted: Mapping[str, Claim] | None = None,
) -> tuple[Claim | None, Usage, str | None]:
    """One model-written claim: the sentences code chose, one job, checks, one retry with the reason.

    A task may show a claim already drafted in this draft (``{part:Label}``, filled from ``drafted`` by label):
    the part's evidence then leaves out that claim's sentences, and an answer that rewords it is refused."""
    sims = ctx.sim(part_query(part, ctx.draft.topic))
    if part.select == "timeline":
        return _dates_part(ctx, spec, part, earlier, sims)
    drafted = drafted or {}
    shown_claims: list[Claim] = []
    handed = part.capable and not ctx.capable  # left to the analyst with its evidence, whatever it refers to
    for ref in dict.fromkeys(PART_REF.findall(part.task)):
        if ref not in drafted:
            if handed:
                continue
            return None, Usage(), f"{part.label}: {ref} was not drafted, so there is nothing for it to differ from"
        shown_claims.append(drafted[ref])
    task = PART_REF.sub(
        lambda m: drafted[m.group(1)].text if m.group(1) in drafted else m.group(0),
        part.task if ctx.capable or not part.small_task else part.small_task,
    )
    if ctx.capable:  # a capable model can say the evidence holds nothing; the small one would answer it to anything
        task += NONE_OPTION
    theirs = {c.sentence_id for x in shown_claims for c in x.citations if c.sentence_id}
    # A capable model is shown twice as many sentences and picks the ones it rests on (checked below); the small
    # default cannot select evidence (it cites in list order), so code's choice is the citation.
    k = part.sentences * 2 if ctx.capable else part.sentences
    weights: dict[str, Any] = {"facts": part.facts, "agreed": part.agreed, "recent": part.recent}
    if part.explains:
        weights["only"] = ctx.base.explanations
    chosen = ctx.base.select(sims, k, exclude=ctx.used | theirs, **weights)
    if len(chosen) < min(2, k):  # the draft has used the best ones: reuse rather than go without
        chosen = ctx.base.select(sims, k, exclude=theirs, **weights)
    if not chosen and part.explains:
        # a hypothesis drawn from sentences that only report what happened was a restated fact or an invented
        # motive on every dev-set topic: with no source giving a cause, motive, blame or suspicion, it is the analyst's
        near = ctx.base.select(sims, part.sentences, exclude=theirs)
        ctx.handed.extend(near)
        return (
            None,
            Usage(),
            (
                f"{part.label}: no further source sentence gives a cause, motive, blame or suspicion; "
                "left to the analyst"
            ),
        )
    if not chosen:
        return None, Usage(), f"{part.label}: no source sentence bears on it"
    if part.capable and not ctx.capable:
        ctx.handed.extend(chosen)
        quoted = "; ".join(f"“{' '.join(s.text.split()[:12])}…”" for s in chosen)
        return None, Usage(), f"{part.label}: left to the analyst (needs a capable model); its evidence: {quoted}"
    instructions = [t for t in (part.task, part.small_task, spec.intent, spec.claim) if t]
    messages = ctx.prompt.render(topic=ctx.draft.topic, sentences=_numbered(chosen, ctx.base.leads), task=task)

    def differs(text: str) -> str | None:
        for other in shown_claims:
            if overlap(text, other.text, ctx.draft.topic) >= DISTINCT_OVERLAP or is_repeat(text, [other.text], 0.6):
                return f"it rewords {other.label}; give a different explanation resting on these sentences"
        if part.explains:  # an explanation its source denies, asserted, is the source turned around
            backing = _backing(text, chosen, ctx.draft.topic, ctx.base.leads)
            denied = drops_denial(text, [s.text for s in backing])
            if denied:
                return (
                    f"its sentence denies or rules out that explanation (“{denied}”); say it is denied or "
                    "ruled out, and by whom"
                )
        return None

    def new_claim(text: str) -> str:
        return stable_id("claim", ctx.draft.id, spec.key, part.label, text, length=12)

    got = ask(ctx, spec, part, messages, chosen, instructions, first=differs, earlier=earlier, claim_id=new_claim)
    if got.nothing:
        ctx.handed.extend(chosen)
        return None, got.usage, f"{part.label}: the model found nothing for it in its evidence; left to the analyst"
    if got.claim is not None:
        return got.claim, got.usage, None
    last = got.reasons[-1] if got.reasons else None
    earlier_reasons = "; ".join(dict.fromkeys(r for r in got.reasons[:-1] if r != last))
    also = f"; before: {earlier_reasons}" if earlier_reasons else ""
    return None, got.usage, f"{part.label}: refused {ATTEMPTS} times{also} (last: {last})"


@dataclass
class Asked:
    """What asking the model for one part gave: the claim (or ``None``), the usage, each refused answer's reason,
    and whether a capable model said its evidence holds nothing for the task."""

    claim: Claim | None
    usage: Usage
    reasons: list[str] = field(default_factory=list)
    nothing: bool = False


def claim_from(
    ctx: DraftContext,
    spec: SectionSpec,
    part: PartSpec,
    text: str,
    cited: Sequence[Sentence],
    instructions: Sequence[str],
    *,
    claim_id: Callable[[str], str],
    likelihood: Likelihood | None = None,
    reselected: bool = False,
    origin: ClaimOrigin = "drafted",
) -> Claim:
    """The claim a checked text makes: it cites ``cited`` (each with the sentence that leads it), carries the
    reviewer's flags, and is graded as it is made."""
    leads = [ctx.base.leads[s.id] for s in cited if s.id in ctx.base.leads]
    unique = {s.id: s for s in [*leads, *cited]}
    cites = [ctx.base.citation(s) for s in unique.values()]
    claim = make_claim(
        id=claim_id(text),
        section=spec.key,
        text=text,
        label=part.label,
        citations=cites,
        likelihood=likelihood,
        flags=flags_for(
            text,
            [c.quote for c in cites],
            analytic=part.analytic,
            instructions=instructions,
            topic=ctx.draft.topic,
        )
        + ([Flag.REATTRIBUTED] if reselected else []),
        origin=origin,
        grader=ctx.grader,
        judgment=part.analytic,
    )
    ctx.used.update(s.id for s in cited)
    return claim


def ask(
    ctx: DraftContext,
    spec: SectionSpec,
    part: PartSpec,
    messages: list[Message],
    chosen: Sequence[Sentence],
    instructions: Sequence[str],
    *,
    claim_id: Callable[[str], str],
    first: Callable[[str], str | None] | None = None,
    then: Callable[[str], str | None] | None = None,
    earlier: Sequence[str] = (),
    origin: ClaimOrigin = "drafted",
) -> Asked:
    """The part machinery's answer loop, for drafting and redrafting alike: candidates to the same messages (the
    server's prompt cache serves them), then a re-ask with the reason; every answer checked (names and numbers in
    the cited sentences, script, echo, copy, length, likelihood, figures, support), with the caller's own checks
    ``first`` (before the length check) and ``then`` (after the rest); the claim cites the chosen sentences that
    carry it (a capable model picks them, and code checks each pick) and is graded as it is made."""
    shown = [f"{ctx.base.leads[s.id].text} {s.text}" if s.id in ctx.base.leads else s.text for s in chosen]
    figures = [n.text for s in chosen for n in s.numbers if (n.counts or n.kind == "money") and _DIGIT.search(n.text)]
    pick = len(chosen) if ctx.capable else 0
    usage = Usage()
    reasons: list[str] = []
    for attempt in range(ATTEMPTS):
        result = ctx.llm.complete(
            messages,
            answer_schema(part, pick),
            prompt_name=ctx.prompt.name,
            prompt_version=ctx.prompt.version,
            sample=attempt if attempt < CANDIDATES else 0,
        )
        usage = usage + result.usage
        value: Any = result.value
        text = " ".join(value.text.split())
        if NOTHING.match(text) and ctx.capable:
            return Asked(None, usage, reasons, nothing=True)
        # a claim over its length limit is cut cleanly when it can be without losing a name or figure; else asked
        # again, shorter (below)
        text = trimmed(text, part.max_words + LENGTH_SLACK) or text
        reselected = False
        picked = [chosen[int(n) - 1] for n in dict.fromkeys(getattr(value, "sentences", []))] if pick else []
        if picked:
            # each pick must carry the claim's words or figures
            cited = _backing(text, picked, ctx.draft.topic, ctx.base.leads)
            if len(cited) < len(picked):
                reselected = True  # some picks do not back it: code chooses among what it showed instead
                cited = cited or _backing(text, chosen, ctx.draft.topic, ctx.base.leads)
        else:
            cited = _backing(text, chosen, ctx.draft.topic, ctx.base.leads)
        reason = (
            "it says the sentences give nothing; state what they report"
            if NOTHING.match(text)
            else refusal(
                text,
                shown,
                all_source_names=ctx.source_names,
                source_scripts=ctx.source_scripts,
                instructions=instructions,
                analytic=part.analytic,
                topic=ctx.draft.topic,
            )
        )
        if reason is None and first is not None:
            reason = first(text)
        if reason is None and len(text.split()) > part.max_words + LENGTH_SLACK:
            reason = f"it is {len(text.split())} words long; write one sentence of at most {part.max_words} words"
        term = getattr(value, "likelihood", None)
        if reason is None and term and term not in text.lower():
            reason = f"the sentence does not state the likelihood; begin it with 'It is {term} that'"
        if reason is None and part.figures and figures and not numbers_in(text):
            reason = f"it leaves out the figures the sentences give ({', '.join(dict.fromkeys(figures[:3]))})"
        if reason is None and not cited:
            reason = "it says nothing the given sentences say; state what they report"
        if reason is None and is_repeat(text, earlier, threshold=0.6):
            reason = "it repeats an earlier statement of the brief; say something else these sentences support"
        if reason is None and then is not None:
            reason = then(text)
        if reason is None:
            claim = claim_from(
                ctx,
                spec,
                part,
                text,
                cited,
                instructions,
                claim_id=claim_id,
                likelihood=getattr(value, "likelihood", None),
                reselected=reselected,
                origin=origin,
            )
            return Asked(claim, usage, reasons)
        reasons.append(reason)
        if attempt + 1 < CANDIDATES and not ctx.capable:
            # another candidate to the same messages first (the server's prompt cache serves them); a capable
            # model is told the reason at once (asked the same again, it cannot know what to change)
            continue
        messages = [
            *messages,
            {"role": "assistant", "content": result.raw},
            {"role": "user", "content": f"That answer was refused: {reason}. Answer the task again."},
        ]
    return Asked(None, usage, reasons)


def key_events(ctx: DraftContext, sims: Any, k: int) -> list[tuple[str, Sentence]]:
    """The ``k`` dated events (day or month precision) that bear most on the topic and the part's query, in date
    order, each with its date written out and its first sentence; one event per date."""
    if ctx.analysis is None:
        return []
    scored: list[tuple[float, str, Sentence]] = []
    for e in ctx.analysis.timeline:
        if e.precision == "year" or not e.citations or not e.citations[0].sentence_id:
            continue
        i = ctx.base.corroboration.index_of(e.citations[0].sentence_id)
        if i is None:
            continue
        scored.append((float(sims[i]) + float(ctx.base.topic_sim[i]), e.date, ctx.base.sentences[i]))
    picked: dict[str, Sentence] = {}
    for _score, when, s in sorted(scored, key=lambda t: -t[0]):
        if len(picked) >= k:
            break
        if when not in picked and s.id not in {x.id for x in picked.values()}:
            picked[when] = s
    return [(human_date(d), picked[d]) for d in sorted(picked)]


def marked_date(s: Sentence, when: str) -> str:
    """The sentence with the mention of ``when`` marked « »: in "…violates the declaration signed on October 26,
    Gen Nattapon said", what happened on 26 October is the signing, not what the general said (later)."""
    for dm in s.dates:
        if human_date(dm.value) == when:
            a, b = dm.start - s.start, dm.end - s.start
            return f"{s.text[:a]}«{s.text[a:b]}»{s.text[b:]}"
    return s.text


def _dates_part(
    ctx: DraftContext, spec: SectionSpec, part: PartSpec, earlier: Sequence[str], sims: Any
) -> tuple[Claim | None, Usage, str | None]:
    """The key dates: code picks the dated events and writes out their dates (relative ones resolved); the model
    says in a few words what happened at each (one small job per event, checked); code writes the claim."""
    events = key_events(ctx, sims, part.sentences)
    if part.capable and not ctx.capable:
        ctx.handed.extend(s for _when, s in events)
        listed = "; ".join(f"{when}: “{' '.join(s.text.split()[:10])}…”" for when, s in events) or "none found"
        return None, Usage(), f"{part.label}: left to the analyst (needs a capable model); its dated events: {listed}"
    usage = Usage()
    said: list[tuple[str, str, Sentence]] = []
    notes: list[str] = []
    for when, s in events:
        shown = f"({when}) {marked_date(s, when)}"
        messages = ctx.prompt.render(
            topic=ctx.draft.topic, sentences="[1] " + shown.replace("<", "‹").replace(">", "›"), task=part.task
        )
        reason: str | None = None
        for _attempt in range(ATTEMPTS):
            result = ctx.llm.complete(
                messages, answer_schema(part), prompt_name=ctx.prompt.name, prompt_version=ctx.prompt.version
            )
            usage = usage + result.usage
            value: Any = result.value
            text = " ".join(value.text.split()).rstrip(".;")
            text = re.sub(rf"^(?:on|in)?\s*{re.escape(when)},?\s*", "", text, flags=re.IGNORECASE)
            text = re.sub(rf",?\s+(?:on|in)\s+{re.escape(when)}\b", "", text, flags=re.IGNORECASE)  # said once
            text = event_cut(text, part.max_words + 4)
            reason = refusal(
                text,
                [shown],
                all_source_names=ctx.source_names,
                source_scripts=ctx.source_scripts,
                instructions=[part.task, spec.intent, spec.claim],
                analytic=False,
                topic=ctx.draft.topic,
            )
            if reason is None and len(text.split()) > part.max_words + 4:
                reason = f"it is {len(text.split())} words long; say what happened in at most {part.max_words} words"
            if reason is None and len(text.split()) < 3:
                reason = "say what happened: who did what"
            if reason is None:
                said.append((when, text[:1].upper() + text[1:], s))
                break
            messages = [
                *messages,
                {"role": "assistant", "content": result.raw},
                {"role": "user", "content": f"That answer was refused: {reason}. Answer the task again."},
            ]
        else:
            notes.append(f"{when}: {reason}")
    if len(said) < 2:
        why = "; ".join(notes) or "fewer than two dated events bear on the topic"
        return None, usage, f"{part.label}: {why}"
    text = "; ".join(f"{when}: {what}" for when, what, _ in said) + "."
    cites = [ctx.base.citation(s) for _, _, s in said]
    if is_repeat(text, earlier, threshold=0.6):
        return None, usage, f"{part.label}: it repeats an earlier statement of the brief"
    claim = make_claim(
        id=stable_id("claim", ctx.draft.id, spec.key, part.label, text, length=12),
        section=spec.key,
        text=text,
        label=part.label,
        citations=cites,
        # the dates are code's (resolved), so they count as evidence beside the quotes
        flags=flags_for(
            text,
            [f"({when}) {c.quote}" for (when, _, _), c in zip(said, cites, strict=True)],
            analytic=False,
            instructions=[part.task],
            topic=ctx.draft.topic,
        ),
        grader=ctx.grader,
        judgment=part.analytic,
    )
    ctx.used.update(s.id for _, _, s in said)
    return claim, usage, None


# Code's findings about the sources that a capable model words for the reader (code keeps the counting).
PHRASED = frozenset({"confidence", "gaps", "bias_risks", "techniques"})
PHRASE_WORDS = 70
_LEVEL = re.compile(r"\b(low|moderate|high)\b", re.IGNORECASE)


class Phrasing(BaseModel):
    text: str = Field(min_length=8, max_length=600)


def phrased(ctx: DraftContext, spec: SectionSpec, built: Built) -> tuple[Built, Usage]:
    """A capable model words one of code's findings about the sources as an analyst would tell it (what it means
    for trusting the brief, not a tally), given the finding and its sentences as data. Code checks the wording:
    no figure, date or name the finding and its sentences do not give, the confidence level kept, a sentence or
    two; else the finding stays as code wrote it."""
    quotes = [c.quote for c in built.citations]
    keep = "its level (low, moderate, high) and " if built.label == "Confidence" else ""
    task = (
        f"Code found, for the brief's {built.label or spec.title}: “{built.text}” In at most {PHRASE_WORDS - 20} "
        "words, tell the reader what this finding means for how far the brief can be trusted, as an analyst would "
        f"write it: a judgment, not a tally. Keep {keep}the figures and sources that matter most; name a source by "
        "its outlet (not a file name or a cut-off title); add no name or figure the finding does not give."
    )
    numbered = (
        "\n".join(f"[{n}] {q}" for n, q in enumerate(quotes, 1)) or "(no sentence: the finding is about the sources)"
    )
    messages = ctx.prompt.render(
        topic=ctx.draft.topic, sentences=numbered.replace("<", "‹").replace(">", "›"), task=task
    )
    try:
        r = ctx.llm.complete(messages, Phrasing, prompt_name=ctx.prompt.name, prompt_version=ctx.prompt.version)
    except LLMError:
        return built, Usage()
    answer: Any = r.value
    text = " ".join(answer.text.split())
    evidence = [built.text, *quotes]
    stated = re.match(r"(?:Confidence:\s*)?(low|moderate|high)\b", built.text, re.IGNORECASE)
    level = {stated.group(1).lower()} if stated else set()  # the level code set, not the words of its rule
    ok = (
        len(text.split()) <= PHRASE_WORDS
        and not unsupported_numbers(text, evidence)
        and not unsupported_names(text, evidence)
        and level <= {m.lower() for m in _LEVEL.findall(text)}
        and not NOTHING.match(text)
    )
    return (Built(built.label, text, built.citations) if ok else built), r.usage


def code_part(
    ctx: DraftContext, spec: SectionSpec, part: PartSpec, section: SectionDraft
) -> tuple[list[Claim], Usage, list[str]]:
    """Claims written by the part's builder (:data:`agent.drafting.builders.CODE_BUILDERS`) from the pipeline's
    results (the model is asked at most for entity roles and ACH marks); on a capable endpoint, the findings about
    the sources worded by the model (:func:`phrased`)."""
    made = builders.CODE_BUILDERS[part.builder](ctx, spec, part, section)
    usage = made.usage
    built = made.built
    if not ctx.capable and part.capable_labels:
        held = [b for b in built if b.label in part.capable_labels]
        built = [b for b in built if b.label not in part.capable_labels]
        made.notes.extend(f"{b.label}: left to the analyst; code found: {b.text}" for b in held)
    if ctx.capable and part.builder in PHRASED:
        worded: list[Built] = []
        for b in built:
            nb, u = phrased(ctx, spec, b)
            worded.append(nb)
            usage = usage + u
        built = worded
    claims = [builders.claim_for(spec.key, ctx.draft.id, x, i, ctx.grader) for i, x in enumerate(built)]
    return claims, usage, made.notes


@builders.register("assessment")
def _assessment_part(ctx: DraftContext, spec: SectionSpec, part: PartSpec, section: SectionDraft) -> Made:
    """With two hypotheses or more, the ACH matrix; the Assessment is what its marks say, when a capable model
    marked it and the marks discriminate. Otherwise weighing the hypotheses is the analyst's, matrix prepared: code's
    count of the key fact sentences "bearing on" each hypothesis (by similarity) shipped 0 of 20 times on the dev set
    (issue 19), read as a tally, not a weighing."""
    usage = Usage()
    hyps = [c for c in section.claims if (c.label or "").startswith("Hypothesis")]
    if len(hyps) < 2:
        # "no second explanation could be drawn from these sources" was judged WRONG where the sources hold one the
        # model did not draft: with fewer than two hypotheses, weighing them is the analyst's
        return Made([], usage, ["Assessment: fewer than two hypotheses were drafted; left to the analyst"])
    digest_ids = [d.sentence_id for d in ctx.digest]
    rows = builders.ach_evidence(ctx.base, hyps, lambda t: list(ctx.sim(t)), digest_ids)
    matrix, usage = ach_matrix(ctx, hyps, rows)
    ctx.draft.ach = matrix
    said = ach.summary(matrix, {h.id: h.label or h.id for h in hyps}) if ach.marked(matrix) else None
    if not said:
        ctx.handed.extend(rows)
        return Made(
            [],
            usage,
            [
                "Assessment: the ACH matrix is prepared with its evidence, for the analyst to mark "
                "and weigh the hypotheses"
            ],
        )
    return Made([Built("Assessment", said, [e.citation for e in matrix.evidence[:2]])], usage)


@builders.register("entities")
def _entities_part(ctx: DraftContext, spec: SectionSpec, part: PartSpec, section: SectionDraft) -> Made:
    return Made(*_entities(ctx, spec, part))


@builders.register("techniques")
def _techniques_part(ctx: DraftContext, spec: SectionSpec, part: PartSpec, section: SectionDraft) -> Made:
    return Made(techniques(ctx, ctx.draft))


ACH_MARK = {"consistent": "C", "inconsistent": "I", "not applicable": "N"}


def ach_matrix(ctx: DraftContext, hyps: Sequence[Claim], rows: Sequence[Sentence]) -> tuple[AchMatrix, Usage]:
    """The hypotheses x evidence matrix. A capable model marks each row (one call per evidence sentence, an enum
    per hypothesis); marks that do not discriminate (all alike) are dropped: a uniform matrix is a guess, not
    analysis, and so are rows all marked alike. The embedded model is not asked: measured on the seeds
    (``bench/bench_ach.py``) it marked every row "consistent" for the first hypothesis and "inconsistent" for the
    second. The analyst marks the cells in the review UI, with the evidence already gathered per hypothesis."""
    evidence = [
        AchEvidence(id=s.id, text=s.text, citation=ctx.base.citation(s), sources=len(ctx.base.independent_sources(i)))
        for s, i in ((s, ctx.base.index_of(s.id)) for s in rows)
    ]
    usage = Usage()
    if not ctx.capable:
        note = "Left for the analyst to mark: the embedded model does not discriminate between hypotheses."
        return ach.new_matrix([h.id for h in hyps], evidence, note), usage
    m = ach.new_matrix([h.id for h in hyps], evidence)
    fields: dict[str, Any] = {
        f"h{k}": (Literal["consistent", "inconsistent", "not applicable"], Field(description=h.label or f"H{k}"))
        for k, h in enumerate(hyps, 1)
    }
    schema = create_model("AchRow", **fields)
    listing = "\n".join(f"h{k}. {h.text}" for k, h in enumerate(hyps, 1))
    task = (
        "For each hypothesis below, say whether this evidence is consistent with it, inconsistent with it, or not "
        f"applicable to it.\n{listing}"
    )
    for e in evidence:
        messages = ctx.prompt.render(topic=ctx.draft.topic, sentences=f"[1] {e.text}", task=task)
        try:
            r = ctx.llm.complete(messages, schema, prompt_name=ctx.prompt.name, prompt_version=ctx.prompt.version)
        except LLMError:
            continue
        usage = usage + r.usage
        answer: Any = r.value
        for k, h in enumerate(hyps, 1):
            cell = m.cell(h.id, e.id)
            cell.mark, cell.by = cast(AchMark, ACH_MARK[getattr(answer, f"h{k}")]), "model"
    marks = [c.mark for c in m.cells]
    if ach.uninformative(m):
        given = next((x for x in marks if x), None)
        if given is None:
            m.note = "The model gave no marks; the cells are left for the analyst."
        elif ach.uniform(marks):
            m.note = (
                f"The model marked every cell {ach.MARK_WORDS[given]}: not analysis, so the cells are left for the "
                "analyst to mark."
            )
        else:
            m.note = (
                "The model marked every item the same way for each hypothesis: a judgment of the hypotheses, not of "
                "the evidence, so the cells are left for the analyst to mark."
            )
        for c in m.cells:
            c.mark, c.by = None, None
    else:
        m.note = "Marked by the model and checked by code (its marks discriminate); review each cell."
    return m, usage


def _entities(ctx: DraftContext, spec: SectionSpec, part: PartSpec) -> tuple[list[Built], Usage, list[str]]:
    out: list[Built] = []
    usage = Usage()
    notes: list[str] = []
    for c in builders.entity_candidates(ctx.base, limit=spec.max_claims):
        role, s = builders.entity_role(c)
        if role is None and part.task and c.label in ("PERSON", "ORG"):
            sents = c.sentences[:2]
            task = part.task + f" The named entity: {c.name}."
            messages = ctx.prompt.render(topic=ctx.draft.topic, sentences=_numbered(sents), task=task)
            try:
                r = ctx.llm.complete(messages, Role, prompt_name=ctx.prompt.name, prompt_version=ctx.prompt.version)
            except LLMError as e:
                notes.append(f"{c.name}: role not drafted ({type(e).__name__})")
                continue
            usage = usage + r.usage
            answer: Any = r.value
            cand = " ".join(answer.role.split()).strip(" .")
            bad = (
                len(cand.split()) > 8
                or c.name.lower() in cand.lower()
                or refusal(
                    cand,
                    [x.text for x in sents],
                    all_source_names=ctx.source_names,
                    source_scripts=ctx.source_scripts,
                    instructions=[part.task],
                    analytic=False,
                )
                or unsupported_names(cand, [x.text for x in sents])
                # the role's words must be the sentences' own: a role they do not state is a guess
                or not content_words(cand) <= content_words(" ".join(x.text for x in sents))
            )
            if bad:
                notes.append(f"{c.name}: the model's role ({cand!r}) was refused; the analyst can add it")
                role = None
            else:
                role = cand
        if builders.not_an_actor(role):  # "St Elizabeth, parish", "Hyundai, car": a place or a thing, no actor
            notes.append(f"{c.name}: the sources make it a {role}, not a person or organisation; left out")
            continue
        text = f"{c.name}, {role}" if role else c.name
        out.append(Built(None, text, [ctx.base.citation(s)]))
    return out, usage, notes


def techniques(ctx: DraftContext, draft: Draft) -> list[Built]:
    """What the pipeline actually did to these sources, with what it found, named so a reader can check it (no
    model involved)."""
    b = ctx.base
    a = ctx.analysis
    out: list[Built] = []
    label = builders.short_label
    text = ""
    if a:
        parts: list[str] = []
        # no "the six sources are six independent lines of reporting": said of sites that retell other outlets'
        # stories it was judged WRONG on most dev-set topics; what code found is said instead (copies, rewrites,
        # reporting passed on by name)
        # a republished story counts as its origin's: say which, the reviewer's first question of a grade
        copies = [
            d for d, p in a.profiles.items() if p.reliability_from == "inferred" and p.type in ("wire", "state-media")
        ]
        if copies:
            parts.append(
                f"{builders._join([label(b.docs[d]) for d in copies])} "
                f"{'carries' if len(copies) == 1 else 'carry'} news-agency copy, graded as the agency's"
            )
        rewrites = [(d, o) for d, o in b.origin.items() if o != d and d in b.docs and o in b.docs]
        for r, o in rewrites[:2]:
            parts.append(f"{label(b.docs[r])} retells {label(b.docs[o])}'s story and counts with it as one source")
        relayed: list[str] = []
        for doc in b.docs.values():
            carried = {c.agency.name for c in agencies(doc.text, a.registry) if c.how == "copy"}
            got = [c for c in credited(doc.text, a.registry, own=doc.outlet) if c.agency.name not in carried]
            if got:
                relayed.append(
                    f"{label(doc)} passes on reporting by {builders._join([c.agency.name for c in got][:3])} "
                    f"(“{got[0].evidence}”)"
                )
        parts.extend(relayed[:4])
        known = {d: p for d, p in a.profiles.items() if p.reliability != "F" and d not in copies}
        if known:
            parts.append(
                "graded from the outlet registry: "
                + "; ".join(f"{label(b.docs[d])} {p.grade}" for d, p in known.items())
            )
        # outlets the registry does not know are not listed: "not graded" after each was judged padding; the
        # sources panel shows every grade and the analyst grades there
        state = builders.state_outlets(b, a.profiles)
        if state:
            parts.append(
                f"{builders._join([label(b.docs[d]) for d in state])} {'is' if len(state) == 1 else 'are'} state media"
            )
        text = "; ".join(parts)
        text = (text[:1].upper() + text[1:] + ". ") if text else ""
    anon = builders.weak_sourcing(b, None, state=False, kinds=UNNAMED_CUES)
    if anon:
        said = [
            f"{label(b.docs[d])} {builders.cue_says(ss[0])} (“{builders._cue_phrase(ss[0]).strip()}”)"
            for d, ss in anon.items()
            if ss
        ]
        text += f"Every sentence was screened for sourcing cues: {'; '.join(said[:4])}."
    # what was found, never "none cites an anonymous source": a screen's silence was judged WRONG wherever a
    # reviewer found a "reportedly" or "it is widely understood" it does not count
    if text:
        out.append(Built("Source Reliability Assessment", text.strip(), []))
    # facts three or more independent sources state: the strong matches, checkable by the reader (a weaker match
    # named as an example was judged wrong; the confidence line weighs the rest)
    multi = [d for d in ctx.digest if d.sources >= 3]
    if multi:  # "at least 0 of 24" says nothing; the confidence line gives the count
        shown: list[str] = []
        for d in multi[:3]:
            i = b.corroboration.index_of(d.sentence_id)
            own = b.origin.get(d.doc_id, d.doc_id)
            others = sorted(o for o in (b.independent_sources(i) if i is not None else set()) if o != own)
            words = d.text.split()
            fact = " ".join(words[:10]) + ("…" if len(words) > 10 else "")
            also = builders._join([label(b.docs[o]) for o in others if o in b.docs][:3])
            shown.append(f"“{fact}” ({label(b.docs[d.doc_id])}; also {also})")
        text = (
            f"{len(multi)} of the {len(ctx.digest)} fact sentences the brief stands on are each stated by three or "
            "more independent sources (rewrites of one story counted once)"
            + (f", among them {'; '.join(shown)}" if shown else "")
            + "."
        )
        out.append(Built("Corroboration Check", text, []))
    if a and (a.contradictions or any(f.revised for f in a.figures)):
        # only what it found: "none differ" was judged WRONG wherever sources differ on what code does not compare
        out.append(Built("Contradiction Check", builders.contradiction_check(a.contradictions, a.figures), []))
    hyps = [c for s in draft.sections for c in s.claims if (c.label or "").startswith("Hypothesis")]
    # an unmarked matrix is a technique prepared, not applied: it is named only once its cells are marked
    if len(hyps) >= 2 and draft.ach is not None and ach.marked(draft.ach):
        m = draft.ach
        marks = (
            f"{ach.marked(m)} of {len(m.hypotheses) * len(m.evidence)} cells marked"
            if ach.marked(m)
            else "its cells are left for the analyst to mark"
        )
        out.append(
            Built(
                "Analysis of Competing Hypotheses",
                f"An ACH matrix sets the {len(hyps)} hypotheses against {len(m.evidence)} key fact sentences; {marks}.",
                [],
            )
        )
    if a and a.timeline:
        text, agreed_dates = timeline_analysis(b, a)
        if agreed_dates:
            out.append(Built("Timeline Analysis", text, []))
    return out


def timeline_analysis(b: SentenceBase, a: Analysis) -> tuple[str, bool]:
    """What the timeline pass found, and whether it found dates several independent sources give (the finding
    that makes it worth a claim: a list of dates alone was judged a process statement)."""
    # dates over a year before the earliest report are background ("the civil wars of the 1970s"), not events
    dated = [p.published for p in a.profiles.values() if p.published]
    since = (min(dated) - timedelta(days=BACKGROUND_DAYS)).isoformat() if dated else ""
    events = [e for e in a.timeline if e.date >= since[: len(e.date)]]
    background = [e for e in a.timeline if e not in events]
    # a date the sources agree on: independent sources giving it (resolved) in any of their sentences
    told: dict[str, set[str]] = {}
    for x in b.sentences:
        for dm in x.dates:
            told.setdefault(dm.value, set()).add(b.origin.get(x.doc_id, x.doc_id))
    agreed = sorted(
        {e.date for e in events if e.precision == "day" and len(told.get(e.date, ())) >= 2},
        key=lambda d: -len(told[d]),
    )
    text = (
        f"{len(events)} dated events of the reporting period were resolved against each source's date (relative "
        f"dates included) and put in order, from {human_date(events[0].date)} to {human_date(events[-1].date)}"
        + (
            "; dates given by more than one independent source: "
            + builders._join([f"{human_date(d)} ({len(told[d])} sources)" for d in sorted(agreed[:3])])
            if agreed
            else ""
        )
        if events
        else "No dated event of the reporting period could be resolved from the sources"
    )
    undated = [d for d, p in a.profiles.items() if not p.published and d in b.docs]
    if undated:  # their "today" and "on Monday" cannot be placed: the analyst can date them (a sidecar)
        text += (
            f"; {builders._n_of(len(undated), len(b.docs))} sources carry no date of their own, so their relative "
            "dates (“today”, “on Monday”) are not placed"
        )
    if background:
        text += (
            f"; {len(background)} earlier {'date' if len(background) == 1 else 'dates'} (from "
            f"{human_date(background[0].date)}) {'is' if len(background) == 1 else 'are'} background"
        )
    return text + ".", bool(agreed)


BACKGROUND_DAYS = 365


def draft_section_parts(ctx: DraftContext, section: SectionDraft, spec: SectionSpec) -> None:
    """Fill ``section`` from its parts. An LLM failure fails the section (``--resume`` redoes it) but keeps the
    claims already made; refused parts are recorded in ``section.skipped``."""
    section.claims, section.skipped, section.usage = [], [], Usage()
    ctx.handed = []
    error: str | None = None
    for part in spec.parts:
        if part.how == "code":
            try:
                claims, usage, notes = code_part(ctx, spec, part, section)
            except Exception as e:  # a builder's fault on odd sources costs its part, never the brief
                log.exception("builder %r failed", part.builder)
                section.skipped.append(f"{part.label or part.builder}: not written ({type(e).__name__}: {e})")
                continue
            section.claims.extend(claims)
            section.usage = section.usage + usage
            section.skipped.extend(notes)
            continue
        try:
            earlier = [c.text for s in ctx.draft.sections for c in s.claims if s is not section] + [
                c.text for c in section.claims
            ]
            drafted = {c.label: c for s in ctx.draft.sections for c in s.claims if c.label and s is not section}
            drafted.update({c.label: c for c in section.claims if c.label})
            claim, usage, why = model_part(ctx, spec, part, earlier, drafted)
        except LLMError as e:
            error = f"{part.label}: {type(e).__name__}: {e}"
            break
        section.usage = section.usage + usage
        if claim is not None:
            section.claims.append(claim)
        elif why:
            section.skipped.append(why)
    # the chunks behind the claims and behind the parts left to the analyst: redraft and "add a claim" offer them
    cited = {c.chunk_id for claim in section.claims for c in claim.citations if c.chunk_id}
    cited |= {c.chunk_id for c in (ctx.base.citation(s) for s in ctx.handed) if c.chunk_id}
    section.evidence_chunk_ids = sorted(cited)
    if error:
        section.status, section.error = "failed", error
    else:
        section.status, section.error = "done", None
        section.empty_reason = None if section.claims else "; ".join(section.skipped) or "nothing to draft"
