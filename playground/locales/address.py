"""The address decides the page's language: ``?lang=zh`` or ``?lang=en`` wins over the browser's.

Gradio's frontend picks the locale of every :class:`gradio.I18n` label from
``navigator.language`` when its module starts (``setupi18n`` in its ``core`` chunk, Gradio 6),
and a ``head=`` script runs only after that. So the page's HTML gets one small classic script,
placed before ``</head>``: classic scripts run before the deferred module, so Gradio then reads
the language the address asked for. The same script gives the browser tab its title in that
language. Requests without ``?lang=`` pass through untouched (the browser decides).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from . import LANGS, t

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

#: the tag Gradio's i18n reads for each of our languages (its built-in catalogue is "zh-CN")
BROWSER_TAGS: dict[str, str] = {"en": "en-US", "zh": "zh-CN"}

_SCRIPT = """<script>
(() => {{ // ?lang= decides: Gradio's i18n reads navigator.language when its module starts
  const tag = {tag};
  for (const [name, value] of [["language", tag], ["languages", [tag]]]) {{
    Object.defineProperty(navigator, name, {{ get: () => value, configurable: true }});
  }}
  if (window.gradio_config) window.gradio_config.title = {title};
}})();
</script>"""


def asked_lang(query_string: bytes | str) -> str | None:
    """The language ``?lang=`` asks for (``"en"``, ``"zh"``), or None when it asks for none we speak."""
    query = query_string.decode("latin-1") if isinstance(query_string, bytes) else query_string
    asked = (parse_qs(query).get("lang") or [""])[0].lower()[:2]
    return asked if asked in LANGS else None


def language_script(lang: str) -> str:
    """The ``<script>`` that makes the browser report ``lang`` before Gradio starts."""
    title = json.dumps(t("title", lang), ensure_ascii=False).replace("</", "<\\/")  # never ends the script early
    return _SCRIPT.format(tag=json.dumps(BROWSER_TAGS[lang]), title=title)


def with_language(html: bytes, lang: str) -> bytes:
    """``html`` with :func:`language_script` before its ``</head>`` (unchanged if it has none)."""
    marker = b"</head>"
    at = html.find(marker)
    if at < 0:
        return html
    return html[:at] + language_script(lang).encode() + html[at:]


class LanguageFromAddress:
    """ASGI middleware: a page asked for with ``?lang=`` is served speaking that language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        lang = asked_lang(scope.get("query_string", b"")) if scope["type"] == "http" else None
        if lang is None or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body: list[bytes] = []

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                if not headers.get(b"content-type", b"").startswith(b"text/html"):
                    await send(message)
                    return
                start = message  # the page: held until its body is complete
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            html = with_language(b"".join(body), lang)
            headers = [(k, v) for k, v in start.get("headers") or [] if k.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(html)).encode())]})
            await send({"type": "http.response.body", "body": html})

        await self.app(scope, receive, rewrite)


__all__ = ["BROWSER_TAGS", "LanguageFromAddress", "asked_lang", "language_script", "with_language"]
