"""Gradient flow: per-block gain, extrapolation, regimes, zero-initialised branches, verdicts.

References: closed forms for the gain and its extrapolation, torchvision's own
``zero_init_residual`` for which weights are zeroed, and the identity a zero-initialised
residual block must compute (checked against a hand-written option-A shortcut).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision

from resnet_core.lab import GradientFlow, NetworkFlow, gradient_flow, zero_init_branches
from resnet_core.lab._common import LabError
from resnet_core.model import ResNet, build_resnet
from resnet_core.specs import cifar_spec
from viz.lab import flow_explainer, flow_verdict


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _net(norms: np.ndarray, *, depth: int, loss: float = 2.3) -> NetworkFlow:
    n = len(norms)
    return NetworkFlow(
        kind="residual", name=f"ResNet-{depth}", norm=True, blocks=tuple(f"b{i}" for i in range(n)),
        grad_norms=norms, input_norms=norms, shortcut_norms=None, branch_norms=None, loss=loss, depth=depth,
    )


def test_per_block_gain_is_the_geometric_mean_of_consecutive_ratios() -> None:
    rng = np.random.default_rng(0)
    norms = np.exp(rng.normal(0, 0.3, 27))
    net = _net(norms, depth=56)
    reference = math.exp(np.mean(np.log(norms[:-1] / norms[1:])))
    assert net.per_block_gain == pytest.approx(reference, rel=1e-12)


def test_a_17x_spread_over_27_blocks_is_a_gain_of_1_11_and_extrapolates_geometrically() -> None:
    # the example: 17x over 27 blocks of CIFAR ResNet-56
    norms = 17.0 ** (np.arange(26, -1, -1) / 26)  # first/last = 17 exactly
    net = _net(norms, depth=56)
    assert net.first_last_ratio == pytest.approx(17.0)
    assert net.per_block_gain == pytest.approx(17 ** (1 / 26)) and 1.11 < net.per_block_gain < 1.12
    # 110 layers = 54 basic blocks, 1202 layers = 600: the ratio spans 53 and 599 gains
    assert net.extrapolated[110] == pytest.approx(53 / 26 * math.log10(17))
    assert net.extrapolated[1202] == pytest.approx(599 / 26 * math.log10(17))
    assert net.regime == "mild growth"


@pytest.mark.parametrize(
    ("ratio", "regime"),
    [(1.0, "steady"), (9.0, "steady"), (0.2, "steady"), (11.0, "mild growth"), (0.05, "mild decay"),
     (150.0, "explodes"), (1 / 150, "vanishes")],
)
def test_regime_thresholds_follow_the_spread(ratio: float, regime: str) -> None:
    norms = ratio ** (np.arange(9, -1, -1) / 9)
    assert _net(norms, depth=20).regime == regime


def test_a_blown_up_forward_is_called_out() -> None:
    net = _net(np.ones(9), depth=20, loss=1e4)
    assert net.forward_exploded and "1e+04" in flow_verdict(net)
    assert not _net(np.ones(9), depth=20, loss=2.4).forward_exploded


def test_zero_init_branches_zeroes_what_torchvision_zeroes() -> None:
    ours = zero_init_branches(build_resnet(18, variant="v1.5"))
    ref = torchvision.models.resnet18(zero_init_residual=True)
    zero_ours = {k for k, v in ours.state_dict().items() if v.dtype.is_floating_point and v.numel() and not v.any()}
    zero_ref = {k for k, v in ref.state_dict().items() if v.dtype.is_floating_point and v.numel() and not v.any()}
    # BN biases and running means are zero in both at init anyway; the weights are what differ
    assert {k for k in zero_ours if k.endswith("weight")} == {k for k in zero_ref if k.endswith("weight")}
    assert "layer1.0.bn2.weight" in zero_ours


def _option_a(x: torch.Tensor, out_ch: int) -> torch.Tensor:
    # the paper's option A written out: every other pixel, zero channels split around the old ones
    sub = x[:, :, ::2, ::2]
    extra = out_ch - x.shape[1]
    zeros = torch.zeros(x.shape[0], extra // 2, *sub.shape[2:])
    return torch.cat([zeros, sub, torch.zeros(x.shape[0], extra - extra // 2, *sub.shape[2:])], dim=1)


@pytest.mark.parametrize("norm", [True, False])
def test_zero_initialised_resnet_computes_the_identity_through_its_stages(norm: bool) -> None:
    torch.manual_seed(0)
    model = zero_init_branches(
        ResNet(cifar_spec(20), variant="v1", norm=norm, num_classes=10, shortcut_kind="A")
    ).eval()
    x = F.relu(torch.randn(2, 16, 16, 16))  # a stage input is a ReLU output
    with torch.no_grad():
        out1 = model.layer1(x)
        torch.testing.assert_close(out1, x, rtol=0, atol=0)
        out2 = model.layer2(out1)
        torch.testing.assert_close(out2, _option_a(out1, 32), rtol=0, atol=0)
        out3 = model.layer3(out2)
        torch.testing.assert_close(out3, _option_a(out2, 64), rtol=0, atol=0)


@pytest.mark.parametrize("norm", [True, False])
def test_zero_initialised_preact_blocks_are_identities(norm: bool) -> None:
    torch.manual_seed(0)
    model = zero_init_branches(
        ResNet(cifar_spec(20), variant="preact", norm=norm, num_classes=10, shortcut_kind="A")
    ).eval()
    for name in model.block_names():
        block = model.get_submodule(name)
        if block.downsample is not None:
            continue  # a preact projection sees the pre-activated input, not x
        x = torch.randn(2, block.in_channels, 8, 8)
        with torch.no_grad():
            torch.testing.assert_close(block(x), x, rtol=0, atol=0)


@pytest.fixture(scope="module")
def flows20() -> dict[tuple[bool, bool], GradientFlow]:
    return {
        (norm, zero): gradient_flow(family="cifar", depth=20, norm=norm, zero_init_residual=zero, batch=8, seed=0)
        for norm in (True, False)
        for zero in (True, False)
    }


@pytest.mark.parametrize("norm", [True, False])
def test_zero_init_resnet_passes_the_gradient_unchanged_from_block_to_block(flows20, norm: bool) -> None:
    # every block is the identity, so every block below the last sees the same gradient (the
    # last block's ReLU masks it once); pre-activation blocks have no ReLU after the addition
    zero = flows20[(norm, True)]
    res, pre = zero.network("residual"), zero.network("preact")
    np.testing.assert_allclose(res.grad_norms[:-1], res.grad_norms[0], rtol=1e-5)
    for stage in ("layer1", "layer2", "layer3"):
        norms = [g for b, g in zip(pre.blocks, pre.grad_norms) if b.startswith(stage)]
        np.testing.assert_allclose(norms, norms[0], rtol=1e-5)
    assert res.zero_init and res.regime == "steady" and pre.regime == "steady"
    # the plain twin is not zero-initialised (that would cut its signal): same as without
    np.testing.assert_allclose(zero.network("plain").grad_norms, flows20[(norm, False)].network("plain").grad_norms)


def test_explainer_picks_the_case_and_quotes_its_numbers(flows20) -> None:
    nobn, bn, zero = flows20[(False, False)], flows20[(True, False)], flows20[(True, True)]
    assert "Without BN" in flow_explainer(nobn) and "With BN" in flow_explainer(bn)
    assert "Zero-initialised" in flow_explainer(zero)
    gain = f"{bn.network('plain').per_block_gain:.3g}"
    assert gain in flow_explainer(bn) and gain in flow_explainer(bn, "zh")
    assert "没有 BN" in flow_explainer(nobn, "zh")


def test_gradient_flow_rejects_a_bad_family_with_one_short_message() -> None:
    with pytest.raises(LabError, match="family") as info:
        gradient_flow(family="x" * 10_000)
    assert len(str(info.value)) < 200
