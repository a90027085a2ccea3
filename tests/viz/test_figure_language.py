"""Every word a figure puts on the page speaks the page's language (English or Chinese)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
import torch
from _words import english_words, strings
from PIL import Image

import viz
from resnet_core import build_resnet, describe
from resnet_core.inspection import inspect
from resnet_core.preprocess import prepare
from resnet_core.results import Prediction
from resnet_core.shapes import Architecture
from viz import activations, cam, graph, predictions, shapes


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
        "verdicts": [graph.graph_verdict(arch(50), lang="zh"), graph.graph_verdict(arch(18, 32, "preact"), lang="zh"),
                     shapes.cost_verdict(arch(50), lang="zh"), shapes.cost_verdict(arch(152), lang="zh"),
                     activations.stats_verdict(result.activations, lang="zh")],
    }


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


def test_graph_verdict_counts_torchvisions_shortcuts() -> None:
    import torchvision

    for depth in (18, 50, 152):
        blocks = [m for m in getattr(torchvision.models, f"resnet{depth}")().modules() if hasattr(m, "downsample")]
        proj = sum(b.downsample is not None for b in blocks)
        en, zh = (graph.graph_verdict(arch(depth), lang=lang) for lang in ("en", "zh"))
        assert f"{len(blocks)} residual blocks" in en and f"{proj} projection shortcut" in en
        assert f"{len(blocks) - proj} identity shortcut" in en
        assert f"{proj} 个投影捷径" in zh and f"{len(blocks) - proj} 个恒等捷径" in zh
        assert "zero-padding" not in en  # a kind that does not occur is not listed


def test_cost_verdict_matches_torchvisions_parameters_and_a_mac_count() -> None:
    import torchvision

    tv = torchvision.models.resnet50()
    params = {n: sum(p.numel() for p in getattr(tv, n).parameters()) for n in ("layer1", "layer2", "layer3", "layer4")}
    macs: dict[str, int] = dict.fromkeys(params, 0)

    def count(stage: str):
        def hook(m, _inp, out) -> None:
            k = m.kernel_size[0] * m.kernel_size[1] * m.in_channels // m.groups
            macs[stage] += out.shape[1] * out.shape[2] * out.shape[3] * k
        return hook

    handles = [m.register_forward_hook(count(s)) for s in params for m in getattr(tv, s).modules()
               if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        tv(torch.zeros(1, 3, 224, 224))
    for h in handles:
        h.remove()
    total_p = sum(p.numel() for p in tv.parameters())
    total_m = torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta["_ops"] * 1e9
    top = max(params, key=params.get)
    text = shapes.cost_verdict(arch(50))
    assert text.startswith(f"{top} holds {params[top] / total_p:.0%}")
    assert f"only {macs[top] / total_m:.0%} of the work" in text
    busy = max(macs, key=macs.get)
    assert max(macs.values()) > 2 * min(macs.values()) and f"{busy} does the most work" in text
    zh = shapes.cost_verdict(arch(50), lang="zh")
    assert f"{params[top] / total_p:.0%}" in zh and busy in zh


@pytest.mark.parametrize("variant", ["v1.5", "preact"])
def test_stats_verdict_reads_the_blocks_own_outputs(variant: str) -> None:
    # the reference: each block's output measured by a hook of our own, not the engine's numbers
    torch.manual_seed(0)
    model = build_resnet(18, variant=variant).eval()
    image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    result = inspect(model, image, mode="whole", size=64, max_channels=1)
    seen: dict[str, torch.Tensor] = {}
    handles = [model.get_submodule(n).register_forward_hook(lambda m, i, o, n=n: seen.__setitem__(n, o))
               for n in model.block_names()]
    with torch.no_grad():
        model(prepare(Image.fromarray(image), mode="whole", size=64).tensor)
    for h in handles:
        h.remove()
    means = {n: float(o.mean()) for n, o in seen.items()}
    zeros = [float((o == 0).float().mean()) for o in seen.values()]
    peak = max(means, key=means.get)
    for lang in ("en", "zh"):
        text = activations.stats_verdict(result.activations, lang=lang)
        assert f"{means[peak]:.3g}" in text and peak in text
        assert str(len(means)) in text
        if variant == "preact":  # the block ends in the addition: signed outputs, no exact zeros
            assert max(zeros) < 0.01 and f"{max(zeros):.1%}" in text and "ReLU" in text
        else:
            assert f"{min(zeros):.0%}" in text and f"{max(zeros):.0%}" in text
    with pytest.raises(ValueError, match="no block"):
        activations.stats_verdict(result.activations[:1])


def test_timeline_picture_names_the_stem_in_the_page_language() -> None:
    from viz._draw import label_height

    tl = engine_result().timeline
    en, zh = (cam.cam_timeline_image(tl, cell=48, lang=lang) for lang in ("en", "zh"))
    lab = label_height()
    stem_header = (slice(0, lab), slice(0, 48 + 4))
    assert not np.array_equal(en[stem_header], zh[stem_header])
    assert np.array_equal(en[lab:], zh[lab:])  # the maps and the class rows are the same
    assert np.array_equal(en[:lab, 52:], zh[:lab, 52:])  # so are layer1..layer4's headers
