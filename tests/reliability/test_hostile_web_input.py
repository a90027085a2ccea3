"""Hostile input on the web surface: uploads, Gradio's file routes, forged API payloads.

Issue 7, part 1, and shared/RELIABILITY.md items 1-6 and the safe defaults. The real app runs
in this process on a free loopback port (``live_app`` below, also used by
``test_faults.py`` and ``test_load.py``), started with exactly the
options ``python app.py`` uses (``launch_kwargs``), so a test can also look inside it: its
model cache, its hooks, its temp folder.

Every case expects the same thing: one clear refusal (a 4xx over HTTP, an error event through
the API), no traceback or server path in it, nothing new in the server's temp folder, and no
connection anywhere but to the server itself. The last is enforced, not hoped for: while a
server runs, ``OutboundGuard`` refuses and records every name lookup and every connection
that does not go to ``127.0.0.1:<its port>``, so a request asking the server to fetch
``http://169.254.169.254/`` can never leave this machine even if the server tried.
"""

from __future__ import annotations

import base64
import io
import ipaddress
import json
import os
import socket
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import numpy as np
import pytest
from _server import (
    INSPECT_DEFAULTS,
    INSPECT_OUTPUTS,
    OUTPUT_FORMATS,
    free_port,
    pictures_differ_by,
    read_picture,
)
from conftest import natural_image
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from playground import Settings, build_demo, launch_kwargs
from playground.page import LONG_EVENTS, MODEL_EVENTS
from playground.settings import with_options
from resnet_core.batching import MAX_BATCH
from resnet_core.serving import ModelService

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "assets"
CALL_TIMEOUT_S = 120.0

# The cheapest network the app serves (ResNet-10-like, random weights) at a small input:
# these tests are about the server around the model, not the model.
TINY: dict[str, Any] = {
    **INSPECT_DEFAULTS,
    "depth": "custom",
    "counts": "1, 1, 1, 1",
    "weights": "random",
    "size": 64,
}
TRACEBACK_MARKERS = ("Traceback", 'File "', "site-packages", "Could not preprocess")


# --------------------------------------------------------------------------- no traffic out


class OutboundGuard:
    """Refuse and record every name lookup and connection except to our servers' ports.

    Patches ``socket.socket.connect``/``connect_ex`` and ``socket.getaddrinfo`` for this
    process (the servers run in it, on asyncio's default loop, which uses both) while at least
    one server runs. IP literals resolve locally without a lookup, so asking for
    ``169.254.169.254`` is no traffic by itself; any lookup of a name other than localhost, and
    any connection to another address or port, is refused before a packet is sent.
    """

    def __init__(self) -> None:
        self.allowed_ports: set[int] = set()
        self.attempts: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        self._users = 0
        self._saved: tuple = ()

    def _refuse(self, kind: str, what: Any) -> None:
        with self._lock:
            self.attempts.append((kind, what))

    def _allowed(self, address: Any) -> bool:
        try:
            host, port = address[0], address[1]
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback and port in self.allowed_ports
        except (ValueError, IndexError, TypeError):
            return False

    @contextmanager
    def allowing(self, port: int) -> Iterator[OutboundGuard]:
        """Guard on (if it was not), with ``127.0.0.1:port`` allowed, until the block ends."""
        with self._lock:
            if self._users == 0:
                self._install()
            self._users += 1
            self.allowed_ports.add(port)
        try:
            yield self
        finally:
            with self._lock:
                self.allowed_ports.discard(port)
                self._users -= 1
                if self._users == 0:
                    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = self._saved

    def _install(self) -> None:
        connect, connect_ex, getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo
        self._saved = (connect, connect_ex, getaddrinfo)
        guard = self

        def guarded_connect(sock: socket.socket, address: Any) -> Any:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not guard._allowed(address):
                guard._refuse("connect", address)
                raise ConnectionRefusedError(f"test guard: no connection to {address!r}")
            return connect(sock, address)

        def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not guard._allowed(address):
                guard._refuse("connect", address)
                return 111  # ECONNREFUSED
            return connect_ex(sock, address)

        def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else host
            try:
                ipaddress.ip_address(str(name).split("%")[0])
            except ValueError:
                if name not in (None, "localhost"):
                    guard._refuse("lookup", name)
                    raise socket.gaierror(socket.EAI_NONAME, f"test guard: no lookup of {name!r}") from None
            return getaddrinfo(host, *args, **kwargs)

        socket.socket.connect, socket.socket.connect_ex = guarded_connect, guarded_connect_ex
        socket.getaddrinfo = guarded_getaddrinfo


GUARD = OutboundGuard()  # one per process: servers may overlap


