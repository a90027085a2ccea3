"""Loss-landscape figure and verdict: filter-normalised 2-D slices side by side (Li et al.)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._format import FONT, TEMPLATE
from ..locales import section
from ._common import machine_words, message_figure

if TYPE_CHECKING:
    from resnet_core.lab.landscape import Landscape

#: a difference in the share of outward dips below this is within what two bowls of
#: different shape show on a coarse grid
DIP_MARGIN = 0.02
#: Li et al. (Fig. 5) saw the plain surface turn chaotic at this depth (benign at 20)
LI_CHAOTIC_DEPTH = 56


def _minima(n: int, t: dict[str, str]) -> str:
    return t["minima_1"] if n == 1 else t["minima_n"].format(n=n)


def _centred(surface: Any) -> bool:
    """The slice's centre is its lowest grid point (read from the numbers, so old files too)."""
    loss = np.asarray(surface.loss)
    i, j = np.unravel_index(int(np.argmin(loss)), loss.shape)
    return bool(i == int(np.argmin(np.abs(surface.betas))) and j == int(np.argmin(np.abs(surface.alphas))))


def landscape_verdict(result: Landscape, lang: str = "en") -> str:
    """Which surface is smoother, from how often the loss dips when walking outward from the
    centre of each slice and from the local minima on the grid, quoting Li et al. for the depth
    measured (benign at 20 layers, plain chaotic from 56). A slice whose centre is not its
    lowest point is on a slope: its dips are the slope's, and the verdict says so instead."""
    t = section("lab.landscape", lang)
    plain, res = result.surface("plain"), result.surface("residual")
    pd, rd = plain.outward_dips, res.outward_dips
    pm, rm = plain.local_minima, res.local_minima
    deep = "deep" if result.depth >= LI_CHAOTIC_DEPTH else "shallow"
    if rd < pd - DIP_MARGIN or (rm < pm and rd <= pd):
        judgement = t[f"smoother_{deep}"]
    elif rd > pd + DIP_MARGIN or (rm > pm and rd >= pd):
        judgement = t["rougher"]
    else:
        judgement = t[f"similar_{deep}"]
    # one basin whose bottom is off-centre: the slice sits on its slope, and walking outward
    # walks downhill on one side, so dips there are the slope's, not roughness (a rough surface
    # has several minima, and its lowest may be anywhere)
    off = [s for s in (plain, res) if not _centred(s) and s.local_minima <= 1]
    if off:
        judgement = "".join(t["slope"].format(name=s.name, moves=getattr(s, "recentred", 0)) for s in off).strip()
    text = t["verdict"].format(
        plain=plain.name,
        res=res.name,
        plain_dips=pd,
        res_dips=rd,
        plain_min=_minima(pm, t),
        res_min=_minima(rm, t),
        judgement=judgement,
    )
    moved = [s for s in (plain, res) if getattr(s, "recentred", 0) and _centred(s)]
    if moved:
        sep = "；" if lang == "zh" else "; "
        text += t["moved"].format(moves=sep.join(
            t["moved_one"].format(name=s.name, a=s.shift[0], b=s.shift[1]) for s in moved))
    # "trained less": 0.3 below the ResNet's accuracy is a stall, not noise between two runs
    if plain.train_accuracy < res.train_accuracy - 0.3:
        text += t["untrained"].format(plain=plain.name, acc=plain.train_accuracy, res_acc=res.train_accuracy)
    return text


def landscape_figure(
    result: Landscape | None, *, lang: str = "en", source: dict[str, Any] | None = None
) -> go.Figure:
    """Contours of log10 loss for plain-N and ResNet-N side by side, on one colour scale.

    Args:
        result: a :class:`resnet_core.lab.landscape.Landscape`; None gives an empty figure.
        lang: "en" or "zh".
        source: for a saved landscape, its ``meta`` (device name, date); the title says so.
    """
    t = section("lab.landscape", lang)
    if result is None:
        return message_figure(t["missing"].format(path="assets/curves/landscape.json"), height=420)
    logs = [np.log10(np.maximum(s.loss, 1e-6)) for s in result.surfaces]
    lo, hi = min(float(z.min()) for z in logs), max(float(z.max()) for z in logs)
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=[
            t["panel"].format(name=s.name, loss=s.center_loss, acc=s.train_accuracy) for s in result.surfaces
        ],
    )
    for i, (s, z) in enumerate(zip(result.surfaces, logs), start=1):
        fig.add_trace(
            go.Contour(
                x=s.alphas,
                y=s.betas,
                z=z,
                zmin=lo,
                zmax=hi,
                colorscale="Viridis",
                ncontours=25,
                customdata=s.loss,
                hovertemplate=t["hover"] + "<extra>" + s.name + "</extra>",
                showscale=i == 2,
                colorbar={"title": {"text": t["colorbar"]}},
            ),
            row=1,
            col=i,
        )
        fig.add_trace(
            go.Scatter(
                x=[0],
                y=[0],
                mode="markers",
                marker={"symbol": "x", "color": "white", "size": 9},
                showlegend=False,
                hoverinfo="skip",
            ),
            row=1,
            col=i,
        )
        fig.update_xaxes(title=t["a"], row=1, col=i)
        fig.update_yaxes(title=t["b"], scaleanchor=f"x{i if i > 1 else ''}", row=1, col=i)
    if source:
        where = t["saved"].format(
            where=machine_words(str(source.get("device_name", "?")), lang),
            date=str(source.get("date", ""))[:10],
            seconds=result.seconds,
        )
    else:
        where = t["live"].format(device=result.device, seconds=result.seconds)
    title = t["title"].format(depth=result.depth, steps=result.train_steps, grid=result.grid) + "<br>" + where
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        height=480,
        title={"text": title, "x": 0.01, "font": {"size": 12}},
        margin={"l": 10, "r": 20, "t": 90, "b": 10},
    )
    return fig
