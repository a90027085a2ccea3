"""Figures for receptive fields (theoretical and effective) and feature visualization.

Pure functions of :mod:`resnet_core.receptive`, :mod:`resnet_core.erf` and
:mod:`resnet_core.featureviz` records: a Markdown table with the arithmetic, uint8 pictures
(boxes on the picture, optimised channels beside their dataset examples), a plotly figure of the
effective fields, and verdicts computed from the records' own numbers, in English and Chinese.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.subplots import make_subplots

from ._draw import put_tag
from ._format import TEMPLATE, stage_color
from .cam import cam_overlay
from .locales import section

if TYPE_CHECKING:  # viz reads the dataclasses; importing resnet_core would import torch
    from resnet_core.erf import ErfMap, ErfResult
    from resnet_core.featureviz import FeatureVizProgress, FeatureVizResult
    from resnet_core.receptive import Field, FieldResult

TILE = 96



# ------------------------------------------------------------------------------ theoretical


def _steps_text(field: Field, t: dict[str, str]) -> str:
    """The steps that move the field (kernels above 1 or strides above 1), the shortcut's marked."""
    moving = [s for s in field.steps if s.kernel > 1 or s.stride > 1]
    mark = " " + t["shortcut_mark"]
    # code spans: module names and the recurrence are code, the same in every language
    return "; ".join(f"`{s.name.rsplit('.', 1)[-1]}`{mark if s.path == 'shortcut' else ''}: `{s.formula()}`" for s in moving)


def field_table_markdown(result: FieldResult, *, lang: str = "en") -> str:
    """The field of every stage and block with its arithmetic, headed by a sentence on the chosen layer."""
    t = section("receptive", lang)
    fields = result.fields
    h, w = fields.input_size
    chosen = fields.field(result.layer)
    top, left, bottom, right = dict(result.boxes)[result.layer]
    share = (bottom - top + 1) * (right - left + 1) / (h * w)
    lines = [t["summary"].format(name=fields.model_name, h=h, w=w, layer=result.layer, r=chosen.size, j=chosen.jump,
                                 share=share), ""]
    headers = t["headers"].split("|")
    lines += ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for f in fields.fields:
        name = t["stem"] if f.kind == "stem" else f.name
        name = f"**{name}**" if f.kind != "block" else name
        paths = f"{f.main} / {f.shortcut}" if f.shortcut is not None else str(f.main)
        lines.append(f"| {name} | {f.size} | {f.jump} | {f.out_hw[0]}×{f.out_hw[1]} | {paths} | {_steps_text(f, t)} |")
    return "\n".join(lines)


def variant_sentence(result: FieldResult, *, lang: str = "en") -> str:
    """Where this variant and the other differ (computed from both tables)."""
    t = section("receptive", lang)
    fields, other = result.fields, result.other
    last = fields.stages[-1].name
    if other is None:
        return ""
    this, that = fields.variant, result.other_variant
    if fields.block_type == "basic":
        return t["same_variant"].format(this=this, other=that, layer=last, r=fields.theoretical[last])
    ours = fields.theoretical
    if ours == other:
        return t["no_differ"].format(this=this, other=that, layer=last, r=ours[last])
    v1, v15 = (ours, other) if this == "v1" else (other, ours)
    return t["differ"].format(v1="v1", v15=this if this != "v1" else that, layer=last, r1=v1[last], r15=v15[last])


def _rect(canvas: np.ndarray, box: tuple[int, int, int, int], color: tuple[int, int, int], width: int = 2) -> None:
    top, left, bottom, right = box
    canvas[top : top + width, left : right + 1] = color
    canvas[max(top, bottom - width + 1) : bottom + 1, left : right + 1] = color
    canvas[top : bottom + 1, left : left + width] = color
    canvas[top : bottom + 1, max(left, right - width + 1) : right + 1] = color


