"""Redrafting one claim at the reviewer's request, through the part machinery drafting uses.

Code selects the sentences: the ones the claim cites, the ones stating what the reviewer's note names (its names
and figures, looked up in the sentence layer) and the ones closest to the claim and the note. The model does one
small rewrite task over them, shown the old text and the note; several candidates, then a re-ask with the reason;
code checks each answer as it checks a drafted one (names and numbers in the cited sentences, script, echo,
length) and against the note (the old text again, a name or figure the note asks for left out, one it asks to drop
kept). The new version is graded like any other claim. A note asking for a fact no source sentence states gets
that answer, not a rewrite that invents it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from typing import cast

from agent.core.claims import Grader
from agent.core.contracts import Claim, Draft, Likelihood, SourceDocument, Usage
from agent.corpus.numbers import numbers_in
from agent.drafting.analysis import Grading, grading_for
from agent.drafting.builders import OUTLET_WORDS, outlet_names
from agent.drafting.checks import is_repeat, name_stem, names_in, unsupported_names, unsupported_numbers
from agent.drafting.context import DraftContext
from agent.drafting.edits import NoteEdit, attributed, drop_phrase, note_edit, shifted
from agent.drafting.engine import Engine
from agent.drafting.parts import ATTEMPTS, NONE_OPTION, _backing, _numbered, ask, claim_from
from agent.drafting.template import PartSpec, SectionSpec, load_prompt, load_template
from agent.llm.seam import LLMError

REDRAFT_SLACK = 10  # words a redraft may run over the part's limit (the note asks for more, not less)
REDRAFT_SENTENCES = 4  # sentences the embedded model is shown (a capable one, twice as many, picks among them)
# "drop", "cut", "remove" … ask for something to go only as the verb opening a clause of the note ("Drop X",
# "…; cut X", "and remove X"): in "the storm cut the town off" the town is not to go
_OPENS = r"(?:^|(?<=[.;:!?,(]\s)|(?<=\band\s)|(?<=\bthen\s)|(?<=\bplease\s))"
_DROP = re.compile(
    rf"(?:{_OPENS}(?:drop|remove|delete|omit|cut|replace)|\b(?:without|not|no longer|instead of|rather than|wrong)"
    # "no source mentions a 'National Disaster Council'": what no source says is not to be in the text
    r"|\bno\s+(?:source|sentence|report|one)s?\s+(?:\w+\s+)?(?:mentions?|says?|states?|gives?|reports?|supports?)"
    r"(?:\s+(?:a|an|the|that|this|any))?)\b"
    # a quote goes on whole ("drop 'implications for Kyiv, Europe and…'"); "drop the 35,000 passengers": a figure's
    # comma goes on too
    r"\s*(?P<what>(?:“[^”]{1,160}”|\"[^\"]{1,160}\"|'[^']{1,160}'(?!\w)|[^,;:.!?]|(?<=\d)[,.](?=\d)"
    # a list of names goes on ("not a total for Heathrow, Brussels, Berlin and Dublin")
    r"|,\s+(?=(?-i:[A-Z])[\w'’-]*(?:\s+(?-i:[A-Z])[\w'’-]*)*\s*(?:,|\band\b|\bor\b|[.;]|$)))+)",
    re.IGNORECASE,
)
# "warned them not to 'torpedo the progress'": a reported "not to <verb>" is what someone said, nothing to drop
_REPORTED = re.compile(r"[Nn]ot\s+to\s+[\"“']?[a-z]")
# After "not" a name is one to drop only as whom a claim is put to ("not Zelensky", "not to the NIS"): in "seized
# in Faridabad, not at the Red Fort" the place may stand in the new version for the event that did happen there.
_NEGATION = re.compile(r"(?:not|no longer|wrong)\b", re.IGNORECASE)
_WHOM = re.compile(r"(?:(?:to|by|from)\s+)?(?:the\s+)?[A-Z]")
_QUOTED = re.compile(r"[\"“']([^\"”']{2,160})[\"”']")


class RedraftRefused(LLMError):
    """No new version follows the reviewer, or the note asks for what no source states; the message says which."""


# A word opening one of the note's sentences: the note's own verb ("Add", "Soften", "Fix") unless the sources use
# it as a name. A news outlet the note names by its shape ("the Jamaica Observer", "Zee News").
_OPENING = re.compile(r"(?:^|[.!?:;\"“(]\s*)(?P<w>[A-Z][\w'’-]*)")
_VERB = re.compile(
    r"^(?:Add|Attribute|Cite|Credit|Say|Give|Use|Put|Quote|State|Name|Include|Mention|Keep|Replace|Source)\s+"
)
# Whether the note asks to put the claim in a source's name ("attribute it to …", "cite …", "according to …"):
# only then is an outlet none of the sources comes from a reason to refuse.
_CITES = re.compile(r"\b(?:attribut\w*|cite|credit|according to|source it|quote)\b", re.I)
_NAMED_OUTLET = re.compile(rf"\b(?:[A-Z][\w'’&.-]*\s+){{1,3}}{OUTLET_WORDS}\b")


def note_outlets(note: str, outlets: Collection[str] = ()) -> list[str]:
    """The news outlets the note names ("attribute it to Zee News"): whom to cite, not facts for the text.
    ``outlets`` are known outlet names, lower-cased (:func:`agent.drafting.builders.outlet_names`). The note's own
    verb is not part of a name ("Add Hindustan Times' count" names the Hindustan Times)."""
    found = [_VERB.sub("", m.group(0)) for m in _NAMED_OUTLET.finditer(note)]
    for o in sorted(outlets):
        m = re.search(rf"(?<!\w){re.escape(o)}(?!\w)", note, re.IGNORECASE) if len(o) > 2 else None
        if m and not any(m.group(0).lower() in f.lower() for f in found):
            found.append(m.group(0))  # as the note writes it
    return found


def note_terms(
    note: str,
    names: Collection[str] = (),
    outlets: Collection[str] = (),
) -> tuple[list[str], list[str]]:
    """What the note asks the new version to carry (its names and figures) and to leave out (what follows "drop",
    "not", "instead of", "replace"…). A word opening one of the note's sentences counts as a name only when the
    sources use it as one (``names``: name stems, :func:`source_names`): "Add the toll" asks for no "Add". An
    outlet the note names is whom to cite (:func:`note_outlets`), not a name the text must carry."""
    unwanted: list[str] = []
    aside: list[str] = []
    for m in _DROP.finditer(note):
        if _REPORTED.match(note, m.start()):
            continue
        what = m.group("what").split(" with ", 1)[0]  # "replace X with Y": only X is to go
        quoted = _QUOTED.findall(what)
        whom = not _NEGATION.match(m.group(0)) or _WHOM.match(what)
        if not whom:  # neither asked for nor to drop
            aside += [n.lower() for n in names_in(" x " + what)]
        unwanted += quoted or [*(names_in(" x " + what) if whom else []), *sorted(numbers_in(what), key=str)]
    drop = {str(u).lower() for u in unwanted} | set(aside)
    # the names and figures inside a phrase to drop ("drop '15 GW'") are not asked for either
    drop |= {n.lower() for u in unwanted for n in names_in(" x " + str(u))}
    drop |= {str(n) for u in unwanted for n in numbers_in(str(u))}
    cited = {w.lower() for o in note_outlets(note, outlets) for w in o.split()}
    opening = [m for m in _OPENING.finditer(note) if name_stem(m.group("w")) in names]
    found = sorted(
        [(m.start("w"), m.group("w")) for m in opening] + [(note.find(n), n) for n in names_in(note)],
    )
    wanted = [n for n in dict.fromkeys(n for _, n in found) if n.lower() not in drop and n.lower() not in cited]
    wanted += [str(n) for n in sorted(numbers_in(note), key=str) if str(n).lower() not in drop]
    return wanted, [str(u) for u in dict.fromkeys(unwanted)]


_RUN = re.compile(r"\b[A-Z][\w'’&-]*(?:\s+[A-Z][\w'’&-]*){0,3}")


def _compact(x: str) -> str:
    return re.sub(r"[^a-z0-9]", "", x.lower().removeprefix("the "))


def file_outlets(note: str, docs: Collection[SourceDocument]) -> set[str]:
    """Outlets the note names that no metadata gives but a source's file is named after ("Western Standard" for
    ``source_5_westernstandard.txt``), lower-cased as the note writes them."""
    stems = [_compact(Path(d.path).stem) for d in docs if d.path]
    found: set[str] = set()
    for m in _RUN.finditer(note):
        words = m.group(0).split()
        for n in range(len(words), 0, -1):  # "Only International Intrigue": its longest tail a file is named after
            run = " ".join(words[-n:])
            c = _compact(run)
            if len(c) >= 5 and any(c in st for st in stems):
                found.add(run.lower())
                break
    return found


def _from_outlet(named: str, d: SourceDocument) -> bool:
    """Whether ``d`` is from the outlet a note names: by its outlet, or by the name its file bears."""
    if d.outlet and _same_outlet(named, d.outlet):
        return True
    c = _compact(named)
    return len(c) >= 5 and bool(d.path) and c in _compact(Path(d.path).stem)


def _same_outlet(named: str, outlet: str) -> bool:
    """Whether the outlet a note names is this source's ("the Jamaica Observer" / "Jamaica Observer")."""

    def fold(x: str) -> str:
        return " ".join(x.lower().removeprefix("the ").split())

    return fold(named) == fold(outlet) or fold(named) in fold(outlet) or fold(outlet) in fold(named)


