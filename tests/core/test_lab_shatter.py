"""Shattered gradients: the line gradient against finite differences, the autocorrelation
against numpy's, and Balduzzi et al.'s finding with measured margins."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from resnet_core.lab._common import LabError
from resnet_core.lab.shatter import (
    autocorrelation,
    calibrate_batchnorm,
    line_gradient,
    shattering,
    shattering_steps,
)
from resnet_core.model import ResNet
from resnet_core.specs import cifar_spec

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: a second thread only stalls


@pytest.mark.parametrize("shortcuts", [True, False])
def test_line_gradient_matches_finite_differences(shortcuts: bool) -> None:
    torch.manual_seed(0)
    model = ResNet(cifar_spec(8), variant="v1", num_classes=10, shortcuts=shortcuts, shortcut_kind="A").double()
    calibrate_batchnorm(model, torch.randn(16, 3, 8, 8, dtype=torch.float64))
    gen = torch.Generator().manual_seed(1)
    start = torch.randn(3, 8, 8, generator=gen).double()
    direction = torch.randn(3, 8, 8, generator=gen).double()
    readout = torch.randn(10, generator=gen).double()
    t = torch.linspace(-1, 1, 9, dtype=torch.float64)
    got = line_gradient(model, start, direction, t, readout)

    h = 1e-6
    with torch.no_grad():
        f = lambda s: model(start[None] + s[:, None, None, None] * direction[None]) @ readout  # noqa: E731
        reference = ((f(t + h) - f(t - h)) / (2 * h)).numpy()
    np.testing.assert_allclose(got, reference, rtol=1e-5, atol=1e-7)


def test_autocorrelation_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(size=300))
    g = x - x.mean()
    full = np.correlate(g, g, mode="full")[len(g) - 1 :] / (g @ g)
    np.testing.assert_allclose(autocorrelation(x, 40), full[:41], rtol=1e-12)


def test_autocorrelation_tells_white_noise_from_a_smooth_signal() -> None:
    rng = np.random.default_rng(1)
    white = autocorrelation(rng.normal(size=256), 10)
    smooth = autocorrelation(np.sin(np.linspace(0, 4 * np.pi, 256)), 10)
    assert abs(white[1]) < 0.2 and smooth[1] > 0.95


def test_calibrated_batchnorm_uses_the_batch_statistics() -> None:
    torch.manual_seed(0)
    model = ResNet(cifar_spec(8), variant="v1", num_classes=10, shortcut_kind="A")
    images = torch.randn(32, 3, 8, 8)
    calibrate_batchnorm(model, images)
    assert not model.training
    with torch.no_grad():
        first = model.conv1(images)  # what bn1 saw
    torch.testing.assert_close(model.bn1.running_mean, first.mean(dim=(0, 2, 3)))
    torch.testing.assert_close(model.bn1.running_var, first.var(dim=(0, 2, 3), unbiased=True), rtol=1e-4, atol=1e-6)


def test_resnet_gradient_stays_smoother_than_plain_at_depth_20() -> None:
    # measured (seed 0, 256 points, 8x8): plain-20 0.66, ResNet-20 0.91
    s = shattering(depths=(20,), points=256, input_size=8, seed=0)
    assert s.curve("residual", 20).lag1 > s.curve("plain", 20).lag1 + 0.1
    assert [c.kind for c in s.curves] == ["plain", "residual", "preact"]


def test_every_streamed_update_can_be_drawn_and_judged() -> None:
    # the page draws each update as it arrives; the first used to list depths it had not
    # measured yet, and the verdict's lookup of the deepest one failed with ('plain', 20)
    from viz.lab import shatter_verdict, shattering_figure

    seen = []
    for fraction, partial in shattering_steps(depths=(8, 20), points=32, input_size=8, max_lag=8, seed=0):
        seen.append((fraction, partial.depths))
        assert "8" in shatter_verdict(partial, "en") and shatter_verdict(partial, "zh")
        assert shattering_figure(partial, lang="en").data
    assert seen == [(0.5, (8,)), (1.0, (8, 20))]


@pytest.mark.slow
def test_plain_gradients_shatter_with_depth_and_resnet_gradients_do_not() -> None:
    # Balduzzi et al., Fig. 1-2. Measured (seed 0, 256 points at 8x8, BN): neighbour
    # correlation plain 0.95 (8) -> -0.10 (56); ResNet 0.99 (8) -> 0.87 (56).
    s = shattering(depths=(8, 56), points=256, input_size=8, seed=0)
    assert s.curve("plain", 8).lag1 > 0.8
    assert abs(s.curve("plain", 56).lag1) < 0.2  # white noise
    assert s.curve("residual", 56).lag1 > 0.6
    assert s.curve("residual", 56).correlation_length > 3 * s.curve("plain", 56).correlation_length


@pytest.mark.parametrize(
    "kwargs",
    [{"depths": (9,)}, {"depths": (200,)}, {"depths": ()}, {"points": 5}, {"input_size": 100},
     {"depths": (110, 110, 110), "points": 512, "input_size": 16}, {"depths": "x" * 500}],
)
def test_shattering_rejects_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(LabError) as info:
        shattering(**kwargs)
    assert len(str(info.value)) < 200
