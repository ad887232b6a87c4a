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


# The publisher speaking of itself: "Combine business intelligence and editorial excellence to reach engaged
# professionals across 36 leading media platforms", "Our technology mapped events outlined in 56 news articles".
_PROMOTION = re.compile(
    r"\b(?:subscribe\s+(?:to|now|for)|sign\s+up\s+(?:for|to|now)|advertise\s+with\s+us|contact\s+us\b|follow\s+us\s+on"
    r"|download\s+(?:the|our)\s+app|reach\s+(?:engaged|new|key)\s+(?:professionals|audiences|readers|decision)"
    r"|(?:leading|our)\s+media\s+platforms|our\s+(?:technology|platform|newsletter|journalists\s+mapped)"
    r"|editorial\s+excellence)",
    re.IGNORECASE,
)


def is_furniture(text: str) -> bool:
    """A link to another story, a page prompt or stamp, a photo caption, or the publisher promoting itself: not a
    statement of the story."""
    return bool(_FURNITURE.search(text) or _CAPTION.search(text) or _PROMOTION.search(text))
