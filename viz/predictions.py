"""The top-k predictions as a bar chart and as a ``gr.Label`` value.

A network with random weights still produces confident-looking softmax outputs ("eel 44%");
shown like a trained network's, a newcomer reads them as real. Both views therefore take
``random_weights`` and then say, in the page's language, that these are not predictions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import plotly.graph_objects as go

from ._format import FONT, figure
from .locales import section

if TYPE_CHECKING:  # viz reads the dataclasses; importing resnet_core would import torch
    from resnet_core.results import Prediction

_REAL_COLOR = "#1f77b4"
_RANDOM_COLOR = "#b0b0b0"  # grey: nothing about these bars should look like a finding


def _labels(preds: Sequence[Prediction]) -> list[str]:
    # ImageNet has duplicate names ("crane" 134 and 517, "maillot" 638 and 639): keep both.
    counts = Counter(p.label for p in preds)
    return [f"{p.label} ({p.index})" if counts[p.label] > 1 else p.label for p in preds]


def _sorted(preds: Sequence[Prediction]) -> list[Prediction]:
    return sorted(preds, key=lambda p: p.probability, reverse=True)


def predictions_note(*, random_weights: bool, lang: str = "en") -> str:
    """The warning to show beside predictions from random weights ("" for trained weights)."""
    return section("predictions", lang)["random_note"] if random_weights else ""


def predictions_label(
    preds: Sequence[Prediction], *, random_weights: bool = False, lang: str = "en"
) -> dict[str, float]:
    """``{label: probability}``, most probable first, for ``gr.Label``.

    With ``random_weights`` every label is tagged "(random weights)" in ``lang``, so that the
    Label's large headline (its top key) never reads as a real prediction.
    """
    t = section("predictions", lang)
    ordered = _sorted(preds)
    names = _labels(ordered)
    if random_weights:
        names = [t["random_tag"].format(label=n) for n in names]
    return {name: float(p.probability) for name, p in zip(names, ordered)}


def predictions_figure(
    preds: Sequence[Prediction], *, random_weights: bool = False, lang: str = "en"
) -> go.Figure:
    """Horizontal bars of the top-k, most probable on top, labelled in percent.

    Args:
        preds: the top-k from the engine.
        random_weights: the model has random weights: grey bars under the title
            "random weights — not a real prediction" (in ``lang``).
        lang: "en" or "zh" for the hover text and notes.
    """
    t = section("predictions", lang)
    ordered = _sorted(preds)
    labels = _labels(ordered)
    probs = [float(p.probability) for p in ordered]
    bar = {
        "type": "bar", "x": probs, "y": labels, "orientation": "h",
        "marker": {"color": _RANDOM_COLOR if random_weights else _REAL_COLOR},
        "text": [f"{p:.1%}" for p in probs], "textposition": "auto",
        "customdata": [p.index for p in ordered],
        "hovertemplate": t["hover"],
    }
    top = 50 if random_weights else 20
    layout = {
        "yaxis": {"autorange": "reversed", "categoryorder": "array", "categoryarray": labels},
        "xaxis": {"range": [0, 1], "tickformat": ".0%"},
        "font": FONT, "showlegend": False,
        "height": max(160, 40 + top + 32 * len(ordered)), "margin": {"l": 10, "r": 20, "t": top, "b": 30},
    }
    if random_weights:
        layout["title"] = {"text": t["random_note"], "x": 0.01, "font": {"size": 15, "color": "#b35c00"}}
    if not ordered:
        layout["annotations"] = [
            {"text": t["empty"], "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper"}
        ]
    return figure([bar], layout)
