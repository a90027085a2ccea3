"""One error policy for every handler: a plain message in the page, the traceback in the log.

A user's mistake (a bad picture, a bad checkpoint, a choice past the budget) is shown as it
is; anything else gets a generic message and is logged. The ``gr.Error`` is raised outside the
``except`` block, so the failed call's frames (and any GPU tensors they hold) are released
before the next request runs. A :class:`~resnet_core.errors.UserError` names its words in the
catalogue by key, so it is said in the request's language; messages are cut at
:data:`MESSAGE_LIMIT` characters.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr
import torch

from resnet_core.errors import Term, UserError
from viz.locales import t as catalogue_t

from .locales import lang_of, t

log = logging.getLogger("resnet_playground")

#: what a user can cause. Not KeyError: the library raises it only for a lookup the code itself
#: got wrong (a missing curve, a missing text), which is the server's fault, so it is logged and
#: shown as one; a name a user gives is checked with a ValueError.
USER_ERRORS: tuple[type[BaseException], ...] = (UserError, ValueError)
#: the most characters of a message (and so of any value it quotes) that reach the page or the log
MESSAGE_LIMIT = 600


def _clip(message: str) -> str:
    return message if len(message) <= MESSAGE_LIMIT else message[: MESSAGE_LIMIT - 1] + "…"


def said(exc: BaseException, lang: str) -> str:
    """``exc`` from its catalogue entry in ``lang``, or its own words when it names none.

    A field that is itself an error (a picture that cannot be read, inside the data set that
    holds it) or a :class:`~resnet_core.errors.Term` (a kind of file) is said the same way, so
    the whole message is in one language.
    """
    key = getattr(exc, "key", None)
    if not key:
        return str(exc) or type(exc).__name__
    fields = {name: said(value, lang) if isinstance(value, (BaseException, Term)) else value
              for name, value in getattr(exc, "fields", {}).items()}
    return catalogue_t(key, lang, **fields)


def worded(exc: BaseException, lang: str) -> str:
    """A user's mistake in ``lang``: its catalogue entry when it names one, else its own English.

    A :class:`~resnet_core.errors.UserError` with a ``key`` is said from the catalogue with its
    fields (:func:`said`); any other message (an error raised without a key) is shown as it is,
    after a Chinese lead-in on a Chinese page, so a reader always sees what went wrong.
    """
    key = getattr(exc, "key", None)
    if key:
        try:
            return _clip(said(exc, lang))
        except (KeyError, IndexError, ValueError):  # a key or a field the catalogue lacks: the code's fault
            log.exception("no words for %r in %s", key, lang)
    message = _clip(str(exc) or type(exc).__name__)
    return t("err_lead", lang, message=message)


def message_for(exc: BaseException, lang: str = "en") -> str:
    """What the page says about ``exc``."""
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return t("err_oom_gpu", lang)
    if isinstance(exc, MemoryError):
        return t("err_oom", lang)
    if isinstance(exc, USER_ERRORS):
        return worded(exc, lang)
    return t("err_generic", lang)


def _describe(exc: BaseException, handler: str, lang: str) -> tuple[str, type, str]:
    """Log what the user must not see; keep only the message, the type and the language (no frames)."""
    if not isinstance(exc, USER_ERRORS):
        log.exception("handler %s failed", handler)
    return message_for(exc, lang), type(exc), lang


def _error(message: str, exc_type: type, lang: str) -> gr.Error:
    if issubclass(exc_type, torch.cuda.OutOfMemoryError) and torch.cuda.is_available():
        torch.cuda.empty_cache()
    # the title reaches API clients; Gradio 6.31's page shows its own word, which locales.toast_css translates
    return gr.Error(message, title=t("err_title", lang))


def _request_lang(args: tuple, kwargs: dict) -> str:
    for value in (*args, *kwargs.values()):
        if isinstance(value, gr.Request):
            return lang_of(value)
    return "en"


def friendly(fn: Callable) -> Callable:
    """Decorate a handler: user mistakes and faults become a ``gr.Error`` with a plain message.

    A handler that takes a ``gr.Request`` gets its messages in the request's language.
    """
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Iterator:
            try:
                yield from fn(*args, **kwargs)
                return
            except gr.Error:
                raise
            except Exception as exc:  # noqa: BLE001 - every failure gets a clear message
                failure = _describe(exc, fn.__name__, _request_lang(args, kwargs))
            raise _error(*failure)

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure gets a clear message
            failure = _describe(exc, fn.__name__, _request_lang(args, kwargs))
        raise _error(*failure)

    return wrapper
