"""Which device to compute on: CUDA when present, unless a flag or RESNET_DEVICE says otherwise."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch

ENV_VAR = "RESNET_DEVICE"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def env_choice(name: str) -> bool | None:
    """A yes/no environment variable: True for 1/true/yes/on, False for 0/false/no/off, else None.

    Case and surrounding spaces are ignored; None (unset, empty or anything else) leaves the
    choice to the caller's default.
    """
    flag = os.environ.get(name, "").strip().lower()
    if flag in _TRUE:
        return True
    if flag in _FALSE:
        return False
    return None


def pick_device(requested: str | None = None) -> torch.device:
    """Resolve "auto", "cpu", "cuda" or "cuda:N" (default: the RESNET_DEVICE variable, else auto).

    Raises:
        ValueError: the name is not a device, or CUDA was asked for on a machine without it.
    """
    name = (requested or os.environ.get(ENV_VAR) or "auto").strip().lower()
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