def source_names(texts: list[str]) -> set[str]:
    """The name stems the sources use as names (capitalised where a sentence does not begin)."""
    return {name_stem(n) for t in texts for n in names_in(t)}


def stated(term: str, texts: list[str]) -> bool:
    """Whether any of ``texts`` states ``term``: a name in any of its forms, a figure however written."""
    return not (unsupported_names(" x " + term, texts) or unsupported_numbers(term, texts))


def redraft_ignores(
    old: str,
    new: str,
    guidance: str,
    names: Collection[str] = (),
    outlets: Collection[str] = (),
    *,
    exact: bool = False,
) -> str | None:
    """Why a new version does not follow the reviewer's note, or ``None``: it repeats the old text, leaves out a
    name or figure the note asks for, or keeps one the note asks to drop. ``exact``: code made the edit the note
    asks for (two words dropped leave a text close to the old one, and rightly so)."""
    if not exact and is_repeat(new, [old], threshold=0.95):
        return "the model returned the old text again; name the fact or the source you want in your guidance"
    wanted, unwanted = note_terms(guidance, names, outlets)
    lacking = [w for w in wanted if not stated(w, [new])]
    if lacking:
        return f"the new version leaves out {', '.join(lacking)}, which your guidance names"
    kept = [u for u in unwanted if _keeps(new, u, guidance)]
    if kept:
        return f"the new version keeps {', '.join(kept)}, which your guidance asks to drop"
    return None


