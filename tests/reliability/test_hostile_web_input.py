"""Hostile input on the web surface: uploads, Gradio's file routes, forged API payloads.

Issue 7, part 1, and shared/RELIABILITY.md items 1-6 and the safe defaults. The real app runs
in this process on a free loopback port (``live_app``, tests/_live.py), started with exactly
the options ``python app.py`` uses (``launch_kwargs``), so a test can also look inside it: its
model cache, its hooks, its temp folder.

Every case expects the same thing: one clear refusal (a 4xx over HTTP, an error event through
the API), no traceback or server path in it, nothing new in the server's temp folder, and no
connection anywhere but to the server itself. The last is enforced, not hoped for: while a
server runs, ``OutboundGuard`` (tests/_live.py) refuses and records every name lookup and every
connection that does not go to ``127.0.0.1:<its port>``, so a request asking the server to fetch
``http://169.254.169.254/`` can never leave this machine even if the server tried.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _live import (
    LiveApp,
    api_data,
    assert_clear_message,
    assert_same_result,
    file_data,
    inspect,
    live_fixture,
    picture_fixture,
    raw_call,
    signature,
    tiny_args,
)
from _pictures import encode, png_declaring
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image

from playground import Settings, launch_kwargs
from playground.page import LONG_EVENTS, MODEL_EVENTS
from resnet_core.batching import MAX_BATCH

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "assets"


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


# --------------------------------------------------------------------------- fixtures


UPLOAD_LIMIT = 256 * 1024  # small, so a file one byte over it is cheap to send


# the server under test (``client`` and ``baseline`` on top of these two: tests/conftest.py)
live = live_fixture("web", max_file_mb=UPLOAD_LIMIT / 2**20)
good_png = picture_fixture("blobs.png", 96, 128, seed=3)


@pytest.fixture
def no_new_files(live: LiveApp) -> Iterator[None]:
    """The test must leave nothing in the server's temp folder."""
    before = live.files()
    yield
    assert live.files() - before == set()


# --------------------------------------------------------------------------- 1. upload size


def test_an_upload_one_byte_over_the_limit_is_refused_and_leaves_no_file(
    live: LiveApp, no_new_files: None
) -> None:
    with live.http() as h:
        r = h.post("gradio_api/upload", files={"files": ("big.png", b"\0" * (UPLOAD_LIMIT + 1), "image/png")})
        assert r.status_code == 413, r.text
        assert_clear_message(r.text, live)
        # several files in one request: the limit is per file, and a refused batch leaves nothing
        r = h.post(
            "gradio_api/upload",
            files=[
                ("files", ("a.png", b"\1" * 1000, "image/png")),
                ("files", ("b.png", b"\2" * (UPLOAD_LIMIT + 1), "image/png")),
            ],
        )
        assert r.status_code == 413, r.text


def test_an_upload_at_the_limit_is_accepted(live: LiveApp) -> None:
    path = live.upload("exact.bin", b"\3" * UPLOAD_LIMIT)
    assert Path(path).stat().st_size == UPLOAD_LIMIT
    assert Path(path).resolve().is_relative_to(live.temp_dir.resolve())


def test_an_oversized_image_through_gradio_client_is_one_clear_error(
    live: LiveApp, client: Client, tmp_path: Path, baseline: dict[str, Any], good_png: Path
) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(
        encode(Image.fromarray(np.random.default_rng(0).integers(0, 256, (400, 400, 3), np.uint8)), "PNG")
    )
    assert big.stat().st_size > UPLOAD_LIMIT
    before = live.files()
    with pytest.raises(Exception, match="413|[Ff]ile size|too large|exceed") as caught:
        inspect(client, big)
    assert_clear_message(str(caught.value), live)
    assert live.files() - before == set()
    assert_same_result(signature(inspect(client, good_png)), baseline)


# --------------------------------------------------------------------------- 2. file routes

