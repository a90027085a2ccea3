"""Blocks own their layout: each class's declaration matches what its forward runs, and everything
read from the declaration (zero-init, F(x), BN folding, the source shown) holds against a reference:
torchvision's blocks, a hand-written pre-activation unit (He et al. 2016, "Identity Mappings",
Fig. 1b) and plain arithmetic.
"""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn.functional as F
import torchvision
from _models import randomize_bn
from torch import nn

from resnet_core import build_resnet, describe
from resnet_core.blocks import (
    BLOCK_LAYOUTS,
    BasicBlock,
    Bottleneck,
    PreActBasicBlock,
    PreActBottleneck,
    ResidualBlock,
    make_block,
)
from resnet_core.explain import block_source
from resnet_core.fast import fold_batchnorm, private_copy
from resnet_core.model import ResNet
from resnet_core.shapes import block_anatomy
from resnet_core.specs import resolve_spec

LAYOUTS = sorted(BLOCK_LAYOUTS)
#: (width, stride, shortcut kind): an identity shortcut, a projection, option A
SHAPES = [(16, 1, "B"), (16, 2, "B"), (16, 2, "A")]


def _block(layout: tuple[str, str], width: int, stride: int, kind: str, *, trained: bool = True, **kw) -> ResidualBlock:
    """A block whose input has its output's channels (stride 1: identity shortcut) or half of them
    (stride 2, as at a stage's start); ``trained``: BN statistics as after training."""
    block_type, variant = layout
    out_ch = width * (4 if block_type == "bottleneck" else 1)
    in_ch = out_ch if stride == 1 else out_ch // 2
    block = make_block(block_type, variant, in_ch, width, stride=stride, shortcut_kind=kind, **kw)  # type: ignore[arg-type]
    if trained:
        randomize_bn(block)
    return block.eval()


# --------------------------------------------------------------------------- torchvision


@pytest.mark.parametrize("depth", [18, 50])
def test_torchvision_weights_load_strictly_and_every_block_gives_the_same_output(depth: int) -> None:
    torch.manual_seed(depth)
    tv = getattr(torchvision.models, f"resnet{depth}")().eval()
    randomize_bn(tv)
    ours = build_resnet(depth, variant="v1.5")
    ours.load_state_dict(tv.state_dict(), strict=True)
    ours.eval()
    names = ours.block_names()
    seen: dict[tuple[str, str], torch.Tensor] = {}
    handles = [
        m.get_submodule(n).register_forward_hook(lambda _m, _a, out, key=(who, n): seen.__setitem__(key, out))
        for who, m in (("tv", tv), ("ours", ours)) for n in names
    ]
    try:
        x = torch.randn(2, 3, 64, 64)
        with torch.no_grad():
            expected, got = tv(x), ours(x)
    finally:
        for h in handles:
            h.remove()
    assert torch.allclose(got, expected, rtol=1e-4, atol=1e-4 * expected.abs().max().item())
    for n in names:
        ref = seen[("tv", n)]
        assert torch.allclose(seen[("ours", n)], ref, rtol=1e-4, atol=1e-5 * max(1.0, ref.abs().max().item())), n


def test_preact_state_dict_names_are_unchanged() -> None:
    # the names every pre-activation checkpoint written so far uses, listed by hand
    stats = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
    expected = {f"{bn}.{s}" for bn in ("bn1", "bn2", "bn3") for s in stats}
    expected |= {"conv1.weight", "conv2.weight", "conv3.weight", "downsample.0.weight"}
    assert set(PreActBottleneck(64, 32, stride=2).state_dict()) == expected
    basic = {k for k in expected if not k.startswith(("bn3", "conv3"))}
    assert set(PreActBasicBlock(32, 64, stride=2).state_dict()) == basic


# --------------------------------------------------------------------------- the declaration


def _leaf_order(block: nn.Module, x: torch.Tensor) -> tuple[list[str], dict[str, torch.Tensor], tuple]:
    """The leaf modules in the order they finished, their outputs, and what ``add`` received."""
    order: list[str] = []
    outputs: dict[str, torch.Tensor] = {}
    added: list[tuple] = []

    def record(name: str):
        def hook(_m: nn.Module, _args: tuple, out: torch.Tensor) -> None:
            order.append(name)
            outputs[name] = out

        return hook

    handles = [m.register_forward_hook(record(n)) for n, m in block.named_modules() if n and not list(m.children())]
    handles.append(block.add.register_forward_pre_hook(lambda _m, args: added.append(args)))
    try:
        with torch.no_grad():
            block(x)
    finally:
        for h in handles:
            h.remove()
    return order, outputs, added[0] if added else ()


