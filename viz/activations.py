"""What each stage makes of the image: channel mosaics and statistics across depth."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from ._draw import fit_size, put_tag
from ._format import FONT, figure, format_shape, stage_color
from .cam import check_cmap, colormap
from .locales import section

if TYPE_CHECKING:  # viz reads the dataclasses; importing resnet_core would import torch
    from resnet_core.results import Activation

#: how the channels of one mosaic are coloured
SCALES: tuple[str, ...] = ("per-channel", "shared")


def activation_grid(
    act: Activation,
    *,
    scale: str = "per-channel",
    cmap: str = "viridis",
    columns: int = 4,
    cell: int = 96,
) -> np.ndarray:
    """The shown channels of one activation as a labelled mosaic.

    Args:
        act: one stem, stage or block output from the inspection engine.
        scale: "per-channel" stretches every channel to the full colour range (shows the
            pattern of each); "shared" puts all channels on one scale from
            ``act.values()`` (shows which channels are strong).
        cmap: one of :data:`viz.cam.COLORMAPS`.
        columns: cells per row (1..64).
        cell: the longer side of each cell in pixels (8..1024); maps are enlarged with
            nearest-neighbour sampling so that a 7x7 map shows its 49 positions.

    Returns:
        (H, W, 3) uint8, each cell tagged with its channel index.

    Raises:
        ValueError: unknown scale or colour map, bad sizes, or no channels to show.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    check_cmap(cmap)
    if not 1 <= columns <= 64:
        raise ValueError(f"columns must be between 1 and 64, got {columns}")
    if not 8 <= cell <= 1024:
        raise ValueError(f"cell must be between 8 and 1024 pixels, got {cell}")
    maps = np.asarray(act.maps)
    if maps.ndim != 3 or maps.shape[0] == 0:
        raise ValueError(f"{act.name}: no channel maps to show (maps shape {maps.shape})")
    if scale == "per-channel":
        unit = maps.astype(np.float32) / 255.0
    else:
        values = act.values()
        lo, hi = float(values.min()), float(values.max())
        unit = (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)
    colored = colormap(unit, cmap)  # (N, h, w, 3)

    n = maps.shape[0]
    cols = min(columns, n)
    rows = -(-n // cols)
    h, w = maps.shape[1:]
    ch, cw = fit_size((h, w), cell)
    tiles = np.take(colored.reshape(n, h * w, 3), _nearest_index(h, w, ch, cw), axis=1)  # (N, ch, cw, 3)
    pad = 2
    canvas = np.full((rows * ch + (rows + 1) * pad, cols * cw + (cols + 1) * pad, 3), 255, np.uint8)
    for k in range(n):
        r, c = divmod(k, cols)
        x, y = pad + c * (cw + pad), pad + r * (ch + pad)
        canvas[y : y + ch, x : x + cw] = tiles[k]
        label = act.channels[k] if k < len(act.channels) else k
        put_tag(canvas, f"#{label}", (x + 1, y + 1))  # a tag wider than its cell goes under the next
    return canvas


@lru_cache(maxsize=64)
def _nearest_index(h: int, w: int, ch: int, cw: int) -> np.ndarray:
    """(ch, cw) flat indices into an (h, w) map: which pixel PIL's nearest-neighbour resize picks."""
    where = Image.fromarray(np.arange(h * w, dtype=np.int32).reshape(h, w))  # mode "I"
    index = np.asarray(where.resize((cw, ch), Image.Resampling.NEAREST), dtype=np.intp)
    index.setflags(write=False)
    return index


def per_block(acts: Sequence[Activation]) -> list[Activation]:
    """The stem and every block in network order, without stage outputs that repeat a block.

    A stage's output *is* its last block's output; listed before its blocks (the engine's
    order), it drew a false spike and drop at every stage. A stage is kept only when none of
    its blocks is given.
    """
    blocks_of = {a.name.split(".")[0] for a in acts if a.kind == "block"}
    return [a for a in acts if not (a.kind == "stage" and a.name in blocks_of)]


def _stage_of(a: Activation) -> str:
    return "stem" if a.kind == "stem" else a.name.split(".")[0]


def _stage_bands(acts: Sequence[Activation]) -> tuple[list[dict], list[dict]]:
    """One shaded band per stage over both subplots, named at its foot, so stages read apart."""
    shapes, annotations = [], []
    start = 0
    for i in range(1, len(acts) + 1):
        if i < len(acts) and _stage_of(acts[i]) == _stage_of(acts[start]):
            continue
        stage = _stage_of(acts[start])
        if stage != "stem":
            shapes.append({"type": "rect", "xref": "x2", "yref": "paper", "x0": start - 0.5, "x1": i - 0.5,
                           "y0": 0, "y1": 1, "layer": "below", "line": {"width": 0},
                           "fillcolor": stage_color(stage), "opacity": 0.08})
            annotations.append({"text": stage, "xref": "x2", "yref": "paper", "x": (start + i - 1) / 2, "y": 0.0,
                                "yanchor": "bottom", "showarrow": False,
                                "font": {"size": 11, "color": stage_color(stage)}})
        start = i
    return shapes, annotations


def stats_verdict(acts: Sequence[Activation], *, lang: str = "en") -> str:
    """What :func:`stats_figure` shows, in one sentence computed from the blocks' statistics.

    Raises:
        ValueError: no block among ``acts``.
    """
    t = section("activations", lang)
    blocks = [a for a in per_block(acts) if a.kind == "block"]
    if not blocks:
        raise ValueError("no block statistics to describe")
    peak = max(blocks, key=lambda a: a.mean)
    zeros = [a.zero_fraction for a in blocks]
    text = t["verdict"].format(
        n=len(blocks), first=blocks[0].mean, first_name=blocks[0].name, last=blocks[-1].mean,
        last_name=blocks[-1].name, peak=peak.mean, peak_name=peak.name,
    )
    # pre-activation blocks end in the addition: their outputs are signed, not rectified
    tail = "verdict_zeros" if max(zeros) >= 0.01 else "verdict_no_zeros"
    return text + t[tail].format(zlo=min(zeros), zhi=max(zeros))


def stats_figure(acts: Sequence[Activation], *, lang: str = "en") -> go.Figure:
    """Mean activation and fraction of exact zeros, block by block across depth.

    Args:
        acts: activations in network order (the engine's: stem, then each stage followed by
            its blocks); stage outputs that repeat their last block are left out
            (:func:`per_block`), and each stage is a shaded, named band instead.
        lang: "en" or "zh" for titles and hover text.

    Returns:
        Two stacked subplots sharing the x axis (module names in network order).
    """
    t = section("activations", lang)
    acts = per_block(acts)
    # "stem" is the engine's name for the max-pool's output, not PyTorch's: shown in ``lang``
    names = [t["kind_stem"] if a.kind == "stem" else a.name for a in acts]
    hover = [
        f"<b>{n}</b> ({t.get('kind_' + a.kind, a.kind)})<br>{format_shape(a.shape)}<br>"
        + t["hover"].format(mean=a.mean, std=a.std, max=a.max, zeros=a.zero_fraction)
        for n, a in zip(names, acts)
    ]
    colors = [stage_color(_stage_of(a)) for a in acts]
    # the layout make_subplots(rows=2, shared_xaxes=True, vertical_spacing=0.08, subplot_titles=...)
    # builds, written out once (a test holds it to make_subplots'): only the traces vary per call
    top, bottom = (0.54, 1.0), (0.0, 0.46)
    title = {"font": {"size": 16}, "showarrow": False, "x": 0.5, "xanchor": "center", "xref": "paper",
             "yanchor": "bottom", "yref": "paper"}
    shapes, bands = _stage_bands(acts)
    layout = {
        "xaxis": {"anchor": "y", "domain": [0.0, 1.0], "matches": "x2", "showticklabels": False},
        "yaxis": {"anchor": "x", "domain": list(top)},
        "xaxis2": {"anchor": "y2", "domain": [0.0, 1.0], "type": "category", "tickangle": -45},
        "yaxis2": {"anchor": "x2", "domain": list(bottom), "tickformat": ".0%", "range": [0, 1]},
        "annotations": [
            {**title, "text": t["mean_title"], "y": top[1]},
            {**title, "text": t["zeros_title"], "y": bottom[1]},
            *bands,
        ],
        "font": FONT, "showlegend": False, "height": 440, "margin": {"l": 50, "r": 20, "t": 60, "b": 80},
    }
    if shapes:  # an empty list does not survive plotly's validation unchanged
        layout["shapes"] = shapes
    lines = [
        {"type": "scatter", "x": names, "y": [float(a.mean) for a in acts], "mode": "lines+markers",
         "line": {"color": "#1f77b4", "width": 2}, "marker": {"color": colors, "size": 7}, "name": t["mean"],
         "hovertext": hover, "hoverinfo": "text", "xaxis": "x", "yaxis": "y"},
        {"type": "scatter", "x": names, "y": [float(a.zero_fraction) for a in acts], "mode": "lines+markers",
         "line": {"color": "#d62728", "width": 2}, "marker": {"color": colors, "size": 7}, "name": t["zeros"],
         "hovertext": hover, "hoverinfo": "text", "xaxis": "x2", "yaxis": "y2"},
    ]
    return figure(lines, layout)
