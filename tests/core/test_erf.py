"""The effective receptive field against cases with a known answer.

A stack of n 3x3 averaging convolutions is linear: the gradient of the centre unit is the n-fold
convolution of [1, 1, 1]/3 with itself along each axis (a trinomial distribution, Gaussian in the
limit: Luo et al. 2016, section 2.1). Its variance is n·2/3 and its excess kurtosis −3/(2n).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from resnet_core.erf import (
    ErfCall,
    ErfMap,
    ErfResult,
    excess_kurtosis,
    input_gradient,
    mass_radius,
)


def averaging_stack(n: int) -> nn.Sequential:
    convs = [nn.Conv2d(1, 1, 3, padding=1, bias=False) for _ in range(n)]
    for c in convs:
        nn.init.constant_(c.weight, 1 / 9)
    return nn.Sequential(*convs).double()


def trinomial(n: int) -> np.ndarray:
    p = np.array([1.0])
    for _ in range(n):
        p = np.convolve(p, np.ones(3) / 3)
    return p  # length 2n + 1


@pytest.mark.parametrize("n", [3, 6, 10])
def test_gradient_is_the_trinomial(n: int) -> None:
    size = 4 * n + 9
    grad = input_gradient(averaging_stack(n), torch.randn(2, 1, size, size, dtype=torch.float64))
    want = np.zeros((size, size))
    c = size // 2
    p = trinomial(n)
    want[c - n : c + n + 1, c - n : c + n + 1] = np.outer(p, p)
    assert grad.shape == (2, size, size)
    np.testing.assert_allclose(grad[0], want, atol=1e-12)
    np.testing.assert_allclose(grad[1], want, atol=1e-12)  # linear: the same for every input


@pytest.mark.parametrize("n", [3, 6, 10, 20])
def test_mass_radius_and_shape_of_the_trinomial(n: int) -> None:
    size = 2 * n + 11
    grad = input_gradient(averaging_stack(n), torch.zeros(1, 1, size, size, dtype=torch.float64))[0]
    p = trinomial(n)
    # by hand, one axis at a time: the square of half-side r holds (mass of the middle 2r+1 of p)^2
    hand = next(r for r in range(n + 1) if p[n - r : n + r + 1].sum() ** 2 >= 0.95)
    assert mass_radius(grad, (size // 2, size // 2)) == hand
    ky, kx = excess_kurtosis(grad)
    assert ky == pytest.approx(-3 / (2 * n), abs=1e-9) and kx == pytest.approx(-3 / (2 * n), abs=1e-9)


def test_effective_field_shrinks_relative_to_theory_with_depth() -> None:
    """Luo et al.: the theoretical field grows as n, the effective one as √n."""
    fractions = []
    for n in (4, 16, 36):
        size = 2 * n + 11
        grad = input_gradient(averaging_stack(n), torch.zeros(1, 1, size, size, dtype=torch.float64))[0]
        fractions.append((2 * mass_radius(grad, (size // 2, size // 2)) + 1) / (2 * n + 1))
    assert fractions[0] > fractions[1] > fractions[2]
    assert fractions[2] < 0.5  # at 36 layers the 95 % square is under half the theoretical side


def test_mass_radius_refuses_an_empty_map() -> None:
    with pytest.raises(ValueError, match="empty"):
        mass_radius(np.zeros((5, 5)), (2, 2))


def _map(weights: str, fraction: float) -> ErfMap:
    return ErfMap(weights, "noise", 4, np.ones((9, 9), np.float32), (0, 0, 8, 8), (4, 4), 9, int(fraction * 9 // 2),
                  fraction, (0.0, 0.0))


def test_verdict_follows_the_numbers() -> None:
    grown = ErfResult("net", "toy", "layer3", (9, 9), (_map("trained", 0.6), _map("random", 0.4)), None).verdict
    assert grown.grew is True and grown.small is True and grown.gaussian is True  # 0.6² = 0.36 of the area
    shrunk = ErfResult("net", "toy", "layer3", (9, 9), (_map("trained", 0.8), _map("random", 0.9)), None).verdict
    assert shrunk.grew is False and shrunk.small is False
    random_only = ErfResult("net", None, "layer3", (9, 9), (_map("random", 0.4),), None).verdict
    assert random_only.grew is None


def test_bad_calls_are_plain_errors() -> None:
    with pytest.raises(ValueError, match="toy"):
        ErfCall(model="other")
    with pytest.raises(ValueError, match="noise"):
        ErfCall(noise=0)
    with pytest.raises(ValueError, match="input size"):
        ErfCall(size=5)


def test_toy_study_trained_and_random_stay_inside_the_theoretical_box(backend) -> None:
    picture = (np.random.default_rng(0).uniform(0, 255, (48, 40, 3))).astype(np.uint8)
    records = list(backend.run("effective_receptive_field", ErfCall(layer="layer2", size=48, picture=picture, noise=4)))
    result = records[-1]
    assert isinstance(result, ErfResult) and result.trained_source.startswith("toy:")
    assert [(m.weights, m.source) for m in result.maps] == [("trained", "noise"), ("random", "noise"), ("trained", "picture")]
    for m in result.maps:
        top, left, bottom, right = m.box
        assert m.theoretical == 25 and bottom - top + 1 == 25  # the toy's layer2: 3 + 4·2 + 2 + 3·4 (CIFAR stem)
        outside = m.grad.copy()
        outside[top : bottom + 1, left : right + 1] = 0
        assert m.grad.sum() > 0 and not outside.any()  # nothing reaches the unit from outside its field
        assert 0 < m.fraction <= 1
    assert result.picture.shape == (48, 48, 3)


def test_chunks_average_to_the_whole_batch() -> None:
    from resnet_core.receptive import Field

    model = averaging_stack(2)
    relu = lambda x: torch.relu(model(x) - 0.1)  # noqa: E731 - a nonlinear map, so inputs differ
    x = torch.rand(7, 1, 15, 15, dtype=torch.float64)
    field = Field("f", "block", 5, 1, 0.0, (15, 15), 5, None, ())
    whole = erf_map_of(relu, x, field, chunk=7)
    parts = erf_map_of(relu, x, field, chunk=3)
    np.testing.assert_allclose(parts.grad, whole.grad, rtol=1e-6)
    np.testing.assert_allclose(whole.grad, input_gradient(relu, x).mean(0), rtol=1e-6)


def erf_map_of(fn, x, field, *, chunk):
    from resnet_core.erf import erf_map

    return erf_map(fn, x, field, weights="random", source="noise", chunk=chunk)


def test_picked_model_with_a_checkpoint_is_measured_against_its_random_twin(backend) -> None:
    from safetensors.torch import save

    from resnet_core.model import build_resnet
    from resnet_core.zoo import ModelKey

    torch.manual_seed(3)
    weights = save({k: v.contiguous() for k, v in build_resnet(10).state_dict().items()})
    key = ModelKey(10, "v1.5", "random")
    ref = backend.add_checkpoint(key, weights, filename="mine.safetensors")
    call = ErfCall(model="picked", key=ref.key, checkpoint=ref, layer="layer2", size=64, noise=2)
    result = list(backend.run("effective_receptive_field", call))[-1]
    assert [m.weights for m in result.maps] == ["trained", "random"] and "mine.safetensors" in result.trained_source
    assert result.verdict.grew is not None
    alone = list(backend.run("effective_receptive_field", ErfCall(model="picked", key=key, layer="layer2", size=64, noise=2)))[-1]
    assert [m.weights for m in alone.maps] == ["random"] and alone.trained_source is None and alone.verdict.grew is None
