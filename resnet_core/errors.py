"""The one base of the mistakes a person can fix: English for the library's users, a key for the page.

A :class:`UserError` says what went wrong in English (its ``str``, for a script or a notebook)
and names the same words in the word catalogue (``key``, an ``"error."`` entry of
:mod:`viz.locales`) with the values they quote (``fields``), so a page can say it in its
reader's language without parsing the English. An error raised without a key is still a user's
mistake; a page shows its English.
"""

from __future__ import annotations

from typing import Any


class UserError(ValueError):
    """A request a person can correct (a bad picture, a bad checkpoint, a choice past the budget).

    Args:
        message: the library's own words, in English.
        key: the catalogue entry of the same words (``"error.image_empty"``), or None.
        **fields: the values the entry quotes, by the names its format fields use.

    It pickles with its key and fields (``BaseException.__reduce__`` keeps ``__dict__``), so it
    crosses a process boundary (Ray Serve replicas) intact.
    """

    def __init__(self, message: str, *, key: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.key = key
        self.fields = fields


class Term(str):
    """A word a message quotes (a kind of file, what a number counts) that the catalogue also
    holds: English as a ``str``, and its entry's ``key`` (with the ``fields`` it quotes) for a
    page, which says it in the reader's language wherever it is a field of a :class:`UserError`.

    It pickles with its key (a ``str`` subclass keeps its ``__dict__``).
    """

    key: str | None
    fields: dict[str, Any]

    def __new__(cls, text: str, key: str | None = None, **fields: Any) -> Term:
        term = super().__new__(cls, text)
        term.key = key
        term.fields = fields
        return term


__all__ = ["Term", "UserError"]
