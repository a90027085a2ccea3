"""ResNets as ensembles of shallow paths (Veit et al. 2016): the path-length distribution, the
single-block lesion and k random deletions, with verdicts computed from the accuracies.

Pure functions of :mod:`resnet_core.lab.lesion`'s dataclasses; nothing here touches a model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._format import FONT, TEMPLATE
from ..locales import section
from ._common import KIND_COLORS, SHADES, machine_words, message_figure

if TYPE_CHECKING:  # importing resnet_core would import torch
    from resnet_core.lab.lesion import LesionCurve, LesionResult, SavedLesions


def path_mass(n: int, mass: float = 0.95) -> tuple[int, int]:
    """The central range of path lengths (lo, hi) that holds at least ``mass`` of the paths."""
    dist = np.array([math.comb(n, k) for k in range(n + 1)], dtype=np.float64) / 2.0**n
    lo, hi = n // 2, n // 2
    while dist[lo : hi + 1].sum() < mass:
        lo, hi = max(lo - 1, 0), min(hi + 1, n)
    return lo, hi


def _curve_traces(fig: go.Figure, curves: Sequence[LesionCurve], t: dict, shade: int = 0, show: bool = True) -> None:
    for c in curves:
        color = SHADES[c.kind][shade % len(SHADES[c.kind])]
        fig.add_trace(go.Scatter(x=list(range(1, len(c.blocks) + 1)), y=c.single, mode="lines+markers", name=c.name,
                                 legendgroup=c.name, showlegend=show, line={"color": color}, customdata=list(c.blocks),
                                 hovertemplate=t["hover"] + f"<extra>{c.name}</extra>"), row=1, col=2)
        fig.add_hline(y=c.intact, line={"color": color, "dash": "dash", "width": 1}, row=1, col=2)
        k = np.concatenate([[0], c.k])
        band = np.concatenate([[c.intact], c.k_max]), np.concatenate([[c.intact], c.k_min])
        fig.add_trace(go.Scatter(x=np.concatenate([k, k[::-1]]), y=np.concatenate([band[0], band[1][::-1]]), fill="toself",
                                 fillcolor=color, opacity=0.15, line={"width": 0}, showlegend=False, hoverinfo="skip",
                                 legendgroup=c.name), row=1, col=3)
        fig.add_trace(go.Scatter(x=k, y=np.concatenate([[c.intact], c.k_mean]), mode="lines+markers", line={"color": color},
                                 showlegend=False, legendgroup=c.name, name=c.name), row=1, col=3)
    fig.add_hline(y=curves[0].chance, line={"color": "#888888", "dash": "dot", "width": 1}, row=1, col=3)


def lesion_figure(result: LesionResult, *, lang: str = "en", title: str | None = None) -> go.Figure:
    """Three panels: the path-length distribution, accuracy per deleted block, accuracy against k."""
    t = section("lab.lesion", lang)
    n = len(result.paths) - 1
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.07,
                        subplot_titles=[t["paths_panel"].format(n=n), t["single_panel"], t["k_panel"]])
    fig.add_trace(go.Bar(x=list(range(n + 1)), y=[math.comb(n, k) / 2.0**n for k in range(n + 1)],
                         marker_color=KIND_COLORS["residual"], showlegend=False, hovertemplate="k=%{x}: %{y:.2%}<extra></extra>"),
                  row=1, col=1)
    _curve_traces(fig, result.curves, t)
    fig.update_xaxes(title=t["path_x"], row=1, col=1)
    fig.update_xaxes(title=t["block_x"], row=1, col=2)
    fig.update_xaxes(title=t["k_x"], row=1, col=3)
    fig.update_yaxes(title=t["path_y"], tickformat=".0%", row=1, col=1)
    fig.update_yaxes(title=t["acc"], tickformat=".0%", range=[0, 1.02], row=1, col=2)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02], row=1, col=3)
    source = ", ".join(c.name for c in result.curves)
    fig.update_layout(template=TEMPLATE, font=FONT, height=430, legend={"orientation": "h", "y": -0.2},
                      title={"text": title or t["title"].format(source=source), "x": 0.01, "font": {"size": 14}},
                      margin={"l": 10, "r": 20, "t": 100, "b": 10})
    fig.update_annotations(font={"size": 12})  # the three panel titles
    return fig


def saved_lesion_figure(saved: SavedLesions | None, *, lang: str = "en", path: str = "assets/curves/lesion.json") -> go.Figure:
    """The saved deeper-net runs: every seed's curves in one figure (shades by seed)."""
    t = section("lab.lesion", lang)
    if saved is None or not saved.runs:
        return message_figure(t["missing"].format(path=path))
    fig = lesion_figure(saved.runs[0], lang=lang)
    for i, run in enumerate(saved.runs[1:], start=1):
        _curve_traces(fig, run.curves, t, shade=i, show=False)
    m = saved.meta
    fig.update_layout(title={"text": t["saved_title"].format(seeds=len(saved.runs), where=machine_words(str(m.get("device_name", "?")), lang),
                                                             date=str(m.get("date", ""))[:10])})
    return fig


def saved_lesion_verdict(saved: SavedLesions | None, lang: str = "en") -> str:
    """The saved runs seed by seed (a robust verdict in some seeds only is said as such), then the
    first seed's full verdict."""
    t = section("lab.lesion", lang)
    if saved is None or not saved.runs:
        return ""
    res = [run.curves[0] for run in saved.runs]
    lines = [
        t["seed_line"].format(seed=seed, name=c.name, intact=c.intact, ok=c.tolerated[0], m=c.tolerated[1],
                              drop=c.robust_drop * 100, word=t["seed_robust" if c.robust else "seed_fragile"])
        for seed, c in zip(saved.seeds, res)
    ]
    summary = t["seeds"].format(n=sum(c.robust for c in res), seeds=len(res), name=res[0].name)
    return "\n".join(f"* {line}" for line in lines) + "\n\n" + summary + "\n\n" + lesion_verdict(saved.runs[0], lang)


def lesion_verdict(result: LesionResult, lang: str = "en") -> str:
    """Which it is, from the accuracies: an ensemble (robust, smooth) or not."""
    t = section("lab.lesion", lang)
    n = len(result.paths) - 1
    lo, hi = path_mass(n)
    lines = [t["paths"].format(n=n, total=f"{2.0**n:.3g}", mass=0.95, lo=lo, hi=hi, mean=n / 2)]
    for c in result.curves:
        ok, m = c.tolerated
        common = dict(name=c.name, intact=c.intact, lo=float(c.single.min()), hi=float(c.single.max()))
        if not c.trained:
            lines.append(t["untrained"].format(**common, chance=c.chance))
            continue
        if c.kind == "plain":
            lines.append(t["plain"].format(**common, med=float(np.median(c.single)), chance=c.chance))
            continue
        words = t["robust" if c.robust else "fragile"].format(**common, ok=ok, m=m, drop=c.robust_drop * 100)
        if not c.robust and len(c.blocks) < 20:
            words += t["fragile_small"].format(n=len(c.blocks), total=2 ** len(c.blocks))
        lines.append(words)
        key = "k_smooth" if c.smooth else "k_sharp"
        lines.append(t[key].format(name=c.name, first=c.k_mean[0], last=c.k_mean[-1], k=int(c.k[-1]), step=c.largest_step))
    lines.append(t["huang"])
    return "\n".join(f"* {line}" for line in lines)


__all__ = ["lesion_figure", "lesion_verdict", "path_mass", "saved_lesion_figure", "saved_lesion_verdict"]
