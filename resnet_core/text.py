"""Small helpers for putting user values into messages and reading numbers people typed.

Every error message that names something a person sent (a layer name, a file name, a class
target) goes through :func:`quote`, so a megabyte of input never becomes a megabyte of error
text in the page and in the log. Numbers typed by people go through :func:`parse_int`, which
accepts only what a person means by a whole number: Python's ``int()`` also reads ``"6_4"`` as
64, ``"²"`` and other Unicode digits, and surrounding whitespace of any kind.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import Term, UserError

__all__ = ["MAX_QUOTE", "VALUE", "ParseError", "parse_int", "quote", "shorten"]

MAX_QUOTE: int = 100
"""Most characters of a user value that :func:`quote` keeps."""

# ASCII digits only, optional sign; no underscores, no Unicode digits, no inner spaces.
_INT = re.compile(r"[+-]?[0-9]+")
# Longest digit string parse_int reads: int() of huge strings is quadratic, and no count,
# index or size a person types here needs more than this many digits.
_MAX_DIGITS = 18


class ParseError(UserError):
    """Text that is not a plain whole number; the message quotes at most :data:`MAX_QUOTE` characters."""


#: what :func:`parse_int` calls a number it is not told the name of
VALUE = Term("value", key="error.term_value")


def quote(value: Any, *, limit: int = MAX_QUOTE) -> str:
    """A value as it should appear in a message: ``repr`` for strings, cut to ``limit`` characters.

    Args:
        value: anything; strings are quoted with ``repr`` (so control characters and quotes are
            escaped), other values are shown with ``str`` (their ``repr`` may be large too).
        limit: most characters of the value kept; longer ones end in ``…`` and say how long
            they were.

    Returns:
        The quoted text, at most about ``limit + 30`` characters long.
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        total, unit = memoryview(value).nbytes, "bytes"
        shown = repr(bytes(memoryview(value).cast("B")[:limit]))
    elif isinstance(value, str):
        total, unit = len(value), "characters"
        shown = repr(value[:limit])
    else:
        try:
            text = str(value)
        except Exception:  # a hostile __str__ must not turn a message into a crash
            text = f"<{type(value).__name__}>"
        total, unit = len(text), "characters"
        shown = text[:limit]
    if len(shown) > limit + 3:  # escapes (\n, \x00) made the quoted text longer
        cut = shown[: limit + 2].rstrip("\\")  # never end inside an escape's backslash
        shown = cut + shown[0] if shown[0] in "'\"" else cut
    return shown if total <= limit else f"{shown}… ({total} {unit})"


def shorten(text: str, *, limit: int = MAX_QUOTE) -> str:
    """Text to show without quotes (a file name): control characters escaped, cut to ``limit``.

    Unlike :func:`quote`, a short printable name comes back unchanged (``"cat.png"``).
    """
    text = str(text)
    cut = text[:limit]
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in cut)
    return shown if len(text) <= limit else f"{shown}… ({len(text)} characters)"


def parse_int(text: Any, *, name: str = VALUE, low: int | None = None, high: int | None = None) -> int:
    """Read a whole number a person typed: ASCII digits with an optional sign, nothing else.

    Surrounding ASCII spaces and tabs are ignored; underscores (``"6_4"``), Unicode digits
    (``"²"``, ``"٣"``), decimals and exponents are refused. An ``int`` (not ``bool``) is
    accepted as it is, and a float that is a whole number (``3.0``, as JSON may send) too.

    Args:
        text: the text (or number) to read.
        name: what the number is, for the message: a :class:`~resnet_core.errors.Term` is said in
            the page's language, a plain ``str`` is quoted as it is.
        low: smallest value allowed, if any.
        high: largest value allowed, if any.

    Raises:
        ParseError: anything that is not such a number, or one outside ``[low, high]`` (keyed).
    """
    if isinstance(text, bool):
        raise ParseError(f"The {name} must be a whole number, not {text}.", key="error.whole_number_not",
                         name=name, got=text)
    if isinstance(text, int):
        value = text
    elif isinstance(text, float) and text.is_integer():
        value = int(text)
    elif isinstance(text, str):
        stripped = text.strip(" \t")
        digits = stripped.lstrip("+-")
        if not _INT.fullmatch(stripped) or len(digits) > _MAX_DIGITS:
            raise ParseError(f"The {name} must be a whole number written with the digits 0-9, got {quote(text)}.",
                             key="error.whole_number_digits", name=name, got=quote(text))
        value = int(stripped)
    else:
        raise ParseError(f"The {name} must be a whole number, got {quote(text)}.", key="error.whole_number",
                         name=name, got=quote(text))
    if low is not None and high is not None and not low <= value <= high:
        raise ParseError(f"The {name} must be a whole number from {low} to {high}, got {quote(value)}.",
                         key="error.whole_number_range", name=name, low=low, high=high, got=quote(value))
    if low is not None and value < low:
        raise ParseError(f"The {name} must be a whole number from {low}, got {quote(value)}.",
                         key="error.whole_number_low", name=name, low=low, got=quote(value))
    if high is not None and value > high:
        raise ParseError(f"The {name} must be a whole number to {high}, got {quote(value)}.",
                         key="error.whole_number_high", name=name, high=high, got=quote(value))
    return value