FILE_ROUTES = ("/gradio_api/file=", "/file=", "/gradio_api/file/")


def forbidden_paths(live: LiveApp) -> list[str]:
    tmp = str(live.temp_dir)
    src = str(ROOT / "app.py")
    return [
        "/etc/passwd",
        "/etc//passwd",
        "/ETC/PASSWD",
        "/proc/self/environ",
        "/proc/self/cmdline",
        f"{tmp}/../../etc/passwd",
        f"{tmp}/../../../../../../etc/passwd",
        "..%2f..%2f..%2fetc%2fpasswd",
        "%2Fetc%2Fpasswd",
        "%252Fetc%252Fpasswd",
        "..%252f..%252fetc%252fpasswd",
        "....//....//etc/passwd",
        src,
        src.upper(),
        str(ROOT / "APP.PY"),
        str(ASSETS / ".." / "app.py"),
        str(ASSETS) + "%2f..%2fapp.py",
        str(ROOT / "resnet_core" / "weights.py"),
        str(ROOT / "pyproject.toml"),
        str(ROOT / ".git" / "config"),
        "app.py",
        "./app.py",
        "assets/../app.py",
        str(Path.home() / ".bashrc"),
        str(live.temp_dir),  # a folder
    ]


def test_file_routes_refuse_everything_outside_assets_and_uploads(live: LiveApp) -> None:
    secrets = [b"root:", b"def build_demo", b"[build-system]", b"PATH=", b"repositoryformatversion"]
    with live.http() as h:
        for route in FILE_ROUTES:
            for path in forbidden_paths(live):
                r = h.get(route + path)
                assert 400 <= r.status_code < 500, f"{route}{path} -> {r.status_code}"
                assert not any(s in r.content for s in secrets), f"{route}{path} leaked {r.content[:80]!r}"
                assert_clear_message(r.text)
        # the positive control: what is meant to be served is served
        r = h.get("/gradio_api/file=" + str(ASSETS / "examples" / "cat.jpg"))
        assert r.status_code == 200 and r.content[:3] == b"\xff\xd8\xff"


def test_other_static_routes_do_not_escape_their_folders(live: LiveApp) -> None:
    with live.http() as h:
        for path in (
            "/assets/..%2f..%2f..%2fapp.py",
            "/static/..%2f..%2fapp.py",
            "/svelte/..%2f..%2fapp.py",
            "/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
            "/gradio_api/file=" + str(ROOT / "app.py") + "%00.png",
        ):
            r = h.get(path)
            assert r.status_code in (400, 403, 404), f"{path} -> {r.status_code}"
            assert b"def build_demo" not in r.content and b"root:" not in r.content


# --------------------------------------------------------------------------- 3. URLs: no fetch


def remote_urls(live: LiveApp) -> list[str]:
    return [
        "http://169.254.169.254/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/x.png",
        "HTTP://169.254.169.254/",
        "https://169.254.169.254/",
        "http://[::ffff:169.254.169.254]/",
        "http://127.0.0.1:22/",
        f"http://127.0.0.1:{live.port}/gradio_api/file=/etc/passwd",
        "http://localhost:22/x.png",
        "http://10.0.0.1/x.png",
        "//169.254.169.254/latest",
        "http%3A%2F%2F169.254.169.254%2Flatest",
        "file:///etc/passwd",
        "data:text/html;base64," + base64.b64encode(HTML).decode(),
        "http://example.invalid/x.png",  # a name: resolving it would already be traffic
    ]


def test_file_routes_refuse_urls_without_connecting_anywhere(live: LiveApp) -> None:
    with live.http(follow_redirects=False) as h:
        for route in (*FILE_ROUTES, "/gradio_api/proxy="):
            for url in remote_urls(live):
                r = h.get(route + url)
                assert 400 <= r.status_code < 500, f"{route}{url} -> {r.status_code} {r.text[:100]}"
                assert "location" not in r.headers, "no redirect is ever followed or offered"
                assert b"<script>" not in r.content
    assert live.guard.attempts == [], f"the server tried to reach out: {live.guard.attempts}"


