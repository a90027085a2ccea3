"""Colour maps, Grad-CAM overlays and the Grad-CAM timeline across depth.

Colour maps are 256-entry lookup tables interpolated from plotly's own sequential scales, so
the images match the colour bars of the plotly figures and nothing needs matplotlib. The
overlay is the usual Grad-CAM presentation of Selvaraju et al. (https://arxiv.org/abs/1610.02391,
Fig. 1): the rectified, max-normalised map blended over the input image.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import plotly.colors as pcolors
import plotly.graph_objects as go
from PIL import Image

from ._draw import TEXT_DARK, fit_size, label_height, put_centered
from ._format import FONT, TEMPLATE
from .locales import section

if TYPE_CHECKING:  # viz reads the dataclasses; importing resnet_core would import torch
    from resnet_core.results import CamTimeline

#: the colour maps every image function accepts
COLORMAPS: tuple[str, ...] = ("viridis", "inferno", "turbo", "jet", "gray")


def _from_plotly(scale: list[str]) -> np.ndarray:
    """Linear interpolation of a plotly sequential scale (hex or rgb strings) to 256 entries."""
    # a copy: plotly converts the list it is given in place, and that list is its named scale
    colors, _ = pcolors.convert_colors_to_same_type(list(scale), colortype="tuple")
    stops = np.asarray(colors, dtype=np.float64)  # (K, 3) in [0, 1]
    where = np.linspace(0.0, 1.0, len(stops))
    t = np.linspace(0.0, 1.0, 256)
    return np.stack([np.interp(t, where, stops[:, c]) for c in range(3)], axis=1)


def _jet() -> np.ndarray:
    # MATLAB's jet: three offset triangles, clipped (plotly has only a coarse 6-stop "Jet").
    t = np.linspace(0.0, 1.0, 256)[:, None]
    centers = np.array([0.75, 0.5, 0.25])[None, :]  # red, green, blue peaks
    return np.clip(1.5 - np.abs(4.0 * (t - centers)), 0.0, 1.0)


def _gray() -> np.ndarray:
    return np.repeat(np.linspace(0.0, 1.0, 256)[:, None], 3, axis=1)


_BUILDERS: dict[str, Callable[[], np.ndarray]] = {
    "viridis": lambda: _from_plotly(pcolors.sequential.Viridis),
    "inferno": lambda: _from_plotly(pcolors.sequential.Inferno),
    "turbo": lambda: _from_plotly(pcolors.sequential.Turbo),
    "jet": _jet,
    "gray": _gray,
}


def check_cmap(name: str) -> str:
    """Return ``name`` if it is a known colour map, else raise ValueError naming the choices."""
    if name not in _BUILDERS:
        raise ValueError(f"unknown colour map {name!r}; choose one of {', '.join(COLORMAPS)}")
    return name


@cache
def colormap_lut(name: str) -> np.ndarray:
    """The (256, 3) uint8 lookup table of a colour map (read-only)."""
    lut = np.round(_BUILDERS[check_cmap(name)]() * 255.0).astype(np.uint8)
    lut.setflags(write=False)
    return lut


def colormap(values: np.ndarray, name: str = "viridis") -> np.ndarray:
    """Colour an array of values in [0, 1].

    Args:
        values: (H, W) floats in [0, 1] (any shape works; values outside are clipped, NaN is 0).
        name: one of :data:`COLORMAPS`.

    Returns:
        ``values.shape + (3,)`` uint8 RGB.

    Raises:
        ValueError: unknown colour map.
    """
    lut = colormap_lut(name)
    v = np.asarray(values, dtype=np.float32)
    # fmax/fmin ignore NaN, so this is clip(nan_to_num(v, nan=0, posinf=1, neginf=0), 0, 1)
    # in one buffer; the index fits uint8, and take() gathers rows faster than lut[idx]
    idx = np.fmax(v, 0.0, out=np.empty_like(v))
    np.fmin(idx, 1.0, out=idx)
    idx *= 255.0
    np.rint(idx, out=idx)
    return np.take(lut, idx.astype(np.uint8), axis=0)


def _check_image(image: np.ndarray) -> np.ndarray:
    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f"image must be (H, W, 3) uint8, got {img.shape} {img.dtype}")
    return img


def resize_map(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a float map to ``size = (H, W)`` (PIL, float32 mode)."""
    h, w = size
    v = np.asarray(values, dtype=np.float32)
    if v.shape == (h, w):
        return v
    return np.asarray(Image.fromarray(v).resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32)


