"""The article's second question, "how is the code written?": a block's source with the shapes it sees."""

from __future__ import annotations

import inspect as pyinspect

from .blocks import block_class
from .shapes import Architecture, BlockInfo, Shape

#: the header's words per language (the same keys in each); the source below it stays as written
TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "# {name}: {kind} ({variant}), stride {stride}, {shortcut} shortcut",
        "shapes": "# x: {x} -> out: {out}   (C, H, W), batch left out",
        "costs": "# {params:,} parameters, {macs:,.1f} M multiply-accumulates, {adds:,} residual adds",
        "identity": "identity", "projection": "projection", "pad": "zero-padding", "none": "no",
        "branch": "branch", "shortcut": "shortcut", "option_a": "option A",
    },
    "zh": {
        "title": "# {name}：{kind}（{variant}），步长 {stride}，{shortcut}捷径",
        "shapes": "# x：{x} -> 输出：{out}   （C, H, W），省略批维度",
        "costs": "# {params:,} 个参数，{macs:,.1f} M 次乘加，{adds:,} 次残差加法",
        "identity": "恒等", "projection": "投影", "pad": "补零", "none": "无",
        "branch": "分支", "shortcut": "捷径", "option_a": "方案 A",
    },
}


def _shape(s: Shape) -> str:
    return f"({s[0]}, {s[1]}, {s[2]})"


def _text(lang: str) -> dict[str, str]:
    if lang not in TEXT:
        raise ValueError(f"unknown language {str(lang)[:20]!r}; choose one of {', '.join(TEXT)}")
    return TEXT[lang]


def block_header(block: BlockInfo, *, lang: str = "en") -> str:
    """Comment lines that say what one block does to the tensor, op by op, in ``lang`` ("en" or "zh")."""
    t = _text(lang)
    kind = block.block_class or block_class(block.block_type, block.variant).__name__  # type: ignore[arg-type]
    lines = [
        t["title"].format(
            name=block.name, kind=kind, variant=block.variant, stride=block.stride, shortcut=t[block.shortcut]
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


def block_source(arch: Architecture, name: str, *, lang: str = "en") -> str:
    """The PyTorch source of block ``name``'s class, headed by the shapes it sees at this input size.

    Each variant has its own class (:mod:`resnet_core.blocks`), so the source shown is exactly
    the code that runs for this block: its declared layout and its forward, with no branches
    for other variants.

    Raises:
        KeyError: no block of that name.
        ValueError: unknown language.
    """
    block = arch.block(name)
    cls = block_class(block.block_type, block.variant)  # type: ignore[arg-type]
    return block_header(block, lang=lang) + "\n\n" + pyinspect.getsource(cls)
