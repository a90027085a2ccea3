"""The ResNet family as data.

Each depth is one line: a block type and its block counts per stage, exactly as in Table 1 of
He et al., "Deep Residual Learning for Image Recognition" (https://arxiv.org/abs/1512.03385).
The CIFAR networks of section 4.2 (6n+2 layers, three stages of 16/32/64 filters) are here too,
because the "why residual?" lab trains them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .errors import UserError

BlockType = Literal["basic", "bottleneck"]
Variant = Literal["v1", "v1.5", "preact"]
StemType = Literal["imagenet", "cifar"]

VARIANTS: tuple[Variant, ...] = ("v1.5", "v1", "preact")
BLOCK_TYPES: tuple[BlockType, ...] = ("basic", "bottleneck")

#: expansion = output channels of a block / its width (Table 1: 64-d for basic, 256-d for bottleneck)
EXPANSION: dict[str, int] = {"basic": 1, "bottleneck": 4}

#: ImageNet depths (Table 1 of the paper; 10 and 200 are common extensions, 200 from the
#: Identity Mappings paper, https://arxiv.org/abs/1603.05027).
IMAGENET_DEPTHS: dict[int, tuple[BlockType, tuple[int, ...]]] = {
    10: ("basic", (1, 1, 1, 1)),  # smallest sensible ResNet, handy for fast experiments
    18: ("basic", (2, 2, 2, 2)),  # 11.7M params, 1.8 GMACs
    34: ("basic", (3, 4, 6, 3)),  # 21.8M params, 3.7 GMACs
    50: ("bottleneck", (3, 4, 6, 3)),  # 25.6M params, 4.1 GMACs
    101: ("bottleneck", (3, 4, 23, 3)),  # 44.5M params, 7.8 GMACs
    152: ("bottleneck", (3, 8, 36, 3)),  # 60.2M params, 11.5 GMACs
    200: ("bottleneck", (3, 24, 36, 3)),  # 64.7M params, 15.0 GMACs
}

#: the depths with torchvision weights, offered first in the app
STANDARD_DEPTHS: tuple[int, ...] = (18, 34, 50, 101, 152)

IMAGENET_WIDTHS: tuple[int, ...] = (64, 128, 256, 512)
CIFAR_WIDTHS: tuple[int, ...] = (16, 32, 64)
CIFAR_DEPTHS: tuple[int, ...] = (20, 32, 44, 56, 110)  # section 4.2: 6n+2 layers

#: a guard against a request that would build a model too big to serve
MAX_BLOCKS_PER_STAGE = 64


@dataclass(frozen=True)
class ResNetSpec:
    """Everything needed to build one ResNet.

    Attributes:
        block: "basic" (two 3x3 convs) or "bottleneck" (1x1, 3x3, 1x1).
        layers: blocks per stage.
        widths: the width (filters of the 3x3 conv) of each stage.
        stem: "imagenet" (7x7/2 conv + 3x3/2 max-pool) or "cifar" (one 3x3 conv).
    """

    block: BlockType
    layers: tuple[int, ...]
    widths: tuple[int, ...] = IMAGENET_WIDTHS
    stem: StemType = "imagenet"

    def __post_init__(self) -> None:
        if self.block not in BLOCK_TYPES:
            raise ValueError(f"block must be one of {BLOCK_TYPES}, not {self.block!r}")
        if len(self.layers) != len(self.widths):
            raise UserError(f"{len(self.layers)} block counts given for {len(self.widths)} stages",
                            key="error.block_count_number", stages=len(self.widths), got=len(self.layers))
        for n in self.layers:
            if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_BLOCKS_PER_STAGE:
                raise UserError(
                    f"each stage needs between 1 and {MAX_BLOCKS_PER_STAGE} blocks, got {self.layers}",
                    key="error.blocks_per_stage", low=1, high=MAX_BLOCKS_PER_STAGE,
                    got=", ".join(map(str, self.layers)),
                )

    @property
    def expansion(self) -> int:
        return EXPANSION[self.block]

    @property
    def depth(self) -> int:
        """Weighted layers: the stem conv, every conv in a block's branch, and the fc layer."""
        convs_per_block = 2 if self.block == "basic" else 3
        return 2 + convs_per_block * sum(self.layers)

    @property
    def name(self) -> str:
        prefix = "ResNet" if self.stem == "imagenet" else "CIFAR-ResNet"
        return f"{prefix}-{self.depth}"


def resolve_spec(depth: int | tuple | list | ResNetSpec, *, block: BlockType | None = None) -> ResNetSpec:
    """Turn what a user asks for into a spec.

    Args:
        depth: an ImageNet depth from :data:`IMAGENET_DEPTHS`; a ``(block, counts)`` pair such as
            ``("basic", (1, 1, 1, 1))``; a tuple of four block counts together with ``block``; or
            a ready :class:`ResNetSpec`.
        block: the block type when ``depth`` is a tuple of counts. Defaults to "bottleneck"
            for counts, as in every ResNet deeper than 34.

    Raises:
        ValueError: the depth is not in the table or the counts are malformed.
    """
    if isinstance(depth, ResNetSpec):
        return depth
    if isinstance(depth, bool):
        raise ValueError(f"depth must be an int or block counts, not {depth!r}")
    if isinstance(depth, int):
        if depth not in IMAGENET_DEPTHS:
            known = ", ".join(map(str, IMAGENET_DEPTHS))
            raise ValueError(
                f"no standard ResNet has depth {depth} (known: {known}); "
                "give block counts instead, e.g. ('basic', (1, 1, 1, 1))"
            )
        kind, counts = IMAGENET_DEPTHS[depth]
        return ResNetSpec(block=kind, layers=counts)
    if isinstance(depth, (tuple, list)):
        if len(depth) == 2 and isinstance(depth[0], str):
            block, counts = depth[0], depth[1]
        else:
            counts = depth
        counts = tuple(counts)
        if len(counts) != len(IMAGENET_WIDTHS):
            raise UserError(f"give one block count per stage (4), got {len(counts)}", key="error.block_count_number",
                            stages=len(IMAGENET_WIDTHS), got=len(counts))
        return ResNetSpec(block=block or "bottleneck", layers=counts)
    raise ValueError(f"depth must be an int or block counts, not {type(depth).__name__}")


def cifar_spec(depth: int) -> ResNetSpec:
    """The CIFAR-10 ResNet of section 4.2 with ``depth = 6n + 2`` layers (20, 32, 44, 56, 110...)."""
    if depth < 8 or (depth - 2) % 6:
        raise UserError(f"CIFAR ResNets have 6n+2 layers (20, 32, 44, 56, 110), not {depth}", key="error.cifar_depth",
                        depth=depth)
    n = (depth - 2) // 6
    return ResNetSpec(block="basic", layers=(n, n, n), widths=CIFAR_WIDTHS, stem="cifar")
