"""Shared fixtures. Tests run on the CPU with weights they make themselves (no network)."""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("RESNET_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "assets" / "examples"


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
    np.random.seed(0)


def natural_image(h: int = 240, w: int = 320, seed: int = 0) -> np.ndarray:
    """A smooth, structured RGB picture (blobs and edges), so maps are not pure noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for _ in range(6):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        r = rng.uniform(15, 60)
        color = rng.uniform(0, 1, 3)
        mask = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
        img += mask[..., None] * color
    img += 0.1 * np.sin(xx / 7.0)[..., None]
    img = (img - img.min()) / (img.max() - img.min())
    return (img * 255).astype(np.uint8)


@pytest.fixture
def image() -> np.ndarray:
    return natural_image()


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
