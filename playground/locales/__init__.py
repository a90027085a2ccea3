"""The page's words in English and Chinese.

Two ways in: labels and static text through Gradio's :data:`I18N` (the browser picks the
language), and text a handler computes through :func:`t` with the language of the request
(:func:`lang_of`: the ``lang`` query parameter, else the browser's Accept-Language).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from . import en, zh

LANGS: tuple[str, ...] = ("en", "zh")
TABLES: dict[str, dict[str, str]] = {"en": en.TEXT, "zh": zh.TEXT}

# Keys go to the browser with a prefix: a bare key that names one of Gradio's own translation
# groups ("code", "image", "file", ...) resolves to that group and shows "[object Object]".
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
    """A label or static text, translated in the browser."""
    if key not in en.TEXT:
        raise KeyError(f"no text {key!r} in the locales")
    return I18N(_PREFIX + key)


def t(key: str, lang: str = "en", /, **values: Any) -> str:
    """The text ``key`` in ``lang``, formatted with ``values``."""
    table = TABLES.get(lang, en.TEXT)
    text = table.get(key, en.TEXT[key])
    return text.format(**values) if values else text


def lang_of(request: Any) -> str:
    """The language of a request: ``?lang=zh``/``?lang=en``, else the browser's first choice."""
    if request is None:
        return "en"
    try:
        asked = (request.query_params.get("lang") or "").lower()
    except AttributeError:
        asked = ""
    if asked[:2] in LANGS:
        return asked[:2]
    try:
        accept = request.headers.get("accept-language", "") or ""
    except AttributeError:
        return "en"
    for part in accept.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "en"


def choices(prefix: str, values: list[str] | tuple[str, ...], lang: str) -> list[tuple[str, str]]:
    """Radio or dropdown choices shown in ``lang``, sent as their plain values."""
    return [(t(f"{prefix}{v}", lang) if f"{prefix}{v}" in en.TEXT else v, v) for v in values]


__all__ = ["I18N", "LANGS", "TABLES", "L", "choices", "lang_of", "t", "toast_css"]
