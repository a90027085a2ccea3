"""What a user picked, parsed once at the edge into frozen records.

Handlers take the strings and numbers the page sends, turn them into a :class:`ModelChoice`
(and sizes, targets, counts) here, and pass the records on. Every parser refuses what it
cannot read with one plain message that quotes at most a hundred characters of the input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from resnet_core.errors import UserError
from resnet_core.inspection import MAX_TOP_K
from resnet_core.preprocess import MAX_INPUT_SIZE
from resnet_core.specs import BLOCK_TYPES, STANDARD_DEPTHS, VARIANTS, resolve_spec
from resnet_core.text import parse_int, quote
from resnet_core.zoo import WEIGHT_CHOICES, ModelKey

DEPTH_CHOICES: tuple[str, ...] = (*(f"ResNet-{d}" for d in STANDARD_DEPTHS), "custom")
DEFAULT_DEPTH = "ResNet-50"


def parse_depth(choice: Any, counts: Any = "", block: Any = "bottleneck") -> int | tuple[str, tuple[int, ...]]:
    """"ResNet-50" -> 50; "custom" with "2, 2, 2, 2" and "basic" -> ("basic", (2, 2, 2, 2))."""
    text = str(choice if choice is not None else "").strip()
    text = text.removeprefix("ResNet-")
    if text.isascii() and text.isdigit() and len(text) < 5:
        resolve_spec(int(text))
        return int(text)
    if text != "custom":
        raise ValueError(f"pick a depth from {', '.join(DEPTH_CHOICES)}, not {quote(choice)}")
    parts = [p for p in str(counts or "").replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        numbers = tuple(parse_int(p) for p in parts)
    except ValueError:
        raise UserError(f"block counts are four whole numbers such as 2, 2, 2, 2; got {quote(counts)}",
                        key="error.block_counts", got=quote(counts)) from None
    if block not in BLOCK_TYPES:
        raise ValueError(f"block type must be one of {', '.join(BLOCK_TYPES)}, not {quote(block)}")
    resolve_spec((block, numbers))
    return (block, numbers)


@dataclass(frozen=True)
class ModelChoice(ModelKey):
    """The model a request names, read from the page's picker: a :class:`ModelKey` (its fields
    are declared there once) that knows how to parse the picker's strings."""

    @classmethod
    def parse(cls, depth: Any, counts: Any, block: Any, variant: Any, weights: Any = "DEFAULT") -> ModelChoice:
        """Read the page's model picker."""
        d = parse_depth(depth, counts, block)
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, not {quote(variant)}")
        if weights not in WEIGHT_CHOICES:
            raise ValueError(f"weights must be one of {', '.join(WEIGHT_CHOICES)}, not {quote(weights)}")
        return cls(d, variant, weights)

    @property
    def key(self) -> ModelKey:
        """The plain key (what caches and backends are keyed by)."""
        return ModelKey(self.depth, self.variant, self.weights)


def parse_size(height: Any, width: Any = None) -> tuple[int, int]:
    """An input size in pixels (width defaults to the height), within 1..MAX_INPUT_SIZE."""
    h = parse_side(height, default=224)
    w = h if width in (None, 0, "") else parse_side(width, default=h)
    return h, w


def parse_side(value: Any, *, default: int = 224) -> int:
    """One side in pixels; floats from sliders are rounded, anything else refused."""
    if value is None or value == "":
        return default
    try:
        number = float(value) if not isinstance(value, str) else float(parse_int(value))
    except (TypeError, ValueError):
        raise UserError(f"the input size is a whole number of pixels, not {quote(value)}", key="error.size_whole",
                        got=quote(value)) from None
    if not math.isfinite(number):
        raise UserError(f"the input size is a whole number of pixels, not {quote(value)}", key="error.size_whole",
                        got=quote(value))
    if not 1 <= number <= MAX_INPUT_SIZE:
        raise UserError(f"input sides must be between 1 and {MAX_INPUT_SIZE} pixels, got {quote(value)}",
                        key="error.input_sides", low=1, high=MAX_INPUT_SIZE, got=quote(value))
    return int(round(number))


def top_k(value: Any) -> int:
    """How many classes a request shows: 5 when unset, within 1..MAX_TOP_K."""
    if value in (None, "", 0):
        return 5
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError(f"top-k is a whole number, not {quote(value)}", key="error.top_k_whole", got=quote(value)) from None
    if not math.isfinite(number):
        raise UserError(f"top-k is a whole number, not {quote(value)}", key="error.top_k_whole", got=quote(value))
    return max(1, min(int(number), MAX_TOP_K))


AUTO_TARGET = "auto (top-1)"


def parse_target(value: Any, categories: tuple[str, ...]) -> int | None:
    """"auto" (or nothing) -> None, the top-1 class; "281: tabby", "281", 281 or "tabby" -> 281."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            raise UserError(f"a class is a whole number, not {quote(value)}", key="error.class_whole", got=quote(value))
        index = int(value)
        if not 0 <= index < len(categories):
            raise UserError(f"unknown class {quote(value)}: pick one from the list or type its number (0-{len(categories) - 1})",
                            key="error.unknown_class", value=quote(value), last=len(categories) - 1)
        return index
    text = str(value).strip()
    if not text or text.lower().startswith("auto") or text.startswith("自动"):
        return None
    head = text.split(":", 1)[0].strip()
    if head.isascii() and head.isdigit() and len(head) < 7 and int(head) < len(categories):
        return int(head)
    matches = [i for i, c in enumerate(categories) if c.lower() == text.lower()]
    if len(matches) == 1:
        return matches[0]
    if matches:  # ImageNet names "crane" and "maillot" twice
        numbers = ", ".join(map(str, matches))
        raise UserError(f"{quote(text)} names several classes ({numbers}); pick one by number",
                        key="error.class_several", value=quote(text), numbers=numbers)
    raise UserError(f"unknown class {quote(text)}: pick one from the list or type its number (0-{len(categories) - 1})",
                    key="error.unknown_class", value=quote(text), last=len(categories) - 1)


def class_choices(categories: tuple[str, ...]) -> list[str]:
    """The class picker: auto, then "i: name" for every class."""
    return [AUTO_TARGET] + [f"{i}: {c}" for i, c in enumerate(categories)]


__all__ = [
    "AUTO_TARGET",
    "DEFAULT_DEPTH",
    "DEPTH_CHOICES",
    "WEIGHT_CHOICES",
    "ModelChoice",
    "class_choices",
    "parse_depth",
    "parse_side",
    "parse_size",
    "parse_target",
    "top_k",
]
