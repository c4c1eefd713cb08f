"""Names people show each other, cleaned of what would disguise or break them. PURE.

A display name reaches the other side of a care link (the therapist's dashboard, the runner's
"who has access" list). Control characters forge lines and terminal escapes; bidirectional
controls (U+202E RIGHT-TO-LEFT OVERRIDE and friends) make "Dana" read as something else.
"""

from __future__ import annotations

import re
import unicodedata

#: Bidirectional formatting controls (Unicode's Bidi_Control property).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Format characters that writing systems and emoji need: zero-width (non-)joiner.
KEPT_FORMAT = frozenset("\u200c\u200d")
_SPACES = re.compile(r"\s+")


def _is_tag(char: str) -> bool:
    return "\U000e0020" <= char <= "\U000e007f"  # emoji subdivision flags (Scotland, Wales)


def clean_display_name(value: str) -> str:
    """``value`` without control, bidi, invisible-format, private-use or surrogate characters;
    line breaks and tabs become spaces, runs of spaces one space, ends trimmed."""
    kept = []
    for char in value:
        category = unicodedata.category(char)
        if category in ("Zl", "Zp") or char in "\t\n\r\v\f\x1c\x1d\x1e\x1f\x85":
            kept.append(" ")
        elif char in BIDI_CONTROLS or category in ("Cc", "Co", "Cs"):
            continue
        elif category == "Cf" and char not in KEPT_FORMAT and not _is_tag(char):
            continue
        else:
            kept.append(char)
    return _SPACES.sub(" ", "".join(kept)).strip()
