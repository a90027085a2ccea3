"""Small text helpers for messages that echo what a user sent."""

from __future__ import annotations

import re
from typing import Any

#: the most characters of a user's value that a message quotes
QUOTE_LIMIT = 100
_INT = re.compile(r"[+-]?[0-9]+")


def quote(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_int(text: Any) -> int:
    """A whole number written with ASCII digits only (Python's ``int`` also takes "6_4" and "²").

    Raises:
        ValueError: anything else.
    """
    if isinstance(text, bool):
        raise ValueError(f"expected a whole number, got {quote(text)}")
    if isinstance(text, int):
        return text
    s = str(text).strip()
    if len(s) > 30 or not _INT.fullmatch(s):
        raise ValueError(f"expected a whole number, got {quote(text)}")
    return int(s)
