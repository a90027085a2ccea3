"""Every word the project shows, one catalogue per language: the figures' and the page's.

The keys are namespaced by who shows them: ``"graph.legend_identity"`` (a figure module of
:mod:`viz`), ``"lab.race.title"`` (one of :mod:`viz.lab`), ``"page.tab_arch"`` (the page,
through :mod:`playground.locales`), ``"error.image_empty"`` (a :class:`resnet_core.errors.UserError`
the page words). Both catalogues hold the same keys with the same format fields
(``tests/viz/test_words.py``). It lives in ``viz`` because both ``viz`` and ``playground`` read it
and ``viz`` may not import ``playground``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

from . import en, zh

#: the languages the project speaks
LANGS: tuple[str, ...] = ("en", "zh")
#: the catalogues, by language
TABLES: Mapping[str, Mapping[str, str]] = MappingProxyType({"en": en.TEXT, "zh": zh.TEXT})


def check_lang(lang: str) -> str:
    """Return ``lang`` if the project speaks it, else raise ValueError naming the choices."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {str(lang)[:20]!r}; choose one of {', '.join(LANGS)}")
    return lang


def t(key: str, lang: str = "en", /, **fields: Any) -> str:
    """The words ``key`` in ``lang``, formatted with ``fields`` (KeyError for a key no catalogue has)."""
    text = TABLES[check_lang(lang)][key]
    return text.format(**fields) if fields else text


@cache
def section(namespace: str, lang: str) -> Mapping[str, str]:
    """The entries of ``namespace`` in ``lang``, by their key without the namespace.

    ``section("lab.race", "zh")["title"]`` is ``t("lab.race.title", "zh")``: a figure module reads
    its own namespace this way.
    """
    prefix = namespace + "."
    table = TABLES[check_lang(lang)]
    return MappingProxyType({k[len(prefix):]: v for k, v in table.items() if k.startswith(prefix)})


__all__ = ["LANGS", "TABLES", "check_lang", "section", "t"]
