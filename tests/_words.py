"""Which words a figure or a table shows, and which of them are English (for the Chinese-page checks)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import plotly.graph_objects as go

#: what may stay in Latin letters on a Chinese page: proper names, code and PyTorch module
#: names, units and axis letters; everything else must be translated
ALLOWED = {
    "ResNet", "Grad", "CAM", "PyTorch", "RGB", "MACs", "GMACs", "MMACs", "fc", "conv", "BN", "ReLU",
    "avgpool", "maxpool", "downsample", "add", "relu", "bn", "preact", "CIFAR", "v", "M", "K", "G", "B", "H", "W",
    "C",
}
# PyTorch's module names: layer3, layer3.1, layer3.1.conv2, conv1, bn1, ...
_MODULE = re.compile(r"\b(?:layer\d+(?:\.\d+)*(?:\.[a-z]+\d*)*|conv\d|bn\d|relu\d?|[a-z]+_final)\b")
_MARKUP = re.compile(r"<[^>]*>|%\{[^}]*\}")  # HTML tags, plotly's %{x} placeholders


def english_words(text: str) -> set[str]:
    text = _MODULE.sub(" ", _MARKUP.sub(" ", text))
    return {w for w in re.findall(r"[A-Za-z]+", text) if w not in ALLOWED}


def strings(obj: object) -> Iterator[str]:
    """Every string shown by a figure (title, axes, annotations, legend, text, hover) or a table."""
    if isinstance(obj, go.Figure):
        obj = obj.to_plotly_json()
        # a trace's name is shown only in the legend
        data = [{k: v for k, v in t.items() if k != "name" or t.get("showlegend", True)} for t in obj["data"]]
        obj = {"data": data, "layout": {k: v for k, v in obj["layout"].items() if k != "template"}}
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            # ids and styles the page never shows as words
            if key not in ("customdata", "type", "mode", "symbol", "color", "fillcolor", "family", "dash",
                           "xref", "yref", "xanchor", "yanchor", "anchor", "matches", "textposition",
                           "hoverinfo", "orientation", "tickformat", "categoryorder", "layer",
                           "exponentformat", "rangemode", "autorange", "dragmode", "hovermode", "align",
                           "constraintext", "xaxis", "yaxis", "categoryarray", "bgcolor", "source"):
                yield from strings(value)
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from strings(item)
