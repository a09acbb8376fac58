"""The offset contract between code points (what this project stores) and UTF-16 code units
(what browsers, and the tools built on them, count). Pure: no Django."""

from __future__ import annotations

import bisect
import re

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def utf16_length(text: str) -> int:
    """The length of `text` in UTF-16 code units."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


class Utf16Offsets:
    """Offsets into one text, converted both ways. Characters beyond U+FFFF take two UTF-16
    units; an offset between those two points at no character."""

    def __init__(self, text: str) -> None:
        # The code point index of each character beyond U+FFFF, in order.
        self.astral: list[int] = []
        if not text.isascii():
            self.astral = [found.start() for found in _ASTRAL.finditer(text)]
        # The UTF-16 offset of each of them.
        self.astral_units = [index + n for n, index in enumerate(self.astral)]
        self.code_points = len(text)
        self.length = len(text) + len(self.astral)

    def code_point(self, offset: int) -> int | None:
        """The code point offset at UTF-16 `offset`; None outside the text or inside a pair."""
        if offset < 0 or offset > self.length:
            return None
        before = bisect.bisect_left(self.astral_units, offset)  # astral characters starting before it
        if before and self.astral_units[before - 1] == offset - 1:
            return None
        return offset - before

    def utf16(self, offset: int) -> int:
        """The UTF-16 offset of code point `offset` (0 to the text's length)."""
        if not 0 <= offset <= self.code_points:
            raise ValueError(f"offset {offset} lies outside the text ({self.code_points} code points)")
        return offset + bisect.bisect_left(self.astral, offset)