# --------------------------------------------------------------------------- the live app


@dataclass
class LiveApp:
    """The app running in this process."""

    demo: gr.Blocks
    url: str
    port: int
    temp_dir: Path
    downloads: Path
    settings: Settings
    guard: OutboundGuard
    _clients: list[Client] = field(default_factory=list)

    @property
    def service(self) -> ModelService:
        return self.demo.service

    def client(self) -> Client:
        """A new gradio_client session (its own gr.State), downloading outside the server's temp dir."""
        c = Client(self.url, verbose=False, download_files=str(self.downloads), analytics_enabled=False)
        self._clients.append(c)
        return c

    def files(self) -> set[str]:
        """Every file under the server's GRADIO_TEMP_DIR, relative to it."""
        return {str(p.relative_to(self.temp_dir)) for p in self.temp_dir.rglob("*") if p.is_file()}

    def http(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=CALL_TIMEOUT_S, trust_env=False, **kwargs)

    def upload(self, name: str, data: bytes) -> str:
        """Upload bytes through Gradio's upload route; returns the server-side path."""
        with self.http() as h:
            r = h.post("gradio_api/upload", files={"files": (name, data, "application/octet-stream")})
        assert r.status_code == 200, r.text
        return r.json()[0]


@contextmanager
def live_app(workdir: Path, **settings: Any) -> Iterator[LiveApp]:
    """Run ``build_demo(with_options(...))`` with ``launch_kwargs`` on a free port until the block ends
    (``settings`` named as the flags are: ``jobs_per_client=4``, ``max_file_mb=1``).

    The server gets its own GRADIO_TEMP_DIR and an empty TORCH_HOME (offline, so every model
    has random weights, as on CI), and the outbound guard (:data:`GUARD`) is on for its whole life.
    """
    temp_dir, torch_home, downloads = workdir / "gradio_tmp", workdir / "torch_home", workdir / "downloads"
    for d in (temp_dir, torch_home, downloads):
        d.mkdir(parents=True, exist_ok=True)
    env = dict(
        GRADIO_TEMP_DIR=str(temp_dir), TORCH_HOME=str(torch_home), RESNET_OFFLINE="1", HF_HUB_OFFLINE="1"
    )
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    port = free_port()
    config = with_options(host="127.0.0.1", port=port, offline=True, **settings)
    demo, clients = None, []
    try:
        with GUARD.allowing(port) as guard:
            demo = build_demo(config)
            demo.service.wait_warm(timeout=120)  # the default model, built before timing anything
            demo.launch(**launch_kwargs(config, demo.ledger), prevent_thread_lock=True, quiet=True)
            live = LiveApp(demo, f"http://127.0.0.1:{port}/", port, temp_dir, downloads, config, guard)
            clients = live._clients
            yield live
    finally:
        # Gradio's MCP server calls its own app through a gradio_client of its own, whose heartbeat
        # thread outlives demo.close() and would knock on this port for the rest of the session
        mcp_client = getattr(getattr(demo, "mcp_server_obj", None), "_client_instance", None)
        clients = [*clients, *([mcp_client] if mcp_client is not None else [])]
        for c in clients:  # a client's heartbeat thread sits in a stream until the server goes
            c._kill_heartbeat.set()
        if demo is not None:
            demo.close()
        for c in clients:
            c.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# --------------------------------------------------------------------------- calling it


def call(client: Client, *args: Any, api_name: str, timeout: float = CALL_TIMEOUT_S, **kwargs: Any) -> Any:
    """``client.predict`` with a deadline."""
    return client.submit(*args, api_name=api_name, **kwargs).result(timeout=timeout)


def inspect(client: Client, image: Any, **overrides: Any) -> dict[str, Any]:
    """/inspect with the tiny model; ``image`` is a path (uploaded by the client) or a FileData dict."""
    args = {**TINY, **overrides}
    if isinstance(image, (str, Path)):
        image = handle_file(str(image))
    out = call(client, image=image, **args, api_name="/inspect")
    return dict(zip(INSPECT_OUTPUTS, out))


def png_pixels(path: str | Path) -> np.ndarray:
    """The pixels of a picture that must be a PNG (the activation gallery)."""
    return read_picture(path, "PNG")


def signature(result: dict[str, Any]) -> dict[str, Any]:
    """What a person sees of an inspection, minus the timing."""
    return dict(
        caption=result["caption"],
        predictions=[(c["label"], c["confidence"]) for c in result["predictions"]["confidences"]],
        act_text=result["act_text"],
        **{key: read_picture(result[key], OUTPUT_FORMATS[key]) for key in ("overlay", "timeline", "gallery")},
    )