def cam_overlay(
    image: np.ndarray,
    heatmap: np.ndarray,
    *,
    alpha: float = 0.5,
    cmap: str = "jet",
) -> np.ndarray:
    """Blend a coloured heat map over an image.

    Args:
        image: (H, W, 3) uint8 (a grey (H, W) image is accepted too).
        heatmap: (h, w) floats in [0, 1]; resized bilinearly to (H, W) when the sizes differ.
        alpha: weight of the heat map: 0 gives the image, 1 the coloured map alone.
        cmap: one of :data:`COLORMAPS`.

    Returns:
        (H, W, 3) uint8.

    Raises:
        ValueError: bad image, heat map, alpha or colour map.
    """
    img = _check_image(image)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    hm = np.asarray(heatmap)
    if hm.ndim != 2:
        raise ValueError(f"heatmap must be 2-D, got shape {hm.shape}")
    colored = colormap(resize_map(hm, img.shape[:2]), check_cmap(cmap)).astype(np.float32)
    out = (1.0 - alpha) * img.astype(np.float32) + alpha * colored
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def cam_timeline_image(
    tl: CamTimeline,
    *,
    alpha: float = 0.5,
    cmap: str = "jet",
    cell: int = 160,
    lang: str = "en",
) -> np.ndarray:
    """Grad-CAM of every target at every depth, as one picture ("which layer should I pick?").

    Columns are the layers, input side first (stem, layer1, ...), each headed by its name;
    rows are the targets, each headed by the class name. Early layers give sharp but noisy
    maps, layer4 coarse but class-specific ones: the trade-off the Grad-CAM paper discusses
    when it picks the last convolutional layer.

    Args:
        tl: the timeline from the inspection engine.
        alpha: heat map weight, as in :func:`cam_overlay`.
        cmap: one of :data:`COLORMAPS`.
        cell: the longer side of each cell in pixels (16..1024).
        lang: "en" or "zh" for the stem's column header (PyTorch's layer names stay as they are).

    Returns:
        (H, W, 3) uint8: ``len(tl.layers)`` columns and ``len(tl.targets)`` rows of cells.
    """
    check_cmap(cmap)
    t = section("cam", lang)
    if not 16 <= cell <= 1024:
        raise ValueError(f"cell must be between 16 and 1024 pixels, got {cell}")
    image = _check_image(tl.image)
    n_rows, n_cols = len(tl.targets), len(tl.layers)
    if n_rows == 0 or n_cols == 0:
        raise ValueError("the timeline has no targets or no layers")
    ch, cw = fit_size(image.shape[:2], cell)
    pad, lab = 4, label_height()
    width = n_cols * cw + (n_cols + 1) * pad
    height = lab + n_rows * (lab + ch + pad) + pad
    canvas = np.full((height, width, 3), 255, np.uint8)
    for j, layer in enumerate(tl.layers):
        put_centered(canvas, t["stem"] if layer == "stem" else layer, (pad + j * (cw + pad), 0, cw, lab))
    for i, label in enumerate(tl.labels):
        top = lab + i * (lab + ch + pad)
        put_centered(canvas, f"{label} ({tl.targets[i]})", (pad, top, width - 2 * pad, lab), color=TEXT_DARK)
        for j in range(n_cols):
            m = tl.maps[j][i]
            over = cam_overlay(image, m.heatmap, alpha=alpha, cmap=cmap)
            tile = Image.fromarray(over).resize((cw, ch), Image.Resampling.BILINEAR)
            x, y = pad + j * (cw + pad), top + lab
            canvas[y : y + ch, x : x + cw] = np.asarray(tile)
    return canvas


def cam_timeline_figure(
    tl: CamTimeline,
    *,
    alpha: float = 0.5,
    cmap: str = "jet",
    cell: int = 160,
    lang: str = "en",
) -> go.Figure:
    """:func:`cam_timeline_image` in a plotly figure (the image travels as one PNG), titled in ``lang``."""
    title = section("cam", lang)["timeline_title"]
    img = cam_timeline_image(tl, alpha=alpha, cmap=cmap, cell=cell, lang=lang)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", optimize=True)
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    fig = go.Figure(go.Image(source=uri, hoverinfo="skip"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(
        template=TEMPLATE, font=FONT, title=title,
        margin={"l": 10, "r": 10, "t": 40, "b": 10}, height=img.shape[0] + 60,
    )
    return fig