# --------------------------------------------------------------------------- 4. forged payloads


def test_a_forged_file_path_in_a_raw_api_call_is_refused_and_nothing_is_copied(
    live: LiveApp, client: Client, good_png: Path, baseline: dict[str, Any]
) -> None:
    before = live.files()
    forged = [
        "/etc/passwd",
        "/etc/../etc/passwd",
        "../../../../../../etc/passwd",
        str(live.temp_dir / ".." / ".." / "etc" / "passwd"),
        str(ROOT / "app.py"),
        str(ASSETS / ".." / "app.py"),
        "/proc/self/environ",
        str(live.temp_dir),
    ]
    for path in forged:
        for payload in (
            file_data(path),
            file_data(path, orig_name="cat.png"),
            file_data(path, url=f"/gradio_api/file={path}"),
        ):
            event, data = raw_call(live, "inspect", tiny_args(payload))
            assert event in ("error", "http"), f"{path}: {event} {data!r}"
            assert "root:" not in json.dumps(data) and "def build_demo" not in json.dumps(data)
        event, data = raw_call(
            live, "load_checkpoint", dict(file=file_data(path), depth="custom", counts="1, 1, 1, 1", block="basic")
        )
        assert event in ("error", "http"), f"{path}: {event} {data!r}"
    assert live.files() - before == set(), "a refused path must not be copied into the cache"
    # the same forged file through gradio_client is the client's own upload: that is allowed,
    # and it is then an upload like any other, refused by content
    with pytest.raises(AppError) as caught:
        inspect(client, str(ROOT / "pyproject.toml"))
    assert "text, not an image" in str(caught.value)
    assert_clear_message(str(caught.value), live)
    assert_same_result(signature(inspect(client, good_png)), baseline)


def test_an_image_given_as_a_url_is_refused_without_fetching(
    live: LiveApp, client: Client, good_png: Path, baseline: dict[str, Any]
) -> None:
    before = live.files()
    for url in remote_urls(live):
        for payload in (file_data(url, url=url), file_data(url)):
            event, data = raw_call(live, "inspect", tiny_args(payload))
            assert event in ("error", "http"), f"{url}: {event} {data!r}"
            if event == "error" and data:
                assert_clear_message(json.dumps(data), live)
        event, _ = raw_call(
            live, "load_checkpoint", dict(file=file_data(url, url=url), depth="custom", counts="1, 1, 1, 1", block="basic")
        )
        assert event in ("error", "http")
    assert live.guard.attempts == [], f"the server tried to reach out: {live.guard.attempts}"
    assert live.files() - before == set()
    assert_same_result(signature(inspect(client, good_png)), baseline)


# --------------------------------------------------------------------------- 5. SVG / HTML


@pytest.mark.parametrize(
    ("name", "content"),
    [("evil.png", SVG), ("evil.png", HTML), ("evil.jpg", SVG), ("evil.svg", SVG), ("evil.html", HTML)],
    ids=["svg-as-png", "html-as-png", "svg-as-jpg", "svg", "html"],
)
def test_svg_and_html_are_rejected_and_never_served_inline(
    live: LiveApp, client: Client, tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AppError) as caught:
        inspect(client, path)
    message = str(caught.value)
    assert ("SVG is not supported" in message) or ("HTML is not supported" in message), message
    assert_clear_message(message, live)
    # the upload itself sits in the temp folder (Gradio keeps uploads); served back, it must
    # never be something a browser renders as a page or runs as script
    served = live.upload(name, content)
    with live.http() as h:
        r = h.get("/gradio_api/file=" + served)
    kind = r.headers.get("content-type", "")
    assert "svg" not in kind and "html" not in kind and "xml" not in kind, kind
    assert r.headers.get("x-content-type-options") == "nosniff"
    if not name.endswith((".png", ".jpg")):
        assert r.headers.get("content-disposition", "").startswith("attachment"), r.headers


