"""The real app running in this process, for tests that look inside it while they talk to it.

``live_app(workdir, **settings)`` runs ``build_demo(with_options(...))`` with the options
``python app.py`` uses (``launch_kwargs``) on a free loopback port, so a test can reach its model
cache, its hooks and its temp folder; ``live_fixture(...)`` makes a module-scoped fixture of it
with a module's own settings (tests/conftest.py gives ``client`` and ``baseline`` on top of it).
While any such server runs, ``OutboundGuard`` refuses and records every name lookup and every
connection that does not go to ``127.0.0.1:<its port>``, so a request asking the server to fetch
``http://169.254.169.254/`` can never leave this machine even if the server tried.

For the app as a person runs it (a subprocess), see tests/_server.py.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import numpy as np
import pytest
from _pictures import save_natural_image
from _server import (
    INSPECT_DEFAULTS,
    INSPECT_OUTPUTS,
    OUTPUT_FORMATS,
    free_port,
    gradio_client,
    pictures_differ_by,
    read_picture,
)
from gradio_client import Client, handle_file

from playground import Settings, build_demo, launch_kwargs
from playground.settings import with_options
from resnet_core.serving import ModelService

ROOT = Path(__file__).resolve().parents[1]
CALL_TIMEOUT_S = 120.0

#: /load_checkpoint's and /layers' architecture inputs for the cheapest network the app serves
TINY_ARCH: dict[str, Any] = dict(depth="custom", counts="1, 1, 1, 1", block="basic", variant="v1.5")


# The cheapest network the app serves (ResNet-10-like, random weights) at a small input:
# these tests are about the server around the model, not the model.
TINY: dict[str, Any] = {
    **INSPECT_DEFAULTS,
    **TINY_ARCH,
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
        c = gradio_client(self.url, self.downloads)
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
        return event_result(h, api_name, r.json()["event_id"])


def event_result(h: httpx.Client, api_name: str, event_id: str) -> tuple[str, Any]:
    """Read the event stream of a call posted to /gradio_api/call/<api_name> until it ends:
    ("complete"|"error", payload)."""
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


def http_from(live: LiveApp, address: str, **kwargs: Any) -> httpx.Client:
    """An HTTP client whose connections leave from ``address`` (another loopback address)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=live.url, timeout=120, trust_env=False, transport=transport, **kwargs)


# --------------------------------------------------------------------------- fixture factories


def live_fixture(folder: str, *, name: str = "live", outbound_checked: bool = True, **settings: Any) -> Any:
    """A module-scoped fixture ``name`` (default ``live``): ``live_app`` with ``settings`` (named as the
    flags are: ``max_file_mb=0.25``, ``session_ttl=5.0``, ``mcp=True``; none: the shipped settings)
    in a fresh temp folder called ``folder``. With ``outbound_checked`` it asserts at teardown that
    the server reached out nowhere (``OutboundGuard``)::

        live = live_fixture("faults")                       # in a test module
        live_default = live_fixture("round2", name="live_default", outbound_checked=False, session_mb=4)
    """

    @pytest.fixture(scope="module", name=name)
    def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
        with live_app(tmp_path_factory.mktemp(folder), **settings) as running:
            yield running
            if outbound_checked:
                assert running.guard.attempts == [], f"the server tried to reach out: {running.guard.attempts}"

    return live


def picture_fixture(file_name: str, h: int, w: int, seed: int) -> Callable[..., Path]:
    """A module-scoped fixture: ``natural_image(h, w, seed)`` saved as ``file_name`` in a fresh
    temp folder (``good_png = picture_fixture("good.png", 120, 160, seed=11)``)."""

    @pytest.fixture(scope="module")
    def picture(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return save_natural_image(tmp_path_factory.mktemp("pictures") / file_name, h, w, seed)

    return picture
