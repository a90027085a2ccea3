"""The top-k predictions as a bar chart and as a ``gr.Label`` value."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import plotly.graph_objects as go

from ._format import FONT, figure

if TYPE_CHECKING:  # viz reads the dataclasses; importing resnet_core would import torch
    from resnet_core.results import Prediction


def _labels(preds: Sequence[Prediction]) -> list[str]:
    # ImageNet has duplicate names ("crane" 134 and 517, "maillot" 638 and 639): keep both.
    counts = Counter(p.label for p in preds)
    return [f"{p.label} ({p.index})" if counts[p.label] > 1 else p.label for p in preds]


def _sorted(preds: Sequence[Prediction]) -> list[Prediction]:
    return sorted(preds, key=lambda p: p.probability, reverse=True)


def predictions_label(preds: Sequence[Prediction]) -> dict[str, float]:
    """``{label: probability}``, most probable first, for ``gr.Label``."""
    ordered = _sorted(preds)
    return {name: float(p.probability) for name, p in zip(_labels(ordered), ordered)}


def predictions_figure(preds: Sequence[Prediction]) -> go.Figure:
    """Horizontal bars of the top-k, most probable on top, labelled in percent."""
    ordered = _sorted(preds)
    labels = _labels(ordered)
    probs = [float(p.probability) for p in ordered]
    bar = {
        "type": "bar", "x": probs, "y": labels, "orientation": "h", "marker": {"color": "#1f77b4"},
        "text": [f"{p:.1%}" for p in probs], "textposition": "auto",
        "customdata": [p.index for p in ordered],
        "hovertemplate": "%{y}<br>class %{customdata}<br>%{x:.2%}<extra></extra>",
    }
    layout = {
        "yaxis": {"autorange": "reversed", "categoryorder": "array", "categoryarray": labels},
        "xaxis": {"range": [0, 1], "tickformat": ".0%"},
        "font": FONT, "showlegend": False,
        "height": max(160, 60 + 32 * len(ordered)), "margin": {"l": 10, "r": 20, "t": 20, "b": 30},
    }
    if not ordered:
        layout["annotations"] = [
            {"text": "no predictions yet", "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper"}
        ]
    return figure([bar], layout)