# --------------------------------------------------------------------------- 6. data URLs


def data_url(data: bytes, kind: str = "image/png") -> str:
    return f"data:{kind};base64," + base64.b64encode(data).decode()


def test_a_data_url_is_never_decoded_so_it_cannot_skip_the_limits(
    live: LiveApp, client: Client, good_png: Path, baseline: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """RELIABILITY item 6. A data URL rides inside the JSON body, so the upload route's size
    limit never sees it, and Gradio's own gr.Image would decode it with every Pillow plugin and
    no pixel cap but Pillow's. The app reads only the payload's ``path`` (an upload, checked by
    Gradio): a data URL as ``url`` is ignored, as ``path`` it is refused, and nothing decodes it.
    """
    decoded: list[str] = []
    from gradio import image_utils

    monkeypatch.setattr(image_utils, "decode_base64_to_image", lambda enc: decoded.append(enc[:40]) or None)
    carrier = live.upload("carrier.png", good_png.read_bytes())
    urls = {
        "bomb-100MP": data_url(png_declaring(10_000, 10_000, idat_zeros=4096)),
        "bomb-400MP": data_url(png_declaring(20_000, 20_000, idat_zeros=4096)),
        "ours-49MP": data_url(png_declaring(7_000, 7_000, idat_zeros=4096)),
        "over-size-limit": data_url(b"\x89PNG\r\n\x1a\n" + b"\0" * (UPLOAD_LIMIT // 2)),
        "psd": data_url(b"8BPS\x00\x01" + b"\0" * 64, "image/vnd.adobe.photoshop"),
        "svg": data_url(SVG, "image/svg+xml"),
        "not-base64": "data:image/png;base64,@@@@not base64@@@@",
    }
    before = live.files()
    for name, url in urls.items():
        # beside an upload: the upload is what is inspected, exactly as if sent alone
        event, data = raw_call(live, "inspect", tiny_args(file_data(carrier, url=url)))
        assert event == "complete", f"{name}: {event} {data!r}"
        caption = next(x for x in data if isinstance(x, str) and x.startswith("Grad-CAM at"))
        label = next(x for x in data if isinstance(x, dict) and "confidences" in x)
        assert caption == baseline["caption"], name
        assert [(c["label"], c["confidence"]) for c in label["confidences"]] == [
            (name_, pytest.approx(p, rel=1e-5)) for name_, p in baseline["predictions"]
        ]
        # as the file itself: not an upload, refused
        for payload in (file_data(url), file_data(url, url=url)):
            event, data = raw_call(live, "inspect", tiny_args(payload))
            assert event in ("error", "http"), f"{name}: {event}"
            if event == "error" and data:
                assert_clear_message(json.dumps(data), live)
    assert decoded == [], "Gradio decoded a data URL"
    assert {f for f in live.files() - before if "data" in f or f.endswith("file")} == set()
    assert_same_result(signature(inspect(client, good_png)), baseline)


def test_a_request_body_far_past_the_upload_limit_is_refused_before_it_is_read(live: LiveApp) -> None:
    body = json.dumps({"data": api_data(live, "inspect", tiny_args(file_data("/x", url=data_url(b"\0" * (6 * UPLOAD_LIMIT)))))}).encode()
    with live.http() as h:
        r = h.post("gradio_api/call/inspect", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text
    assert_clear_message(r.text, live)


def test_a_chunked_request_body_is_held_to_the_same_limit(
    live: LiveApp, good_png: Path, baseline: dict[str, Any]
) -> None:
    """No Content-Length (Transfer-Encoding: chunked): the body is counted as it arrives."""
    huge = json.dumps({"data": api_data(live, "inspect", tiny_args(file_data("/x", url=data_url(b"\0" * (6 * UPLOAD_LIMIT)))))}).encode()

    def chunked(body: bytes) -> Iterator[bytes]:  # an iterator: httpx sends it chunked
        for i in range(0, len(body), 2**16):
            yield body[i : i + 2**16]

    def baseline_caption(stream: str) -> bool:
        return json.dumps(baseline["caption"])[1:-1] in stream or baseline["caption"] in stream

    with live.http() as h:
        r = h.post("gradio_api/call/inspect", content=chunked(huge), headers={"content-type": "application/json"})
        assert r.request.headers.get("transfer-encoding") == "chunked" and "content-length" not in r.request.headers
        assert r.status_code == 413, r.text
        assert_clear_message(r.text, live)
        # a chunked body under the limit is read and handled as usual
        upload = h.post("gradio_api/upload", files={"files": ("blobs.png", good_png.read_bytes(), "image/png")})
        small = json.dumps({"data": api_data(live, "inspect", tiny_args(file_data(upload.json()[0])))}).encode()
        r = h.post("gradio_api/call/inspect", content=chunked(small), headers={"content-type": "application/json"})
        assert r.status_code == 200, r.text
        stream = h.get(f"gradio_api/call/inspect/{r.json()['event_id']}").text
        assert "event: complete" in stream and baseline_caption(stream), stream[:500]


# --------------------------------------------------------------------------- safe defaults


def test_safe_defaults_ship_in_launch_kwargs() -> None:
    defaults = Settings()
    kw = launch_kwargs(defaults)
    assert kw["server_name"] == "127.0.0.1", "listen on loopback unless told otherwise"
    assert kw["share"] is False
    assert 0 < kw["max_file_size"] <= 20 * 2**20
    assert [Path(p).resolve() for p in kw["allowed_paths"]] == [ASSETS.resolve()]
    assert not kw.get("blocked_paths") or all(
        Path(p).resolve() != ASSETS.resolve() for p in kw["blocked_paths"]
    )
    assert kw["show_error"] is False, (
        "only gr.Error texts reach the page; any other exception text stays in the log"
    )
    assert kw["enable_monitoring"] is False
    assert kw["ssr_mode"] is False
    assert 1 <= defaults.queue_size <= 64
    assert 1 <= defaults.concurrency <= 4
    assert os.environ.get("GRADIO_ANALYTICS_ENABLED") == "False"


def test_safe_defaults_hold_on_the_running_server(live: LiveApp) -> None:
    demo = live.demo
    assert demo.analytics_enabled is False
    assert demo.show_error is False
    assert demo.ssr_mode is False
    assert demo.max_file_size == UPLOAD_LIMIT
    assert demo._queue.max_size == live.settings.queue_size
    # every quick event that runs a network shares one concurrency group, limited per device; long
    # jobs (training races, gradient flow) queue in a group of their own, one at a time; a
    # batching server gives /inspect a group of its own, as wide as a batch (one batch runs at once)
    model_events = {"inspect", "predict", "compare_depths", "gradient_flow", "race", "ablation", "load_checkpoint"}
    fns = {fn.api_name: fn for fn in demo.fns.values() if fn.api_name}
    assert model_events <= set(fns)
    for name in model_events:
        group = (fns[name].concurrency_id, fns[name].concurrency_limit)
        if name == "inspect" and live.service.batching:
            assert group == ("inspect", MAX_BATCH)
        elif name in ("gradient_flow", "race"):
            assert group == (LONG_EVENTS, 1), name
        else:
            assert group == (MODEL_EVENTS, live.settings.concurrency), name
    with live.http() as h:
        assert h.get("/monitoring").status_code in (403, 404)
        assert h.get("/monitoring/summary").status_code in (403, 404)
        config = h.get("/config").json()
        assert config["analytics_enabled"] is False
        assert config.get("show_error") is False
        assert h.get("/docs").status_code == 404 and h.get("/redoc").status_code == 404
