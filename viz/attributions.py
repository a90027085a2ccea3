"""Figures of the attributions page: maps side by side, sanity-check curves, faithfulness.

Pure functions of :mod:`resnet_core.attributions`' dataclasses (read by attribute, never
imported: that would import torch). Every string on a figure and every verdict comes from
the catalogue (:mod:`viz.locales`, namespace ``attributions``) in the page's language, and
every verdict is computed from the numbers it shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._format import FONT, TEMPLATE
from .locales import section

if TYPE_CHECKING:  # the records are read by attribute; importing them would import torch
    from resnet_core.attributions.faithfulness import CaptumScores, FaithCurve
    from resnet_core.attributions.methods import Attribution
    from resnet_core.attributions.sanity import SanityJudgement, SanityResult

#: maps larger than this per side are average-pooled for the figure (keeps the JSON small)
MAX_FIGURE_SIDE = 96
#: the dotted line on the sanity figure: the library's threshold (resnet_core.attributions.sanity.
#: ALIKE_SPEARMAN, not imported: that would import torch), checked equal by a test
PASS_SPEARMAN = 0.7



def _sep(lang: str) -> str:
    return "、" if lang == "zh" else ", "


def format_time(seconds: float) -> str:
    """ "12 ms", "1.4 s"."""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def _pool(a: np.ndarray, side: int = MAX_FIGURE_SIDE) -> np.ndarray:
    """Average-pool a (H, W) map by an integer factor so that its longer side is at most ``side``."""
    f = max(1, math.ceil(max(a.shape) / side))
    if f == 1:
        return a
    h, w = (a.shape[0] // f) * f, (a.shape[1] // f) * f
    return a[:h, :w].reshape(h // f, f, w // f, f).mean(axis=(1, 3))


def _layout(fig: go.Figure, *, title: str, height: int, top: int = 60, left: int = 10) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        height=height,
        title={"text": title, "x": 0.01},
        margin={"l": left, "r": 10, "t": top, "b": 40},
    )
    return fig


def _step_names(result: SanityResult, tx: dict[str, str]) -> list[str]:
    """The cascade's steps as the page says them: "trained" in its language, then layer names."""
    return [tx["trained"] if s == "trained" else s for s in result.steps]


def _message(text: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title="", height=240)


# ---------------------------------------------------------------------------- the grid of maps


def attribution_grid_figure(
    image: np.ndarray,
    attributions: Sequence[Attribution],
    *,
    class_label: str = "",
    signed: bool = True,
    shared: bool = False,
    columns: int = 4,
    lang: str = "en",
) -> go.Figure:
    """The input and every method's map side by side, the method and its time under each.

    Args:
        image: (H, W, 3) uint8, the picture the network saw.
        attributions: records from ``resnet_core.attributions.attribute``.
        class_label: the attributed class's name, for the title.
        signed: red for positive and blue for negative; False shows ``|map|``.
        shared: one colour range for every map (their units differ between methods, so the
            default scales each map to its own peak).
        columns: panels per row.
        lang: "en" or "zh".
    """
    tx = section("attributions", lang)
    if not attributions:
        return _message(tx["no_maps"])
    maps = [_pool(np.asarray(a.map, dtype=np.float32)) for a in attributions]
    maps = [m if signed else np.abs(m) for m in maps]
    if not shared:
        maps = [m / (np.abs(m).max() or 1.0) for m in maps]
    peak = max(float(np.abs(m).max()) for m in maps) or 1.0
    n = len(maps) + 1
    cols = max(1, min(columns, n))
    rows = math.ceil(n / cols)
    titles = [tx["image"]] + [f"{a.label}<br>{format_time(a.time_s)}" for a in attributions]
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        horizontal_spacing=0.02,
        vertical_spacing=0.12 / max(1, rows - 1) if rows > 1 else 0.02,
    )
    fig.add_trace(go.Image(z=image, hoverinfo="skip"), row=1, col=1)
    for i, (a, m) in enumerate(zip(attributions, maps), start=1):
        r, c = divmod(i, cols)
        fig.add_trace(
            go.Heatmap(
                z=m,
                zmin=-peak if signed else 0.0,
                zmax=peak,
                colorscale="RdBu_r" if signed else "Viridis",
                showscale=i == 1,
                name=a.label,
                hovertemplate=f"{a.label}<br>{tx['value']}: %{{z:.3g}}<extra></extra>",
            ),
            row=r + 1,
            col=c + 1,
        )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    for k in range(1, rows * cols + 1):  # square pixels in every panel
        suffix = str(k) if k > 1 else ""
        fig.layout[f"yaxis{suffix}"].scaleanchor = f"x{suffix}"
    scale = f"{tx['signed'] if signed else tx['absolute']}, {tx['shared'] if shared else tx['per_map']}"
    title = tx["grid_title"].format(label=class_label or attributions[0].target, scale=scale)
    fig.update_annotations(font_size=11)
    return _layout(fig, title=title, height=90 + 230 * rows, top=90)


