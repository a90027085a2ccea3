"""Which device to compute on: CUDA when present, unless the caller names one.

The environment is read at the edge (``playground/settings.py``, the scripts' flags), never here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


def pick_device(requested: str | None = None) -> torch.device:
    """Resolve "auto", "cpu", "cuda" or "cuda:N" (None: auto, CUDA when present).

    Raises:
        ValueError: the name is not a device, or CUDA was asked for on a machine without it.
    """
    name = (requested or "auto").strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise ValueError(f"unknown device {name!r}; use auto, cpu or cuda") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was requested but this machine has no usable GPU; use --device cpu")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"unsupported device {name!r}; use auto, cpu or cuda")
    return device


@contextmanager
def cpu_threads(threads: int | None, device: torch.device) -> Iterator[None]:
    """Run with ``threads`` intra-op threads on a CPU, restoring the previous count afterwards.

    The lab's models are tiny, where a second intra-op thread costs more than it gives and,
    on a CPU shared with other work, stalls waiting for a busy core. None or a GPU: unchanged.
    """
    if threads is None or device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