def assert_same_result(got: dict[str, Any], want: dict[str, Any], *, pixel_tolerance: int = 0) -> None:
    """Equal signatures: text exactly, confidences to float rounding, pictures to ``pixel_tolerance``
    (grey levels before encoding; see ``pictures_differ_by`` for what that allows in a JPEG)."""
    assert got["caption"] == want["caption"]
    assert [label for label, _ in got["predictions"]] == [label for label, _ in want["predictions"]]
    for (_, p), (_, q) in zip(got["predictions"], want["predictions"]):
        assert p == pytest.approx(q, rel=1e-5, abs=1e-7)
    assert got["act_text"] == want["act_text"]
    for key in ("overlay", "timeline", "gallery"):
        why = pictures_differ_by(got[key], want[key], OUTPUT_FORMATS[key], pixel_tolerance)
        assert why is None, f"{key} {why}"


def assert_clear_message(text: str, live: LiveApp | None = None) -> None:
    """One plain message: no traceback, no frames, no server paths."""
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, f"{marker!r} in {text!r}"
    if live is not None:
        assert str(live.temp_dir) not in text and str(ROOT) not in text, text


def api_data(live: LiveApp, api_name: str, inputs: dict[str, Any]) -> list[Any]:
    """``inputs`` by name, as the positional list Gradio's HTTP API takes, in the order the app's
    own API description (``/gradio_api/info``) gives; an input left out gets its default there.
    So no test restates an endpoint's positional order."""
    with live.http() as h:
        parameters = h.get("gradio_api/info").json()["named_endpoints"][f"/{api_name}"]["parameters"]
    names = [p["parameter_name"] for p in parameters]
    assert set(inputs) <= set(names), f"/{api_name} takes no {sorted(set(inputs) - set(names))}"
    missing = [p["parameter_name"] for p in parameters if p["parameter_name"] not in inputs and not p["parameter_has_default"]]
    assert not missing, f"/{api_name} needs {missing}"
    return [inputs[p["parameter_name"]] if p["parameter_name"] in inputs else p["parameter_default"] for p in parameters]


def raw_call(live: LiveApp, api_name: str, inputs: dict[str, Any]) -> tuple[str, Any]:
    """POST /gradio_api/call/<api_name> with hand-made JSON; returns ("complete"|"error"|"http", payload).

    This is what a script that skips gradio_client sends: no upload first, any ``path`` it likes.
    ``inputs`` are named (:func:`api_data` puts them in order).
    """
    data = api_data(live, api_name, inputs)
    with live.http() as h:
        r = h.post(f"gradio_api/call/{api_name}", json={"data": data})
        if r.status_code != 200:
            return "http", (r.status_code, r.text)
        event_id = r.json()["event_id"]
        event = None
        with h.stream("GET", f"gradio_api/call/{api_name}/{event_id}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    return event, json.loads(line.split(":", 1)[1])
    raise AssertionError(f"no result for {api_name}")


def file_data(path: str, **extra: Any) -> dict[str, Any]:
    return {"path": path, "meta": {"_type": "gradio.FileData"}, **extra}


def tiny_args(image: Any, **overrides: Any) -> dict[str, Any]:
    """/inspect's inputs by name with the tiny model, for raw calls."""
    return {"image": image, **TINY, **overrides}


# --------------------------------------------------------------------------- files


def encode(image: Image.Image, fmt: str, **kwargs: Any) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kwargs)
    return buf.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header declaring ``width`` x ``height`` 1-bit pixels, with almost no data.

    A decompression bomb as an attacker sends it: a few hundred bytes whose header asks for
    gigabytes. Nothing reads past the header if the intake does its job.
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 4096)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


# --------------------------------------------------------------------------- fixtures


UPLOAD_LIMIT = 256 * 1024  # small, so a file one byte over it is cheap to send


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with live_app(tmp_path_factory.mktemp("web"), max_file_mb=UPLOAD_LIMIT / 2**20) as running:
        yield running
        assert running.guard.attempts == [], f"the server tried to reach out: {running.guard.attempts}"


@pytest.fixture(scope="module")
def client(live: LiveApp) -> Client:
    return live.client()


@pytest.fixture(scope="module")
def good_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("good") / "blobs.png"
    Image.fromarray(natural_image(96, 128, seed=3)).save(path)
    return path


@pytest.fixture(scope="module")
def baseline(client: Client, good_png: Path) -> dict[str, Any]:
    return signature(inspect(client, good_png))


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
        "bomb-100MP": data_url(png_declaring(10_000, 10_000)),
        "bomb-400MP": data_url(png_declaring(20_000, 20_000)),
        "ours-49MP": data_url(png_declaring(7_000, 7_000)),
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
