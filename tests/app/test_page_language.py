"""``?lang=`` decides the page's language (the browser test in test_browser.py drives a real
page); here the middleware that makes it so, and the messages a Chinese page shows."""

from __future__ import annotations

import re

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from playground.choices import parse_depth
from playground.errors import message_for
from playground.locales import TABLES, toast_css
from playground.locales.address import LanguageFromAddress, asked_lang

PAGE = "<!doctype html><html><head><title>x</title><script type=module src=app.js></script></head><body></body></html>"


@pytest.fixture
def client() -> TestClient:
    app = Starlette(routes=[
        Route("/", lambda request: HTMLResponse(PAGE)),
        Route("/config", lambda request: JSONResponse({"lang": "not html"})),
    ])
    app.add_middleware(LanguageFromAddress)
    return TestClient(app)


@pytest.mark.parametrize(("query", "lang"), [("lang=zh", "zh"), ("lang=ZH-cn", "zh"), ("a=1&lang=en", "en"),
                                             ("lang=fr", None), ("", None), ("lang=", None)])
def test_asked_lang(query: str, lang: str | None) -> None:
    assert asked_lang(query.encode()) == lang


@pytest.mark.parametrize(("lang", "tag"), [("zh", "zh-CN"), ("en", "en-US")])
def test_the_page_reports_the_asked_language_before_gradio_starts(client: TestClient, lang: str, tag: str) -> None:
    response = client.get(f"/?lang={lang}")
    html = response.text
    assert int(response.headers["content-length"]) == len(response.content)
    script = html[html.index("<script>"):html.index("</head>")]
    # a classic script before the module: it runs first, so Gradio's i18n reads this language
    assert html.index("<script>") > html.index("type=module") and f'"{tag}"' in script
    assert "navigator" in script and TABLES[lang]["title"] in script


def test_without_a_language_the_page_and_other_responses_pass_untouched(client: TestClient) -> None:
    assert client.get("/").text == PAGE
    assert client.get("/?lang=fr").text == PAGE
    assert client.get("/config?lang=zh").json() == {"lang": "not html"}


def test_toast_titles_follow_the_html_lang_gradio_sets() -> None:
    css = toast_css()
    assert 'html[lang^="zh"] .toast-title.error::before { content: "出错了"' in css
    assert 'lang^="en"' not in css  # English keeps Gradio's own word


@pytest.mark.parametrize("counts", ["3, 4", "2, 2, 2, 2, 2", "0, 0, 0, 0", "100, 1, 1, 1", "a, b, c, d"])
def test_a_bad_block_count_is_said_in_chinese(counts: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_depth("custom", counts, "basic")
    zh = message_for(err.value, "zh")
    assert not re.search(r"[A-Za-z]{2,}", zh), zh  # no English words left, only numbers
