"""Start the real app on a free localhost port for end-to-end tests, and always stop it.

The app runs as a subprocess, ``python app.py --host 127.0.0.1 --port N --offline``: exactly
what a person runs, so the command line, ``main()``, the launch options and the environment
variables are all under test, and nothing the test process imported (torch thread settings,
monkeypatches, a model another test built) leaks into the server or back. A crash or a hang in
the server cannot take pytest down with it, and stopping it is a signal, not a hope that
Gradio's threads wind down.

The environment is the one CI and a machine without network have: ``RESNET_OFFLINE=1``, an
empty ``TORCH_HOME`` (so no cached download can turn random weights into real ones), no GPU,
analytics off, and a ``GRADIO_TEMP_DIR`` of its own so tests can look for leftovers.

Use the session fixture ``app_server`` (made visible to every test by ``tests/conftest.py``),
or ``running_app(...)`` for a server with other options::

    with running_app(tmp_path, args=["--max-file-mb", "1"]) as server:
        Client(server.url)
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 180.0  # importing torch + gradio and building the page on a busy 2-core machine
STOP_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Server:
    """A running app.

    Attributes:
        url: the page, ``http://127.0.0.1:<port>/``.
        port: the port it listens on.
        temp_dir: its ``GRADIO_TEMP_DIR`` (uploads and served outputs end up here).
        torch_home: its ``TORCH_HOME`` (empty: no pretrained weights can be found).
        log_path: its stdout and stderr.
        pid: the process id.
    """

    url: str
    port: int
    temp_dir: Path
    torch_home: Path
    log_path: Path
    pid: int

    def log(self, tail: int = 6000) -> str:
        """The last ``tail`` characters the server printed (for assertion messages)."""
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(temp_dir: Path, torch_home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a server with no network, no GPU and no pretrained weights."""
    env = dict(os.environ)
    env.update(
        GRADIO_ANALYTICS_ENABLED="False",
        RESNET_OFFLINE="1",
        HF_HUB_OFFLINE="1",
        GRADIO_TEMP_DIR=str(temp_dir),
        TORCH_HOME=str(torch_home),
        CUDA_VISIBLE_DEVICES="",
        PYTHONUNBUFFERED="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    for name in ("RESNET_HOST", "RESNET_PORT", "GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT", "RESNET_SHARE"):
        env.pop(name, None)
    env.update(extra or {})
    return env


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    """Linux: the server gets SIGTERM if pytest dies without tearing down (a hard timeout, kill -9)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _answers(url: str) -> bool:
    # /gradio_api/info is served only once the Blocks app is mounted and its API is ready
    try:
        with urllib.request.urlopen(url + "gradio_api/info", timeout=5) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's own process group, then SIGKILL if it does not go."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, STOP_TIMEOUT_S)):
        try:
            os.killpg(proc.pid, sig)  # the group we made with start_new_session: the server only
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def running_app(
    workdir: Path,
    *,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = START_TIMEOUT_S,
    attempts: int = 3,
) -> Iterator[Server]:
    """Run ``python app.py --offline`` on a free port until the ``with`` block ends.

    Args:
        workdir: a fresh folder for the server's temp dir, torch home and log.
        args: more command-line options for ``app.py``.
        env: more environment variables for the server.
        timeout: seconds to wait for the server to answer.
        attempts: tries with a new port when the port was taken in the meantime.

    Raises:
        RuntimeError: the server exited or did not answer in time (its log is in the message).
    """
    temp_dir, torch_home = workdir / "gradio_tmp", workdir / "torch_home"
    temp_dir.mkdir(parents=True, exist_ok=True)
    torch_home.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, attempts + 1):
        port = free_port()
        log_path = workdir / f"server-{attempt}.log"
        cmd = [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port), "--offline", *args]
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=server_env(temp_dir, torch_home, env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        server = Server(f"http://127.0.0.1:{port}/", port, temp_dir, torch_home, log_path, proc.pid)
        try:
            deadline = time.monotonic() + timeout
            while proc.poll() is None and not _answers(server.url):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the app did not answer within {timeout:.0f} s:\n{server.log()}")
                time.sleep(0.5)
            if proc.poll() is not None:
                text = server.log()
                if "address already in use" in text.lower() and attempt < attempts:
                    continue  # someone took the port between free_port() and the bind
                raise RuntimeError(f"the app exited with code {proc.returncode}:\n{text}")
            yield server
            return
        finally:
            _stop(proc)
    raise RuntimeError("no free port could be used")  # pragma: no cover


def gradio_client(url: str, downloads: str | Path) -> Any:
    """A new ``gradio_client`` session of the app at ``url`` (its own gr.State), quiet, without
    analytics, downloading the app's outputs into ``downloads``."""
    from gradio_client import Client

    return Client(url, verbose=False, download_files=str(downloads), analytics_enabled=False)


def app_client_fixture(folder: str = "downloads") -> Any:
    """A module-scoped fixture ``client``: one ``gradio_client`` session of ``app_server`` for the
    module, downloading into a fresh temp folder called ``folder`` (``client = app_client_fixture()``)."""

    @pytest.fixture(scope="module", name="client")
    def client(app_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Any:
        return gradio_client(app_server.url, tmp_path_factory.mktemp(folder))

    return client


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server for the whole test session (started on first use, stopped at the end)."""
    with running_app(tmp_path_factory.mktemp("app_server")) as server:
        yield server


#: the /inspect endpoint's parameters in the app's order, with the page's defaults (ResNet-18)
INSPECT_DEFAULTS: dict[str, Any] = dict(
    depth="ResNet-18",
    counts="2, 2, 2, 2",
    block="basic",
    variant="v1.5",
    weights="DEFAULT",
    layer="layer4",
    target="auto (top-1)",
    mode="crop",
    size=224,
    top_k=5,
    guided=False,
    alpha=0.5,
    cmap="jet",
    stage="layer4",
    scale="per-channel",
    act_cmap="viridis",
)
#: its outputs, in order (the gr.State output is not part of the API)
INSPECT_OUTPUTS = (
    "notice", "overlay", "guided", "caption", "predictions", "topk",
    "timeline", "gallery", "act_text", "stats", "info",
)  # fmt: skip
#: the file format each picture of /inspect must arrive in (docs/performance.md, "Payload"):
#: JPEG for the photo-like pictures, PNG for the blocky activation maps
OUTPUT_FORMATS = {"overlay": "JPEG", "guided": "JPEG", "timeline": "JPEG", "gallery": "PNG"}
MAGIC = {"JPEG": b"\xff\xd8\xff", "PNG": b"\x89PNG\r\n\x1a\n"}


def read_picture(path: str | Path, fmt: str) -> Any:
    """The RGB pixels of a served picture that must really be a ``fmt`` file (by content)."""
    import numpy as np
    from PIL import Image

    data = Path(path).read_bytes()
    assert data[: len(MAGIC[fmt])] == MAGIC[fmt], f"{path} is not a {fmt} file"
    with Image.open(path) as im:
        assert im.format == fmt
        im.load()
        return np.asarray(im.convert("RGB"))


def pictures_differ_by(got: Any, want: Any, fmt: str, tolerance: int) -> str | None:
    """Why two decoded pictures are not "the same result to ``tolerance`` grey levels", or None.

    PNG is lossless, so the decoded pixels are the computed ones: at most ``tolerance`` apart.
    A JPEG of identical pixels is identical (same encoder, same settings); but a grey level
    of difference before encoding can move a quantized coefficient and so show up as more
    after decoding. Measured on a 224x224 overlay at the quality Gradio uses (75): +-1 on 10%
    of the pixels gives at most 15 levels and 0.64 on average, on every pixel 19 and 1.2; a
    different picture of the same size differs by about 37 on average. So with a tolerance
    a JPEG may differ by at most 24 levels and 1.5 on average.
    """
    import numpy as np

    if got.shape != want.shape:
        return f"shape {got.shape} != {want.shape}"
    diff = np.abs(got.astype(int) - want.astype(int))
    worst, mean = int(diff.max()), float(diff.mean())
    if fmt == "PNG" or tolerance == 0:
        return None if worst <= tolerance else f"differs by {worst} grey levels"
    return None if worst <= 24 and mean <= 1.5 else f"differs by {worst} grey levels, {mean:.2f} on average"
