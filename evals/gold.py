"""Parse a gold brief in the seed-000 layout into sections, items, entities and tags.

The layout (see ``seeds/000_58b6ca9ed2250062.txt``)::

    <headline>                                   <- preamble: anything before the first section heading
    Published on: 2025-12-27
    Intelligence Report: <title>
    1. BLUF (Bottom Line Up Front)              <- numbered section headings ...
    <prose>
    2. Competing Hypotheses
    - Hypothesis A: <text>                       <- bullets, optionally "Label: text"
    ...
    7. Thematic Tags
    tag one, tag two, ...
    Structured Analytic Techniques Applied      <- ... or unnumbered ones
    - <technique>: <how>
    Explore more:                                <- site furniture: everything from here on is ignored

Parsing is forgiving: Markdown headings (``## 2. Competing Hypotheses``), bold labels (``**Assessment:**``),
``•``/``*``/numbered bullets, wrapped bullet lines, headings with their content on the same line
(``7. Thematic Tags: a, b``), missing sections and a brief that stops mid-section are all accepted. A gold
brief is scored only on the sections it has.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agent.corpus.dates import parse_date

SECTION_KEYS: tuple[str, ...] = (
    "bluf",
    "hypotheses",
    "assumptions",
    "implications",
    "recommendations",
    "entities",
    "tags",
    "techniques",
)
"""Section keys in brief order (the drafting template's keys)."""

PROSE_SECTIONS: tuple[str, ...] = ("bluf", "hypotheses", "assumptions", "implications", "recommendations")
"""Sections whose sentences are analytic prose (the ones a gold support ceiling is computed over)."""

# Heading text (lower-cased, parentheticals removed, "&" -> "and") -> section key.
_TITLES: dict[str, str] = {
    "bluf": "bluf",
    "bottom line up front": "bluf",
    "bottom line": "bluf",
    "competing hypotheses": "hypotheses",
    "hypotheses": "hypotheses",
    "analysis of competing hypotheses": "hypotheses",
    "key assumptions and red flags": "assumptions",
    "key assumptions": "assumptions",
    "assumptions and red flags": "assumptions",
    "implications and strategic risks": "implications",
    "implications": "implications",
    "strategic risks": "implications",
    "recommendations and outlook": "recommendations",
    "recommendations": "recommendations",
    "outlook": "recommendations",
    "key individuals and entities": "entities",
    "key individuals": "entities",
    "key entities": "entities",
    "key actors": "entities",
    "individuals and entities": "entities",
    "thematic tags": "tags",
    "tags": "tags",
    "structured analytic techniques applied": "techniques",
    "structured analytic techniques": "techniques",
    "analytic techniques applied": "techniques",
}

_CANONICAL_TITLES: dict[str, str] = {
    "bluf": "BLUF (Bottom Line Up Front)",
    "hypotheses": "Competing Hypotheses",
    "assumptions": "Key Assumptions and Red Flags",
    "implications": "Implications and Strategic Risks",
    "recommendations": "Recommendations and Outlook",
    "entities": "Key Individuals and Entities",
    "tags": "Thematic Tags",
    "techniques": "Structured Analytic Techniques Applied",
}

# Site furniture after the brief: stop reading at the first of these.
_TRAILER = re.compile(
    r"^\s*(explore more|read more|related (briefs|articles|reading|reports)|support us|share this|subscribe\b|"
    r"daily summary|more briefs)",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^(?P<indent>\s*)(?:[-•*·–—▪◦]|\d{1,2}[.)])\s+(?P<body>.*)$")
_LABEL = re.compile(r"^(?P<label>[^:]{1,60}?)\s*:\s*(?P<text>.*)$")
_NUMBERED = re.compile(r"^(?P<num>\d{1,2})\s*[.)]\s+(?P<rest>.+)$")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’')\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
_ABBREVIATIONS = ("U.S.", "U.K.", "U.N.", "e.g.", "i.e.", "etc.", "vs.", "Mr.", "Mrs.", "Dr.", "St.", "No.")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GoldItem(_Frozen):
    """One line of a section: a bullet (``label`` from ``- Label: text``, else ``None``) or a prose paragraph."""

    label: str | None = None
    text: str
    bullet: bool = False


class GoldEntity(_Frozen):
    """One entry of *Key Individuals and Entities*: ``Kim Jong Un, North Korean leader``."""

    name: str
    role: str | None = None


class GoldSection(_Frozen):
    """One section of the gold brief as written: its heading, its full text and its items in order."""

    key: str
    title: str
    number: int | None = None
    text: str = Field(description="The section body as plain text (labels kept), lines joined by newlines")
    items: list[GoldItem] = Field(default_factory=list)
    truncated: bool = Field(default=False, description="The brief stops inside this section (mid-sentence)")

    def sentences(self) -> list[str]:
        """The section's sentences, labels left out (``Hypothesis A: X. Y.`` gives ``X.``, ``Y.``)."""
        if self.key in ("entities", "tags"):
            return [i.text for i in self.items if i.text]
        out: list[str] = []
        for item in self.items:
            out.extend(split_sentences(item.text))
        return out

    def body(self) -> str:
        """The section's text without labels: what a draft of this section is compared with."""
        return "\n".join(i.text for i in self.items if i.text)


class GoldBrief(_Frozen):
    """A parsed gold brief. ``sections`` holds only the sections the brief has, keyed by section key."""

    headline: str | None = None
    title: str | None = None
    published: date | None = None
    preamble: list[str] = Field(default_factory=list)
    sections: dict[str, GoldSection] = Field(default_factory=dict)
    entities: list[GoldEntity] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)

    def has(self, key: str) -> bool:
        return key in self.sections

    def section(self, key: str) -> GoldSection:
        return self.sections[key]

    @property
    def missing(self) -> list[str]:
        """Section keys the brief does not have (a partial gold brief is scored on what it has)."""
        return [k for k in SECTION_KEYS if k not in self.sections]

    @property
    def truncated(self) -> bool:
        return any(s.truncated for s in self.sections.values())

    def sentences(self, keys: tuple[str, ...] = PROSE_SECTIONS) -> list[str]:
        """Sentences of the given sections (default: the prose sections), in brief order."""
        return [s for k in keys if k in self.sections for s in self.sections[k].sentences()]

    def text(self) -> str:
        """All section text (labels left out), in brief order."""
        return "\n".join(self.sections[k].body() for k in SECTION_KEYS if k in self.sections)


