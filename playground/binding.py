"""Module-level handlers with explicit dependencies, bound for Gradio.

A tab's handlers live at module level and take what they use (the page, a cancel table) as
keyword-only arguments, so a test calls them directly. :func:`bind` fixes those arguments for
Gradio. ``functools.partial`` would not do: Gradio finds ``gr.Request`` and ``gr.Progress``
parameters through the function's signature and type hints, which a partial object hides,
and it streams only a function that is itself a generator function.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any


def bind(handler: Callable, **deps: Any) -> Callable:
    """``handler`` with its keyword-only ``deps`` given, its other parameters (names, defaults,
    annotations) shown to Gradio unchanged; a generator function stays one."""
    sig = inspect.signature(handler)
    unknown = set(deps) - {n for n, p in sig.parameters.items() if p.kind is p.KEYWORD_ONLY}
    if unknown:
        raise TypeError(f"{handler.__name__} has no keyword-only parameters {sorted(unknown)}")
    if inspect.isgeneratorfunction(handler):

        @functools.wraps(handler)
        def bound(*args: Any, **kwargs: Any) -> Iterator[Any]:
            yield from handler(*args, **kwargs, **deps)

    else:

        @functools.wraps(handler)
        def bound(*args: Any, **kwargs: Any) -> Any:
            return handler(*args, **kwargs, **deps)

    bound.__signature__ = sig.replace(parameters=[p for n, p in sig.parameters.items() if n not in deps])
    return bound


__all__ = ["bind"]
