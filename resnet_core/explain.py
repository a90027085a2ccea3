"""The article's second question, "how is the code written?": a block's source with the shapes it sees."""

from __future__ import annotations

import inspect as pyinspect

from .blocks import BasicBlock, Bottleneck
from .shapes import Architecture, BlockInfo, Shape


def _shape(s: Shape) -> str:
    return f"({s[0]}, {s[1]}, {s[2]})"


def block_header(block: BlockInfo) -> str:
    """Comment lines that say what one block does to the tensor, op by op."""
    kind = "BasicBlock" if block.block_type == "basic" else "Bottleneck"
    lines = [
        f"# {block.name}: {kind} ({block.variant}), stride {block.stride}, {block.shortcut} shortcut",
        f"# x: {_shape(block.in_shape)} -> out: {_shape(block.out_shape)}   (C, H, W), batch left out",
        f"# {block.params:,} parameters, {block.macs / 1e6:,.1f} M multiply-accumulates, {block.adds:,} residual adds",
        "#",
    ]
    width = max(len(op.name) for op in block.layers) - len(block.name) - 1
    for op in block.layers:
        local = op.name[len(block.name) + 1 :]
        path = "" if op.path == "main" else f" [{op.path}]"
        detail = f" {op.detail}" if op.detail else ""
        lines.append(f"#   {local:<{width}} {_shape(op.in_shape)} -> {_shape(op.out_shape)}{detail}{path}")
    return "\n".join(lines)


def block_source(arch: Architecture, name: str) -> str:
    """The PyTorch source of block ``name``'s class, headed by the shapes it sees at this input size.

    Raises:
        KeyError: no block of that name.
    """
    block = arch.block(name)
    cls = BasicBlock if block.block_type == "basic" else Bottleneck
    return block_header(block) + "\n\n" + pyinspect.getsource(cls)
