"""Draws the companion's icons (three candlesticks on the terminal's dark window colour) as
PNG files beside this script, with nothing but zlib: `python resources/companion/make_icons.py`.

Edges are antialiased by 4x4 supersampling. The "maskable" icon fills its square and keeps the
candles inside the central safe zone, for launchers that cut their own shape.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
WINDOW = (0x1E, 0x21, 0x26)
UP = (0x26, 0xA6, 0x9A)
DOWN = (0xEF, 0x53, 0x50)
LINE = (0x3A, 0x3F, 0x47)
SAMPLES = 4
# (x centre, body top, body bottom, wick top, wick bottom, colour), y down, unit square
CANDLES = [
    (0.31, 0.50, 0.72, 0.40, 0.80, UP),
    (0.50, 0.36, 0.60, 0.28, 0.68, DOWN),
    (0.69, 0.22, 0.48, 0.15, 0.57, UP),
]
BODY_HALF = 0.06
WICK_HALF = 0.014
CORNER = 0.22


def _rounded(x: float, y: float) -> bool:
    """Inside the rounded square with corner radius CORNER."""
    cx = min(max(x, CORNER), 1 - CORNER)
    cy = min(max(y, CORNER), 1 - CORNER)
    return (x - cx) ** 2 + (y - cy) ** 2 <= CORNER**2


def _colour(x: float, y: float) -> tuple[int, int, int]:
    for centre, top, bottom, wtop, wbottom, colour in CANDLES:
        if abs(x - centre) <= BODY_HALF and top <= y <= bottom:
            return colour
        if abs(x - centre) <= WICK_HALF and wtop <= y <= wbottom:
            return colour
    if 0.84 <= y <= 0.855 and 0.18 <= x <= 0.82:
        return LINE
    return WINDOW


def draw(size: int, maskable: bool) -> bytes:
    scale = 0.78 if maskable else 1.0  # maskable: candles within the 80 % safe circle
    rows = []
    n = SAMPLES * SAMPLES
    for py in range(size):
        row = bytearray([0])  # filter: none
        for px in range(size):
            r = g = b = a = 0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (px + (sx + 0.5) / SAMPLES) / size
                    y = (py + (sy + 0.5) / SAMPLES) / size
                    if not maskable and not _rounded(x, y):
                        continue
                    cr, cg, cb = _colour(0.5 + (x - 0.5) / scale, 0.5 + (y - 0.5) / scale)
                    r, g, b, a = r + cr, g + cg, b + cb, a + 1
            if a:
                row += bytes((r // a, g // a, b // a, 255 * a // n))
            else:
                row += b"\0\0\0\0"
        rows.append(bytes(row))
    return png(size, size, b"".join(rows))


def png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main() -> None:
    for name, size, maskable in (("icon-180.png", 180, True), ("icon-192.png", 192, False),
                                 ("icon-512.png", 512, False),
                                 ("icon-maskable-512.png", 512, True)):
        (HERE / name).write_bytes(draw(size, maskable))
        print(name, (HERE / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
