"""Noun phrases usable as a brief's thematic tags."""

from __future__ import annotations

from spacy.language import Language

_GENERIC_HEADS = frozenset(
    [
        "part",
        "parts",
        "way",
        "ways",
        "lot",
        "number",
        "numbers",
        "time",
        "times",
        "year",
        "years",
        "day",
        "days",
        "month",
        "months",
        "week",
        "weeks",
        "thing",
        "things",
        "kind",
        "kinds",
        "level",
        "levels",
        "degree",
        "end",
        "side",
        "sides",
        "fact",
        "facts",
        "case",
        "cases",
        "point",
        "points",
        "question",
        "questions",
        "example",
        "others",
        "people",
        "term",
        "terms",
        "use",
        "role",
        "roles",
        "effort",
        "efforts",
        "result",
        "results",
        "reason",
        "reasons",
        "situation",
    ]
)


def noun_phrases(nlp: Language, text: str) -> list[str]:
    """Noun phrases of 1–4 words usable as tags: determiners, possessives and numbers stripped, no pronoun or
    generic head ("part", "number"), no words cut from inside, no time or comparison; lower-cased unless a proper
    name."""
    out: list[str] = []
    for chunk in nlp(text).noun_chunks:
        toks = [t for t in chunk if t.pos_ not in ("DET", "PRON", "NUM", "PUNCT") and t.dep_ != "poss"]
        toks = [t for t in toks if not t.is_stop and t.is_alpha]
        if not toks or not 1 <= len(toks) <= 4 or toks[-1].pos_ not in ("NOUN", "PROPN"):
            continue
        if toks[-1].lemma_.lower() in _GENERIC_HEADS or toks[-1].text.lower() in _GENERIC_HEADS:
            continue
        if toks[-1].i - toks[0].i + 1 != len(toks):
            continue  # words left out inside ("check-in and boarding systems" -> "check boarding systems"): a fragment
        if any(t.ent_type_ in ("DATE", "TIME") for t in toks) or toks[0].tag_ in ("JJR", "JJS"):
            continue  # a time ("Monday evening") or a comparison ("lower house") names no theme of the event
        if all(t.pos_ == "PROPN" for t in toks):
            continue  # names are entities and places, not themes
        keep_case = {t.i for t in toks if t.text[:1].isupper() and t.i != t.sent.start}
        phrase = " ".join(t.text if t.i in keep_case else t.text.lower() for t in toks)
        if len(toks) == 1 and toks[0].pos_ != "PROPN":
            continue  # a lone common noun ("message", "nations") is too vague to tag a brief
        if len(phrase) >= 4:
            out.append(phrase)
    return out
