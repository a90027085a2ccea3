"""Helpers shared by the lab's experiments: argument checks, seeding, thread scoping."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar

import torch

from ..errors import Term, UserError

T = TypeVar("T")

Family = Literal["cifar", "imagenet"]
NetKind = Literal["residual", "plain", "preact"]

FAMILIES: tuple[Family, ...] = ("cifar", "imagenet")


class LabError(UserError):
    """A lab request with an argument out of range; the message says which and why."""


#: larger saved runs are refused unread (the shipped ones are under 50 KB)
MAX_SAVED_BYTES = 5_000_000


def read_saved(
    path: str | Path, *, fmt: str, what: Term, parse: Callable[[dict[str, Any]], T], max_bytes: int = MAX_SAVED_BYTES
) -> T:
    """The one reader of saved runs (race curves, degradation runs, landscapes, lesion studies,
    no-BN races): JSON with a ``format`` key, parsed by ``parse``.

    Args:
        path: the file.
        fmt: the ``format`` value the file must carry.
        max_bytes: larger files are refused unread.
        what: the kind of file, for messages (``Term("landscape", key="error.term_landscape")``:
            the page says it in its reader's language).
        parse: the document to the record; any KeyError, TypeError, ValueError or
            AttributeError it raises means a malformed file.

    Raises:
        FileNotFoundError: no file at ``path``.
        LabError: not such a file (too large, not JSON, wrong format key, malformed).
    """
    path = Path(path)
    if path.stat().st_size > max_bytes:
        raise LabError(f"{path.name} is larger than {max_bytes} bytes; not a {what} file",
                       key="error.saved_too_large", name=path.name, limit=max_bytes, what=what)
    try:
        doc = json.loads(path.read_text())
        if not isinstance(doc, dict) or doc.get("format") != fmt:
            found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
            raise LabError(f"{path.name} is not a {what} file: format is {str(found)[:60]!r}, expected {fmt!r}",
                           key="error.saved_format", name=path.name, what=what, found=repr(str(found)[:60]),
                           expected=repr(fmt))
        return parse(doc)
    except LabError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LabError(f"{path.name} is not a {what} file: {str(exc)[:100]}", key="error.saved_malformed",
                       name=path.name, what=what, problem=str(exc)[:100]) from exc


def shown(value: object, limit: int = 100) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages quoting user input."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_int(name: str, value: object, lo: int, hi: int) -> int:
    """``value`` if it is an int (not a bool) in ``[lo, hi]``, else :class:`LabError`."""
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise LabError(f"{name} must be an integer between {lo} and {hi}, got {shown(value)}",
                       key="error.lab_integer", name=name, low=lo, high=hi, got=shown(value))
    return value


def check_float(name: str, value: object, lo: float, hi: float) -> float:
    """``value`` as a float if it is a finite number in ``[lo, hi]``, else :class:`LabError`."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not lo <= float(value) <= hi:
        raise LabError(f"{name} must be a number between {lo} and {hi}, got {shown(value)}",
                       key="error.lab_number", name=name, low=lo, high=hi, got=shown(value))
    return float(value)


def check_seed(seed: object) -> int:
    return check_int("seed", seed, 0, 2**31 - 1)


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed torch's global RNG for model construction and restore the caller's state afterwards.

    Model constructors draw their initial weights from the global generator; forking it keeps
    the lab reproducible without changing what the rest of the process draws next.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def tensor_norm(t: torch.Tensor) -> float:
    return float(t.detach().double().norm())


def machine_info(device: torch.device) -> dict[str, object]:
    """Where a saved result was made: device, its name, torch, threads, date, load average."""
    import datetime as dt
    import os
    import platform
    from pathlib import Path

    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = platform.processor() or "unknown CPU"
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        name = f"CPU: {name}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads"
    return {
        "device": device.type,
        "device_name": name,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def check_cifar_depth(depth: object, hi: int) -> int:
    """A CIFAR depth (6n+2, at least 8, at most ``hi``), else :class:`LabError`."""
    check_int("depth", depth, 8, hi)
    if (depth - 2) % 6:  # type: ignore[operator]
        raise LabError(f"CIFAR ResNets have 6n+2 layers (20, 32, 44, 56, 110), not {depth}",
                       key="error.cifar_depth", depth=depth)
    return depth  # type: ignore[return-value]