def _keeps(new: str, unwanted: str, note: str) -> bool:
    """Whether ``new`` still says what the note asks to drop: "89 substations" is gone from "85 of 89 substations"
    when that is how the note asks it to be said."""
    low, asked = new.lower(), note.lower()
    for m in re.finditer(re.escape(unwanted.lower()), low):
        before = low[: m.start()].split()[-3:]
        if not any(f"{' '.join(before[-k:])} {unwanted.lower()}" in asked for k in range(1, len(before) + 1)):
            return True
    if unwanted.lower() in low:
        return False
    figures = numbers_in(unwanted)
    # the figure stays when the note asks for it elsewhere ("give it as 85 of 89, not as '89 substations'")
    head, _, tail = note.rpartition(unwanted)
    return bool(figures) and figures <= numbers_in(new) and not figures <= numbers_in(f"{head} {tail}")


def redraft_context(engine: Engine, draft: Draft, grader: Grader | None) -> DraftContext:
    """The draft's sentences, as drafting saw them (the grader's when it is drafting's, else analysed again)."""
    grading = grader if isinstance(grader, Grading) else grading_for(engine, draft, engine.workspace.root)
    cfg = engine.settings.llm
    return DraftContext(
        capable=cfg.capable if cfg.capable is not None else cfg.base_url is not None,
        draft=draft.model_copy(),
        base=grading.base,
        digest=list(draft.digest),
        llm=engine.llm,
        prompt=load_prompt("compose_claim"),
        embedder=engine.embedder,
        noun_phrases=lambda _text: [],
        analysis=grading.analysis,
    )


