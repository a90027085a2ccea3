"""Small PIL helpers for labelled image grids (no matplotlib).

Grids are assembled in numpy. Text is drawn by PIL once per distinct label into a small patch
(cached) and copied in: rendering a label costs about as much as the rest of a Grad-CAM
timeline cell, and the same layer names, class names and channel tags come back on every
request. The patches hold exactly the pixels PIL would have drawn in place.
"""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFont

TEXT_DARK = (30, 30, 30)
TEXT_LIGHT = (255, 255, 255)


#: fonts with Chinese glyphs, where Debian's ``fonts-noto-cjk`` and other systems put them
#: (PIL's built-in font has none and draws a box for every Chinese character); index 2 of the
#: collection is Simplified Chinese
CJK_FONTS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "NotoSansCJK-Regular.ttc",
)


@cache
def font(cjk: bool = False) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """PIL's built-in font, a little larger where FreeType is available (Pillow >= 10.1).

    With ``cjk``, the first of :data:`CJK_FONTS` that loads (the built-in font if none does).
    """
    if cjk:
        for path in CJK_FONTS:
            try:
                return ImageFont.truetype(path, 12, index=2 if "Noto" in path else 0)
            except OSError:
                continue
    try:
        return ImageFont.load_default(size=12)
    except (TypeError, OSError, ImportError):
        return ImageFont.load_default()


def font_for(text: str) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """The font that has glyphs for ``text``: the built-in one for plain ASCII, else a CJK font."""
    return font() if text.isascii() else font(cjk=True)


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
    f = font_for(text)
    shown = text
    tw = draw.textlength(shown, font=f)
    while shown and tw > w:
        shown = shown[:-2] + "…" if len(shown) > 2 else ""
        tw = draw.textlength(shown, font=f)
    left, top, right, bottom = f.getbbox("Ag0")
    draw.text((x + (w - tw) / 2, y + (h - (bottom - top)) / 2 - top), shown, fill=color, font=f)


def draw_tag(canvas: Image.Image, text: str, xy: tuple[int, int]) -> None:
    """A small light-on-dark tag at ``xy`` (top-left), readable on any colour map."""
    draw = ImageDraw.Draw(canvas)
    f = font_for(text)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=f)
    x, y = xy
    draw.rectangle((x, y, x + right - left + 4, y + bottom - top + 4), fill=(0, 0, 0))
    draw.text((x + 2 - left, y + 2 - top), text, fill=TEXT_LIGHT, font=f)


def blit(canvas: np.ndarray, patch: np.ndarray, xy: tuple[int, int], mask: np.ndarray | None = None) -> None:
    """Copy ``patch`` (h, w, 3) into ``canvas`` with its top-left at ``xy``, clipped to the canvas.

    Only the pixels where ``mask`` (h, w) is true are copied when a mask is given.
    """
    x, y = xy
    h, w = patch.shape[:2]
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, canvas.shape[1]), min(y + h, canvas.shape[0])
    if x0 >= x1 or y0 >= y1:
        return
    part = (slice(y0 - y, y1 - y), slice(x0 - x, x1 - x))
    if mask is None:
        canvas[y0:y1, x0:x1] = patch[part]
    else:
        np.copyto(canvas[y0:y1, x0:x1], patch[part], where=mask[part][..., None])


@lru_cache(maxsize=1024)
def _centered_ink(text: str, w: int, h: int, color: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray, int, int]:
    # draw_centered on white with room around the box, cropped to the pixels the text touched.
    # The text's offset in the box, (w - textlength) / 2, is exact in floating point (FreeType
    # advances are whole 1/64 px), so a box moved by whole pixels moves the glyphs by whole
    # pixels and they rasterise the same. 1024 entries: every ImageNet class name fits.
    m = 16
    patch = Image.new("RGB", (w + 2 * m, h + 2 * m), (255, 255, 255))
    draw_centered(patch, text, (m, m, w, h), color=color)
    rgb, (dx, dy) = _crop_to_ink(patch)
    ink = (rgb != 255).any(axis=2)
    ink.setflags(write=False)
    return rgb, ink, dx - m, dy - m


def _crop_to_ink(patch: Image.Image) -> tuple[np.ndarray, tuple[int, int]]:
    """The smallest part of a picture on white holding every non-white pixel (read-only), and its offset."""
    box = ImageChops.invert(patch).getbbox()
    if box is None:
        return np.zeros((0, 0, 3), np.uint8), (0, 0)
    out = np.array(patch.crop(box))
    out.setflags(write=False)
    return out, (box[0], box[1])


def put_centered(
    canvas: np.ndarray,
    text: str,
    box: tuple[int, int, int, int],
    *,
    color: tuple[int, int, int] = TEXT_DARK,
) -> None:
    """:func:`draw_centered` on a white area of a numpy canvas (the same pixels, rendered once per label)."""
    x, y, w, h = box
    rgb, ink, dx, dy = _centered_ink(text, w, h, color)
    blit(canvas, rgb, (x + dx, y + dy), ink)


@lru_cache(maxsize=4096)
def _tag_patch(text: str) -> np.ndarray:
    # draw_tag's black box is opaque and holds all of its text: the tag is the same patch anywhere
    left, top, right, bottom = font_for(text).getbbox(text)
    patch = Image.new("RGB", (int(right - left) + 16, int(bottom - top) + 16), (255, 255, 255))
    draw_tag(patch, text, (0, 0))
    return _crop_to_ink(patch)[0]


def put_tag(canvas: np.ndarray, text: str, xy: tuple[int, int]) -> None:
    """:func:`draw_tag` on a numpy canvas (the same pixels, rendered once per text)."""
    blit(canvas, _tag_patch(text), xy)