# --------------------------------------------------------------------------- helpers


def _clean(line: str) -> str:
    """Strip Markdown emphasis and surrounding blanks from a line."""
    return re.sub(r"(\*\*|__)", "", line).strip()


def _title_key(title: str) -> str | None:
    t = re.sub(r"\([^)]*\)", " ", title).lower().replace("&", "and")
    t = re.sub(r"[^\w\s-]", " ", t)
    t = re.sub(r"\s+", " ", t).strip()
    return _TITLES.get(t)


def _heading(line: str) -> tuple[str, str, int | None, str] | None:
    """``(key, title, number, inline_rest)`` when the line is a section heading, else ``None``."""
    raw = line.strip()
    marked = raw.startswith("#")
    s = _clean(re.sub(r"^#{1,6}\s*", "", raw))
    number: int | None = None
    m = _NUMBERED.match(s)
    if m:
        number, s = int(m.group("num")), m.group("rest").strip()
    s_title = s.rstrip(":").strip()
    key = _title_key(s_title)
    if key:
        return key, s_title, number, ""
    # "7. Thematic Tags: a, b" — only for lines that are clearly headings (numbered or Markdown).
    if (number is not None or marked) and ":" in s:
        head, rest = s.split(":", 1)
        key = _title_key(head)
        if key:
            return key, head.strip(), number, rest.strip()
    return None


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences on ``.``/``!``/``?`` followed by a capital or digit (common abbreviations kept)."""
    protected = text
    for i, abbr in enumerate(_ABBREVIATIONS):
        protected = protected.replace(abbr, f"\x00{i}\x00")
    out: list[str] = []
    for part in _SENTENCE_END.split(protected.replace("\n", " ")):
        for i, abbr in enumerate(_ABBREVIATIONS):
            part = part.replace(f"\x00{i}\x00", abbr)
        part = part.strip()
        if part:
            out.append(part)
    return out


def _item(body: str, *, bullet: bool) -> GoldItem:
    body = _clean(body)
    m = _LABEL.match(body)
    label_like = m and len(m.group("label").split()) <= 8 and not re.search(r"[.!?]", m.group("label"))
    if m and label_like and not m.group("text").startswith("//"):  # "https://…" is no label
        return GoldItem(label=m.group("label").strip(), text=m.group("text").strip(), bullet=bullet)
    return GoldItem(text=body, bullet=bullet)


def _entity(text: str) -> GoldEntity:
    m = re.match(r"^(?P<name>.+?)(?:\s*[,:(]\s*|\s+[–—-]\s+)(?P<role>.+?)\)?$", text)
    if m:
        return GoldEntity(name=m.group("name").strip(), role=m.group("role").strip() or None)
    return GoldEntity(name=text.strip())


def _tags(section: GoldSection) -> list[str]:
    seen: dict[str, str] = {}
    for item in section.items:
        for tag in re.split(r"[,;|\n]", item.text if not item.label else f"{item.label}: {item.text}"):
            tag = tag.strip().strip("#").strip(" .")
            if tag and tag.lower() not in seen:
                seen[tag.lower()] = tag
    return list(seen.values())


def _ends_mid_sentence(section: _SectionBuilder) -> bool:
    if section.key not in PROSE_SECTIONS or not section.lines:
        return False
    last = section.lines[-1].rstrip()
    return not re.search(r"[.!?…:\"”’')\]]$", last)


class _SectionBuilder:
    def __init__(self, key: str, title: str, number: int | None) -> None:
        self.key, self.title, self.number = key, title, number
        self.lines: list[str] = []
        self.items: list[GoldItem] = []

    def add(self, line: str) -> None:
        b = _BULLET.match(line)
        if b:
            self.items.append(_item(b.group("body"), bullet=True))
        elif self.items and self.items[-1].bullet and (line[:1].isspace() or line.strip()[:1].islower()):
            # A wrapped bullet line continues the bullet.
            prev = self.items[-1]
            self.items[-1] = prev.model_copy(update={"text": f"{prev.text} {_clean(line)}".strip()})
        else:
            self.items.append(_item(line, bullet=False) if self.key != "bluf" else GoldItem(text=_clean(line)))
        self.lines.append(line.strip())

    def build(self, truncated: bool) -> GoldSection:
        items = [i for i in self.items if i.text]  # "- Scenario Outlook:" only introduces the bullets below it
        return GoldSection(
            key=self.key,
            title=self.title,
            number=self.number,
            text="\n".join(self.lines),
            items=items,
            truncated=truncated,
        )


# --------------------------------------------------------------------------- entry points


def parse_gold(text: str) -> GoldBrief:
    """Parse a gold brief (seed-000 layout, or close to it). Never raises on odd input: unknown lines are kept
    in the preamble (before the first heading) or in the section they appear in."""
    preamble: list[str] = []
    built: list[_SectionBuilder] = []
    current: _SectionBuilder | None = None
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not raw.strip():
            continue
        if _TRAILER.match(_clean(raw)):
            break
        head = _heading(raw)
        if head and not any(b.key == head[0] for b in built):
            key, heading, number, rest = head
            current = _SectionBuilder(key, heading, number)
            built.append(current)
            if rest:
                current.add(rest)
            continue
        if current is None:
            preamble.append(_clean(re.sub(r"^\s*#{1,6}\s*", "", raw)))
        else:
            current.add(raw.rstrip())
    sections: dict[str, GoldSection] = {}
    for n, b in enumerate(built):
        sections[b.key] = b.build(truncated=n == len(built) - 1 and _ends_mid_sentence(b))

    headline = preamble[0] if preamble else None
    title: str | None = None
    published: date | None = None
    for line in preamble:
        m = re.match(r"^(?:intelligence report|report|title)\s*:\s*(.+)$", line, re.IGNORECASE)
        if m and title is None:
            title = m.group(1).strip()
        m = re.match(r"^(?:published(?: on)?|date)\s*:\s*(.+)$", line, re.IGNORECASE)
        if m and published is None:
            published = parse_date(m.group(1))
    entities = [_entity(i.text) for i in sections["entities"].items] if "entities" in sections else []
    tags = _tags(sections["tags"]) if "tags" in sections else []
    return GoldBrief(
        headline=headline,
        title=title,
        published=published,
        preamble=preamble,
        sections=sections,
        entities=entities,
        tags=tags,
    )


def load_gold(path: Path) -> GoldBrief:
    """Read and parse a gold brief file (UTF-8, a BOM is accepted)."""
    return parse_gold(path.read_text(encoding="utf-8-sig"))


def canonical_title(key: str) -> str:
    """The template's title for a section key (``bluf`` -> ``BLUF (Bottom Line Up Front)``)."""
    return _CANONICAL_TITLES[key]
