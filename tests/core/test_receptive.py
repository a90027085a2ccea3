"""Theoretical receptive fields against an independent computation: where the gradient reaches.

With every weight positive, no BN, and the max-pool replaced by an average pool of the same
geometry (a max-pool sends its gradient to one input of each window only), every path from an
input pixel to an output position carries a positive gradient. So the pixels with a non-zero
gradient of one output position are exactly the pixels that position can see: its field.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from resnet_core.model import ResNet, build_resnet
from resnet_core.receptive import features_at, field_boxes, receptive_fields
from resnet_core.serving import skeleton
from resnet_core.specs import IMAGENET_DEPTHS, ResNetSpec, cifar_spec


def positive_twin(spec: ResNetSpec, variant: str, *, shortcut_kind: str = "B") -> ResNet:
    """The architecture with averaging weights (all positive), no BN, and avg-pool for max-pool."""
    model = ResNet(spec, variant=variant, norm=False, shortcut_kind=shortcut_kind)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.constant_(m.weight, 1.0 / m.weight[0].numel())
    if isinstance(model.maxpool, nn.MaxPool2d):
        p = model.maxpool
        model.maxpool = nn.AvgPool2d(p.kernel_size, p.stride, p.padding)
    return model.double().eval()


def gradient_support(model: ResNet, layer: str, size: tuple[int, int], pos: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the input where d(sum over channels of layer[pos]) / d input is non-zero."""
    x = torch.ones(1, 3, *size, dtype=torch.float64, requires_grad=True)
    out = features_at(model, layer, x)
    out[0, :, pos[0], pos[1]].sum().backward()
    nz = (x.grad[0].abs().sum(0) > 0).numpy()  # (H, W)
    return np.flatnonzero(nz.any(1)), np.flatnonzero(nz.any(0))


def narrow(depth: int) -> ResNetSpec:
    """A standard depth's geometry with two channels per stage: the same field, a fraction of the work."""
    block, counts = IMAGENET_DEPTHS[depth]
    return ResNetSpec(block=block, layers=counts, widths=(2, 2, 2, 2))


@pytest.mark.parametrize(
    ("depth", "variant", "layer", "size", "pos"),
    [
        (50, "v1.5", "layer4", (448, 448), (7, 7)),  # the whole 427 px field inside the picture
        (50, "v1", "layer4", (512, 512), (8, 8)),  # v1: stride on the 1x1, a wider field
        (18, "v1.5", "layer3", (160, 192), (1, 9)),  # clipped at the top, free at the sides
        (34, "preact", "layer2.1", (128, 128), (3, 12)),  # a block, clipped at the right
        (50, "v1", "layer2.0", (96, 96), (5, 6)),  # the block where v1 and v1.5 part
    ],
)
def test_gradient_reaches_exactly_the_computed_field(depth: int, variant: str, layer: str, size: tuple, pos: tuple) -> None:
    spec = narrow(depth)
    field = receptive_fields(ResNet(spec, variant=variant), size).field(layer)
    top, left, bottom, right = field.box(*pos, size)
    rows, cols = gradient_support(positive_twin(spec, variant), layer, size, pos)
    # contiguous, and exactly the box: nothing outside it is reached, everything inside is
    assert rows.tolist() == list(range(top, bottom + 1))
    assert cols.tolist() == list(range(left, right + 1))


def test_option_a_shortcut_cifar_field() -> None:
    spec = cifar_spec(20)
    field = receptive_fields(ResNet(spec, variant="v1", shortcut_kind="A"), 32).field("layer3")
    rows, cols = gradient_support(positive_twin(spec, "v1", shortcut_kind="A"), "layer3", (32, 32), (0, 3))
    top, left, bottom, right = field.box(0, 3, (32, 32))
    assert (rows[0], rows[-1], cols[0], cols[-1]) == (top, bottom, left, right)
    # by hand: the 3x3 stem sees 3; each stage has six 3x3 convs, adding (3 − 1)·j each, the first
    # at the old jump and the other five at the new one (jumps 1, 2, 4)
    assert field.size == 3 + 2 * 6 * 1 + 2 * (1 + 5 * 2) + 2 * (2 + 5 * 4)


