"""Race figures and verdicts: plain-N against ResNet-N, live and saved.

Pure functions of :mod:`resnet_core.lab.race`'s dataclasses; nothing here touches a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._format import FONT, TEMPLATE
from ..locales import section
from ._common import SHADES, machine_words, message_figure

if TYPE_CHECKING:
    from resnet_core.lab.race import RaceCurve, RaceUpdate, SavedRace

#: a held-out gap below this is noise on a few hundred held-out images (binomial s.d. ~2-3%)
TIE = 0.05


def race_verdict(update: RaceUpdate, lang: str = "en") -> str:
    """Who leads on held-out accuracy, by how much, computed from the latest scores."""
    t = section("lab.race", lang)
    plain = next((c for c in update.curves if c.kind == "plain"), None)
    res = next((c for c in reversed(update.curves) if c.kind == "residual" and plain and c.depth == plain.depth), None)
    if plain is None or res is None or not len(plain.eval_accuracy) or not len(res.eval_accuracy):
        return t["waiting"]
    pa, ra = float(plain.eval_accuracy[-1]), float(res.eval_accuracy[-1])
    gap = ra - pa  # in accuracy units: shown as percentage points, not a relative "%"
    lead = t["lead_res" if gap >= TIE else "lead_plain" if gap <= -TIE else "lead_tie"].format(gap=100 * (abs(gap) if abs(gap) >= TIE else TIE))
    return t["verdict"].format(step=update.step, res=res.name, res_acc=ra, plain=plain.name, plain_acc=pa, lead=lead)


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over ``window`` points (shorter at the start), so curves never lead."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0 or window <= 1:
        return values
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(0, idx - window)
    return (cumulative[idx] - cumulative[lo]) / (idx - lo)


def _curves_figure(curves: Sequence[RaceCurve], *, title: str, smooth: int, lang: str) -> go.Figure:
    t = section("lab.race", lang)
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(t["loss_panel"], t["acc_panel"]),
        horizontal_spacing=0.08,
    )
    seen: dict[str, int] = {}
    for curve in curves:
        shade = seen.get(curve.kind, 0)
        seen[curve.kind] = shade + 1
        palette = SHADES.get(curve.kind, ("#7f7f7f",))
        color = palette[shade % len(palette)]
        steps = np.asarray(curve.steps)
        common = {"legendgroup": curve.name, "line": {"color": color}}
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=_smooth(curve.loss, smooth),
                mode="lines",
                name=curve.name,
                hovertemplate=t["loss_hover"] + "<extra>" + curve.name + "</extra>",
                **common,
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=_smooth(curve.accuracy, smooth),
                mode="lines",
                name=curve.name,
                showlegend=False,
                hovertemplate=t["acc_hover"] + "<extra>" + curve.name + "</extra>",
                **common,
            ),
            row=1,
            col=2,
        )
        fig.add_trace(
            go.Scatter(
                x=np.asarray(curve.eval_steps),
                y=np.asarray(curve.eval_accuracy),
                mode="lines+markers",
                name=f"{curve.name} {t['held_out']}",
                showlegend=False,
                legendgroup=curve.name,
                line={"color": color, "dash": "dot", "width": 1},
                marker={"size": 7, "symbol": "circle-open" if curve.kind == "plain" else "circle"},
                hovertemplate=t["eval_hover"] + "<extra>" + curve.name + "</extra>",
            ),
            row=1,
            col=2,
        )
    fig.update_xaxes(title=t["step"], rangemode="tozero")
    fig.update_yaxes(title=t["loss"], rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title=t["accuracy"], range=[0, 1.02], tickformat=".0%", row=1, col=2)
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        title={"text": title, "x": 0.01, "font": {"size": 13}},
        height=420,
        legend={"orientation": "h", "y": -0.18, "x": 0},
        margin={"l": 10, "r": 20, "t": 80, "b": 10},
        uirevision="race",  # keep the user's zoom while live updates redraw the figure
    )
    return fig


def race_figure(history: RaceUpdate | Sequence[RaceUpdate], *, smooth: int = 10, lang: str = "en") -> go.Figure:
    """Loss and accuracy of a race so far; call it again with each new update.

    Args:
        history: the latest :class:`RaceUpdate`, or the updates received so far (each update
            carries every curve from step 1, so only the last one is drawn).
        smooth: training curves are trailing means over this many steps (batches are noisy);
            held-out accuracy is drawn as measured.
    """
    t = section("lab.race", lang)
    if isinstance(history, Sequence):
        if not history:
            return message_figure(t["press"], height=420)
        update = history[-1]
    else:
        update = history
    state = t["done"] if update.done else t["running"]
    if update.stopped:
        state = t["stopped"].format(why=t.get(update.stopped, update.stopped))
    title = t["title"].format(
        names=t["vs"].join(c.name for c in update.curves),
        step=update.step,
        steps=update.steps,
        elapsed=update.elapsed,
        device=update.device,
        state=state,
    )
    return _curves_figure(update.curves, title=title, smooth=smooth, lang=lang)


def saved_curves_figure(source: str | Path | SavedRace, *, smooth: int = 10, lang: str = "en") -> go.Figure:
    """The curves saved by ``scripts/race.py``, titled with how and where they were produced.

    Args:
        source: a path to the JSON file, or a loaded :class:`resnet_core.lab.SavedRace`.
        smooth: as in :func:`race_figure` (saved curves may already be bin-averaged).

    A missing file gives a figure that says how to make one; a malformed file raises
    ``ValueError``.
    """
    t = section("lab.race", lang)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            return message_figure(t["missing"].format(path=path.name), height=420)
        from resnet_core.lab.race import load_race  # only here: the format lives next to the writer

        saved = load_race(path)
    else:
        saved = source
    bins = max(1, max((len(c.steps) for c in saved.curves), default=1))
    steps = max((int(c.steps[-1]) for c in saved.curves if len(c.steps)), default=0)
    binned = bins < steps  # points are already bin means: smooth less
    window = max(1, smooth * bins // max(steps, 1)) if binned else smooth
    m = saved.meta
    title = t["saved"].format(
        names=t["vs"].join(c.name for c in saved.curves),
        steps=m.get("steps", "?"),
        where=machine_words(str(m.get("device_name") or m.get("device", "?")), lang),
        device=m.get("device", "?"),
        torch=m.get("torch", "?"),
        date=str(m.get("date", ""))[:10],
        wall=float(m.get("wall_s", 0) or 0),
        seed=(m.get("config") or {}).get("seed", "?"),  # a saved race is one run: one seed
    )
    return _curves_figure(saved.curves, title=title, smooth=window, lang=lang)
