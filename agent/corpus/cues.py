"""Sourcing cues: who a sentence says its information comes from — attributed to a name, anonymous, one unnamed
official, state media — and hedged wording (regex lexicon). The sentence analysis stores them; the quote verifier
asks whether a quote rests on weak sourcing with the same patterns."""

from __future__ import annotations

import re

from agent.core.contracts import WEAK_CUES, Cue, CueKind

_NAME_WORD = r"(?:[A-Z][\w\u2019'.-]*|al-\w+|bin|de|van|von)"
_NAME = rf"{_NAME_WORD}(?:\s+(?:of\s+the\s+|of\s+|for\s+the\s+|for\s+|and\s+)?{_NAME_WORD}){{0,7}}"
_NOT_A_NAME = frozenset(
    [
        "The",
        "This",
        "That",
        "These",
        "Those",
        "It",
        "He",
        "She",
        "They",
        "We",
        "I",
        "You",
        "A",
        "An",
        "But",
        "And",
        "Yet",
        "So",
        "Then",
        "There",
        "Here",
        "Some",
        "Many",
        "Most",
        "Several",
        "One",
        "In",
        "On",
        "At",
        "For",
        "As",
        "If",
        "When",
        "While",
        "Officials",
        "Sources",
        "Insiders",
        "Analysts",
        "Experts",
        "Reports",
    ]
)
_PRONOUN = frozenset(["He", "She", "They", "We", "I", "You", "It"])
_ANON_NOUNS = r"(?:sources?|officials?|diplomats?|insiders?|persons?|people|individuals?|officers?|analysts?|experts?)"
_ANON_STOP = frozenset(
    [
        "have",
        "has",
        "had",
        "said",
        "say",
        "says",
        "told",
        "tell",
        "were",
        "was",
        "are",
        "is",
        "who",
        "that",
        "which",
        "and",
        "but",
        "claim",
        "claimed",
        "claims",
        "described",
        "describe",
        "suggest",
        "suggested",
        "reported",
        "report",
        "indicated",
        "indicate",
        "hinted",
        "believe",
        "believed",
        ",",
    ]
)

_VERBS = (
    r"(?:said|says|stated|states|told|tells|claimed|claims|reported|reports|announced|added|warned|noted|wrote"
    r"|insisted|acknowledged|confirmed|denied|argued|asserted|declared|alleged|explained)"
)

