"""A streaming safety pass over an XML activity file before its parser sees it.

defusedxml refuses any DTD (so no external entity can read a file or URL, and no entity
can expand into a "billion laughs"). The same pass counts track points against the limit
(bounded memory: elements are cleared as they end) and collects the few summary values a
format's parser does not expose (TCX lap timer totals and the recording device's name).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field


from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError as XmlSyntaxError, iterparse

from strideguard.imports.parse import Limits, ParseError

POINT_TAGS = frozenset({"trkpt", "rtept", "Trackpoint"})


@dataclass
class ActivityFacts:
    """One TCX ``<Activity>``: its sport and its laps' timer and distance totals."""

    sport: str
    lap_timer_s: list[float] = field(default_factory=list)
    lap_distance_m: list[float] = field(default_factory=list)
    creator: str | None = None


@dataclass
class XmlFacts:
    root: str = ""
    points: int = 0
    lap_timer_s: list[float] = field(default_factory=list)
    lap_distance_m: list[float] = field(default_factory=list)
    sports: list[str] = field(default_factory=list)
    creator: str | None = None
    activities: list[ActivityFacts] = field(default_factory=list)  # TCX, in document order


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def scan(data: bytes, limits: Limits) -> XmlFacts:
    """Check the document and collect :class:`XmlFacts`; raises ParseError when refused."""
    facts = XmlFacts()
    stack: list[str] = []
    try:
        for event, elem in iterparse(io.BytesIO(data), events=("start", "end"),
                                     forbid_dtd=True, forbid_entities=True, forbid_external=True):
            name = _local(elem.tag)
            if event == "start":
                if not stack:
                    facts.root = name
                if name == "Activity" and elem.get("Sport"):
                    facts.sports.append(elem.get("Sport"))
                if name == "Activity" and stack and stack[-1] == "Activities":
                    facts.activities.append(ActivityFacts(sport=elem.get("Sport") or ""))
                stack.append(name)
                continue
            stack.pop()
            parent = stack[-1] if stack else ""
            if name in POINT_TAGS:
                facts.points += 1
                if facts.points > limits.max_points:
                    raise ParseError(f"It has more than {limits.max_points:,} track points (the limit per file).")
            elif parent == "Lap" and name == "TotalTimeSeconds":
                facts.lap_timer_s.append(_number(elem.text) or 0.0)
                if facts.activities:
                    facts.activities[-1].lap_timer_s.append(facts.lap_timer_s[-1])
            elif parent == "Lap" and name == "DistanceMeters":
                facts.lap_distance_m.append(_number(elem.text) or 0.0)
                if facts.activities:
                    facts.activities[-1].lap_distance_m.append(facts.lap_distance_m[-1])
            elif name == "Name" and len(stack) >= 2 and stack[-1] == "Creator" and stack[-2] == "Activity":
                facts.creator = facts.creator or (elem.text or "").strip() or None
                if facts.activities:
                    facts.activities[-1].creator = facts.activities[-1].creator or (elem.text or "").strip() or None
            if len(stack) > 1:
                elem.clear()  # keep memory flat: the document is read, not kept
    except DefusedXmlException:
        raise ParseError(
            "It declares a DTD or entities (<!DOCTYPE>, <!ENTITY>): refused, because they can "
            "read files on the server or expand without end."
        ) from None
    except XmlSyntaxError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise ParseError(f"It is not well-formed XML (line {line}, column {column}): damaged or truncated?") from None
    return facts


def leading_space_off(data: bytes) -> bytes:
    """The document without blank space before its first tag (after a byte-order mark): some
    exporters write it, and an XML parser refuses it ("not well-formed, line 1, column 10")."""
    bom = b"\xef\xbb\xbf"
    body = data[len(bom):] if data.startswith(bom) else data
    stripped = body.lstrip(b" \t\r\n")
    return data if stripped is body else (bom if data.startswith(bom) else b"") + stripped