def attribution_verdict(
    attributions: Sequence[Attribution], *, class_label: str = "", lang: str = "en"
) -> str:
    """How many maps and which method was fastest and slowest, from the records' times."""
    tx = section("attributions", lang)
    if not attributions:
        return tx["v_empty"]
    fast = min(attributions, key=lambda a: a.time_s)
    slow = max(attributions, key=lambda a: a.time_s)
    return tx["v_grid"].format(
        n=len(attributions),
        label=class_label or attributions[0].target,
        fast=fast.label,
        fast_t=format_time(fast.time_s),
        slow=slow.label,
        slow_t=format_time(slow.time_s),
    )


# ---------------------------------------------------------------------------- sanity checks


def sanity_figure(result: SanityResult, *, lang: str = "en") -> go.Figure:
    """Spearman and SSIM of each method's map against its trained-network map, step by step."""
    tx = section("attributions", lang)
    if not result.curves:
        return _message(tx["v_empty"])
    fig = make_subplots(rows=1, cols=2, subplot_titles=(tx["spearman"], tx["ssim"]), horizontal_spacing=0.08)
    palette = TEMPLATE["layout"]["colorway"]
    steps = _step_names(result, tx)
    for i, c in enumerate(result.curves):
        color = palette[i % len(palette)]
        for col, values in ((1, c.spearman), (2, c.ssim)):
            fig.add_trace(
                go.Scatter(
                    x=steps,
                    y=np.round(values, 4),
                    mode="lines+markers",
                    name=c.label,
                    legendgroup=c.method,
                    showlegend=col == 1,
                    line={"color": color},
                    hovertemplate=f"{c.label}<br>%{{x}}: %{{y:.3f}}<extra></extra>",
                ),
                row=1,
                col=col,
            )
    fig.add_hline(y=PASS_SPEARMAN, line_dash="dot", line_color="#888", row=1, col=1)
    top = result.steps.index(result.judgements[0].top_step)  # where the verdict is read
    fig.add_vline(x=top, line_dash="dot", line_color="#888", row=1, col=1,
                  annotation_text=tx["top"], annotation_position="top right", annotation_font_size=10)
    fig.update_xaxes(title_text=tx["step"], tickangle=-45)
    fig.update_yaxes(range=[-0.3, 1.05])
    return _layout(fig, title=tx["sanity_title"], height=420)