@pytest.mark.parametrize("shape", SHAPES, ids=["identity", "projection", "option-A"])
@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: "-".join(lay))
def test_the_declared_layout_is_what_forward_runs(layout, shape) -> None:
    block = _block(layout, *shape)
    x = torch.randn(2, block.in_channels, 8, 8)
    order, outputs, (shortcut, branch) = _leaf_order(block, x)
    shortcut_modules = [n for n in order if n.startswith("downsample")]
    after = [block.after_add] if block.after_add else []
    assert order == list(block.branch_order) + shortcut_modules + ["add"] + after
    # F(x) is the declared branch output, which residual(x) computes on its own
    assert branch is outputs[block.branch_output]
    assert torch.equal(block.residual(x), branch)
    assert block.branch_output_module() is getattr(block, block.branch_output)
    if block.downsample is not None:  # a projection reads the declared input
        source = x if block.shortcut_from is None else outputs[block.shortcut_from]
        with torch.no_grad():
            assert torch.equal(shortcut, block.downsample(source))
    else:
        assert shortcut is x
    assert block.relu_after_add == (block.after_add is not None)


def test_variants_build_the_classes_the_papers_describe() -> None:
    assert {(lay, cls) for lay, (cls, _) in BLOCK_LAYOUTS.items()} == {
        (("basic", "v1"), BasicBlock), (("basic", "v1.5"), BasicBlock), (("basic", "preact"), PreActBasicBlock),
        (("bottleneck", "v1"), Bottleneck), (("bottleneck", "v1.5"), Bottleneck),
        (("bottleneck", "preact"), PreActBottleneck),
    }
    # a pre-activation block has nothing after the sum; the paper's blocks end in a ReLU
    assert not PreActBasicBlock(8, 8).relu_after_add and not PreActBottleneck(32, 8).relu_after_add
    assert Bottleneck(32, 8).relu_after_add and BasicBlock(8, 8).relu_after_add


# --------------------------------------------------------------------------- pre-activation reference


def _bn_relu(x: torch.Tensor, bn: nn.BatchNorm2d) -> torch.Tensor:
    return F.relu(F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps))