_STATE_MEDIA_RE = re.compile(
    r"\bKCNA\b|\bKorean\s+Central\s+(?:News\s+Agency|Television)\b|\bPyongyang\s+Central\s+News\s+Agency\b"
    r"|\bCTAK\b|ЦТАК|\bTASS\b|\bRIA\s+Novosti\b|\bRodong\s+Sinmun\b|\bXinhua\b|\bGlobal\s+Times\b|\bSputnik\b"
    r"|\b[Ss]tate[\s-](?:run|controlled|owned|affiliated)\s+(?:media|news(?:paper)?|television|TV|outlets?|agency"
    r"|broadcasters?|press)\b|\b[Ss]tate\s+(?:media|television|TV|news\s+agency|broadcaster|press)\b"
    r"|\bpurported(?:ly)?\s+(?:[\w\u2019'-]+\s+){0,4}?release\b",
)
_UNATTRIBUTED_RE = re.compile(
    r"\b[Aa]ccording\s+to\s+(?:media\s+|local\s+|unconfirmed\s+|early\s+|initial\s+)?reports\b"
    r"|\b(?:[Rr]eports|[Ww]itnesses|[Oo]fficials|[Aa]uthorities)\s+(?:said|say|says|claimed|claim|told|suggested"
    r"|suggest|indicated)\b"
    r"|\b[Ii]t\s+is\s+(?:widely\s+|generally\s+)?(?:understood|believed|thought)\b"
)
_HEDGED_RE = re.compile(
    r"\b(?:[Rr]eportedly|[Aa]llegedly|[Pp]urported(?:ly)?|[Ss]upposedly|[Aa]pparently|[Uu]nconfirmed|[Uu]nverified)\b"
    r"|\b(?:has|have|had)\s+hinted\b|\bhinted\b"
    r"|\b(?:appears?|appeared|seems?|seemed)\s+to\b"
    r"|\b[Cc]ould\b|\bmay\b|\bMay(?=\s+(?:be|have|not|also|well|soon|never|still|even)\b)"
    r"|\bmight(?=\s+(?:be|have|not|also|well|soon|never|still|even|just|now|yet)\b)"
    r"|\b(?:[Ii]t\s+is|[Ii]t\s+was|[Ii]t\s+has\s+been|is|are|was|were)\s+(?:widely\s+)?believed\b"
    r"|\b(?:is|are|was|were)\s+said\s+to\b"
    r"|\b[Rr]umou?red\b",
)
_ANON_RE = re.compile(
    # sources close to / familiar with ... (phrase continues, trimmed in code)
    rf"\b(?:[Ss]ources?|[Ii]nsiders?|[Pp]eople|[Oo]fficials?|[Pp]ersons?|[Aa]n?\s+official|[Aa]\s+source)"
    rf"\s+(?:close\s+to|familiar\s+with|with\s+(?:direct\s+)?knowledge\s+of|inside|within|briefed\s+on)\b"
    rf"(?P<tail>(?:\s+[\w\u2019'-]+){{1,6}})?"
    rf"|\b(?:[Uu]nnamed|[Aa]nonymous|[Uu]nidentified|[Uu]ndisclosed)\s+(?:[\w-]+\s+){{0,2}}?{_ANON_NOUNS}\b"
    rf"|\b(?:[Aa]ccording\s+to|[Cc]iting|[Cc]ited\s+by)\s+(?:(?:several|multiple|some|two|three|local|military"
    rf"|intelligence|diplomatic|government|western|informed|senior)\s+)*(?:sources|insiders|an?\s+insider)\b"
    rf"|\b(?:[Ss]enior|[Ii]ntelligence|[Dd]iplomatic|[Mm]ilitary|[Gg]overnment|[Ww]estern|[Ii]nformed|[Rr]eliable"
    rf"|[Ss]everal|[Mm]ultiple|[Ll]ocal)\s+sources\b"
    rf"|\b[Ss]ources\s+(?:say|said|told|claim(?:ed)?|report(?:ed)?|indicate[ds]?|suggest(?:ed)?|believe[ds]?)\b"
    rf"|\b(?:(?:by|from|to|told|said)\s+)?(?:[Oo]ne|[Aa]|[Aa]nother|[Aa]n\s+anonymous)\s+source\b(?!s|\s+of\b)"
    rf"|\b[Ii]nsiders\b|\ban\s+insider\b"
    rf"|\b(?:[Ii]t\s+(?:is|was|has\s+been|had\s+been)|[Ii]t's)\s+reported\b"
    rf"|\bon\s+(?:the\s+)?condition\s+of\s+anonymity\b|\bdeclined\s+to\s+be\s+(?:named|identified)\b"
    rf"|\bnot\s+authori[sz]ed\s+to\s+speak\b"
    rf"|\b(?:[Aa]ccording\s+to|[Cc]iting|[Ss]ays|[Ss]aid|[Rr]eported\s+by)\s+(?:some\s+|several\s+)?(?:foreign|local|international|regional)\s+media\b"
    rf"|\b(?:[Ff]oreign|[Ll]ocal|[Ii]nternational)\s+media\s+(?:reports?|said|say|reported|cited)\b"
    rf"|\b[Mm]edia\s+reports\s+(?:said|say|suggest(?:ed)?|claim(?:ed)?)\b"
    rf"|\b(?:[Aa]n?|[Oo]ne|[Tt]wo|[Tt]hree|[Ss]everal|[Ss]ome)\s+(?:[\w.-]+\s+){{0,2}}?(?:officials?|diplomats?|sources?)"
    rf"\s+(?:said|says|stated|told|claimed|confirmed|added|noted)\b",
)
# One unnamed official (not "sources", not "officials"): a single voice, so no corroboration within the report.
_ONE_OFFICIAL_RE = re.compile(
    r"(?:(?:by|from|to|told|said)\s+)?(?:[Aa]n?|[Oo]ne|[Aa]nother)\s+(?:[\w.-]+\s+){0,3}?"
    r"(?:official|diplomat|officer)\b(?!s)"
)
_SOURCE_NOUN = (
    r"(?:spies|officials?|intelligence|media|forces|military|government|analysts?|experts?|authorities|diplomats?"
    r"|ministry|lawmakers|troops|agency|officers?|spy\s+agency|army|police|embassy|press|prosecutors|investigators)"
)
_ACCORDING_RE = re.compile(r"\b[Aa]ccording\s+to\s+(?:the\s+)?")
_SUBJ_VERB_RE = re.compile(
    rf"(?P<who>\b{_NAME}(?:\s+{_SOURCE_NOUN}\b)?)(?:\s*,\s*[^,.;\n“”\"]{{2,80}},)?\s+(?:has\s+|have\s+|had\s+)?{_VERBS}\b"
)
# "…," said Zelenskyy. — not "said Russia pays", where the name begins the reported clause
_VERB_SUBJ_RE = re.compile(rf"\b(?:said|says|added|wrote|told)\s+(?P<who>{_NAME})(?=\s*(?:[.,;:!?\n]|$))")
_PRONOUN_VERB_RE = re.compile(rf"\b(?P<who>He|She|They|We|I|he|she|they|we)\s+(?:has\s+|have\s+|had\s+)?{_VERBS}\b")


