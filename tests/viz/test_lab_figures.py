"""The lab's figures and verdicts in both languages: same keys, words from the data."""

from __future__ import annotations

import re

import numpy as np
import pytest

from resnet_core.lab import NetworkFlow
from resnet_core.lab.landscape import Landscape, LossSurface
from resnet_core.lab.shatter import ShatterCurve, Shattering
from resnet_core.shapes import block_anatomy
from viz.lab import (
    block_anatomy_figure,
    flow_verdict,
    landscape_figure,
    landscape_verdict,
    race_figure,
    shatter_verdict,
    shattering_figure,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


def _shattering(plain_lag1: float, res_lag1: float) -> Shattering:
    def curve(kind: str, name: str, r1: float) -> ShatterCurve:
        lags = np.arange(4)
        return ShatterCurve(kind=kind, name=name, depth=56, t=np.linspace(-1, 1, 16),
                            gradient=np.sin(np.arange(16.0)), lags=lags, autocorr=np.array([1.0, r1, r1 / 2, 0.0]))

    curves = (curve("plain", "Plain-56", plain_lag1), curve("residual", "ResNet-56", res_lag1),
              curve("preact", "PreAct ResNet-56", 0.5))
    return Shattering(depths=(56,), points=16, input_size=8, norm=True, seed=0, curves=curves)


def test_shatter_verdict_is_computed_from_the_correlations() -> None:
    shattered = shatter_verdict(_shattering(-0.05, 0.87))
    assert "-0.05" in shattered and "0.87" in shattered and "white noise" in shattered
    smooth = shatter_verdict(_shattering(0.9, 0.95))
    assert "need" in smooth and smooth != shattered
    zh = shatter_verdict(_shattering(-0.05, 0.87), "zh")
    assert CJK.search(zh) and "0.87" in zh


def test_flow_verdict_quotes_gain_and_the_spread_after_sgd_in_both_languages() -> None:
    norms = 17.0 ** (np.arange(26, -1, -1) / 26)
    net = NetworkFlow(kind="residual", name="CIFAR ResNet-56", norm=True, blocks=tuple(map(str, range(27))),
                      grad_norms=norms, input_norms=norms, shortcut_norms=None, branch_norms=None, loss=2.3, depth=56)
    en, zh = flow_verdict(net), flow_verdict(net, "zh")
    for text in (en, zh):
        assert "17" in text and "1.12" in text and "1202" not in text
    assert "less than 100×" in en and CJK.search(zh) and "SGD" not in en
    # an explosion at step 0 that is gone after a few steps is called a start-up imbalance
    steep = 1e4 ** (np.arange(26, -1, -1) / 26)
    after = 50.0 ** (np.arange(26, -1, -1) / 26)
    plain = NetworkFlow(kind="plain", name="CIFAR Plain-56", norm=True, blocks=tuple(map(str, range(27))),
                        grad_norms=steep, input_norms=steep, shortcut_norms=None, branch_norms=None, loss=2.3,
                        depth=56, after_norms=after, after_steps=5, after_lr=0.05, after_loss=2.2)
    en = flow_verdict(plain)
    assert "no single learning rate suits both ends of the first step" in en
    assert "After 5 SGD steps (lr 0.05): 50×, within 100× already" in en
    assert "5 步 SGD" in flow_verdict(plain, "zh")


def test_landscape_verdict_prefers_the_surface_with_fewer_minima() -> None:
    a = np.linspace(-1, 1, 11)
    A, B = np.meshgrid(a, a)
    rough = LossSurface(kind="plain", name="Plain-20", alphas=a, betas=a,
                        loss=1 + A**2 + B**2 + 0.3 * np.cos(9 * A) * np.cos(9 * B), train_accuracy=0.8)
    smooth = LossSurface(kind="residual", name="ResNet-20", alphas=a, betas=a, loss=1 + A**2 + B**2, train_accuracy=0.9)
    result = Landscape(depth=20, train_steps=10, grid=11, span=1.0, surfaces=(rough, smooth), seconds=1.0,
                       device="cpu", data="")
    assert rough.local_minima > 1 == smooth.local_minima
    # at 20 layers Li et al. found both benign; the verdict quotes them for that depth
    assert "smoother one here; Li et al. found both benign at 20 layers" in landscape_verdict(result)
    assert "平滑" in landscape_verdict(result, "zh")
    # one minimum is "a local minimum", several are "minima"
    assert "1 local minimum for ResNet-20" in landscape_verdict(result) and "1 local minima" not in landscape_verdict(result)
    assert f"{rough.local_minima} local minima for Plain-20" in landscape_verdict(result)
    deep = Landscape(depth=56, train_steps=10, grid=11, span=1.0, surfaces=(rough, smooth), seconds=1.0,
                     device="cpu", data="")
    assert "as Li et al. found from 56 layers on" in landscape_verdict(deep)
    # a single basin whose bottom is off-centre: the slice is on a slope, and says so
    slope = LossSurface(kind="plain", name="Plain-20", alphas=a, betas=a, loss=1 + (A - 0.6) ** 2 + B**2,
                        train_accuracy=0.9)
    on_slope = Landscape(depth=20, train_steps=10, grid=11, span=1.0, surfaces=(slope, smooth), seconds=1.0,
                         device="cpu", data="")
    assert slope.outward_dips > 0 and slope.local_minima == 1
    assert "Plain-20's slice is not centred at a minimum" in landscape_verdict(on_slope)
    assert "smoother" not in landscape_verdict(on_slope) and "1 local minimum for" in landscape_verdict(on_slope)
    fig = landscape_figure(result, lang="zh")
    assert len(fig.data) == 4 and CJK.search(fig.layout.title.text)


@pytest.mark.parametrize(
    "make",
    [lambda lang: block_anatomy_figure(block_anatomy(), lang=lang), lambda lang: race_figure([], lang=lang),
     lambda lang: shattering_figure(_shattering(0.1, 0.9), lang=lang)],
    ids=["anatomy", "race-empty", "shatter"],
)
def test_figures_speak_chinese_when_asked(make) -> None:
    en, zh = _strings(make("en").to_plotly_json()), _strings(make("zh").to_plotly_json())
    assert not CJK.search(en) and CJK.search(zh)


def _strings(obj: object) -> str:
    """Every string inside a figure's JSON, joined."""
    if isinstance(obj, str):
        return obj
    if isinstance(obj, dict):
        obj = list(obj.values())
    if isinstance(obj, (list, tuple)):
        return " ".join(_strings(v) for v in obj)
    return ""


def test_an_unknown_language_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="lang"):
        block_anatomy_figure(block_anatomy(), lang="fr")