def _preact_reference(block: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """x_{l+1} = x_l + F(x_l), F = (BN -> ReLU -> conv) repeated, nothing after the sum
    (Identity Mappings, Fig. 1b / Eq. 1 with f = identity); a projection reads the first BN-ReLU."""
    pre = _bn_relu(x, block.bn1)
    convs = [block.conv1, block.conv2] + ([block.conv3] if hasattr(block, "conv3") else [])
    bns = [block.bn2] + ([block.bn3] if hasattr(block, "bn3") else [])
    out = F.conv2d(pre, convs[0].weight, stride=convs[0].stride, padding=convs[0].padding)
    for bn, conv in zip(bns, convs[1:]):
        out = F.conv2d(_bn_relu(out, bn), conv.weight, stride=conv.stride, padding=conv.padding)
    if block.downsample is None:
        return x + out
    proj = block.downsample[0]
    return F.conv2d(pre, proj.weight, stride=proj.stride) + out


@pytest.mark.parametrize("shape", SHAPES[:2], ids=["identity", "projection"])
@pytest.mark.parametrize("block_type", ["basic", "bottleneck"])
def test_preact_blocks_compute_the_identity_mappings_unit(block_type, shape) -> None:
    block = _block((block_type, "preact"), *shape)
    x = torch.randn(2, block.in_channels, 8, 8)
    with torch.no_grad():
        assert torch.allclose(block(x), _preact_reference(block, x), rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------- zero-init


@pytest.mark.parametrize("norm", [True, False], ids=["bn", "no-bn"])
@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: "-".join(lay))
def test_zero_init_last_makes_the_block_its_shortcut(layout, norm) -> None:
    block = _block(layout, 16, 1, "B", trained=False, norm=norm)  # as built: BN biases at zero
    block.zero_init_last()
    x = torch.randn(2, block.in_channels, 8, 8)
    if block.relu_after_add:
        x = F.relu(x)  # what a post-activation block receives: the previous block's ReLU
    with torch.no_grad():
        assert not block.residual(x).any()  # F = 0
        assert torch.equal(block(x), x)  # so the block is the identity
        block.train()
        assert torch.equal(block(x), x)  # also with batch statistics


def test_zero_init_residual_zeroes_what_torchvision_zeroes_and_starts_preact_nets_as_identities() -> None:
    def zeroed(model: nn.Module) -> set[str]:
        return {k for k, v in model.state_dict().items() if k.endswith("weight") and not v.any()}

    ours = ResNet(resolve_spec(18), zero_init_residual=True)
    assert zeroed(ours) == zeroed(torchvision.models.resnet18(zero_init_residual=True))
    preact = ResNet(resolve_spec(18), variant="preact", zero_init_residual=True)
    assert zeroed(preact) == {f"{b}.conv2.weight" for b in preact.block_names()}
    plain = ResNet(resolve_spec(18), shortcuts=False, zero_init_residual=True)
    assert not zeroed(plain)  # a plain block zeroed would cut the signal


# --------------------------------------------------------------------------- BN folding


@pytest.mark.parametrize(
    ("depth", "variant", "norm"),
    [(("bottleneck", (2, 1, 1, 1)), "v1", True), (("bottleneck", (1, 1, 1, 1)), "preact", True),
     (("basic", (1, 1, 1, 1)), "v1.5", False)],
    ids=["v1", "preact", "no-bn"],
)
def test_folding_batchnorm_keeps_the_output(depth, variant, norm) -> None:
    model = build_resnet(depth, variant=variant, norm=norm)
    randomize_bn(model)
    twin = private_copy(model)
    folded = fold_batchnorm(twin)
    assert folded == 0 if not norm else folded > 0
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ref = model(x)
        assert torch.allclose(twin(x), ref, rtol=1e-4, atol=1e-4 * ref.abs().max().item())


# --------------------------------------------------------------------------- what learners see


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: "-".join(lay))
def test_the_block_source_shown_has_no_branch_for_another_variant(layout) -> None:
    block_type, variant = layout
    depth = 50 if block_type == "bottleneck" else 18
    with torch.device("meta"):
        arch = describe(build_resnet(depth, variant=variant), 224)
    code = block_source(arch, "layer2.0")
    assert code.startswith(f"class {BLOCK_LAYOUTS[layout][0].__name__}(ResidualBlock):")
    conditions = re.findall(r"\bif\b([^:\n]*?)(?:\belse\b|:)", code)
    # the only tests are on this block's own options: a shortcut at all (the plain twin), a projection
    # where the shape changes, and in a bottleneck the stride's place
    allowed = {"shortcut", "self.has_shortcut", "not self.has_shortcut", "self.downsample is None", "stride_in_1x1"}
    assert conditions and {c.strip() for c in conditions} <= allowed, conditions
    assert not re.search(r"variant|isinstance|hasattr", code)
    compile(code, "block", "exec")


def test_the_anatomy_record_is_read_from_the_blocks() -> None:
    columns = block_anatomy()
    assert [(c.block.block_type, c.variants) for c in columns] == [
        ("bottleneck", ("v1",)), ("bottleneck", ("v1.5",)), ("bottleneck", ("preact",)),
        ("basic", ("v1", "v1.5")), ("basic", ("preact",)),  # no 1x1 conv to move the stride from
    ]
    strided = {c.variants[0] + c.block.block_type: [op.name.split(".")[-1] for op in c.block.layers
                                                   if op.path == "branch" and op.stride == 2] for c in columns}
    # the paper strides the first 1x1 conv, torchvision (and pre-activation here) the 3x3
    assert strided == {"v1bottleneck": ["conv1"], "v1.5bottleneck": ["conv2"], "preactbottleneck": ["conv2"],
                       "v1basic": ["conv1"], "preactbasic": ["conv1"]}
    preact = columns[2].block
    assert (preact.shortcut_input, preact.relu_after_add, preact.branch_output) == ("block.relu1", False, "block.conv3")
    assert [op.kind for op in preact.layers if op.path == "shortcut"] == ["conv"]  # no BN on a preact projection
    real = describe(build_resnet(50), 224).block("layer2.0")
    assert (real.branch_output, real.shortcut_input, real.block_class) == ("layer2.0.bn3", "", "Bottleneck")


@pytest.mark.parametrize(("variant", "source"), [("preact", "layer2.0.relu1"), ("v1.5", "layer1.1.relu2")])
def test_the_graph_draws_the_projection_from_where_the_block_reads_it(variant, source) -> None:
    from viz.graph import block_graph

    with torch.device("meta"):
        arch = describe(build_resnet(18, variant=variant), 224)
    # pre-activation: the first BN-ReLU of the branch; v1.5: the block's input, the previous block's ReLU
    assert list(block_graph(arch, level="layer").predecessors("layer2.0.downsample.0")) == [source]
