"""Colour contrast as WCAG 2.x defines it: relative luminance and the contrast ratio of two sRGB colours.

Pure. A site's accent colour is the background of the hosted pages' buttons (white text) and the colour of
their links (on white): both need the AA ratio for normal text, 4.5:1.
"""

from __future__ import annotations

AA_NORMAL_TEXT = 4.5
WHITE = "#ffffff"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    """The relative luminance of ``#rrggbb`` (0 for black, 1 for white)."""
    digits = hex_colour.removeprefix("#")
    if len(digits) != 6:
        raise ValueError(f"not a #rrggbb colour: {hex_colour!r}")
    r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """(L1 + 0.05) / (L2 + 0.05) with L1 the lighter colour: from 1 (same) to 21 (black on white)."""
    high, low = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)
