"""The receptive-field figures and verdicts speak both languages and say what their numbers say."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
from _words import ALLOWED, english_words, strings

from resnet_core.erf import ErfMap, ErfResult
from resnet_core.featureviz import ChannelPicture, Example, FeatureVizResult
from resnet_core.receptive import field_boxes, receptive_fields
from resnet_core.serving import skeleton
from viz import receptive as vr

MATH = {"r", "j", "k", "s", "x"}  # the recurrence's symbols and kernel sizes (3x3) stay as they are
NAMES = {"Luo", "Olah", "torchvision", "IMAGENET", "K", "V"}  # people, libraries, weight names


def shown(fig: go.Figure) -> dict:
    """The figure without its heat maps' numbers (which plotly encodes as base64 text)."""
    out = fig.to_plotly_json()
    return {"data": [{k: v for k, v in tr.items() if k not in ("z", "colorscale")} for tr in out["data"]],
            "layout": {k: v for k, v in out["layout"].items() if k != "template"}}


def field_result(depth: int, variant: str, other: str):
    ours = field_boxes(receptive_fields(skeleton(depth, variant), 224), "layer3.1")
    theirs = receptive_fields(skeleton(depth, other), 224).theoretical
    import dataclasses

    return dataclasses.replace(ours, other_variant=other, other=theirs)


def erf_result(trained: float, random: float) -> ErfResult:
    def m(weights: str, fraction: float, source: str = "noise") -> ErfMap:
        grad = np.zeros((64, 64), np.float32)
        grad[20:40, 20:40] = 1
        return ErfMap(weights, source, 8, grad, (6, 6, 58, 58), (32, 32), 53, int(fraction * 53 // 2), fraction, (0.3, 0.2))

    return ErfResult("CIFAR-ResNet-18", "IMAGENET1K_V2", "layer3", (64, 64),
                     (m("trained", trained), m("random", random), m("trained", trained, "picture")),
                     np.zeros((64, 64, 3), np.uint8))


def fv_result(random: bool) -> FeatureVizResult:
    ex = Example("cat.jpg", 3.5, (0, 0, 9, 9), np.zeros((10, 10, 3), np.uint8))
    pics = tuple(ChannelPicture(c, np.zeros((32, 32, 3), np.uint8), 0.1, 2.0 + c, (ex, ex)) for c in (0, 1))
    return FeatureVizResult("ResNet-18", "IMAGENET1K_V1", random, "layer3", 256, pics, 40, 12.5, "time")


def test_chinese_outputs_have_no_english_words() -> None:
    outputs = {
        "table": vr.field_table_markdown(field_result(50, "v1", "v1.5"), lang="zh"),
        "variants": [vr.variant_sentence(field_result(d, v, o), lang="zh")
                     for d, v, o in ((50, "v1.5", "v1"), (18, "v1", "v1.5"), (50, "preact", "v1"))],
        "erf": [vr.erf_verdict(erf_result(0.4, 0.6), lang="zh"), vr.erf_verdict(erf_result(0.9, 0.6), lang="zh")],
        "erf figure": shown(vr.erf_figure(erf_result(0.4, 0.6), lang="zh")),
        "fv": [vr.feature_verdict(fv_result(True), lang="zh"), vr.feature_verdict(fv_result(False), lang="zh")],
    }
    allowed = ALLOWED | MATH | NAMES
    found = {k: {w for s in strings(v) for w in english_words(s)} - allowed for k, v in outputs.items()}
    assert {k: w for k, w in found.items() if w} == {}
    english = {w for s in strings(shown(vr.erf_figure(erf_result(0.4, 0.6), lang="en"))) for w in english_words(s)}
    assert english - allowed  # the check is able to fail


def test_verdicts_follow_the_numbers() -> None:
    grew = vr.erf_verdict(erf_result(0.6, 0.4))
    assert "larger" in grew and "60%" in grew and "36%" in grew  # 0.6 of the side is 36 % of the area
    shrank = vr.erf_verdict(erf_result(0.8, 0.9))
    assert "did not make it larger" in shrank and "more than half" in shrank
    assert "noise" in vr.feature_verdict(fv_result(True)) and "noise" not in vr.feature_verdict(fv_result(False))
    assert "483" in vr.variant_sentence(field_result(50, "v1.5", "v1")) and "427" in vr.variant_sentence(field_result(50, "v1", "v1.5"))


def test_pictures() -> None:
    fig = vr.erf_figure(erf_result(0.4, 0.6))
    assert isinstance(fig, go.Figure) and len(fig.data) == 3
    grid = vr.feature_grid(fv_result(False))
    assert grid.dtype == np.uint8 and grid.shape[0] > 2 * 96 and grid.shape[1] > 3 * 96
    pic = vr.field_picture(field_result(18, "v1.5", "v1"), np.full((50, 80, 3), 128, np.uint8))
    assert pic.shape == (224, 224, 3)
    small = field_boxes(receptive_fields(skeleton(18, "v1.5"), 56), "layer2")
    assert vr.field_picture(small).shape == (224, 224, 3)  # 4x zoom for legibility
    assert vr.erf_overlay(erf_result(0.4, 0.6)).shape == (64, 64, 3)


@pytest.mark.parametrize("lang", ["fr", ""])
def test_unknown_language_is_refused(lang: str) -> None:
    with pytest.raises(ValueError, match="language"):
        vr.erf_verdict(erf_result(0.4, 0.6), lang=lang)


def test_page_parsers_refuse_with_a_reason() -> None:
    from playground.tabs.receptive import layer_update, parse_channels, parse_position

    assert parse_position("") is None and parse_position(" 3, 4 ") == (3, 4)
    assert parse_channels("0 1, 7") == (0, 1, 7)
    for bad in ("seven", "1, 2, 3", "-1, 2"):
        with pytest.raises(ValueError, match="position"):
            parse_position(bad)
    for bad in ("", "a", "0,1,2,3,4,5,6,7,8", "-2"):
        with pytest.raises(ValueError, match="channels"):
            parse_channels(bad)
    update = layer_update("ResNet-18", "", "basic", "v1.5", "layer3.5")  # ResNet-50's block, not ResNet-18's
    assert update["value"] == "layer4" and "layer3.1" in update["choices"] and "layer3.5" not in update["choices"]


def test_noise_is_bounded_by_the_servers_budget() -> None:
    from types import SimpleNamespace

    from playground.tabs.receptive import ERF_WORK, bounded_noise
    from resnet_core.serving import architecture_of
    from resnet_core.zoo import ModelKey

    page = SimpleNamespace(settings=SimpleNamespace(service=SimpleNamespace(max_gmacs=50.0)),
                           backend=SimpleNamespace(check_cost=lambda d, v, s: architecture_of(d, v, (s, s))))
    big = architecture_of(152, "v1.5", (448, 448)).macs / 1e9  # about 46 GMACs a pass
    assert bounded_noise(page, ModelKey(152, "v1.5", "random"), 448, 64) == int(ERF_WORK * 50 / big) < 64
    assert bounded_noise(page, ModelKey(18, "v1.5", "random"), 224, 64) == 64
    assert bounded_noise(page, None, 64, 64) == 64  # the toy
