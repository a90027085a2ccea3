"""The article's second question, "how is the code written?": the source of the class behind a block.

The comment header that says what the block does to the tensor, in the page's language, is
made by :func:`viz.code.block_header` (words live in the catalogue, not in resnet_core).
"""

from __future__ import annotations

import inspect as pyinspect

from .blocks import block_class
from .shapes import Architecture


def block_source(arch: Architecture, name: str) -> str:
    """The PyTorch source of block ``name``'s class.

    Each variant has its own class (:mod:`resnet_core.blocks`), so the source shown is exactly
    the code that runs for this block: its declared layout and its forward, with no branches
    for other variants.

    Raises:
        KeyError: no block of that name.
    """
    block = arch.block(name)
    return pyinspect.getsource(block_class(block.block_type, block.variant))  # type: ignore[arg-type]