def test_published_numbers() -> None:
    """ResNet-50 (torchvision, v1.5) sees 427 px at layer4 and ResNet-18 435 px, as receptive-field
    calculators report; v1 puts the stride on the 1x1 conv and sees 483 px (checked above by gradients)."""
    assert receptive_fields(skeleton(50, "v1.5"), 224).theoretical["layer4"] == 427
    assert receptive_fields(skeleton(18, "v1.5"), 224).theoretical["layer4"] == 435
    v1 = receptive_fields(skeleton(50, "v1"), 224).theoretical
    v15 = receptive_fields(skeleton(50, "v1.5"), 224).theoretical
    assert v1["layer1"] == v15["layer1"] and v1["layer4"] > v15["layer4"]
    # basic blocks carry the stride on the 3x3 in every variant: ResNet-18 v1 and v1.5 see the same
    assert receptive_fields(skeleton(18, "v1"), 224).theoretical == receptive_fields(skeleton(18, "v1.5"), 224).theoretical


def test_arithmetic_text_and_jumps() -> None:
    rf = receptive_fields(skeleton(50, "v1.5"), (224, 160))
    text = rf.arithmetic()
    assert "maxpool" in text and "r = 7 + (3 − 1)·2 = 11,  j = 2·2 = 4" in text
    assert "[shortcut]" in text
    assert rf.jumps["layer4"] == 32 and rf.field("layer4").out_hw == (7, 5)


def test_boxes_nest_and_clip() -> None:
    rf = receptive_fields(skeleton(18, "v1.5"), 224)
    result = field_boxes(rf, "layer2")
    boxes = dict(result.boxes)
    assert result.position == (14, 14)
    sides = [boxes[n][2] - boxes[n][0] + 1 for n in ("stem", "layer1", "layer2", "layer3", "layer4")]
    assert sides == sorted(sides) and sides[-1] == 224  # layer4's 435 px is clipped to the picture


def test_bad_requests_are_plain_errors() -> None:
    rf = receptive_fields(skeleton(18, "v1.5"), 224)
    with pytest.raises(ValueError, match="no stage or block"):
        rf.field("layer9")
    with pytest.raises(ValueError, match="outside"):
        rf.field("layer4").box(7, 0, (224, 224))
    with pytest.raises(ValueError, match="input size"):
        receptive_fields(skeleton(18, "v1.5"), 0)


def test_features_at_matches_the_full_forward() -> None:
    model = build_resnet(18)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        full = model.layer3(model.layer2(model.layer1(model.stem(x))))
        assert torch.equal(features_at(model, "layer3", x), full)
        assert torch.equal(features_at(model, "layer3.0", x), model.layer3[0](model.layer2(model.layer1(model.stem(x)))))


def test_pre_relu_twin_leaves_the_served_block_alone() -> None:
    model = build_resnet(18)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        pre = features_at(model, "layer2", x, pre_relu=True)
        post = features_at(model, "layer2", x)
    assert (pre < 0).any() and torch.equal(pre.clamp(min=0), post)
    assert isinstance(model.layer2[1].relu2, nn.ReLU)  # the shared model is untouched


@pytest.mark.slow
@pytest.mark.parametrize(("depth", "size"), [(18, 256), (50, 288)])
def test_torchvision_gradient_support_matches_our_field(depth: int, size: int) -> None:
    """torchvision's own ResNet (v1.5) as the reference network: BN removed, max-pool averaged,
    weights positive; the gradient of its layer4 corner position ends where our field says."""
    import torchvision

    tv = getattr(torchvision.models, f"resnet{depth}")()
    for name, m in list(tv.named_modules()):
        if isinstance(m, nn.BatchNorm2d):
            parent, _, attr = name.rpartition(".")
            setattr(tv.get_submodule(parent) if parent else tv, attr, nn.Identity())
        elif isinstance(m, nn.Conv2d):
            nn.init.constant_(m.weight, 1.0 / m.weight[0].numel())
    tv.maxpool = nn.AvgPool2d(3, 2, 1)
    tv = tv.double().eval()
    x = torch.ones(1, 3, size, size, dtype=torch.float64, requires_grad=True)
    y = tv.layer4(tv.layer3(tv.layer2(tv.layer1(tv.maxpool(tv.relu(tv.bn1(tv.conv1(x))))))))
    y[0, :, 0, 0].sum().backward()
    nz = (x.grad[0].abs().sum(0) > 0).numpy()
    rows, cols = np.flatnonzero(nz.any(1)), np.flatnonzero(nz.any(0))
    box = receptive_fields(skeleton(depth, "v1.5"), size).field("layer4").box(0, 0, (size, size))
    assert (rows[0], rows[-1], cols[0], cols[-1]) == (box[0], box[2], box[1], box[3])
    assert box[2] == ({18: 435, 50: 427}[depth] - 1) // 2  # the published full field, centred on pixel 0


def test_pre_relu_of_a_preactivation_stage_is_its_output() -> None:
    model = build_resnet(18, variant="preact")
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(features_at(model, "layer3.1", x, pre_relu=True), features_at(model, "layer3.1", x))
