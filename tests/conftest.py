"""Shared fixtures. Tests run on the CPU with weights they make themselves (no network).

Fixtures live here (a folder ``conftest.py`` would be imported under this module's name, and
``from conftest import ...`` would then find the wrong one); helpers live in the support modules
``tests/_*.py`` (pictures, models, the app as a subprocess, the app in this process, peak memory),
which test modules import. No test module imports another, or this file (tests/test_layering.py).
"""

from __future__ import annotations

import functools
import inspect
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("RESNET_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from _pictures import natural_image  # noqa: E402 - helpers live in tests/_*.py; test modules import from there

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "assets" / "examples"


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
    np.random.seed(0)


@pytest.fixture
def image() -> np.ndarray:
    return natural_image()


@pytest.fixture(scope="module")
def one_thread() -> Iterator[None]:
    """One torch thread for a module of tiny models, restored afterwards (``pytestmark =
    pytest.mark.usefixtures("one_thread")``). On 8-16 channels at 8x8-32x32 torch's intra-op
    threads cost more than they give, and on a busy 2-core machine they stall: measured 50 race
    steps in 10 s with one thread against 144-221 s with two while other jobs ran."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def backend() -> Any:
    """A module's ``LocalBackend`` on the CPU: offline (random weights), no warm-up."""
    from resnet_core.backends import LocalBackend
    from resnet_core.serving import ModelService, ServiceConfig

    return LocalBackend(ModelService(ServiceConfig(device="cpu", offline=True, warm_up=False)))


# ---------------------------------------------------------------- the app in this process (tests/_live.py)
# A module that runs it defines ``live = live_fixture(...)`` with its settings and, for
# ``baseline``, ``good_png = picture_fixture(...)``; these two build on them.


@pytest.fixture(scope="module")
def client(live: Any) -> Any:
    """One gradio_client session of the module's ``live`` app."""
    return live.client()


@pytest.fixture(scope="module")
def baseline(client: Any, good_png: Path) -> dict[str, Any]:
    """What the module's ``live`` app answers for ``good_png`` with the tiny model, before any test."""
    from _live import inspect as inspect_live
    from _live import signature

    return signature(inspect_live(client, good_png))


# the real app in a subprocess on a free port, for end-to-end tests (tests/_server.py)
from _server import app_server  # noqa: E402, F401

# ------------------------------------------------------------------------------ the "server" marker

#: calls that start a server or a browser; a test or any fixture it uses that makes one is a server test
_SERVER_CALLS = ("running_app(", "live_app(", "sync_playwright(", "app_server")


@functools.cache
def _starts_server(fn: Callable) -> bool:
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        return False
    return any(call in source for call in _SERVER_CALLS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``server`` every test that starts a server or a browser (through the ``app_server``
    fixture, another fixture or itself), so ``-m "not slow and not server"`` is the quick loop."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        fixtures = [d.func for defs in (info.name2fixturedefs.values() if info else ()) for d in defs]
        functions = [getattr(item, "function", None), *fixtures]
        if (
            "app_server" in getattr(item, "fixturenames", ())
            or item.get_closest_marker("browser") is not None
            or any(fn is not None and _starts_server(fn) for fn in functions)
        ):
            item.add_marker(pytest.mark.server)


# ------------------------------------------------------------------ the quick loop starts no server

_REAL_LISTEN = socket.socket.listen
_REAL_POPEN_INIT = subprocess.Popen.__init__


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    with _NoServer(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    with _NoServer(item):
        return (yield)


class _NoServer:
    """While a test not marked ``server`` sets up or runs, refuse what starts a server: listening
    on a socket, ``gradio.Blocks.launch`` and ``uvicorn.Server.startup`` (uvloop listens in C),
    and ``app.py`` in a subprocess (but for ``--help``); then fail the test that tried. The setup
    phase is wrapped too, so a module- or session-scoped server fixture started for an unmarked
    test is caught; each refusal is recorded, since it may come from another thread."""

    def __init__(self, item: pytest.Item) -> None:
        self.tried: list[str] = []
        self.saved: list[tuple[type, str, Any]] = []
        self.active = item.get_closest_marker("server") is None

    def __enter__(self) -> _NoServer:
        if self.active:
            tried = self.tried

            def listen(sock: socket.socket, *args: Any) -> None:
                if sock.family in (socket.AF_INET, socket.AF_INET6):
                    tried.append(f"listen on {sock.getsockname()}")
                    raise OSError("a test not marked 'server' may not listen on a port (tests/conftest.py)")
                return _REAL_LISTEN(sock, *args)

            def popen(self: subprocess.Popen, args: Any, *rest: Any, **kwargs: Any) -> None:
                argv = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)
                if any(str(a).endswith("app.py") for a in argv) and not {"--help", "-h"} & set(map(str, argv)):
                    tried.append(f"start {argv}")
                    raise OSError("a test not marked 'server' may not start app.py (tests/conftest.py)")
                _REAL_POPEN_INIT(self, args, *rest, **kwargs)

            def refuse(what: str) -> Callable:
                def refused(*args: Any, **kwargs: Any) -> None:
                    tried.append(what)
                    raise OSError(f"a test not marked 'server' may not call {what} (tests/conftest.py)")

                return refused

            socket.socket.listen = listen  # type: ignore[method-assign]
            subprocess.Popen.__init__ = popen  # type: ignore[method-assign]
            # uvicorn listens through uvloop (C, past socket.listen): refuse the launches themselves
            self.saved = [(owner, name, getattr(owner, name)) for owner, name in self._launchers()]
            for owner, name, _ in self.saved:
                setattr(owner, name, refuse(f"{owner.__name__}.{name}"))
        return self

    @staticmethod
    def _launchers() -> list[tuple[type, str]]:
        """The launch methods of the server libraries this process has imported (none imported: no patch)."""
        gradio, uvicorn = sys.modules.get("gradio"), sys.modules.get("uvicorn")
        return [
            *([(gradio.Blocks, "launch")] if gradio is not None and hasattr(gradio, "Blocks") else []),
            *([(uvicorn.Server, "startup")] if uvicorn is not None and hasattr(uvicorn, "Server") else []),
        ]

    def __exit__(self, *exc: object) -> None:
        if self.active:
            socket.socket.listen = _REAL_LISTEN  # type: ignore[method-assign]
            subprocess.Popen.__init__ = _REAL_POPEN_INIT  # type: ignore[method-assign]
            for owner, name, method in self.saved:
                setattr(owner, name, method)
            if self.tried:
                pytest.fail(f"starts a server but is not marked 'server' ({self.tried[0]}); "
                            f"add its call to _SERVER_CALLS in tests/conftest.py", pytrace=False)

