"""What every lab figure shares: colours, the empty-figure message, number formatting."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import plotly.graph_objects as go

from .._format import FONT, TEMPLATE
from ..locales import t

#: one colour per kind of network, in every lab figure
KIND_COLORS: dict[str, str] = {"residual": "#1f77b4", "plain": "#d62728", "preact": "#2ca02c"}
#: lighter and darker shades for a second and third depth in one race
SHADES: dict[str, tuple[str, ...]] = {
    "residual": ("#1f77b4", "#0b3d66", "#6baed6", "#08306b"),
    "plain": ("#d62728", "#7f0f10", "#fc8d59", "#67000d"),
    "preact": ("#2ca02c", "#0b5d1e", "#74c476", "#00441b"),
}
SHORTCUT_COLOR = "#1f77b4"
BRANCH_COLOR = "#ff7f0e"
HIGHLIGHT = "#ff7f0e"


def message_figure(text: str, *, height: int = 300) -> go.Figure:
    """A blank figure that says ``text`` (nothing to draw yet, or nothing that can be drawn)."""
    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(
        template=TEMPLATE, font=FONT, height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}
    )
    return fig


def stage_starts(blocks: Sequence[str]) -> list[tuple[int, str]]:
    """(index, stage) of the first block of each stage after the first."""
    starts, previous = [], None
    for i, name in enumerate(blocks):
        stage = name.split(".")[0]
        if previous is not None and stage != previous:
            starts.append((i + 1, stage))
        previous = stage
    return starts




def times(x: float, lang: str = "en") -> str:
    """A ratio as "17×" or, past what reads well, as a power of ten: "10^27×"."""
    if x == 0:
        number = "0"
    elif not math.isfinite(x):
        number = "∞"
    elif 1e-3 <= x < 1e5:
        number = f"{x:.3g}"
    else:
        number = f"10^{math.log10(x):.0f}"
    return t("lab.common.times", lang, x=number)


def machine_words(name: str, lang: str) -> str:
    """A saved run's machine ("CPU: AMD EPYC, 2 cores, 1 torch threads") in the figure's language.

    Trademark marks and the word "Processor" in a CPU's name are dropped: "Intel(R) Xeon(R)
    Processor" reads "Intel Xeon" (the name, not a word to translate); the counts of cores and
    threads (as :func:`resnet_core.lab._common.machine_info` writes them) are said by the catalogue."""
    name = re.sub(r"\((?:R|TM)\)|\s+(?:CPU\s+)?Processor\b", "", name)
    name = re.sub(r"(\d+) cores\b", lambda m: t("lab.common.cores", lang, n=m.group(1)), name)
    return re.sub(r"(\d+) torch threads?\b", lambda m: t("lab.common.threads", lang, n=m.group(1)), name)