def _who_after_according(text: str, pos: int) -> tuple[str, int] | None:
    """Named source right after 'according to [the]': a run of capitalised words (with of/for/and)."""
    m = re.compile(_NAME).match(text, pos)
    if not m:
        return None
    who = m.group(0)
    # trim trailing connectors and possessive
    who = re.sub(r"(?:\s+(?:of|for|and|the))+$", "", who)
    who = re.sub(r"[\u2019']s?$", "", who).rstrip(".")
    if not who or who.split()[0] in _NOT_A_NAME:
        return None
    noun = re.compile(rf"\s+{_SOURCE_NOUN}\b").match(text, pos + len(who))
    if noun:
        who += noun.group(0)
    return re.sub(r"\s+", " ", who), pos + len(who)


def detect_cues(text: str, offset: int = 0) -> list[Cue]:
    """Sourcing cues in ``text`` (regex lexicon). Offsets are ``offset`` + position in ``text``."""
    found: list[Cue] = []

    def add(kind: CueKind, s: int, e: int, who: str | None = None) -> None:
        found.append(Cue(kind=kind, text=text[s:e], start=offset + s, end=offset + e, who=who))

    for m in _ANON_RE.finditer(text):
        s, e = m.start(), m.end()
        tail = m.groupdict().get("tail")
        if tail:
            words = list(re.finditer(r"[\w\u2019'-]+", text[m.start("tail") : m.end("tail")]))
            e = m.start("tail")
            for w in words:
                if w.group(0).lower() in _ANON_STOP:
                    break
                e = m.start("tail") + w.end()
        add("unnamed-official" if _ONE_OFFICIAL_RE.match(text, s) else "anonymous", s, e)
    for m in _STATE_MEDIA_RE.finditer(text):
        add("state-media", m.start(), m.end(), re.sub(r"\s+", " ", m.group(0)))
    taken = [(c.start - offset, c.end - offset) for c in found]
    for m in _UNATTRIBUTED_RE.finditer(text):
        if not any(a < m.end() and m.start() < b for a, b in taken):
            add("unattributed", m.start(), m.end())
    for m in _HEDGED_RE.finditer(text):
        add("hedged", m.start(), m.end())

    anon_spans = [(c.start - offset, c.end - offset) for c in found if c.kind in ("anonymous", "unnamed-official")]

    def overlaps_anon(s: int, e: int) -> bool:
        return any(a < e and s < b for a, b in anon_spans)

    for m in _ACCORDING_RE.finditer(text):
        got = _who_after_according(text, m.end())
        if got and not overlaps_anon(m.start(), got[1]):
            add("attributed", m.start(), got[1], got[0])
    for m in _SUBJ_VERB_RE.finditer(text):
        who = m.group("who")
        # drop a sentence-initial function word glued to the name ("The Kremlin" keeps "Kremlin")
        parts = who.split()
        while parts and parts[0] in _NOT_A_NAME:
            parts = parts[1:]
        if not parts or overlaps_anon(m.start(), m.end()):
            continue
        add("attributed", m.start("who") + who.index(parts[0]), m.end(), " ".join(parts))
    for m in _VERB_SUBJ_RE.finditer(text):
        who = m.group("who").rstrip(".")  # the sentence's full stop is not part of the name
        if who.split()[0] in _NOT_A_NAME:
            continue
        add("attributed", m.start(), m.start("who") + len(who), who)
    for m in _PRONOUN_VERB_RE.finditer(text):
        add("attributed", m.start(), m.end(), None)

    # de-duplicate: same kind overlapping -> keep the longer
    found.sort(key=lambda c: (c.start, -(c.end - c.start)))
    out: list[Cue] = []
    for c in found:
        if any(o.kind == c.kind and o.start < c.end and c.start < o.end for o in out):
            continue
        out.append(c)
    return out


def weakly_sourced(text: str) -> bool:
    """``text`` carries a weak sourcing cue (anonymous, one unnamed official, state media)."""
    return any(c.kind in WEAK_CUES for c in detect_cues(text))
