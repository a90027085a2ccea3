"""Models and introspection, checked against torchvision and against real forward passes.

The reference numbers (parameter counts, GMACs) come from torchvision's weights metadata and
every shape from a real forward pass, never from our own code's output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
import torchvision
from torch import nn
from torchvision.models import get_model_weights
from torchvision.models.resnet import Bottleneck as TVBottleneck
from torchvision.models.resnet import ResNet as TVResNet

from resnet_core import build_resnet, describe
from resnet_core.specs import resolve_spec

STANDARD = (18, 34, 50, 101, 152)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", params=STANDARD, ids=lambda d: f"resnet{d}")
def pair(request) -> tuple[int, nn.Module, nn.Module]:
    """torchvision's resnetNN() with random weights, and ours holding the very same weights."""
    depth = request.param
    torch.manual_seed(depth)
    tv = getattr(torchvision.models, f"resnet{depth}")().eval()
    with torch.device("meta"):  # no init cost: every tensor is replaced by torchvision's
        ours = build_resnet(depth)
    ours.load_state_dict(tv.state_dict(), strict=True, assign=True)
    return depth, tv, ours.eval()


def test_torchvision_state_dict_loads_strictly_and_gives_the_same_logits(pair) -> None:
    depth, tv, ours = pair
    torch.manual_seed(0)
    for x in (torch.randn(2, 3, 64, 64), torch.randn(1, 3, 41, 57)):  # square; odd, non-square
        with torch.no_grad():
            expected, got = tv(x), ours(x)
        assert got.shape == (x.shape[0], 1000)
        scale = expected.abs().max().item()  # deep random nets in eval mode have huge logits
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5 * max(1.0, scale))


def test_state_dict_keys_match_torchvision_name_for_name(pair) -> None:
    _, tv, ours = pair
    assert list(ours.state_dict()) == list(tv.state_dict())


def test_parameter_count_matches_torchvision_metadata(pair) -> None:
    depth, _, ours = pair
    expected = get_model_weights(f"resnet{depth}").DEFAULT.meta["num_params"]
    assert sum(p.numel() for p in ours.parameters()) == expected
    assert describe(ours).params == expected


def test_macs_within_one_percent_of_torchvision_metadata(pair) -> None:
    depth, _, ours = pair
    gmacs = get_model_weights(f"resnet{depth}").DEFAULT.meta["_ops"]  # GMACs at 224x224
    assert describe(ours, 224).macs / 1e9 == pytest.approx(gmacs, rel=0.01)


# --------------------------------------------------------------------------- real forward passes


@contextmanager
def trace(model: nn.Module) -> Iterator[dict[str, list]]:
    """Record, per module name, every output of a forward, and the call order under "__order__"."""
    calls: dict[str, list] = {"__order__": []}
    handles = []
    try:
        for name, module in model.named_modules():

            def hook(_m, _args, out, name=name) -> None:
                calls.setdefault(name, []).append(out)
                calls["__order__"].append(name)

            handles.append(module.register_forward_hook(hook))
        yield calls
    finally:
        for h in handles:
            h.remove()


def run_traced(model: nn.Module, hw: tuple[int, int]) -> dict[str, list]:
    torch.manual_seed(0)
    with trace(model) as calls, torch.no_grad():
        model(torch.randn(1, 3, *hw))
    return calls


SIZES = [(224, 224), (225, 225), (97, 97), (160, 257)]
# v1 and preact on a shallower bottleneck net: the same stage transitions as ResNet-50 at a
# third of the cost on a 2-core CPU
ARCHS = [
    pytest.param(50, "v1.5", id="resnet50"),
    pytest.param(("bottleneck", (2, 1, 2, 1)), "v1", id="bottleneck-2121-v1"),
    pytest.param(("bottleneck", (2, 1, 2, 1)), "preact", id="bottleneck-2121-preact"),
    pytest.param(18, "v1.5", id="resnet18"),
    pytest.param(("basic", (1, 1, 1, 1)), "preact", id="basic-1111-preact"),
]


@pytest.fixture(scope="module")
def models() -> dict:
    cache: dict = {}

    def get(depth, variant):
        key = (depth, variant)
        if key not in cache:
            torch.manual_seed(1)
            cache[key] = build_resnet(depth, variant=variant)
        return cache[key]

    return get


@pytest.mark.parametrize("hw", SIZES, ids=lambda hw: f"{hw[0]}x{hw[1]}")
@pytest.mark.parametrize(("depth", "variant"), ARCHS)
def test_described_shapes_equal_a_real_forward(models, depth, variant, hw) -> None:
    model = models(depth, variant)
    arch = describe(model, hw)
    calls = run_traced(model, hw)

    def shape_of(name: str) -> tuple[int, ...]:
        (out,) = calls[name]
        return tuple(out.shape[1:])

    for stage in arch.stages:
        assert stage.out_shape == shape_of(stage.name), stage.name
        for block in stage.blocks:
            assert block.out_shape == shape_of(block.name), block.name
    checked = 0
    for op in arch.all_layers:
        if op.name == "fc":
            assert op.out_shape[0] == shape_of("fc")[0]
        elif op.name in calls:
            assert op.out_shape == shape_of(op.name), op.name
            checked += 1
    assert checked > 20  # the per-op shapes really were compared
    # the stem's output feeds layer1
    assert arch.stages[0].in_shape == shape_of("maxpool")
    # every residual addition is one elementwise add per output element of its block
    assert arch.adds > 0
    assert arch.adds == sum(torch.Size(shape_of(b.name)).numel() for b in arch.blocks)


