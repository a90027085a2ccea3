"""Residual blocks: BasicBlock and Bottleneck in their three forms.

* ``v1``: the paper's block (https://arxiv.org/abs/1512.03385, Fig. 5), stride on the first 1x1
  conv of a bottleneck.
* ``v1.5``: torchvision's block, stride on the 3x3 conv (better accuracy, same parameters).
* ``preact``: the pre-activation block of "Identity Mappings in Deep Residual Networks"
  (https://arxiv.org/abs/1603.05027, Fig. 4e): BN -> ReLU -> conv inside the branch, and
  nothing after the addition, so the identity path stays clean from block to block.

The attribute names are torchvision's (``conv1``, ``bn1``, ..., ``downsample.0/1``) so its
state dicts load strictly. Unlike torchvision, every ReLU is a module of its own and none is
in-place: a hook may hold any intermediate tensor, and no module runs twice in one forward.
The sum of shortcut and branch is a module too (:class:`ResidualAdd`), so hooks can see both
summands, which is what the gradient-flow lab and the ablations use.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from .specs import EXPANSION, Variant


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
    in_ch: int, out_ch: int, stride: int, *, variant: Variant, norm: bool, kind: str = "B"
) -> nn.Module | None:
    """The shortcut's module where the shape changes (None means identity).

    ``kind="B"`` is the 1x1 projection used for all ImageNet ResNets; ``kind="A"`` is the
    zero-padding identity of the CIFAR experiments.
    """
    if stride == 1 and in_ch == out_ch:
        return None
    if kind == "A":
        return PadShortcut(out_ch, stride)
    if variant == "preact":
        # Identity Mappings: the projection sees the pre-activated input and is not normalized.
        return nn.Sequential(conv1x1(in_ch, out_ch, stride))
    return nn.Sequential(conv1x1(in_ch, out_ch, stride), norm_layer(out_ch, norm))


class BasicBlock(nn.Module):
    """Two 3x3 convolutions (ResNet-18/34 and the CIFAR nets).

    Args:
        in_ch: input channels.
        width: the block's width; the output has ``width * expansion`` channels.
        stride: 2 where the stage halves the map, else 1.
        variant: "v1", "v1.5" (identical for this block) or "preact".
        norm: use BatchNorm (the lab also trains without it).
        shortcut: add the shortcut at all; False gives the block of the plain twin.
        shortcut_kind: "B" projection or "A" zero-padding where the shape changes.
    """

    expansion = EXPANSION["basic"]

    def __init__(
        self,
        in_ch: int,
        width: int,
        *,
        stride: int = 1,
        variant: Variant = "v1.5",
        norm: bool = True,
        shortcut: bool = True,
        shortcut_kind: str = "B",
    ) -> None:
        super().__init__()
        out_ch = width * self.expansion
        self.variant = variant
        self.stride = stride
        self.in_channels, self.out_channels = in_ch, out_ch
        self.has_shortcut = shortcut
        if variant == "preact":
            self.bn1 = norm_layer(in_ch, norm)
            self.relu1 = nn.ReLU()
            self.conv1 = conv3x3(in_ch, width, stride)
            self.bn2 = norm_layer(width, norm)
            self.relu2 = nn.ReLU()
            self.conv2 = conv3x3(width, out_ch)
        else:
            self.conv1 = conv3x3(in_ch, width, stride)
            self.bn1 = norm_layer(width, norm)
            self.relu1 = nn.ReLU()
            self.conv2 = conv3x3(width, out_ch)
            self.bn2 = norm_layer(out_ch, norm)
            self.relu2 = nn.ReLU()
        self.downsample = (
            make_shortcut(in_ch, out_ch, stride, variant=variant, norm=norm, kind=shortcut_kind)
            if shortcut
            else None
        )
        self.add = ResidualAdd()

    def forward(self, x: Tensor) -> Tensor:  # x: (B, C_in, H, W)
        if self.variant == "preact":
            pre = self.relu1(self.bn1(x))
            out = self.conv1(pre)
            out = self.conv2(self.relu2(self.bn2(out)))  # (B, C_out, H/s, W/s)
            if not self.has_shortcut:
                return out
            identity = x if self.downsample is None else self.downsample(pre)
            return self.add(identity, out)
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))  # (B, C_out, H/s, W/s)
        if self.has_shortcut:
            identity = x if self.downsample is None else self.downsample(x)
            out = self.add(identity, out)
        return self.relu2(out)


class Bottleneck(nn.Module):
    """1x1 (reduce) -> 3x3 -> 1x1 (expand x4), for ResNet-50 and deeper.

    Args: as :class:`BasicBlock`. In "v1" the stride sits on the first 1x1 conv as in the
    paper; in "v1.5" (torchvision) on the 3x3 conv.
    """

    expansion = EXPANSION["bottleneck"]

    def __init__(
        self,
        in_ch: int,
        width: int,
        *,
        stride: int = 1,
        variant: Variant = "v1.5",
        norm: bool = True,
        shortcut: bool = True,
        shortcut_kind: str = "B",
    ) -> None:
        super().__init__()
        out_ch = width * self.expansion
        self.variant = variant
        self.stride = stride
        self.in_channels, self.out_channels = in_ch, out_ch
        self.has_shortcut = shortcut
        s1, s2 = (stride, 1) if variant == "v1" else (1, stride)
        if variant == "preact":
            self.bn1 = norm_layer(in_ch, norm)
            self.relu1 = nn.ReLU()
            self.conv1 = conv1x1(in_ch, width, s1)
            self.bn2 = norm_layer(width, norm)
            self.relu2 = nn.ReLU()
            self.conv2 = conv3x3(width, width, s2)
            self.bn3 = norm_layer(width, norm)
            self.relu3 = nn.ReLU()
            self.conv3 = conv1x1(width, out_ch)
        else:
            self.conv1 = conv1x1(in_ch, width, s1)
            self.bn1 = norm_layer(width, norm)
            self.relu1 = nn.ReLU()
            self.conv2 = conv3x3(width, width, s2)
            self.bn2 = norm_layer(width, norm)
            self.relu2 = nn.ReLU()
            self.conv3 = conv1x1(width, out_ch)
            self.bn3 = norm_layer(out_ch, norm)
            self.relu3 = nn.ReLU()
        self.downsample = (
            make_shortcut(in_ch, out_ch, stride, variant=variant, norm=norm, kind=shortcut_kind)
            if shortcut
            else None
        )
        self.add = ResidualAdd()

    def forward(self, x: Tensor) -> Tensor:  # x: (B, C_in, H, W)
        if self.variant == "preact":
            pre = self.relu1(self.bn1(x))
            out = self.conv1(pre)
            out = self.conv2(self.relu2(self.bn2(out)))
            out = self.conv3(self.relu3(self.bn3(out)))  # (B, 4*width, H/s, W/s)
            if not self.has_shortcut:
                return out
            identity = x if self.downsample is None else self.downsample(pre)
            return self.add(identity, out)
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.relu2(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))  # (B, 4*width, H/s, W/s)
        if self.has_shortcut:
            identity = x if self.downsample is None else self.downsample(x)
            out = self.add(identity, out)
        return self.relu3(out)


BLOCKS: dict[str, type[nn.Module]] = {"basic": BasicBlock, "bottleneck": Bottleneck}


def branch_output_module(block: nn.Module) -> nn.Module:
    """The last module of a block's residual branch (its output is what ``add`` receives)."""
    if block.variant == "preact":
        return block.conv2 if isinstance(block, BasicBlock) else block.conv3
    return block.bn2 if isinstance(block, BasicBlock) else block.bn3


def is_block(module: nn.Module) -> bool:
    return isinstance(module, (BasicBlock, Bottleneck))


__all__ = [
    "BLOCKS",
    "BasicBlock",
    "Bottleneck",
    "PadShortcut",
    "ResidualAdd",
    "branch_output_module",
    "is_block",
]