def sanity_maps_figure(result: SanityResult, *, lang: str = "en") -> go.Figure:
    """Each method's |map| at each step of the cascade (rows: methods, columns: steps), each
    map scaled to its own peak, as in Adebayo et al.'s Fig. 2."""
    tx = section("attributions", lang)
    if not result.curves:
        return _message(tx["v_empty"])
    rows, cols = len(result.curves), len(result.steps)
    # the steps over the first row; each row's method on its left (Adebayo et al.'s Fig. 2)
    titles = [s if r == 0 else "" for r in range(rows) for s in _step_names(result, tx)]
    fig = make_subplots(
        rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.005, vertical_spacing=0.15 / rows
    )
    for r, c in enumerate(result.curves):
        for k, step in enumerate(result.steps):
            m = np.abs(_pool(np.asarray(c.maps[k], dtype=np.float32), 48))
            fig.add_trace(
                go.Heatmap(
                    z=m / (m.max() or 1.0),
                    zmin=0,
                    zmax=1,
                    colorscale="Viridis",
                    showscale=False,
                    hovertemplate=f"{c.label}, {step}<extra></extra>",
                ),
                row=r + 1,
                col=k + 1,
            )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    for r, c in enumerate(result.curves):
        fig.update_yaxes(visible=True, showticklabels=False, showgrid=False, zeroline=False, showline=False,
                         title={"text": c.label.replace(" ", "<br>", 1), "font": {"size": 11}}, row=r + 1, col=1)
    fig.update_annotations(font_size=9, textangle=-30 if cols > 8 else 0)
    return _layout(fig, title=tx["sanity_title"], height=100 + 110 * rows, top=90, left=90)


def sanity_verdict(result: SanityResult | Sequence[SanityJudgement], *, lang: str = "en") -> str:
    """Which methods pass, read at the top of the cascade over one or more pictures.

    Args:
        result: one picture's :class:`SanityResult` (judged by its ``judgements``), or the
            judgements of several pictures (``resnet_core.attributions.sanity.judge_sanity``).
        lang: "en" or "zh".
    """
    tx = section("attributions", lang)
    single = hasattr(result, "curves")
    if single and not result.curves:
        return tx["v_empty"]
    judged = tuple(result.judgements if single else result)
    if not judged:
        return tx["v_empty"]
    sep = _sep(lang)
    n = len(judged[0].spearman)
    shown = lambda j: f"{j.label} ρ={j.mean:.2f}" + (f"±{j.spread:.2f}" if n > 1 else "")  # noqa: E731
    parts = [
        tx["v_sanity_rule"].format(top=judged[0].top_step, thr=PASS_SPEARMAN,
                                   over=tx["v_sanity_many"].format(n=n) if n > 1 else tx["v_sanity_one"]),
        tx["v_sanity_pass"].format(names=sep.join(shown(j) for j in judged if j.passes) or tx["v_none"]),
    ]
    if any(not j.passes for j in judged):
        parts.append(tx["v_sanity_fail"].format(names=sep.join(shown(j) for j in judged if not j.passes)))
    by_method = {j.method: j for j in judged}
    for j in judged:
        if j.masked_by is None:
            continue
        base = by_method.get(j.masked_by)
        if base is None:
            parts.append(tx["v_sanity_masked_unrun"].format(label=j.label, base=_label(j.masked_by)))
        elif not base.passes:
            parts.append(tx["v_sanity_masked"].format(label=j.label, base=base.label, rho=base.mean))
    agree = [j.label for j in judged if j.paper is not None and (j.paper == "pass") == j.passes]
    disagree = [j.label for j in judged if j.paper is not None and (j.paper == "pass") != j.passes]
    if agree:
        parts.append(tx["v_sanity_agree"].format(names=sep.join(agree)))
    if disagree:
        parts.append(tx["v_sanity_disagree"].format(names=sep.join(disagree)))
    if single:
        details = sep.join(f"{c.label} ρ={c.final_spearman:.2f}" for c in result.curves)
        parts.append(tx["v_sanity_detail"].format(details=details))
    return " ".join(parts)


def _label(method: str) -> str:
    """A method's display name without the registry (which imports torch)."""
    return {"guided_backprop": "Guided Backprop"}.get(method, method)


# ---------------------------------------------------------------------------- faithfulness


def _is_random(curve: FaithCurve) -> bool:
    return curve.method.startswith("random")


def _curve_name(c: FaithCurve, tx: dict[str, str]) -> str:
    """A curve's name on the page: the method's own, or the kind of random map in the page's
    language (the library's study labels them "random (pixels)" and "random (4×4 cells)")."""
    if not _is_random(c):
        return c.label
    if c.method in ("random_pixels", "random_cells"):
        return tx[c.method]
    kind = "random_cells" if "cell" in c.label else "random_pixels" if "pixel" in c.label else "random"
    return tx[kind]


