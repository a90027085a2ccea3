"""Human-readable numbers and shapes, shared by hover text, tables and figure labels."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import plotly.graph_objects as go
import plotly.io as pio

_AXIS = {"gridcolor": "#EBF0F8", "linecolor": "#EBF0F8", "zerolinecolor": "#EBF0F8", "zerolinewidth": 2,
         "ticks": "", "automargin": True, "title": {"standoff": 15}}

#: one look for every figure: the 2-D part of plotly's "plotly_white". Named templates are
#: deep-copied and validated on every figure (slow, see docs/performance.md). Set with ``update_layout`` it is
#: merged over plotly's default template, which every figure therefore still carries (~7 KB).
TEMPLATE: dict = {
    "layout": {
        "paper_bgcolor": "white", "plot_bgcolor": "white", "font": {"color": "#2a3f5f"},
        "hoverlabel": {"align": "left"}, "xaxis": _AXIS, "yaxis": _AXIS,
        "annotationdefaults": {"arrowcolor": "#2a3f5f", "arrowhead": 0, "arrowwidth": 1},
        "colorway": ["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3"],
    }
}
FONT = {"family": "Inter, system-ui, sans-serif", "size": 12}


def _merged_template() -> dict:
    # What ``fig.update_layout(template=TEMPLATE)`` leaves on a new figure: update_layout merges,
    # so TEMPLATE lands on top of plotly's default template rather than replacing it.
    fig = go.Figure()
    fig.update_layout(template=TEMPLATE)
    return fig.layout.template.to_plotly_json()


@cache
def _template_over(default: str | None) -> dict:
    return _merged_template()


def figure(data: list[dict], layout: dict) -> go.Figure:
    """A figure from plain dicts in one step, styled as ``fig.update_layout(template=TEMPLATE)`` styles it.

    Plotly validates every property a figure is given, property by property; for a small chart
    that costs more than drawing it in the browser. Here the figure is
    built without validation (``_validate=False``, plotly's own switch since 4.7, private), and
    the template, the same every time, is merged and validated once. A test hands every figure
    built this way to a validating ``go.Figure`` and checks it comes back unchanged.

    Args:
        data: traces as dicts, each with its ``"type"``.
        layout: the layout as a dict, without a template.

    Returns:
        A figure that serialises exactly as one built through plotly's validating API.
    """
    default = pio.templates.default
    template = _template_over(default) if default is None or isinstance(default, str) else _merged_template()
    return go.Figure(data=data, layout={"template": template, **layout}, _validate=False)


#: one colour per stage name, the same in the graph, the cost bars and the stats lines
STAGE_COLORS: dict[str, str] = {
    "input": "#7f7f7f",
    "stem": "#4c4c4c",
    "layer1": "#1f77b4",
    "layer2": "#2ca02c",
    "layer3": "#ff7f0e",
    "layer4": "#9467bd",
    "layer5": "#8c564b",
    "head": "#d62728",
}


def stage_color(stage: str) -> str:
    """The colour of a stage ("stem", "layer3", "head"); grey for anything else."""
    return STAGE_COLORS.get(stage, "#7f7f7f")


def human_count(n: int | float) -> str:
    """``25557032 -> "25.6M"``, ``9408 -> "9.4K"``, ``128 -> "128"``."""
    n = float(n)
    for bound, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= bound:
            return f"{n / bound:.1f}{suffix}"
    return f"{n:.0f}"


def human_macs(n: int | float) -> str:
    """``4089184256 -> "4.09 GMACs"``, ``118013952 -> "0.12 GMACs"``, ``40566784 -> "40.6 MMACs"``."""
    n = float(n)
    if n >= 1e8:
        return f"{n / 1e9:.2f} GMACs"
    if n >= 1e5:
        return f"{n / 1e6:.1f} MMACs"
    return f"{n:,.0f} MACs"


def format_shape(shape: Sequence[int]) -> str:
    """``(256, 56, 56) -> "256×56×56"``."""
    return "×".join(str(int(s)) for s in shape)
