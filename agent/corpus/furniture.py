"""Page furniture and photo captions: text on a news page that is not a statement of the story.

Scraped pages carry links to other stories ("Also Read | ..."), prompts ("Click here", "Watch:"), bylines and
stamps ("Updated: ..."), and captions of pictures that may show an older, different event ("FILE - ...", "(AP
Photo/...)", "Image for illustration purposes"). None of them is evidence of the story; a headline's figure or a
caption's date read as a fact is how a brief gets an event wrong.
"""

from __future__ import annotations

import re

_FURNITURE = re.compile(
    r"^\s*(?:also\s+read|read\s+(?:more|also|next)|recommended|trending(?:\s+now)?|related(?:\s+stories)?|watch|listen"
    r"|see\s+also|more\s+on\s+this|don'?t\s+miss|must\s+read|top\s+stories|latest\s+news|advertisement|sponsored"
    r"|story\s+continues(?:\s+below)?|scroll\s+(?:down\s+)?to\s+continue|updated|published(?:\s+on)?|last\s+updated"
    r"|first\s+published)\s*[|:–—-]",
    re.IGNORECASE,
)
_CAPTION = re.compile(
    r"^\s*(?:file(?:\s+photo)?\s*[-–—:]|\(?(?:file\s+)?photo\s*[:/]|\(?image\s*[:/]|\(?picture\s*[:/]|caption\s*:)"
    r"|\((?:AP|AFP|Reuters|EPA|Getty|Xinhua|ANI|PTI)\s+Photo\b|\bGetty\s+Images\b|\b(?:Photo|Image)\s+(?:credit|courtesy)\b"
    r"|\bfor\s+illustration\s+purposes?\b|\bfile\s+(?:photo|image|picture)\b",
    re.IGNORECASE,
)


def is_furniture(text: str) -> bool:
    """A link to another story, a page prompt or stamp, or a photo caption: not a statement of the story."""
    return bool(_FURNITURE.search(text) or _CAPTION.search(text))