def _rgb(hex_color: str) -> tuple[int, int, int]:
    return tuple(int(hex_color[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def field_picture(result: FieldResult, picture: np.ndarray | None = None) -> np.ndarray:
    """The boxes of every stage around one input point, on the picture resized to the input size (grey without one).

    Returns:
        (H, W, 3) uint8 at the network's input size (at least 224 px on the longer side for legibility).
    """
    h, w = result.fields.input_size
    if picture is None:
        canvas = np.full((h, w, 3), 235, np.uint8)
        canvas[::16, :] = 215
        canvas[:, ::16] = 215
    else:
        canvas = np.asarray(Image.fromarray(np.asarray(picture, np.uint8)).convert("RGB").resize((w, h), Image.Resampling.BILINEAR)).copy()
    zoom = max(1, -(-224 // max(h, w)))
    if zoom > 1:
        canvas = canvas.repeat(zoom, 0).repeat(zoom, 1)
    for name, (top, left, bottom, right) in result.boxes:
        stage = name.split(".")[0]
        box = (top * zoom, left * zoom, (bottom + 1) * zoom - 1, (right + 1) * zoom - 1)
        _rect(canvas, box, _rgb(stage_color(stage)), 3 if "." in name else 2)
    used: dict[tuple[int, int], int] = {}
    for name, (top, left, _, _) in result.boxes:
        size = result.fields.theoretical[name]
        corner = (left * zoom + 3, top * zoom + 3)
        below = used.get(corner, 0)  # boxes clipped to the same corner stack their tags
        used[corner] = below + 1
        put_tag(canvas, f"{name} {size}px", (corner[0], corner[1] + 18 * below))
    return canvas


# ------------------------------------------------------------------------------ effective


def _source(m: ErfMap, t: dict[str, str]) -> str:
    return t["picture"] if m.source == "picture" else t["noise"].format(n=m.images)


def erf_figure(result: ErfResult, *, lang: str = "en") -> go.Figure:
    """One heat map per effective field, inside its theoretical box, with the 95 % square outlined."""
    t = section("receptive", lang)
    titles = [t["erf_title"].format(weights=t[m.weights], source=_source(m, t), side=2 * m.radius + 1, r=m.theoretical,
                                    fraction=m.fraction) for m in result.maps]
    fig = make_subplots(rows=1, cols=len(result.maps), subplot_titles=titles, horizontal_spacing=0.06)
    for i, m in enumerate(result.maps, start=1):
        top, left, bottom, right = m.box
        crop = m.grad[top : bottom + 1, left : right + 1]
        crop = crop / crop.max() if crop.max() > 0 else crop
        fig.add_trace(go.Heatmap(z=crop, x0=left, y0=top, colorscale="Viridis", showscale=False,
                                 hovertemplate="(%{x}, %{y}): %{z:.3f}<extra></extra>"), row=1, col=i)
        cy, cx = m.centre
        fig.add_shape(type="rect", x0=cx - m.radius - 0.5, x1=cx + m.radius + 0.5, y0=cy - m.radius - 0.5,
                      y1=cy + m.radius + 0.5, line={"color": "white", "width": 2, "dash": "dash"}, row=1, col=i)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{i if i > 1 else ''}", row=1, col=i)
    fig.update_layout(template=TEMPLATE, height=360, margin={"l": 30, "r": 10, "t": 50, "b": 30}, font={"size": 11})
    fig.update_annotations(font_size=11)
    return fig


def erf_overlay(result: ErfResult) -> np.ndarray | None:
    """The picture's effective field over the picture, its theoretical box outlined; None without a picture."""
    m = result.get(result.maps[0].weights, "picture") if result.picture is not None else None
    if m is None:
        return None
    heat = np.sqrt(m.grad / m.grad.max()) if m.grad.max() > 0 else m.grad  # a square root shows the tails
    out = cam_overlay(result.picture, heat, alpha=0.55, cmap="inferno")
    _rect(out, m.box, (255, 255, 255), 1)
    return out


def erf_verdict(result: ErfResult, *, lang: str = "en") -> str:
    """What the effective fields say, from their own numbers (Luo et al. 2016, https://arxiv.org/abs/1701.04128)."""
    t = section("receptive", lang)
    noise = [m for m in result.maps if m.source == "noise"]
    main = noise[0]
    sides = ", ".join(f"{m.fraction:.0%} ({t[m.weights]})" for m in noise)
    h, w = result.input_size
    v = result.verdict
    parts = [t["erf_head"].format(layer=result.layer, name=result.model_name, h=h, w=w, sides=sides, r=main.theoretical)]
    parts.append(t["erf_small" if v.small else "erf_large"].format(area=main.area))
    k = "/".join(f"{x:+.2f}" for x in main.kurtosis)
    parts.append(t["erf_gauss" if v.gaussian else "erf_not_gauss"].format(k=k))
    if v.grew is None:
        parts.append(t["erf_no_trained"].format(name=result.model_name))
    else:
        trained, random = result.get("trained"), result.get("random")
        parts.append(t["erf_grew" if v.grew else "erf_shrank"].format(trained=trained.fraction, random=random.fraction))
    if main.clipped:
        parts.append(t["erf_clipped"])
    return " ".join(parts)


# ------------------------------------------------------------------------------ feature visualization


def _tile(img: np.ndarray, side: int = TILE) -> np.ndarray:
    h, w = img.shape[:2]
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = np.asarray(Image.fromarray(img).resize(size, Image.Resampling.NEAREST if scale >= 2 else Image.Resampling.BILINEAR))
    out = np.full((side, side, 3), 255, np.uint8)
    y, x = (side - small.shape[0]) // 2, (side - small.shape[1]) // 2
    out[y : y + small.shape[0], x : x + small.shape[1]] = small
    return out


def feature_grid(result: FeatureVizResult, *, lang: str = "en") -> np.ndarray:
    """One row per channel: the optimised picture, then its dataset examples (each tagged)."""
    t = section("receptive", lang)
    cols = 1 + max((len(p.examples) for p in result.pictures), default=0)
    pad = 6
    canvas = np.full((len(result.pictures) * (TILE + pad) + pad, cols * (TILE + pad) + pad, 3), 255, np.uint8)
    for row, p in enumerate(result.pictures):
        y = pad + row * (TILE + pad)
        canvas[y : y + TILE, pad : pad + TILE] = _tile(p.image)
        put_tag(canvas, t["fv_tag"].format(c=p.channel, start=p.start, end=p.end), (pad + 2, y + 2))
        for col, e in enumerate(p.examples, start=1):
            x = pad + col * (TILE + pad)
            canvas[y : y + TILE, x : x + TILE] = _tile(e.crop)
            put_tag(canvas, f"{e.value:.1f}", (x + 2, y + TILE - 18))
    return canvas


def feature_preview(progress: FeatureVizProgress) -> np.ndarray:
    """The pictures as they stand during the optimisation, side by side."""
    tiles = [_tile(img) for img in progress.preview]
    return np.concatenate(tiles, axis=1) if tiles else np.zeros((TILE, TILE, 3), np.uint8)


def feature_verdict(result: FeatureVizResult, *, lang: str = "en") -> str:
    """What the optimisation achieved, from its numbers, and a warning for random weights."""
    t = section("receptive", lang)
    rises = ", ".join(f"{p.channel}: {p.start:.2f} → {p.end:.2f}" for p in result.pictures)
    head = t["fv_head"].format(n=len(result.pictures), layer=result.layer, name=result.model_name, source=result.source,
                               steps=result.steps, seconds=result.seconds, by=t["fv_" + result.stopped_by], rises=rises)
    parts = [t["fv_random"]] if result.random else []
    parts.append(head)
    if any(p.examples for p in result.pictures):
        parts.append(t["fv_examples"])
    return " ".join(parts)


__all__ = [
    "erf_figure",
    "erf_overlay",
    "erf_verdict",
    "feature_grid",
    "feature_preview",
    "feature_verdict",
    "field_picture",
    "field_table_markdown",
    "variant_sentence",
]
