"""Training without BN: the residual stream at initialization and the training loss of the
default ResNet, zero-init, SkipInit and Fixup, with a verdict from the numbers.

Pure functions of :mod:`resnet_core.lab.no_bn`'s dataclasses; nothing here touches a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._format import FONT, TEMPLATE
from ..locales import section
from ._common import machine_words, times

if TYPE_CHECKING:  # importing resnet_core would import torch
    from resnet_core.lab.no_bn import NoBNRace

COLORS = {"default": "#d62728", "zero-init": "#1f77b4", "SkipInit": "#2ca02c", "Fixup": "#9467bd"}


def no_bn_figure(result: NoBNRace, *, lang: str = "en") -> go.Figure:
    """Two panels: the stream's std per block at init (log scale), and each method's loss."""
    t = section("lab.no_bn", lang)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=[t["stream_panel"], t["loss_panel"]])
    for run in result.runs:
        color = COLORS.get(run.method, "#333333")
        fig.add_trace(go.Scatter(x=list(range(1, len(run.stream_std) + 1)), y=run.stream_std, mode="lines+markers",
                                 name=run.method, legendgroup=run.method, line={"color": color}, marker={"size": 4}),
                      row=1, col=1)
        loss = np.where(np.isfinite(run.loss), run.loss, np.nan)
        fig.add_trace(go.Scatter(x=list(range(1, len(loss) + 1)), y=loss, mode="lines", name=run.method,
                                 legendgroup=run.method, showlegend=False, line={"color": color}), row=1, col=2)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(type="log", row=1, col=2)
    fig.update_xaxes(title=t["block"], row=1, col=1)
    fig.update_xaxes(title=t["step"], row=1, col=2)
    fig.update_layout(template=TEMPLATE, font=FONT, height=420, legend={"orientation": "h", "y": -0.2},
                      title={"text": t["title"].format(depth=result.depth, steps=result.steps), "x": 0.01, "font": {"size": 14}},
                      margin={"l": 10, "r": 20, "t": 70, "b": 10})
    return fig


def saved_no_bn_verdict(races: Sequence[NoBNRace], meta: dict, lang: str = "en") -> str:
    """Seed by seed: which methods trained; then where the runs were made."""
    t = section("lab.no_bn", lang)
    if not races:
        return ""
    lines = []
    for race in races:
        ok = [r.method for r in race.runs if not r.diverged]
        bad = [r.method for r in race.runs if r.diverged]
        lines.append(t["seed_line"].format(seed=race.seed, ok=", ".join(ok) or "–", bad=", ".join(bad) or "–",
                                           accs=", ".join(f"{r.method} {r.heldout_accuracy:.0%}" for r in race.runs)))
    where = t["saved_where"].format(depth=races[0].depth, steps=races[0].steps, seeds=len(races),
                                    machine=machine_words(str(meta.get("device_name", "?")), lang), date=str(meta.get("date", ""))[:10])
    return where + "\n\n" + "\n".join(f"* {line}" for line in lines)


def no_bn_verdict(result: NoBNRace, lang: str = "en") -> str:
    """Per method: the stream's growth at init and whether it trained, from the numbers."""
    t = section("lab.no_bn", lang)
    lines = []
    for run in result.runs:
        if run.diverged:
            fate = t["diverged"].format(chance=run.chance_loss)
        else:
            head, tail = run.loss[: min(20, len(run.loss))], run.loss[-min(20, len(run.loss)):]
            fate = t["trains"].format(first=float(np.mean(head)), last=float(np.mean(tail)), chance=run.chance_loss,
                                      acc=run.heldout_accuracy)
        key = "default" if run.method == "default" else "cure"
        lines.append(t[key].format(method=run.method, growth=times(run.growth, lang), fate=fate))
    return "\n".join(f"* {line}" for line in lines) + "\n\n" + t["note"].format(steps=result.steps)


__all__ = ["COLORS", "no_bn_figure", "no_bn_verdict", "saved_no_bn_verdict"]
