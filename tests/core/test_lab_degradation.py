"""Degradation: error curves across seeds from hand-made races, the saved format, and what the
committed runs (scripts/degradation.py) show against the paper's Fig. 1 and Fig. 6."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from resnet_core.lab import RaceCurve, RaceUpdate
from resnet_core.lab._common import LabError
from resnet_core.lab.degradation import load_degradation, save_degradation, summarize_races
from viz.lab import degradation_figure, degradation_verdict

ROOT = Path(__file__).resolve().parents[2]
SAVED = ROOT / "assets" / "curves" / "degradation.json"


def _update(accs: dict[str, tuple[float, float]], steps: int = 10) -> RaceUpdate:
    """A finished race whose networks have constant training and held-out accuracy."""
    curves = []
    for name, (train, test) in accs.items():
        kind = "plain" if name.startswith("Plain") else "residual"
        curves.append(
            RaceCurve(
                name=name, kind=kind, depth=int(name.split("-")[1]), steps=np.arange(1, steps + 1),
                loss=np.ones(steps), accuracy=np.full(steps, train), eval_steps=np.array([0, steps]),
                eval_accuracy=np.array([0.1, test]),
            )
        )
    return RaceUpdate(step=steps, steps=steps, elapsed=1.0, curves=tuple(curves), done=True, stopped=None, device="cpu")


def _runs() -> list[RaceUpdate]:
    return [
        _update({"Plain-20": (0.8, 0.7), "ResNet-20": (0.9, 0.85), "Plain-56": (0.3, 0.3), "ResNet-56": (0.95, 0.9)}),
        _update({"Plain-20": (0.7, 0.6), "ResNet-20": (0.9, 0.8), "Plain-56": (0.75, 0.7), "ResNet-56": (0.93, 0.9)}),
        _update({"Plain-20": (0.9, 0.8), "ResNet-20": (0.9, 0.8), "Plain-56": (0.2, 0.2), "ResNet-56": (0.85, 0.8)}),
    ]


def test_error_curves_are_the_per_seed_errors() -> None:
    result = summarize_races(_runs(), seeds=[0, 1, 2], bins=5)
    plain56 = result.curve("Plain-56")
    np.testing.assert_allclose(plain56.final_train_error, [0.7, 0.25, 0.8])
    np.testing.assert_allclose(plain56.final_test_error, [0.7, 0.3, 0.8])
    assert plain56.train_error.shape == (3, 5)
    assert result.deeper_worse("plain") == 2  # seed 1 is the exception
    assert result.deeper_worse("residual") == 1  # seed 2: 0.15 > 0.10


def test_verdict_counts_seeds_and_says_whether_the_pattern_holds() -> None:
    result = summarize_races(_runs(), seeds=[0, 1, 2], bins=5)
    text = degradation_verdict(result)
    # chance is 90% error (ten classes by default): plain-56 left it in seeds 0 and 1 only
    assert "Plain-56" in text and "2 of 3" in text and "does not hold here: 2 of 3 seeds left chance" in text
    assert "3 个种子中有 2 个" in degradation_verdict(result, "zh")


def test_the_papers_pattern_is_called_so_and_a_plain_net_at_chance_is_not_degradation() -> None:
    # He et al. Fig. 1 and 6: plain-56 trains, to a higher error than plain-20; ResNet-56 ends lower
    paper = [_update({"Plain-20": (0.8, 0.7), "ResNet-20": (0.85, 0.8), "Plain-56": (0.6, 0.5), "ResNet-56": (0.9, 0.85)})
             for _ in range(3)]
    result = summarize_races(paper, seeds=[0, 1, 2], bins=5, meta={"classes": 5})
    assert result.finding().as_in_paper and "holds here (Fig. 1 and 6)" in degradation_verdict(result)
    # plain-56 at chance (5 classes: 80% error) in every seed has not started: not the paper's finding
    stuck = [_update({"Plain-20": (0.7, 0.7), "ResNet-20": (0.9, 0.8), "Plain-56": (0.21, 0.2), "ResNet-56": (0.5, 0.5)})
             for _ in range(3)]
    result = summarize_races(stuck, seeds=[0, 1, 2], bins=5, meta={"classes": 5})
    assert result.finding().plain == "never_started" and not result.finding().as_in_paper
    text = degradation_verdict(result)
    assert "This is not the paper's Fig. 1" in text and "never starts training" in text and "holds" not in text
    assert "opposite of the paper's Fig. 6" in text
    one = summarize_races(stuck[:1], seeds=[0], bins=5, meta={"classes": 5})
    assert "One seed only" in degradation_verdict(one) and "只有一个种子" in degradation_verdict(one, "zh")


def test_final_training_error_is_the_last_fifth_of_the_steps_not_one_bin() -> None:
    run = _update({"Plain-20": (0.5, 0.5), "ResNet-20": (0.5, 0.5)}, steps=10)
    acc = np.array([0.0] * 8 + [0.5, 1.0])  # the last two of ten steps: errors 0.5 and 0.0
    curve = run.curves[0]
    run = RaceUpdate(step=10, steps=10, elapsed=1.0, done=True, stopped=None, device="cpu",
                     curves=(RaceCurve(name=curve.name, kind=curve.kind, depth=curve.depth, steps=curve.steps,
                                       loss=curve.loss, accuracy=acc, eval_steps=curve.eval_steps,
                                       eval_accuracy=curve.eval_accuracy), run.curves[1]))
    result = summarize_races([run], seeds=[0], bins=10)
    np.testing.assert_allclose(result.curve("Plain-20").final_train_error, [0.25])  # not the last bin's 0.0
    from resnet_core.lab.degradation import FINAL_SHARE as LIBRARY_SHARE
    from viz.lab.degradation import FINAL_SHARE

    assert FINAL_SHARE == LIBRARY_SHARE


def test_round_trip_and_malformed_file(tmp_path: Path) -> None:
    result = summarize_races(_runs(), seeds=[0, 1, 2], bins=5, meta={"device_name": "test CPU"})
    path = save_degradation(result, tmp_path / "d.json")
    again = load_degradation(path)
    np.testing.assert_allclose(again.curve("ResNet-56").train_error, result.curve("ResNet-56").train_error)
    assert again.seeds == (0, 1, 2) and again.meta["device_name"] == "test CPU"
    (tmp_path / "bad.json").write_text("[1, 2")
    with pytest.raises(LabError):
        load_degradation(tmp_path / "bad.json")


def test_races_that_differ_are_refused() -> None:
    runs = _runs()
    with pytest.raises(LabError):
        summarize_races(runs[:2], seeds=[0, 1, 2])
    with pytest.raises(LabError):
        summarize_races([runs[0], _update({"Plain-20": (0.5, 0.5)})], seeds=[0, 1])


@pytest.mark.skipif(not SAVED.exists(), reason="made by scripts/degradation.py")
def test_committed_runs_are_small_labelled_and_their_verdict_says_what_they_show() -> None:
    assert SAVED.stat().st_size < 300_000
    result = load_degradation(SAVED)
    assert len(result.seeds) >= 3 and result.meta["device_name"] and "not the paper" in result.meta["ours"]
    # measured: plain-56 stays at chance (80% error, five classes) in every seed of 150 steps,
    # which is not He et al.'s Fig. 1 (a plain-56 that trains, to a higher error): the page says so
    found = result.finding()
    assert found.plain == "never_started" and not found.as_in_paper
    text = degradation_verdict(result)
    assert "This is not the paper's Fig. 1" in text and "holds" not in text
    from playground.locales import t

    assert "Fig. 1 and Fig. 6" not in t("degradation_heading", "en")
    fig = degradation_figure(SAVED)
    assert result.meta["device_name"] in fig.layout.title.text
