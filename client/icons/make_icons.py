"""Draw the StrideGuard app icons as PNG files with only the standard library.

Run from anywhere: ``python client/icons/make_icons.py``. It writes icon-192.png,
icon-512.png and icon-maskable-512.png next to this script. The drawing is a white
knee-cap ring with a check mark on the brand green; the maskable icon keeps the
drawing inside the central 80% safe zone so launchers may crop it to any shape.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

BRAND = (21, 101, 72)  # #156548, same as theme_color in the manifest
WHITE = (255, 255, 255)


def _png(size: int, pixels: list[bytearray]) -> bytes:
    """Encode rows of RGB bytes as a PNG file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(row) for row in pixels)
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def _segment_distance(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    """Distance from point p to the segment a-b."""
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def draw(size: int, scale: float) -> bytes:
    """Draw the icon at ``size`` pixels; ``scale`` shrinks the drawing (1.0 = full)."""
    c = size / 2
    ring_r, ring_w = 0.30 * size * scale, 0.07 * size * scale
    stroke = 0.06 * size * scale
    tick = [(-0.13, 0.0), (-0.03, 0.10), (0.15, -0.10)]
    pts = [(c + x * size * scale, c + y * size * scale) for x, y in tick]
    rows: list[bytearray] = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            px, py = x + 0.5, y + 0.5
            on_ring = abs(math.hypot(px - c, py - c) - ring_r) <= ring_w / 2
            on_tick = min(
                _segment_distance(px, py, *pts[0], *pts[1]),
                _segment_distance(px, py, *pts[1], *pts[2]),
            ) <= stroke / 2
            row.extend(WHITE if on_ring or on_tick else BRAND)
        rows.append(row)
    return _png(size, rows)


def main() -> None:
    """Write the three icons the manifest lists."""
    here = Path(__file__).resolve().parent
    (here / "icon-192.png").write_bytes(draw(192, 1.0))
    (here / "icon-512.png").write_bytes(draw(512, 1.0))
    (here / "icon-maskable-512.png").write_bytes(draw(512, 0.75))


if __name__ == "__main__":
    main()