def _code_edit(
    engine: Engine,
    ctx: DraftContext,
    spec: SectionSpec,
    part: PartSpec,
    claim: Claim,
    edit: NoteEdit,
    guidance: str,
    theirs: set[str],
    instructions: list[str],
    names: Collection[str],
    outlets: Collection[str],
) -> Claim | None:
    """The new version code writes itself for a note it can carry out exactly (:mod:`agent.drafting.edits`),
    checked like the model's and graded; ``None`` when code cannot, and the model is asked."""
    b = ctx.base
    old = claim.final_text
    own_ids = {c.sentence_id for c in claim.citations if c.sentence_id}
    own = [s for s in b.sentences if s.id in own_ids]
    likelihood = claim.likelihood
    cited = own
    if edit.kind == "drop":
        new = drop_phrase(engine.analyser.nlp, old, edit.what)
    elif edit.kind == "attribute":
        named = note_outlets(guidance, outlets)
        docs = [d for d in b.docs.values() if named and _from_outlet(named[0], d)]
        if not docs:
            return None
        outlet = docs[0].outlet or named[0]
        new = attributed(engine.analyser.nlp, old, outlet)
        at = [i for i, s in enumerate(b.sentences) if s.doc_id in theirs]
        texts = [b.sentences[i].text for i in at]
        body = old
        missing = [str(n) for n in sorted(numbers_in(body), key=str) if not stated(str(n), texts)]
        missing += [n for n in names_in(body) if not stated(n, texts) and n.lower() not in outlet.lower()]
        if missing:
            raise RedraftRefused(
                f"{outlet} does not state {', '.join(dict.fromkeys(missing))}: the claim is not put in its words"
            )
        sims = ctx.sim(body)
        ranked = [b.sentences[i] for i in sorted(at, key=lambda i: -float(sims[i]))]
        cited = _backing(body, ranked[:4], ctx.draft.topic, b.leads)[:2]
    else:
        got = shifted(old, edit.kind, guidance)
        if got is None:
            return None
        new, likelihood_term = got
        likelihood = cast(Likelihood, likelihood_term)
    if new is None or not cited:
        return None
    if edit.kind != "attribute":
        cited = _backing(new, own, ctx.draft.topic, b.leads) or own
    if new == old or redraft_ignores(old, new, guidance, names, outlets, exact=True) is not None:
        return None
    return claim_from(
        ctx,
        spec,
        part,
        new,
        cited,
        instructions,
        claim_id=lambda _text: claim.id,
        likelihood=likelihood,
        origin="redrafted",
    )