def test_224_gives_112_56_56_28_14_7(models) -> None:
    model = models(50, "v1.5")
    calls = run_traced(model, (224, 224))
    sides = [calls[n][0].shape[-1] for n in ("conv1", "maxpool", "layer1", "layer2", "layer3", "layer4")]
    assert sides == [112, 56, 56, 28, 14, 7]
    arch = describe(model, 224)
    assert [s.out_shape[1] for s in arch.stages] == [56, 28, 14, 7]
    assert [s.out_shape[0] for s in arch.stages] == [256, 512, 1024, 2048]


def test_v1_strides_the_first_1x1_conv_and_v15_the_3x3_as_torchvision() -> None:
    with torch.device("meta"):
        v1 = build_resnet(50, variant="v1")
        v15 = build_resnet(50, variant="v1.5")
        tv = torchvision.models.resnet50()
    for stage in ("layer2", "layer3", "layer4"):
        first_v1, first_v15, first_tv = (m.get_submodule(f"{stage}.0") for m in (v1, v15, tv))
        assert (first_v1.conv1.stride, first_v1.conv2.stride) == ((2, 2), (1, 1))
        assert (first_v15.conv1.stride, first_v15.conv2.stride) == ((1, 1), (2, 2))
        assert (first_tv.conv1.stride, first_tv.conv2.stride) == ((1, 1), (2, 2))
    # the same weights either way (the stride moves, the parameters do not)
    assert sum(p.numel() for p in v1.parameters()) == sum(p.numel() for p in v15.parameters())


def test_preact_blocks_end_with_the_addition_and_the_net_with_bn_final(models) -> None:
    model = models(50, "preact")
    assert isinstance(model.bn_final, nn.BatchNorm2d)
    calls = run_traced(model, (64, 64))
    order = calls["__order__"]
    for block in describe(model, 64).blocks:
        # the block returns exactly what its addition produced: no ReLU after the sum
        assert calls[block.name][0] is calls[f"{block.name}.add"][0]
        inside = [n for n in order if n.startswith(block.name + ".")]
        assert inside[-1] == f"{block.name}.add"
    # bn_final and relu_final run after the last stage
    assert order.index("bn_final") > order.index("layer4") and order.index("relu_final") > order.index("bn_final")

    plain = models(50, "v1.5")
    calls = run_traced(plain, (64, 64))
    assert not hasattr(plain, "bn_final")
    assert calls["layer1.0"][0] is not calls["layer1.0.add"][0]  # v1.5: ReLU after the sum


@pytest.mark.parametrize("variant", ["v1.5", "v1", "preact"])
def test_hook_friendly_every_module_runs_once_and_no_relu_is_inplace(models, variant) -> None:
    model = models(50, variant)
    calls = run_traced(model, (64, 64))
    counts = {name: len(outs) for name, outs in calls.items() if name != "__order__"}
    names = {name for name, _ in model.named_modules()}
    assert set(counts) == names  # every module ran ...
    assert max(counts.values()) == 1  # ... exactly once
    assert not [n for n, m in model.named_modules() if isinstance(m, nn.ReLU) and m.inplace]


def test_custom_basic_1111_is_resnet10_and_resnet200_is_bottleneck_3_24_36_3() -> None:
    with torch.device("meta"):
        r10 = build_resnet(("basic", (1, 1, 1, 1)))
        r200 = build_resnet(200)
        tv200 = TVResNet(TVBottleneck, [3, 24, 36, 3])
    assert r10.spec.depth == 10 and r10.name == "ResNet-10"
    assert r10.spec == resolve_spec(10)
    assert (r200.spec.block, r200.spec.layers, r200.spec.depth) == ("bottleneck", (3, 24, 36, 3), 200)
    assert list(r200.state_dict()) == list(tv200.state_dict())
    n200 = sum(p.numel() for p in tv200.parameters())
    assert sum(p.numel() for p in r200.parameters()) == n200
    assert describe(r200).params == n200


def test_build_resnet152_works_offline_in_a_fresh_process(tmp_path) -> None:
    env = {
        **os.environ,
        "RESNET_OFFLINE": "1",
        "TORCH_HOME": str(tmp_path),  # an empty hub cache: nothing can come from it either
        "PYTHONPATH": str(ROOT),
        "HTTP_PROXY": "http://127.0.0.1:9",  # any attempt to reach the network fails at once
        "HTTPS_PROXY": "http://127.0.0.1:9",
    }
    code = "import resnet_core; m = resnet_core.build_resnet(152); print(m.name, m.training)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ResNet-152 False"


def test_block_source_header_speaks_the_page_language() -> None:
    import re

    from resnet_core.explain import block_source
    from resnet_core.model import build_cifar_resnet
    from viz.code import block_header

    arch = describe(build_resnet(50), 224)
    with torch.device("meta"):
        params = sum(p.numel() for p in torchvision.models.resnet50().layer2[0].parameters())
    en, zh = (block_header(arch.block("layer2.0"), lang=lang) for lang in ("en", "zh"))
    assert f"{params:,} parameters" in en and f"{params:,} 个参数" in zh
    assert "(512, 28, 28)" in zh.splitlines()[1]
    assert block_source(arch, "layer2.0").startswith("class Bottleneck(")  # the source itself, in no language
    cifar = block_header(describe(build_cifar_resnet(20), 32).block("layer2.0"), lang="zh")
    for header in (zh, cifar):
        words = re.findall(r"[A-Za-z]+", header)
        assert set(words) <= {"layer", "Bottleneck", "BasicBlock", "v", "x", "A", "C", "H", "W", "M", "conv", "bn",
                              "relu", "add", "downsample"}, header
    with pytest.raises(ValueError, match="en, zh"):
        block_header(arch.block("layer2.0"), lang="fr")
