"""Small PIL helpers for labelled image grids (no matplotlib)."""

from __future__ import annotations

from functools import cache

from PIL import Image, ImageDraw, ImageFont

TEXT_DARK = (30, 30, 30)
TEXT_LIGHT = (255, 255, 255)


@cache
def font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """PIL's built-in font, a little larger where FreeType is available (Pillow >= 10.1)."""
    try:
        return ImageFont.load_default(size=12)
    except (TypeError, OSError, ImportError):
        return ImageFont.load_default()


def label_height() -> int:
    """Height of one line of label text with a little air."""
    left, top, right, bottom = font().getbbox("Ag0")
    return int(bottom - top) + 8


def fit_size(hw: tuple[int, int], cell: int) -> tuple[int, int]:
    """(h, w) scaled so that the longer side is ``cell``, keeping the aspect ratio."""
    h, w = hw
    s = cell / max(h, w)
    return max(1, round(h * s)), max(1, round(w * s))


def draw_centered(
    canvas: Image.Image,
    text: str,
    box: tuple[int, int, int, int],
    *,
    color: tuple[int, int, int] = TEXT_DARK,
) -> None:
    """Draw ``text`` centred in ``box = (x, y, w, h)``, shortened with "…" to fit."""
    x, y, w, h = box
    draw = ImageDraw.Draw(canvas)
    f = font()
    shown = text
    while shown and draw.textlength(shown, font=f) > w:
        shown = shown[:-2] + "…" if len(shown) > 2 else ""
    tw = draw.textlength(shown, font=f)
    left, top, right, bottom = f.getbbox("Ag0")
    draw.text((x + (w - tw) / 2, y + (h - (bottom - top)) / 2 - top), shown, fill=color, font=f)


def draw_tag(canvas: Image.Image, text: str, xy: tuple[int, int]) -> None:
    """A small light-on-dark tag at ``xy`` (top-left), readable on any colour map."""
    draw = ImageDraw.Draw(canvas)
    f = font()
    left, top, right, bottom = draw.textbbox((0, 0), text, font=f)
    x, y = xy
    draw.rectangle((x, y, x + right - left + 4, y + bottom - top + 4), fill=(0, 0, 0))
    draw.text((x + 2 - left, y + 2 - top), text, fill=TEXT_LIGHT, font=f)
