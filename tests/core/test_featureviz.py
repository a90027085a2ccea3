"""Feature visualization: the optimised picture excites its channel, the budget holds, examples are the top fields."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from resnet_core.featureviz import (
    FeatureVizCall,
    FeatureVizProgress,
    FeatureVizResult,
    dataset_examples,
    optimise,
)
from resnet_core.preprocess import prepare
from resnet_core.toy import TOY_PREPROCESS, load_toy
from resnet_core.zoo import ModelKey


@pytest.fixture(scope="module")
def toy():
    return load_toy().model.requires_grad_(False)


def pre_relu(model, stage: str, x: torch.Tensor) -> torch.Tensor:
    """The stage's output before its last block's final ReLU, read with a hook (test only)."""
    seen = {}
    last = getattr(model, stage)[-1].relu2
    handle = last.register_forward_pre_hook(lambda m, args: seen.update(z=args[0]))
    try:
        with torch.no_grad():
            model(x)
    finally:
        handle.remove()
    return seen["z"]


def test_optimised_pictures_raise_their_channels(toy) -> None:
    channels = (0, 5, 17, 30)
    records = list(optimise(toy, "layer2", channels, TOY_PREPROCESS, size=32, steps=24, seconds=300, every=8))
    pictures, start, end, steps, _, stopped_by = records[-1]
    assert steps == 24 and stopped_by == "steps"
    assert pictures.shape == (4, 32, 32, 3) and pictures.dtype == np.uint8
    # measured again here, independently of the study's own bookkeeping: the trained toy's
    # channel activation on the final picture, by a plain forward pass
    x = (torch.from_numpy(pictures).permute(0, 3, 1, 2).float() / 255 - 0.5) / 0.25
    act = pre_relu(toy, "layer2", x)
    for i, c in enumerate(channels):
        assert end[i] > start[i]
        assert act[i, c].mean().item() > start[i]
    assert [r.step for r in records[:-1]] == [8, 16]  # progress every 8 steps, the result last
    assert all(isinstance(r, FeatureVizProgress) and r.preview.shape == (4, 32, 32, 3) for r in records[:-1])


def test_time_budget_stops_the_optimisation(toy) -> None:
    *_, last = optimise(toy, "layer1", (0,), TOY_PREPROCESS, size=32, steps=2048, seconds=0.2)
    _, _, _, steps, seconds, stopped_by = last
    assert stopped_by == "time" and 1 <= steps < 2048
    assert seconds < 30  # stopped at the first step past 0.2 s, not after 2048 steps


def test_dataset_examples_are_the_strongest_fields(toy) -> None:
    rng = np.random.default_rng(1)
    pics = [(f"p{i}", rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)) for i in range(5)]
    (ex,) = dataset_examples(toy, "layer2", (3,), TOY_PREPROCESS, pics, size=32, per_channel=3)
    x = torch.cat([prepare(p, TOY_PREPROCESS, mode="crop", size=32).tensor for _, p in pics])
    best = pre_relu(toy, "layer2", x)[:, 3].amax((-2, -1)).numpy()
    order = np.argsort(-best)[:3]
    assert [e.source for e in ex] == [f"p{i}" for i in order]
    np.testing.assert_allclose([e.value for e in ex], best[order], rtol=1e-5)
    for e in ex:
        top, left, bottom, right = e.box
        assert e.crop.shape == (bottom - top + 1, right - left + 1, 3) and bottom - top + 1 <= 25  # the toy's layer2 field


def test_study_on_the_toy_and_on_random_weights(backend) -> None:
    call = FeatureVizCall(layer="layer2", channels=(1, 2), size=32, steps=6, seconds=120, examples=2)
    result = list(backend.run("feature_visualization", call))[-1]
    assert isinstance(result, FeatureVizResult) and not result.random and result.steps == 6
    assert [p.channel for p in result.pictures] == [1, 2] and all(len(p.examples) == 2 for p in result.pictures)
    key = ModelKey(("basic", (1, 1, 1, 1)), "v1.5", "random")
    rand = list(backend.run("feature_visualization", FeatureVizCall(model="picked", key=key, layer="layer1", channels=(0,),
                                                                    size=32, steps=2, examples=1)))[-1]
    assert rand.random and rand.source == "random"


def test_bad_requests_are_plain_errors(backend) -> None:
    with pytest.raises(ValueError, match="channel"):
        FeatureVizCall(channels=())
    with pytest.raises(ValueError, match="steps"):
        FeatureVizCall(steps=0)
    with pytest.raises(ValueError, match="seconds"):
        FeatureVizCall(seconds=0)
    with pytest.raises(ValueError, match="channels 0 to 31"):
        list(backend.run("feature_visualization", FeatureVizCall(layer="layer2", channels=(32,), size=32, steps=1)))
