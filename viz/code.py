"""The article's second question, "how is the code written?": the header over a block's source.

The source itself comes from :func:`resnet_core.explain.block_source`; the comment lines above
it, which say what the block does to the tensor op by op, are words, so they are made here in
the page's language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .locales import section

if TYPE_CHECKING:  # viz reads the dataclasses; importing resnet_core would import torch
    from resnet_core.shapes import BlockInfo, Shape


def _shape(s: Shape) -> str:
    return f"({s[0]}, {s[1]}, {s[2]})"


def block_header(block: BlockInfo, *, lang: str = "en") -> str:
    """Comment lines that say what one block does to the tensor, op by op, in ``lang`` ("en" or "zh")."""
    t = section("code", lang)
    lines = [
        t["title"].format(
            name=block.name, kind=block.block_class or block.block_type, variant=block.variant,
            stride=block.stride, shortcut=t[block.shortcut],
        ),
        t["shapes"].format(x=_shape(block.in_shape), out=_shape(block.out_shape)),
        t["costs"].format(params=block.params, macs=block.macs / 1e6, adds=block.adds),
        "#",
    ]
    width = max(len(op.name) for op in block.layers) - len(block.name) - 1
    for op in block.layers:
        local = op.name[len(block.name) + 1 :]
        path = "" if op.path == "main" else f" [{t[op.path]}]"
        shown = t["option_a"] if op.kind == "pad" else op.detail  # the pad's detail is a word
        detail = f" {shown}" if shown else ""
        lines.append(f"#   {local:<{width}} {_shape(op.in_shape)} -> {_shape(op.out_shape)}{detail}{path}")
    return "\n".join(lines)


__all__ = ["block_header"]
