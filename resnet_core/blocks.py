"""Residual blocks: each class declares its own layout (in the manner of timm's blocks).

* :class:`BasicBlock` and :class:`Bottleneck`: the paper's post-activation blocks
  (https://arxiv.org/abs/1512.03385, Fig. 5), ReLU after the addition. ``v1`` (the paper)
  strides the bottleneck's first 1x1 conv (``stride_in_1x1=True``, Detectron's name for it);
  ``v1.5`` (torchvision) strides the 3x3 conv: better accuracy, same parameters. A basic block
  has no 1x1 conv, so it is the same in both.
* :class:`PreActBasicBlock` and :class:`PreActBottleneck`: the pre-activation blocks of
  "Identity Mappings in Deep Residual Networks" (https://arxiv.org/abs/1603.05027, Fig. 1b and
  4e): BN -> ReLU -> conv inside the branch and nothing after the addition, so the identity
  path stays clean from block to block.

Every block declares, as class attributes read by the shape table, the anatomy figure, BN
folding and zero-init (:class:`ResidualBlock`): ``branch_order`` (its branch's layers in
execution order), ``branch_output`` (the layer whose output is F(x)), ``shortcut_from`` (what
a projection shortcut reads) and ``after_add`` (the ReLU after the sum, or None). Its
``forward`` is written out in full, as learners read it; a test holds the two together.

The attribute names are torchvision's (``conv1``, ``bn1``, ..., ``downsample.0/1``) so its
state dicts load strictly. Unlike torchvision, every ReLU is a module of its own and none is
in-place: a hook may hold any intermediate tensor, and no module runs twice in one forward.
The sum of shortcut and branch is a module too (:class:`ResidualAdd`), so hooks can see both
summands, which is what the gradient-flow lab and the ablations use.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .specs import EXPANSION, BlockType, Variant


def conv3x3(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, kernel_size=1, stride=stride, bias=False)


def norm_layer(channels: int, enabled: bool) -> nn.Module:
    """BatchNorm, or an identity where the lab switches normalization off."""
    return nn.BatchNorm2d(channels) if enabled else nn.Identity()


class ResidualAdd(nn.Module):
    """``shortcut + branch``; a module so that hooks see (and ablations replace) each summand."""

    def forward(self, shortcut: Tensor, branch: Tensor) -> Tensor:
        return shortcut + branch


class PadShortcut(nn.Module):
    """Option A shortcut of the paper (section 4.2): subsample, then zero-pad the new channels.

    Parameter-free, so a CIFAR ResNet has exactly the weights of its plain twin.
    """

    def __init__(self, out_ch: int, stride: int) -> None:
        super().__init__()
        self.out_ch = out_ch
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        extra = self.out_ch - x.shape[1]
        return F.pad(x, (0, 0, 0, 0, extra // 2, extra - extra // 2))


def make_shortcut(
    in_ch: int, out_ch: int, stride: int, *, norm: bool | None, kind: str = "B"
) -> nn.Module | None:
    """The shortcut's module where the shape changes (None means identity).

    Args:
        in_ch, out_ch, stride: the block's.
        norm: BatchNorm after the projection (False: an identity in its place, for the lab's
            networks without BN; None: no second layer at all, for pre-activation blocks, whose
            projection reads an input that is already normalized).
        kind: "B", the 1x1 projection of every ImageNet ResNet, or "A", the zero-padding
            identity of the CIFAR experiments.
    """
    if stride == 1 and in_ch == out_ch:
        return None
    if kind == "A":
        return PadShortcut(out_ch, stride)
    if norm is None:
        return nn.Sequential(conv1x1(in_ch, out_ch, stride))
    return nn.Sequential(conv1x1(in_ch, out_ch, stride), norm_layer(out_ch, norm))


class ResidualBlock(nn.Module):
    """What every block declares about its layout, and what follows from the declaration.

    Class attributes (the declaration):
        block_type: "basic" or "bottleneck".
        expansion: output channels per unit of width (1 or 4).
        branch_order: names of the residual branch's layers in the order they run; each one's
            output feeds only the next (and, for ``shortcut_from``, the shortcut too).
        branch_output: the layer whose output is the branch's result F(x), the second summand
            of ``add``: the last BN in a post-activation block, the last conv in a
            pre-activation one.
        shortcut_from: the branch layer whose output a projection (or padding) shortcut reads;
            None: the block's input. An identity shortcut always carries the input itself.
        after_add: the ReLU applied to the sum, or None where nothing follows the addition.

    Instance attributes: ``in_channels``, ``out_channels``, ``width``, ``stride``,
    ``has_shortcut`` (False in the plain twin), and the modules ``downsample`` and ``add``.
    """

    block_type: ClassVar[BlockType]
    expansion: ClassVar[int]
    branch_order: ClassVar[tuple[str, ...]]
    branch_output: ClassVar[str]
    shortcut_from: ClassVar[str | None] = None
    after_add: ClassVar[str | None] = None

    def __init__(self, in_ch: int, width: int, *, stride: int, shortcut: bool) -> None:
        super().__init__()
        self.in_channels, self.width, self.out_channels = in_ch, width, width * self.expansion
        self.stride = stride
        self.has_shortcut = shortcut

    @property
    def relu_after_add(self) -> bool:
        """Whether a ReLU follows the addition (post-activation blocks) or nothing does (pre-activation)."""
        return self.after_add is not None

    def branch_output_module(self) -> nn.Module:
        """The module whose output is F(x); hook it to read the branch during an ordinary forward."""
        return getattr(self, self.branch_output)

    def residual(self, x: Tensor) -> Tensor:
        """F(x): the branch alone, run layer by layer in the declared ``branch_order``.

        ``block(x)`` is ``shortcut(x) + residual(x)``, followed by ``after_add`` where there is one.
        """
        for name in self.branch_order:
            x = getattr(self, name)(x)
            if name == self.branch_output:
                break
        return x

    def zero_init_last(self) -> None:
        """Zero the branch's last weighted layer, so a freshly built block is its shortcut alone (F = 0).

        Zeroes the last layer of the branch that has a weight: the last BN's scale (its bias
        starts at zero), as torchvision's ``zero_init_residual`` (Goyal et al.,
        https://arxiv.org/abs/1706.02677); the last conv where the branch ends in one
        (pre-activation) or BN is switched off, as Fixup does (https://arxiv.org/abs/1901.09321).
        """
        order = self.branch_order[: self.branch_order.index(self.branch_output) + 1]
        for name in reversed(order):
            weight = getattr(getattr(self, name), "weight", None)
            if weight is not None:
                with torch.no_grad():
                    weight.zero_()
                return


class BasicBlock(ResidualBlock):
    """Two 3x3 convolutions (ResNet-18/34 and the CIFAR nets), ReLU after the addition.

    Args:
        in_ch: input channels.
        width: the block's width; the output has ``width * expansion`` channels.
        stride: 2 where the stage halves the map, else 1.
        norm: use BatchNorm (the lab also trains without it).
        shortcut: add the shortcut at all; False gives the block of the plain twin.
        shortcut_kind: "B" projection or "A" zero-padding where the shape changes.
    """

    block_type = "basic"
    expansion = EXPANSION["basic"]  # out channels = width * 1
    branch_order = ("conv1", "bn1", "relu1", "conv2", "bn2")  # F, layer by layer
    branch_output = "bn2"  # F(x) is bn2's output
    after_add = "relu2"  # out = relu(shortcut + F(x))

    def __init__(
        self, in_ch: int, width: int, *, stride: int = 1, norm: bool = True, shortcut: bool = True,
        shortcut_kind: str = "B",
    ) -> None:
        super().__init__(in_ch, width, stride=stride, shortcut=shortcut)
        out_ch = self.out_channels
        self.conv1 = conv3x3(in_ch, width, stride)
        self.bn1 = norm_layer(width, norm)
        self.relu1 = nn.ReLU()
        self.conv2 = conv3x3(width, out_ch)
        self.bn2 = norm_layer(out_ch, norm)
        self.relu2 = nn.ReLU()
        self.downsample = make_shortcut(in_ch, out_ch, stride, norm=norm, kind=shortcut_kind) if shortcut else None
        self.add = ResidualAdd()

    def forward(self, x: Tensor) -> Tensor:  # x: (B, C_in, H, W)
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))  # F(x): (B, C_out, H/s, W/s)
        if self.has_shortcut:
            identity = x if self.downsample is None else self.downsample(x)
            out = self.add(identity, out)
        return self.relu2(out)


class Bottleneck(ResidualBlock):
    """1x1 (reduce) -> 3x3 -> 1x1 (expand x4), for ResNet-50 and deeper; ReLU after the addition.

    Args: as :class:`BasicBlock`, and
        stride_in_1x1: put the stride on the first 1x1 conv, as the paper's v1 does; False
            (torchvision's v1.5) puts it on the 3x3 conv.
    """

    block_type = "bottleneck"
    expansion = EXPANSION["bottleneck"]  # out channels = width * 4
    branch_order = ("conv1", "bn1", "relu1", "conv2", "bn2", "relu2", "conv3", "bn3")  # F, layer by layer
    branch_output = "bn3"  # F(x) is bn3's output
    after_add = "relu3"  # out = relu(shortcut + F(x))

    def __init__(
        self, in_ch: int, width: int, *, stride: int = 1, stride_in_1x1: bool = False, norm: bool = True,
        shortcut: bool = True, shortcut_kind: str = "B",
    ) -> None:
        super().__init__(in_ch, width, stride=stride, shortcut=shortcut)
        out_ch = self.out_channels
        s1, s2 = (stride, 1) if stride_in_1x1 else (1, stride)  # v1 (paper) or v1.5 (torchvision)
        self.conv1 = conv1x1(in_ch, width, s1)
        self.bn1 = norm_layer(width, norm)
        self.relu1 = nn.ReLU()
        self.conv2 = conv3x3(width, width, s2)
        self.bn2 = norm_layer(width, norm)
        self.relu2 = nn.ReLU()
        self.conv3 = conv1x1(width, out_ch)
        self.bn3 = norm_layer(out_ch, norm)
        self.relu3 = nn.ReLU()
        self.downsample = make_shortcut(in_ch, out_ch, stride, norm=norm, kind=shortcut_kind) if shortcut else None
        self.add = ResidualAdd()

    def forward(self, x: Tensor) -> Tensor:  # x: (B, C_in, H, W)
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.relu2(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))  # F(x): (B, 4*width, H/s, W/s)
        if self.has_shortcut:
            identity = x if self.downsample is None else self.downsample(x)
            out = self.add(identity, out)
        return self.relu3(out)


class PreActBasicBlock(ResidualBlock):
    """Pre-activation basic block: (BN -> ReLU -> 3x3 conv) twice, nothing after the addition.

    A projection (or padding) shortcut reads the pre-activated input, as in the reference
    code of Identity Mappings, and has no BN of its own. Args: as :class:`BasicBlock`.
    """

    block_type = "basic"
    expansion = EXPANSION["basic"]  # out channels = width * 1
    branch_order = ("bn1", "relu1", "conv1", "bn2", "relu2", "conv2")  # F, layer by layer
    branch_output = "conv2"  # F(x) is conv2's output
    shortcut_from = "relu1"  # a projection reads relu(bn1(x))
    after_add = None  # out = shortcut + F(x), nothing after

    def __init__(
        self, in_ch: int, width: int, *, stride: int = 1, norm: bool = True, shortcut: bool = True,
        shortcut_kind: str = "B",
    ) -> None:
        super().__init__(in_ch, width, stride=stride, shortcut=shortcut)
        out_ch = self.out_channels
        self.bn1 = norm_layer(in_ch, norm)
        self.relu1 = nn.ReLU()
        self.conv1 = conv3x3(in_ch, width, stride)
        self.bn2 = norm_layer(width, norm)
        self.relu2 = nn.ReLU()
        self.conv2 = conv3x3(width, out_ch)
        self.downsample = make_shortcut(in_ch, out_ch, stride, norm=None, kind=shortcut_kind) if shortcut else None
        self.add = ResidualAdd()

    def forward(self, x: Tensor) -> Tensor:  # x: (B, C_in, H, W)
        pre = self.relu1(self.bn1(x))  # also what a projection shortcut reads
        out = self.conv1(pre)
        out = self.conv2(self.relu2(self.bn2(out)))  # F(x): (B, C_out, H/s, W/s)
        if not self.has_shortcut:
            return out
        identity = x if self.downsample is None else self.downsample(pre)
        return self.add(identity, out)


class PreActBottleneck(ResidualBlock):
    """Pre-activation bottleneck: BN -> ReLU before each of 1x1, 3x3 (strided), 1x1 (x4).

    Nothing follows the addition; the shortcut as in :class:`PreActBasicBlock`.
    Args: as :class:`BasicBlock`.
    """

    block_type = "bottleneck"
    expansion = EXPANSION["bottleneck"]  # out channels = width * 4
    branch_order = ("bn1", "relu1", "conv1", "bn2", "relu2", "conv2", "bn3", "relu3", "conv3")  # F, layer by layer
    branch_output = "conv3"  # F(x) is conv3's output
    shortcut_from = "relu1"  # a projection reads relu(bn1(x))
    after_add = None  # out = shortcut + F(x), nothing after

    def __init__(
        self, in_ch: int, width: int, *, stride: int = 1, norm: bool = True, shortcut: bool = True,
        shortcut_kind: str = "B",
    ) -> None:
        super().__init__(in_ch, width, stride=stride, shortcut=shortcut)
        out_ch = self.out_channels
        self.bn1 = norm_layer(in_ch, norm)
        self.relu1 = nn.ReLU()
        self.conv1 = conv1x1(in_ch, width)
        self.bn2 = norm_layer(width, norm)
        self.relu2 = nn.ReLU()
        self.conv2 = conv3x3(width, width, stride)
        self.bn3 = norm_layer(width, norm)
        self.relu3 = nn.ReLU()
        self.conv3 = conv1x1(width, out_ch)
        self.downsample = make_shortcut(in_ch, out_ch, stride, norm=None, kind=shortcut_kind) if shortcut else None
        self.add = ResidualAdd()

    def forward(self, x: Tensor) -> Tensor:  # x: (B, C_in, H, W)
        pre = self.relu1(self.bn1(x))  # also what a projection shortcut reads
        out = self.conv1(pre)
        out = self.conv2(self.relu2(self.bn2(out)))
        out = self.conv3(self.relu3(self.bn3(out)))  # F(x): (B, 4*width, H/s, W/s)
        if not self.has_shortcut:
            return out
        identity = x if self.downsample is None else self.downsample(pre)
        return self.add(identity, out)


#: (block type, variant) -> the class and the options that make it that variant: the one place
#: where a variant's name turns into a layout
BLOCK_LAYOUTS: dict[tuple[BlockType, Variant], tuple[type[ResidualBlock], dict[str, bool]]] = {
    ("basic", "v1"): (BasicBlock, {}),
    ("basic", "v1.5"): (BasicBlock, {}),
    ("basic", "preact"): (PreActBasicBlock, {}),
    ("bottleneck", "v1"): (Bottleneck, {"stride_in_1x1": True}),
    ("bottleneck", "v1.5"): (Bottleneck, {}),
    ("bottleneck", "preact"): (PreActBottleneck, {}),
}


def block_class(block_type: BlockType, variant: Variant) -> type[ResidualBlock]:
    """The class that builds ``block_type`` blocks of ``variant`` (raises ValueError for unknown ones)."""
    if (block_type, variant) not in BLOCK_LAYOUTS:
        raise ValueError(f"no {block_type!r} block of variant {variant!r}")
    return BLOCK_LAYOUTS[(block_type, variant)][0]


def make_block(
    block_type: BlockType, variant: Variant, in_ch: int, width: int, *, stride: int = 1, norm: bool = True,
    shortcut: bool = True, shortcut_kind: str = "B",
) -> ResidualBlock:
    """One block of the given type and variant (the options as :class:`BasicBlock`'s)."""
    cls = block_class(block_type, variant)
    options = BLOCK_LAYOUTS[(block_type, variant)][1]
    return cls(in_ch, width, stride=stride, norm=norm, shortcut=shortcut, shortcut_kind=shortcut_kind, **options)


def is_block(module: nn.Module) -> bool:
    return isinstance(module, ResidualBlock)


__all__ = [
    "BLOCK_LAYOUTS",
    "BasicBlock",
    "Bottleneck",
    "PadShortcut",
    "PreActBasicBlock",
    "PreActBottleneck",
    "ResidualAdd",
    "ResidualBlock",
    "block_class",
    "is_block",
    "make_block",
]
