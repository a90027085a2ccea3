"""Refusals answered before any handler runs are said in the page's language (issue 22, item 5).

The web guard and Gradio's input checks refuse a request before :func:`playground.errors.friendly`
sees it, so they read the language from the request itself: ``?lang=``, the page's own ``?lang=``
in the Referer, else Accept-Language. Each test sends what a browser sends, from a loopback
address of its own, to the real app running in this process (``live_app``), and compares the
answer with the catalogue's entry (filled with the numbers the server was started with), never
with the code's own output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from _live import LiveApp, api_data, file_data, live_app, tiny_args

from playground.guard import max_request_body
from viz.locales import TABLES

pytestmark = pytest.mark.timeout(300)

#: what a Chinese and an English browser send
ZH_BROWSER = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
EN_BROWSER = {"Accept-Language": "en-US,en;q=0.9"}
MEGABYTE = np.random.default_rng(0).integers(0, 256, 2**20, dtype=np.uint8).tobytes()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with live_app(tmp_path_factory.mktemp("refusal_words"), upload_rate_mb=1.5, max_file_mb=1) as app:
        yield app


def client_from(live: LiveApp, address: str, headers: dict[str, str]) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=live.url, timeout=120, trust_env=False, transport=transport, headers=headers)


def upload(h: httpx.Client) -> httpx.Response:
    return h.post("gradio_api/upload", files={"files": ("a.bin", MEGABYTE, "application/octet-stream")})


def chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text)) and not re.search(r"[A-Za-z]{3,}", text.replace("MB", ""))


def test_too_many_uploads_is_said_in_the_browser_s_language(live: LiveApp) -> None:
    # 1.5 MB per minute: a second megabyte from the same address is refused
    rate = dict(mb=1, seconds="60")
    with client_from(live, "127.0.0.21", ZH_BROWSER) as zh:
        assert upload(zh).status_code == 200
        refused = upload(zh)
    assert refused.status_code == 429
    assert refused.json()["detail"] == TABLES["zh"]["error.upload_rate"].format(**rate)
    assert chinese(refused.json()["detail"].replace("秒", ""))
    with client_from(live, "127.0.0.22", EN_BROWSER) as en:
        assert upload(en).status_code == 200
        refused = upload(en)
    assert refused.status_code == 429
    # the English words are the ones API clients and older tests match
    assert refused.json()["detail"] == "Too many uploads from this address: at most 1 MB per 60 s. Try again in a minute."
    assert refused.json()["detail"] == TABLES["en"]["error.upload_rate"].format(**rate)


def test_the_page_s_own_lang_wins_over_the_browser_s(live: LiveApp) -> None:
    # an English browser on the page opened as ?lang=zh: the upload carries the page in its Referer
    with client_from(live, "127.0.0.23", {**EN_BROWSER, "Referer": f"{live.url}?lang=zh"}) as h:
        assert upload(h).status_code == 200
        refused = upload(h)
    assert refused.json()["detail"] == TABLES["zh"]["error.upload_rate"].format(mb=1, seconds="60")
    # and the request's own ?lang= wins over both
    with client_from(live, "127.0.0.23", {**ZH_BROWSER, "Referer": f"{live.url}?lang=zh"}) as h:
        refused = h.post("gradio_api/upload?lang=en", files={"files": ("a.bin", MEGABYTE, "application/octet-stream")})
    assert refused.status_code == 429 and refused.json()["detail"].startswith("Too many uploads")


def test_a_request_past_the_size_cap_is_refused_in_the_browser_s_language(live: LiveApp) -> None:
    mb = max_request_body(2**20) // 2**20  # the body cap of a server whose files may be 1 MB
    body = json.dumps({"data": ["x" * (3 * 2**20)]})
    for headers, lang in ((ZH_BROWSER, "zh"), (EN_BROWSER, "en")):
        with client_from(live, "127.0.0.24", headers) as h:
            r = h.post("gradio_api/call/predict", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 413
        assert r.json()["detail"] == TABLES[lang]["error.request_too_large"].format(mb=mb)
    assert chinese(TABLES["zh"]["error.request_too_large"].format(mb=mb))


def refused_call(live: LiveApp, headers: dict[str, str], api_name: str, inputs: dict[str, Any]) -> str:
    """The error message of a raw API call refused while Gradio reads its inputs (its title in
    the same language)."""
    data = api_data(live, api_name, inputs)
    with client_from(live, "127.0.0.25", headers) as h:
        r = h.post(f"gradio_api/call/{api_name}", json={"data": data})
        assert r.status_code == 200, r.text
        event = None
        with h.stream("GET", f"gradio_api/call/{api_name}/{r.json()['event_id']}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    assert event == "error", line[:300]
                    error = json.loads(line.split(":", 1)[1])
                    lang = "zh" if headers is ZH_BROWSER else "en"
                    assert error["title"] == TABLES[lang]["page.err_title"], error
                    return error["error"]
    raise AssertionError(f"no result for {api_name}")


def test_a_value_outside_the_choices_is_refused_in_the_browser_s_language(live: LiveApp) -> None:
    inputs = dict(depth="ResNet-51", counts="2, 2, 2, 2", selected="layer3.1")
    zh = refused_call(live, ZH_BROWSER, "architecture", inputs)
    assert zh == TABLES["zh"]["error.not_a_choice"].format(value="ResNet-51"), zh
    en = refused_call(live, EN_BROWSER, "architecture", inputs)
    assert en == '"ResNet-51" is not in the list of choices.'


def test_a_picture_named_by_web_address_is_refused_in_the_browser_s_language(live: LiveApp) -> None:
    url = "http://169.254.169.254/latest/meta-data/"
    zh = refused_call(live, ZH_BROWSER, "inspect", tiny_args(file_data(url)))
    assert zh == TABLES["zh"]["error.uploads_only"], zh
    en = refused_call(live, EN_BROWSER, "inspect", tiny_args(file_data(url)))
    assert en == "Files are taken from uploads only, not from web addresses."
    assert live.guard.attempts == []
