"""The page's words for Gradio: an adapter over the one catalogue, :mod:`viz.locales`.

The page's entries are the catalogue's ``page.`` namespace, named here without it
(``L("tab_arch")`` is the catalogue's ``"page.tab_arch"``). Two ways in: labels and static text
through Gradio's :data:`I18N` (the browser picks the language), and text a handler computes
through :func:`t` with the language of the request (:func:`lang_of`: the ``lang`` query
parameter, else the browser's Accept-Language). No words are kept here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import gradio as gr

from viz.locales import LANGS, section
from viz.locales import t as catalogue_t

#: the page's entries in each language, by their key without ``page.``
TABLES: dict[str, Mapping[str, str]] = {lang: section("page", lang) for lang in LANGS}

# Keys go to the browser with a prefix: a bare key that names one of Gradio's own translation
# groups ("code", "image", "file", ...) resolves to that group and shows "[object Object]".
# For the same reason a key sent there holds no dot (Gradio reads "a.b" as entry b of group a):
# the page's keys are sent without their namespace, and tests/viz/test_words.py keeps them dotless.
_PREFIX = "rp_"
# Gradio 6.31 tells screen readers that an event finished with the key "common.complete", which
# its own catalogues lack, so the raw key was read out (and counted as page text); and its zh-CN
# catalogue lacks the queue position ("In queue: 1 of 2" on a Chinese page): filled in here
_GRADIO_GAPS: dict[str, dict[str, str]] = {
    "en": {"common.complete": "Complete"},
    "zh": {"common.complete": "完成", "status.queue_position": "排队中：第 {position} 位，共 {size} 位"},
}
I18N = gr.I18n(**{
    lang: {**_GRADIO_GAPS[lang], **{_PREFIX + k: v for k, v in table.items()}} for lang, table in TABLES.items()
})


def toast_css() -> str:
    """CSS that titles Gradio's toasts in the page's language.

    Gradio 6 writes a toast's type as its title ("Error", "Warning", "Info"), in English
    whatever the locale and whatever ``gr.Error(title=...)`` says; its i18n sets ``<html lang>``,
    so the page's own word replaces it there.
    """
    rules = []
    for lang in LANGS:
        if lang == "en":
            continue
        for kind in ("error", "warning", "info"):
            word = TABLES[lang][f"toast_{kind}"].replace('"', "")
            rules.append(f'html[lang^="{lang}"] .toast-title.{kind} {{ font-size: 0; }}\n'
                         f'html[lang^="{lang}"] .toast-title.{kind}::before {{ content: "{word}"; font-size: var(--text-lg); }}')
    return "\n".join(rules) + "\n"


def L(key: str) -> Any:  # noqa: N802 - reads like a label in layout code
    """A label or static text of the page, translated in the browser."""
    if key not in TABLES["en"]:
        raise KeyError(f"no text 'page.{key}' in the catalogue")
    return I18N(_PREFIX + key)


def t(key: str, lang: str = "en", /, **values: Any) -> str:
    """The page's text ``key`` in ``lang``, formatted with ``values``."""
    return catalogue_t(f"page.{key}", lang, **values)


def pick_lang(asked: str | None, accept: str | None) -> str:
    """The language a request asks for: ``asked`` (its ``?lang=``) when the project speaks it,
    else the first language of ``accept`` (an Accept-Language header) it speaks, else English."""
    asked = str(asked or "").lower()
    if asked[:2] in LANGS:
        return asked[:2]
    for part in str(accept or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "en"


def lang_of(request: Any) -> str:
    """The language of a request: ``?lang=zh``/``?lang=en``, else the browser's first choice."""
    if request is None:
        return "en"
    try:
        asked = request.query_params.get("lang")
    except AttributeError:
        asked = None
    try:
        accept = request.headers.get("accept-language")
    except AttributeError:
        accept = None
    return pick_lang(asked, accept)


def lang_of_scope(scope: Mapping[str, Any]) -> str:
    """The language of an ASGI request that is answered before any handler runs (the web guard).

    As :func:`lang_of`, with one more place to look: a request the page sends (an upload, a job)
    carries the page's own address, and so its ``?lang=``, in its Referer header.
    """
    headers = {bytes(k).lower(): bytes(v).decode("latin-1") for k, v in scope.get("headers") or []}
    asked = parse_qs(bytes(scope.get("query_string") or b"").decode("latin-1")).get("lang", [""])[0]
    if asked[:2].lower() not in LANGS:
        asked = parse_qs(urlsplit(headers.get(b"referer", "")).query).get("lang", [""])[0]
    return pick_lang(asked, headers.get(b"accept-language"))


def choices(prefix: str, values: list[str] | tuple[str, ...], lang: str) -> list[tuple[str, str]]:
    """Radio or dropdown choices shown in ``lang``, sent as their plain values."""
    return [(t(f"{prefix}{v}", lang) if f"{prefix}{v}" in TABLES["en"] else v, v) for v in values]


__all__ = ["I18N", "LANGS", "TABLES", "L", "choices", "lang_of", "lang_of_scope", "pick_lang", "t", "toast_css"]
