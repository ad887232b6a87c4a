"""Sentences that offer an explanation: a cause, a motive, a blame or a suspicion, in the words of any topic.

A hypothesis is an explanation of what drives an event. Drawn from a sentence that only reports what happened, it
comes out as a restated fact ("a reported fact, not a competing explanation", the reviewers' verdict on every
dev-set topic) or as an invented motive. Drawn from a sentence where someone gives a reason ("police suspect ...",
"blamed on ...", "in retaliation for ...", "because ..."), it has something to stand on and someone to attribute it
to. The markers are English connectives and verbs of causing, blaming and suspecting, none of a subject.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_MARKERS = (
    # causes stated
    r"because|due\s+to|owing\s+to|as\s+a\s+result\s+of|the\s+result\s+of|caused\s+by|causes?\s+of|the\s+cause"
    r"|(?:triggered|sparked|prompted|driven|fu?ell?ed|provoked|precipitated)\s+by|stemm?(?:ed|s)?\s+from"
    r"|rooted\s+in|resulted\s+from|led\s+to|(?:was|were|is|are)\s+behind|responsible\s+for"
    r"|(?:the|a|its|their|his|her)\s+(?:main\s+|likely\s+|real\s+|underlying\s+)?(?:reasons?|motives?|motivations?)"
    r"|motivated|in\s+(?:retaliation|response|reaction|protest)\s+(?:to|for|against|at|over)"
    r"|protest(?:s|ed|ing)?\s+(?:against|over)|demand(?:s|ed|ing)"
    # purposes
    r"|in\s+a\s+bid\s+to|in\s+order\s+to|aimed\s+(?:at|to)|aims?\s+to|intended\s+to|designed\s+to|so\s+as\s+to"
    r"|seeking\s+to|sought\s+to|(?:a|an)\s+(?:attempt|effort)\s+to"
    # blame and suspicion
    r"|blam(?:e|es|ed|ing)|attribut(?:e|es|ed|ing)\s+(?:it\s+|the\s+\w+\s+)?to|accus(?:e|es|ed|ing)"
    r"|(?<!the\s)(?<!a\s)suspect(?:s|ed)?|believed\s+to\s+(?:have|be)|believes?\s+(?:that|the|it)|deliberate(?:ly)?"
    r"|(?:may|might|could)\s+have\s+been|(?:may|might|could)\s+have\s+\w+ed|claimed\s+responsibility"
    # readings of it
    r"|(?:seen|viewed|interpreted|read)\s+as|(?:anger|fury|outrage|frustration|discontent|fears?|concerns?)\s+"
    r"(?:over|at|about)|amid\s+(?:anger|fears?|concerns?|pressure|tensions?|discontent)"
)
EXPLAINS_RE = re.compile(rf"\b(?:{_MARKERS})\b", re.IGNORECASE)


def offers_explanation(text: str) -> bool:
    """Whether the sentence gives a cause, a motive, a purpose, a blame or a suspicion (not merely what happened)."""
    return EXPLAINS_RE.search(text) is not None


def explanation_marker(text: str) -> str | None:
    """The words that make the sentence an explanation, for a reviewer's note."""
    m = EXPLAINS_RE.search(text)
    return " ".join(m.group(0).split()) if m else None


# A sentence that names an explanation only to deny or rule it out ("there is no indication it was a cyberattack",
# "police ruled out sabotage", "the ministry denied the fire was deliberate"): drawn from it, a hypothesis that
# asserts the explanation says the opposite of its source (a reviewer's WRONG on the dev set).
DENIES_RE = re.compile(
    r"\b(?:no|little|nothing\s+to|not\s+(?:any|yet\s+any))\s+\W?(?:indication|evidence|sign|signs|suggestion|proof|link"
    r"|reason\s+to\s+(?:believe|suspect|think))\b|\brul(?:ed|es|ing)\s+out\b"
    r"|\b(?:den(?:y|ied|ies|ying)|dismiss(?:ed|es|ing)?|rejected)\s+(?:that|any|claims?|reports?|allegations?"
    r"|suggestions?|speculation|responsibility|involvement|(?:the|a)\s+(?:claims?|reports?|allegations?|suggestions?"
    r"|possibility|theory|link))\b"
    r"|\b(?:is|was|are|were|seems?|seemed|appears?|appeared|considered|deemed)\s+(?:highly\s+|very\s+)?unlikely\b"
    r"|\bnot\s+(?:been\s+)?(?:caused|behind|responsible|linked|related|connected|deliberate|the\s+(?:cause|result))\b",
    re.IGNORECASE,
)
# What in a claim carries a denial over: a negation, or a word of denying, doubting or ruling out.
_KEEPS_DENIAL = re.compile(
    r"\b(?:no|not|never|nor|without|den(?:y|ied|ies|ying)|rul(?:ed|es|ing)\s+out|dismiss(?:ed|es|ing)?|rejected"
    r"|unlikely|doubt(?:s|ed)?|unconfirmed|unproven|unsupported|disputed|\w+n['’]t)\b",
    re.IGNORECASE,
)

_DOUBT = re.compile(r"\b(?:may|might|could|possibl[ey]|whether|if|speculat\w*|question\w*)\b", re.IGNORECASE)


def denial(text: str) -> str | None:
    """The words by which the sentence denies or rules out what it names, if it does."""
    m = DENIES_RE.search(text)
    return " ".join(m.group(0).split()) if m else None


def drops_denial(claim: str, sentences: Iterable[str]) -> str | None:
    """The denial (“no indication”) of a sentence the claim rests on that the claim turns around, if any: the claim
    carries no denial, or it asserts an explanation (“caused by”) with no denial or doubt in the words before it."""
    found = next((d for d in map(denial, sentences) if d), None)
    if found is None:
        return None
    if not _KEEPS_DENIAL.search(claim):
        return found
    for m in EXPLAINS_RE.finditer(claim):
        before = " ".join(claim[: m.start()].split()[-8:])
        if not _KEEPS_DENIAL.search(before) and not _DOUBT.search(before):
            return found
    return None