def _race_update(plain_acc: float, res_acc: float):
    from resnet_core.lab import RaceCurve, RaceUpdate

    def curve(name: str, kind: str, acc: float) -> RaceCurve:
        return RaceCurve(name=name, kind=kind, depth=44, steps=np.arange(1, 4), loss=np.ones(3), accuracy=np.ones(3) / 2,
                         eval_steps=np.array([0, 3]), eval_accuracy=np.array([0.2, acc]))

    curves = (curve("Plain-44", "plain", plain_acc), curve("ResNet-44", "residual", res_acc))
    return RaceUpdate(step=3, steps=3, elapsed=1.0, curves=curves, done=True, stopped=None, device="cpu")


def test_race_verdict_names_the_leader_and_the_gap() -> None:
    from viz.lab import race_verdict

    ahead = race_verdict(_race_update(0.22, 0.91))
    assert "91%" in ahead and "22%" in ahead and "leads by 69 percentage points" in ahead
    assert "plain net leads by 30 percentage points" in race_verdict(_race_update(0.6, 0.3))
    assert "neither" in race_verdict(_race_update(0.5, 0.52))
    assert "领先 69 个百分点" in race_verdict(_race_update(0.22, 0.91), "zh")


def _preds(*pairs: tuple[int, float]) -> tuple:
    from resnet_core.results import Prediction

    return tuple(Prediction(index=i, label=f"class {i}", probability=p) for i, p in pairs)


def test_ablation_verdict_reads_what_changed_on_the_picture() -> None:
    from viz.lab import ablation_verdict

    before = _preds((7, 0.60), (3, 0.20), (1, 0.10), (4, 0.05), (9, 0.02))
    kept = _preds((7, 0.55), (3, 0.22), (1, 0.09), (5, 0.05), (4, 0.04))  # 4 of the 5 stay; 0.55 >= 0.8 * 0.60
    moved = _preds((3, 0.50), (2, 0.30), (5, 0.10), (6, 0.05), (8, 0.01))  # the top class fell out of the top 5
    text = ablation_verdict(before, kept, block="layer3.1", mode="branch", pretrained=True)
    assert "keeps the top class “class 7” (60% → 55%)" in text and "4 of the top 5" in text and "Veit" in text
    text = ablation_verdict(before, moved, block="layer3.1", mode="shortcut", pretrained=True)
    assert "to “class 3” (50%" in text and "below the top 5" in text and "1 of the top 5" in text
    assert "clearly changed" in text and "Veit" not in text
    # random weights: whatever the change, it means nothing, and the verdict says so
    for after in (kept, moved):
        text = ablation_verdict(before, after, block="layer2.0", mode="branch", pretrained=False)
        assert "random" in text and "barely" not in text and "clearly" not in text
    zh = ablation_verdict(before, moved, block="layer3.1", mode="branch", pretrained=False, lang="zh")
    assert CJK.search(zh) and "随机" in zh
    # the shortcut cut is not what Veit et al. measured: no citation even when nothing moved
    assert "Veit" not in ablation_verdict(before, kept, block="layer3.1", mode="shortcut", pretrained=True)