def redraft_claim(
    engine: Engine, draft: Draft, claim: Claim, guidance: str, grader: Grader | None = None
) -> tuple[Claim, Usage]:
    """A new version of ``claim`` (same id, ``origin='redrafted'``), following the reviewer's note, graded."""
    ctx = redraft_context(engine, draft, grader)
    b = ctx.base
    template = load_template()
    try:
        spec: SectionSpec = template.section(claim.section)
    except KeyError:
        spec = SectionSpec(key=claim.section, title=claim.section, intent="", claim="", queries=())
    known = next((p for p in spec.parts if p.label == claim.label and p.how == "model"), None)
    part = (
        # a note adding a figure or a name needs room: the limit is the part's, a few words looser
        replace(known, sentences=REDRAFT_SENTENCES, max_words=known.max_words + REDRAFT_SLACK)
        if known
        else PartSpec(label=claim.label, how="model", sentences=REDRAFT_SENTENCES, max_words=45, analytic=False)
    )
    old = claim.final_text
    texts = [s.text for s in b.sentences]
    filed = file_outlets(guidance, list(b.docs.values()))
    names, outlets = source_names(texts), outlet_names(b) | filed
    edit = note_edit(guidance)
    # a note asking one edit code can do says why in its other sentences: only the request's names are asked for
    asked = edit.request if edit is not None and edit.request else guidance
    wanted, _unwanted = note_terms(asked, names, outlets)
    absent = [w for w in wanted if not stated(w, texts)]
    if absent:
        raise RedraftRefused(
            f"no source sentence states {', '.join(absent)}: the note asks for it, so no new version is written"
        )
    # an outlet the note names ("attribute it to …") is one of the sources, whose sentences come first
    theirs: set[str] = set()
    for o in note_outlets(guidance, outlets):
        docs = {d.id for d in b.docs.values() if _from_outlet(o, d)}
        if not docs and _CITES.search(guidance):
            raise RedraftRefused(f"none of the sources is from {o}: the note asks to cite it, so no new version")
        theirs |= docs
    # the model may name the sources' own outlets ("… Zee News reported"): they are in no sentence, yet invent nothing
    ctx.source_names |= {name_stem(w) for d in b.docs.values() if d.outlet for w in d.outlet.split()}
    ctx.source_names |= {name_stem(w) for o in filed for w in o.split()}
    instructions = [t for t in (spec.intent, spec.claim) if t]
    if edit is not None:
        made = _code_edit(engine, ctx, spec, part, claim, edit, asked, theirs, instructions, names, outlets)
        if made is not None:
            return made, Usage()
    # the sentences: those stating what the note names or from the outlet it names, the claim's own, then the
    # closest to the claim and the note
    naming = [i for i, s in enumerate(b.sentences) if any(stated(w, [s.text]) for w in wanted)]
    cited = [i for i, s in enumerate(b.sentences) if s.doc_id in theirs]
    own_ids = {c.sentence_id for c in claim.citations if c.sentence_id}
    own = [i for i, s in enumerate(b.sentences) if s.id in own_ids]
    k = part.sentences * 2 if ctx.capable else part.sentences
    sims = ctx.sim(f"{old} {guidance}")
    order: list[int] = []
    # every name and figure the note asks for is in one shown sentence at least (the closest stating it): a note
    # naming a wind speed and a pressure needs both sentences, not the two closest stating the speed
    cover: list[int] = []
    for w in wanted:
        if any(stated(w, [b.sentences[i].text]) for i in cover):
            continue
        hits = [i for i in naming if stated(w, [b.sentences[i].text])]
        if hits:
            cover.append(max(hits, key=lambda i: float(sims[i])))
    best = cover + sorted(cited, key=lambda i: -float(sims[i]))[:2]
    for i in [*best, *own]:
        if i not in order:
            order.append(i)
    rest = b.select(sims, k, exclude={b.sentences[i].id for i in order})
    chosen = [b.sentences[i] for i in order][:k]
    chosen += [s for s in rest if s not in chosen][: k - len(chosen)]
    if not chosen:
        raise RedraftRefused("no source sentence bears on this claim and note")
    task = (
        f"A reviewer asks for this claim to be rewritten. The claim: “{old}” The reviewer's note: “{guidance}” "
        f"Rewrite the claim as the note asks, in one sentence of at most {part.max_words} words. Use only facts "
        "these sentences state: keep what the note does not ask to change where they state it, and leave out "
        "what they do not."
    )
    if ctx.capable:
        task += NONE_OPTION
    messages = ctx.prompt.render(topic=draft.topic, sentences=_numbered(chosen, b.leads), task=task)
    got = ask(
        ctx,
        spec,
        part,
        messages,
        chosen,
        instructions,
        claim_id=lambda _text: claim.id,
        then=lambda text: redraft_ignores(old, text, asked, names, outlets),
        origin="redrafted",
    )
    if got.nothing:
        raise RedraftRefused("the model found nothing in the sources for this note; no new version is offered")
    if got.claim is None:
        raise RedraftRefused(f"not offered: refused {ATTEMPTS} times (last: {got.reasons[-1]})")
    return got.claim, got.usage
