"""Every word a figure puts on the page speaks the page's language (English or Chinese)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

import viz
from resnet_core import build_resnet, describe
from resnet_core.inspection import inspect
from resnet_core.results import Prediction
from resnet_core.shapes import Architecture
from viz import activations, cam, graph, predictions, shapes

MODULES = (graph, shapes, activations, predictions, cam)

#: what may stay in Latin letters on a Chinese page: proper names, code and PyTorch module
#: names, units and axis letters; everything else must be translated
ALLOWED = {
    "ResNet", "Grad", "CAM", "PyTorch", "RGB", "MACs", "GMACs", "MMACs", "fc", "conv", "BN", "ReLU",
    "avgpool", "maxpool", "downsample", "add", "relu", "bn", "preact", "M", "K", "G", "B", "H", "W", "C",
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


@cache
def arch(depth: int, size: int | tuple[int, int] = 224, variant: str = "v1.5") -> Architecture:
    return describe(build_resnet(depth, variant=variant), size)


@cache
def engine_result():
    torch.manual_seed(0)
    model = build_resnet(18).eval()
    image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    return inspect(model, image, mode="whole", size=64, max_channels=2, timeline=True,
                   categories=[f"类别{i}" for i in range(1000)])


def zh_outputs() -> dict[str, object]:
    result = engine_result()
    preds = [Prediction(3, "虎斑猫", 0.6), Prediction(8, "老虎", 0.3)]
    return {
        "graph 152 folded": viz.graph_figure(arch(152), lang="zh"),
        "graph 152 unfolded": viz.graph_figure(arch(152), folded=(), lang="zh"),
        "graph 50 layer": viz.graph_figure(arch(50), level="layer", focus="layer2", selected="layer2.0", lang="zh"),
        "graph preact 18": viz.graph_figure(arch(18, (200, 300), "preact"), lang="zh"),
        "shape table": shapes.shape_table(arch(18, (200, 300), "preact"), lang="zh"),
        "shape markdown": shapes.shape_table_markdown(arch(50), lang="zh"),
        "headers": shapes.shape_table_headers(lang="zh"),
        "cost": shapes.cost_figure(arch(50), lang="zh"),
        "stats": activations.stats_figure(result.activations, lang="zh"),
        "predictions": predictions.predictions_figure(preds, lang="zh"),
        "predictions random": predictions.predictions_figure(preds, random_weights=True, lang="zh"),
        "no predictions": predictions.predictions_figure([], lang="zh"),
        "label random": list(predictions.predictions_label(preds, random_weights=True, lang="zh")),
        "note": predictions.predictions_note(random_weights=True, lang="zh"),
        "timeline": cam.cam_timeline_figure(result.timeline, cell=32, lang="zh"),
    }


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_language_has_the_same_words(module) -> None:
    assert set(module.TEXT) == {"en", "zh"}
    assert set(module.TEXT["en"]) == set(module.TEXT["zh"])
    # a translation keeps the English's placeholders, so format() never fails in one language
    for key, en in module.TEXT["en"].items():
        assert set(re.findall(r"\{(\w+)", en)) == set(re.findall(r"\{(\w+)", module.TEXT["zh"][key])), key


def test_chinese_figures_and_tables_have_no_english_words() -> None:
    found = {name: set().union(*map(english_words, strings(out))) for name, out in zh_outputs().items()}
    assert {name: words for name, words in found.items() if words} == {}


def test_the_word_check_catches_english() -> None:
    # the same figures in English must trip the check, or it checks nothing
    preds = [Prediction(3, "虎斑猫", 0.6)]
    for out in (viz.graph_figure(arch(18)), shapes.cost_figure(arch(18)), shapes.shape_table(arch(18)),
                predictions.predictions_figure(preds, random_weights=True)):
        assert set().union(*map(english_words, strings(out))), out


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="en, zh"):
        viz.graph_figure(arch(18), lang="fr")
    with pytest.raises(ValueError, match="en, zh"):
        shapes.shape_table(arch(18), lang="de")


def test_random_weight_predictions_are_marked_in_both_languages() -> None:
    preds = [Prediction(390, "eel", 0.44), Prediction(3, "tiger shark", 0.2)]
    for lang, note in (("en", "random weights — not a real prediction"), ("zh", "随机权重——并非真实预测")):
        fig = predictions.predictions_figure(preds, random_weights=True, lang=lang)
        assert fig.layout.title.text == note
        assert predictions.predictions_note(random_weights=True, lang=lang) == note
        label = predictions.predictions_label(preds, random_weights=True, lang=lang)
        assert list(label.values()) == [0.44, 0.2]
        assert all(("random weights" if lang == "en" else "随机权重") in k for k in label)
    real = predictions.predictions_figure(preds)
    assert not real.layout.title.text and real.data[0].marker.color != fig.data[0].marker.color
    assert predictions.predictions_label(preds) == {"eel": 0.44, "tiger shark": 0.2}
    assert predictions.predictions_note(random_weights=False) == ""