def faithfulness_figure(curves: Sequence[FaithCurve], *, lang: str = "en") -> go.Figure:
    """Deletion and insertion curves, one line per method (the random map dashed)."""
    tx = section("attributions", lang)
    if not curves:
        return _message(tx["v_empty"])
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=(tx["deletion"], tx["insertion"]), horizontal_spacing=0.08
    )
    palette = TEMPLATE["layout"]["colorway"]
    first_random = next((_curve_name(c, tx) for c in curves if _is_random(c)), None)
    for i, c in enumerate(curves):
        is_random = _is_random(c)
        name = _curve_name(c, tx)
        dash = "dash" if name == first_random else "dot"
        line = {"color": "#888", "dash": dash} if is_random else {"color": palette[i % len(palette)]}
        for col, (values, auc) in ((1, (c.deletion, c.deletion_auc)), (2, (c.insertion, c.insertion_auc))):
            fig.add_trace(
                go.Scatter(
                    x=np.round(c.fractions, 4),
                    y=np.round(values, 4),
                    mode="lines",
                    name=name,
                    legendgroup=c.method,
                    showlegend=col == 1,
                    line=line,
                    hovertemplate=f"{name} (AUC {auc:.3f})<br>%{{x:.2f}}: %{{y:.3f}}<extra></extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(title_text=tx["fraction"], range=[0, 1])
    fig.update_yaxes(title_text=tx["probability"], range=[0, 1.02], col=1)
    fig.update_yaxes(range=[0, 1.02], col=2)
    return _layout(fig, title=tx["faith_title"], height=430, top=100)


def faithfulness_table(
    curves: Sequence[FaithCurve], scores: Sequence[CaptumScores] = (), *, lang: str = "en"
) -> dict[str, Any]:
    """Areas (and captum's metrics where given) as ``{"headers": [...], "data": [[...], ...]}``,
    ready for a ``gr.Dataframe``; rows sorted by deletion area."""
    tx = section("attributions", lang)
    by_method = {s.method: s for s in scores}
    headers = [tx["method"], tx["del_auc"], tx["ins_auc"]]
    if scores:
        headers += [tx["infidelity"], tx["sensitivity"]]
    rows = []
    for c in sorted(curves, key=lambda c: c.deletion_auc):
        row: list[Any] = [
            _curve_name(c, tx),
            round(c.deletion_auc, 4),
            round(c.insertion_auc, 4),
        ]
        if scores:
            s = by_method.get(c.method)
            row += [round(s.infidelity, 5), round(s.sensitivity, 4)] if s else ["", ""]
        rows.append(row)
    return {"headers": headers, "data": rows}


def faithfulness_verdict(curves: Sequence[FaithCurve], *, lang: str = "en") -> str:
    """The method with the lowest deletion area, and which methods beat each random map."""
    tx = section("attributions", lang)
    methods = [c for c in curves if not _is_random(c)]
    if not methods:
        return tx["v_empty"]
    best = min(methods, key=lambda c: c.deletion_auc)
    randoms = [c for c in curves if _is_random(c)]
    if not randoms:
        return tx["v_faith_norandom"].format(best=best.label, auc=best.deletion_auc)
    parts = [tx["v_faith_best"].format(best=best.label, auc=best.deletion_auc)]
    for rnd in randoms:
        beat = [c.label for c in methods if c.deletion_auc < rnd.deletion_auc]
        lost = [c.label for c in methods if c.deletion_auc >= rnd.deletion_auc]
        parts.append(tx["v_faith_beat"].format(rnd=_curve_name(rnd, tx), auc=rnd.deletion_auc,
                                               names=_sep(lang).join(beat) or tx["v_none"]))
        if lost:
            parts.append(tx["v_faith_lost"].format(names=_sep(lang).join(lost)))
    return " ".join(parts)


__all__ = [
    "PASS_SPEARMAN",
    "attribution_grid_figure",
    "attribution_verdict",
    "faithfulness_figure",
    "faithfulness_table",
    "faithfulness_verdict",
    "format_time",
    "sanity_figure",
    "sanity_maps_figure",
    "sanity_verdict",
]
