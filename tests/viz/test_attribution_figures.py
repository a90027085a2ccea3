"""Figures and verdicts of the attributions page, from records built here."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import plotly.graph_objects as go
import pytest

from resnet_core.attributions.faithfulness import CaptumScores, FaithCurve
from resnet_core.attributions.methods import Attribution
from resnet_core.attributions.sanity import SanityCurve, SanityResult
from viz.attributions import (
    attribution_grid_figure,
    attribution_verdict,
    faithfulness_figure,
    faithfulness_table,
    faithfulness_verdict,
    sanity_figure,
    sanity_maps_figure,
    sanity_verdict,
)

STEPS = ("trained", "fc", "layer4.0", "stem")


def _attr(method: str, label: str, t: float, scale: float) -> Attribution:
    m = np.linspace(-1, 1, 48 * 40, dtype=np.float32).reshape(48, 40) * scale
    return Attribution(method=method, label=label, target=3, map=m, time_s=t, forward_passes=1, params={})


def _curve(method: str, final: float) -> SanityCurve:
    rho = np.array([1.0, 0.9, 0.7, final])
    return SanityCurve(
        method=method,
        label=method.upper(),
        maps=np.zeros((4, 8, 8), np.float32),
        spearman=rho,
        ssim=rho * 0.9,
    )


def _faith(method: str, d: float, i: float) -> FaithCurve:
    f = np.linspace(0, 1, 5)
    return FaithCurve(
        method=method,
        label=method.title(),
        fractions=f,
        deletion=np.full(5, d),
        insertion=np.full(5, i),
        deletion_auc=d,
        insertion_auc=i,
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_grid_figure_shows_each_method_with_its_time(lang):
    attrs = [_attr("saliency", "Saliency", 0.012, 1.0), _attr("occlusion", "Occlusion", 2.5, 40.0)]
    image = np.zeros((48, 40, 3), np.uint8)
    fig = attribution_grid_figure(image, attrs, class_label="disk", lang=lang)
    assert isinstance(fig, go.Figure)
    titles = [a.text for a in fig.layout.annotations]
    assert any("Saliency" in t and "12 ms" in t for t in titles)
    assert any("Occlusion" in t and "2.5 s" in t for t in titles)
    heat = [t for t in fig.data if isinstance(t, go.Heatmap)]
    # per-map scaling: both maps reach +-1; a shared scale keeps the units (peak 40)
    assert all(np.abs(np.asarray(h.z)).max() == pytest.approx(1.0) for h in heat)
    shared = attribution_grid_figure(image, attrs, shared=True, signed=False, lang=lang)
    heat = [t for t in shared.data if isinstance(t, go.Heatmap)]
    assert heat[1].zmax == pytest.approx(40.0) and heat[0].zmin == 0.0 and np.asarray(heat[0].z).min() >= 0


def test_grid_verdict_is_computed_from_times():
    attrs = [_attr("saliency", "Saliency", 0.012, 1.0), _attr("occlusion", "Occlusion", 2.5, 1.0)]
    v = attribution_verdict(attrs, class_label="disk")
    assert "Fastest: Saliency (12 ms)" in v and "slowest: Occlusion (2.5 s)" in v
    swapped = [_attr("saliency", "Saliency", 3.0, 1.0), _attr("occlusion", "Occlusion", 0.5, 1.0)]
    assert "Fastest: Occlusion" in attribution_verdict(swapped)
    assert "最快：Saliency" in attribution_verdict(attrs, lang="zh")


STEPS_R18 = ("trained", "fc", "layer4.1", "layer4.0", "layer3.1", "stem")


def _cascade(method: str, label: str, top: float, final: float) -> SanityCurve:
    # alike through the top (fc, layer4.1, layer4.0 at ``top``), then everything changes at the end
    rho = np.array([1.0, top, top, top, 0.5 * top, final])
    return SanityCurve(method=method, label=label, maps=np.zeros((6, 8, 8), np.float32), spearman=rho, ssim=rho)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sanity_figure_draws_every_method_at_every_step(lang):
    r = SanityResult(steps=STEPS, target=0, curves=(_curve("gradcam", 0.1), _curve("guided", 0.8)), time_s=1.0)
    fig = sanity_figure(r, lang=lang)
    shown = ["训练后" if lang == "zh" else "trained", *STEPS[1:]]  # the layers keep their names
    assert len(fig.data) == 4 and list(fig.data[0].x) == shown
    maps = sanity_maps_figure(r, lang=lang)
    assert len(maps.data) == 2 * len(STEPS)
    # every row says which method it is (not only the first), and the steps head the columns once
    row_titles = [maps.layout[f"yaxis{'' if k == 1 else k}"].title.text for k in (1, 1 + len(STEPS))]
    assert row_titles == ["GRADCAM", "GUIDED"]
    assert [a.text for a in maps.layout.annotations if a.text] == shown
    assert "GRADCAM" in sanity_verdict(r, lang=lang)


def test_sanity_verdict_reads_the_top_of_the_cascade_not_its_end():
    # Adebayo et al.: a map still alike once the classifier and the last stage are random fails,
    # however much it changes when the stem is re-drawn too (where every map changes)
    r = SanityResult(
        steps=STEPS_R18,
        target=0,
        curves=(
            _cascade("gradcam", "Grad-CAM", 0.2, -0.03),
            _cascade("guided_backprop", "Guided Backprop", 0.96, 0.29),
            _cascade("guided_gradcam", "Guided Grad-CAM", 0.25, 0.04),
        ),
        time_s=1.0,
    )
    judged = {j.method: j for j in r.judgements}
    assert judged["guided_backprop"].top_step == "layer4.0"
    # the figure marks the step the verdict reads (index 3 of the cascade)
    assert any(shape.x0 == 3 and shape.x1 == 3 for shape in sanity_figure(r).layout.shapes)
    assert not judged["guided_backprop"].passes and judged["gradcam"].passes
    v = sanity_verdict(r)
    assert "Fail (the map stays alike): Guided Backprop ρ=0.96." in v
    assert "Pass (the map changed with the weights): Grad-CAM ρ=0.20, Guided Grad-CAM ρ=0.25." in v
    # Guided Grad-CAM's pass is its Grad-CAM factor's, and the paper found the opposite
    assert "Guided Grad-CAM passes only through its Grad-CAM factor: Guided Backprop" in v
    assert "opposite verdict for Guided Grad-CAM" in v and "As Adebayo et al. found: Grad-CAM, Guided Backprop" in v
    zh = sanity_verdict(r, lang="zh")
    assert "未通过（归因图基本不变）：Guided Backprop" in zh and "相反的结论" in zh


def test_sanity_verdict_over_several_pictures_gives_mean_and_spread():
    from resnet_core.attributions.sanity import ALIKE_SPEARMAN, judge_sanity
    from viz.attributions import PASS_SPEARMAN

    assert PASS_SPEARMAN == ALIKE_SPEARMAN  # the figure's line is the library's rule
    runs = [
        SanityResult(steps=STEPS_R18, target=0, curves=(_cascade("saliency", "Saliency", top, 0.2),), time_s=1.0)
        for top in (0.4, 0.6)
    ]
    (j,) = judge_sanity(runs)
    assert j.mean == pytest.approx(0.5) and j.spread == pytest.approx(0.1) and j.passes
    assert "Saliency ρ=0.50±0.10" in sanity_verdict((j,)) and "2 picture" in sanity_verdict((j,))
    with pytest.raises(ValueError):
        judge_sanity([])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_faithfulness_figure_table_and_verdict(lang):
    curves = [_faith("gradcam", 0.1, 0.8), _faith("random", 0.3, 0.5), _faith("saliency", 0.4, 0.6)]
    fig = faithfulness_figure(curves, lang=lang)
    assert len(fig.data) == 6
    table = faithfulness_table(curves, [CaptumScores("gradcam", 0.01, 0.2)], lang=lang)
    assert len(table["headers"]) == 5 and [row[1] for row in table["data"]] == [0.1, 0.3, 0.4]
    v = faithfulness_verdict(curves)
    assert "Lowest deletion area: Gradcam (0.100)." in v
    assert "Against “random map” (0.300): beaten at deletion by Gradcam. Not beaten by Saliency." in v
    assert "Gradcam" in faithfulness_verdict(curves, lang="zh")
    # the study's two kinds of random map (pixels, cells) stay two names, in the page's language
    pixels = replace(_faith("random", 0.3, 0.5), label="random (pixels)")
    cells = replace(_faith("random", 0.35, 0.5), label="random (4×4 cells)")
    two = [curves[0], pixels, cells]
    names = [t.name for t in faithfulness_figure(two, lang=lang).data if t.showlegend]
    expected = ["随机图（逐像素）", "随机图（4×4 单元）"] if lang == "zh" else ["random map (pixels)", "random map (4×4 cells)"]
    assert names == ["Gradcam", *expected]
    assert sorted(row[0] for row in faithfulness_table(two, lang=lang)["data"]) == sorted(["Gradcam", *expected])


def test_two_random_maps_are_named_apart_and_both_compared():
    # the study's yardsticks (labels "random (pixels)" and "random (4×4 cells)"): the verdict
    # compares every method with each, by name
    curves = [
        _faith("gradcam", 0.2, 0.8),
        _faith("saliency", 0.35, 0.6),
        FaithCurve("random", "random (pixels)", np.linspace(0, 1, 5), np.zeros(5), np.zeros(5), 0.07, 0.5),
        FaithCurve("random", "random (4×4 cells)", np.linspace(0, 1, 5), np.zeros(5), np.zeros(5), 0.44, 0.5),
    ]
    v = faithfulness_verdict(curves)
    assert "Against “random map (pixels)” (0.070): beaten at deletion by none." in v
    assert "Against “random map (4×4 cells)” (0.440): beaten at deletion by Gradcam, Saliency." in v
    assert "随机图（4×4 单元）" in faithfulness_verdict(curves, lang="zh")


def test_unknown_language_is_refused():
    with pytest.raises(ValueError):
        attribution_verdict([], lang="fr")
