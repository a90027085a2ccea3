"""The training race: plain-N against ResNet-N on the synthetic data set, live.

He et al., "Deep Residual Learning for Image Recognition" (https://arxiv.org/abs/1512.03385),
section 4.2: the CIFAR networks (3x3 stem, three stages, option-A shortcuts) with and without
shortcuts, trained side by side on the same batches. :func:`race` is a generator of
:class:`RaceUpdate` so a page can draw the curves as they grow; :func:`save_race` and
:func:`load_race` keep a finished race as small JSON.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..device import cpu_threads, pick_device
from ..errors import Term
from ..model import ResNet
from ..specs import CIFAR_WIDTHS, ResNetSpec, cifar_spec
from ._common import (
    LabError,
    NetKind,
    check_cifar_depth,
    check_float,
    check_int,
    check_seed,
    read_saved,
    seeded,
    shown,
)
from .synthetic import SyntheticData


@dataclass(frozen=True)
class RaceCurve:
    """One network's curves so far.

    Attributes:
        name: "Plain-32", "ResNet-32".
        kind: "plain" or "residual".
        depth: layers (6n+2).
        steps: (k,) step numbers (1-based) of ``loss`` and ``accuracy``.
        loss: (k,) training loss of each step's batch (before its update).
        accuracy: (k,) accuracy on that batch, in [0, 1].
        eval_steps: (m,) steps at which the held-out set was scored (0 = at initialization).
        eval_accuracy: (m,) held-out accuracy there, BN in eval mode.
    """

    name: str
    kind: NetKind
    depth: int
    steps: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    eval_steps: np.ndarray
    eval_accuracy: np.ndarray

    def binned(self, max_points: int) -> RaceCurve:
        """The same curve with training points averaged in bins (for saving long runs)."""
        k = len(self.steps)
        if k <= max_points:
            return self
        edges = np.linspace(0, k, max_points + 1).astype(int)

        def mean(a: np.ndarray) -> np.ndarray:
            return np.add.reduceat(a.astype(np.float64), edges[:-1]) / np.diff(edges)

        last = self.steps[edges[1:] - 1]
        return RaceCurve(
            name=self.name,
            kind=self.kind,
            depth=self.depth,
            steps=last,
            loss=mean(self.loss),
            accuracy=mean(self.accuracy),
            eval_steps=self.eval_steps,
            eval_accuracy=self.eval_accuracy,
        )

    def to_dict(self, *, digits: int = 4) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "depth": self.depth,
            "steps": self.steps.astype(int).tolist(),
            "loss": np.round(self.loss.astype(float), digits).tolist(),
            "accuracy": np.round(self.accuracy.astype(float), digits).tolist(),
            "eval_steps": self.eval_steps.astype(int).tolist(),
            "eval_accuracy": np.round(self.eval_accuracy.astype(float), digits).tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RaceCurve:
        return cls(
            name=str(d["name"]),
            kind=d["kind"],
            depth=int(d["depth"]),
            steps=np.asarray(d["steps"], dtype=np.int64),
            loss=np.asarray(d["loss"], dtype=np.float64),
            accuracy=np.asarray(d["accuracy"], dtype=np.float64),
            eval_steps=np.asarray(d["eval_steps"], dtype=np.int64),
            eval_accuracy=np.asarray(d["eval_accuracy"], dtype=np.float64),
        )


@dataclass(frozen=True)
class RaceUpdate:
    """The state of a race after some step; each update carries every curve so far, so a page
    only ever needs to draw the latest one.

    Attributes:
        step: steps done by every network.
        steps: steps planned.
        elapsed: seconds since the race started (data generation and model building included).
        curves: one :class:`RaceCurve` per network, plain before residual for each depth.
        done: the last update of the race.
        stopped: why the race ended before ``steps``: "time budget", or None.
        device: where it ran ("cpu", "cuda:0").
        config: the race's settings (depths, width, batch, lr, ...), JSON-ready.
        data: description of the data set.
    """

    step: int
    steps: int
    elapsed: float
    curves: tuple[RaceCurve, ...]
    done: bool
    stopped: str | None
    device: str
    config: dict[str, Any] = field(default_factory=dict)
    data: str = ""

    @property
    def progress(self) -> float:
        """Fraction of the planned steps done, in [0, 1]."""
        return self.step / self.steps if self.steps else 1.0

    def curve(self, name: str) -> RaceCurve:
        for c in self.curves:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self, *, max_points: int | None = None) -> dict[str, Any]:
        """JSON-ready: settings and curves (binned to at most ``max_points`` training points)."""
        curves = [c.binned(max_points) if max_points else c for c in self.curves]
        return {
            "step": self.step,
            "steps": self.steps,
            "elapsed_s": round(self.elapsed, 2),
            "stopped": self.stopped,
            "device": self.device,
            "config": self.config,
            "data": self.data,
            "curves": [c.to_dict() for c in curves],
        }


#: the five classes of the CPU race: the most distinct shapes of the ten, so that a ResNet
#: learns them in about a hundred steps while its plain twin is still near chance
RACE_CLASSES: tuple[str, ...] = ("disk", "frame", "plus", "horizontal stripes", "checkerboard")

#: race settings per device type. The CPU preset is sized for a shared 2-core server: one
#: intra-op thread (a second one stalls on a busy core), 12x12 images of five classes, 450
#: steps at depth 44, where the plain twin stays near chance (docs/lab.md has the measurements). The GPU preset is the paper's CIFAR
#: recipe: 16/32/64 filters, batch 128, lr 0.1, all ten classes at 32x32.
RACE_PRESETS: dict[str, dict[str, Any]] = {
    "cpu": {
        "depth": 44,
        "steps": 450,
        "batch": 64,
        "width": 8,
        "lr": 0.05,
        "data": {"image_size": 12, "noise": 0.1, "classes": RACE_CLASSES},
        "eval_every": 50,
        "every": 10,
        "max_seconds": 120.0,
        "threads": 1,
    },
    "cuda": {
        "depth": 56,
        "steps": 2000,
        "batch": 128,
        "width": 16,
        "lr": 0.1,
        "data": {"image_size": 32, "train_size": 20_000, "test_size": 1000},
        "eval_every": 200,
        "every": 50,
        "max_seconds": 120.0,
        "threads": None,
    },
}
#: the CPU preset, under the name the app has used
RACE_DEFAULTS: dict[str, Any] = RACE_PRESETS["cpu"]
MAX_RACE_DEPTH = 110
MAX_RACE_STEPS = 100_000


def _race_model(depth: int, width: int, shortcuts: bool, seed: int, num_classes: int) -> ResNet:
    n = cifar_spec(depth).layers[0]
    widths = tuple(width * w // CIFAR_WIDTHS[0] for w in CIFAR_WIDTHS)  # (w, 2w, 4w)
    spec = ResNetSpec(block="basic", layers=(n, n, n), widths=widths, stem="cifar")
    # Same seed for both: option-A shortcuts have no parameters, so plain-N and ResNet-N start
    # from identical weights and the race isolates the shortcuts.
    with seeded(seed):
        return ResNet(
            spec,
            variant="v1",
            num_classes=num_classes,
            shortcuts=shortcuts,
            shortcut_kind="A",
        )


@torch.no_grad()
def _accuracy(model: nn.Module, images: Tensor, labels: Tensor, *, chunk: int = 500) -> float:
    was_training = model.training
    model.eval()
    try:
        correct = 0
        for i in range(0, len(images), chunk):
            correct += int((model(images[i : i + chunk]).argmax(1) == labels[i : i + chunk]).sum())
        return correct / len(images)
    finally:
        model.train(was_training)


def _checked_depths(depth: object) -> tuple[int, ...]:
    depths = (depth,) if isinstance(depth, int) else tuple(depth) if isinstance(depth, (tuple, list)) else ()
    if not depths or len(depths) > 4:
        raise LabError(f"give one to four depths, got {shown(depth)}", key="error.lab_depths_four",
                       got=shown(depth))
    for d in depths:
        check_cifar_depth(d, MAX_RACE_DEPTH)
    return depths


def _checked_options(
    preset: dict[str, Any],
    *,
    steps: int | None,
    batch: int | None,
    width: int | None,
    eval_every: int | None,
    every: int | None,
    lr: float | None,
) -> dict[str, Any]:
    """Each option, or the preset's where it is None, checked in the order the errors name them."""
    return {
        "steps": check_int("steps", preset["steps"] if steps is None else steps, 1, MAX_RACE_STEPS),
        "batch": check_int("batch", preset["batch"] if batch is None else batch, 2, 1024),
        "width": check_int("width", preset["width"] if width is None else width, 2, 64),
        "eval_every": check_int("eval_every", eval_every or preset["eval_every"], 1, MAX_RACE_STEPS),
        "every": check_int("every", every or preset["every"], 1, MAX_RACE_STEPS),
        "lr": check_float("lr", preset["lr"] if lr is None else lr, 1e-6, 10.0),
    }


def _checked_limits(
    preset: dict[str, Any], max_seconds: float | None | str, threads: int | None | str
) -> tuple[float | None, int | None]:
    """The time budget and thread count; "preset" takes the preset's, None means no limit / leave as is."""
    seconds = preset["max_seconds"] if max_seconds == "preset" else max_seconds
    if seconds is not None:
        seconds = check_float("max_seconds", seconds, 0.001, 86_400.0)
    n_threads = preset["threads"] if threads == "preset" else threads
    if n_threads is not None:
        check_int("threads", n_threads, 1, 256)
    return seconds, n_threads


def race(
    *,
    depth: int | Sequence[int] | None = None,
    steps: int | None = None,
    batch: int | None = None,
    seed: int = 0,
    data: SyntheticData | None = None,
    width: int | None = None,
    lr: float | None = None,
    eval_every: int | None = None,
    every: int | None = None,
    max_seconds: float | None | str = "preset",
    threads: int | None | str = "preset",
    device: str | torch.device | None = None,
) -> Iterator[RaceUpdate]:
    """Train plain-N and ResNet-N side by side and report as they go.

    The networks are the CIFAR nets of section 4.2 of the paper (3x3 stem, three stages,
    option-A shortcuts, BN on), at ``width`` filters in the first stage (the paper has 16),
    trained with SGD, momentum 0.9 and weight decay 1e-4 as in the paper, on the same batches
    in the same order. Every network steps once per step, so their curves advance together.
    An option left at None (or "preset") takes its value from :data:`RACE_PRESETS` for the
    device: small and single-threaded on a CPU, the paper's sizes on a GPU.

    Args:
        depth: 6n+2 layers, or several depths (e.g. ``(20, 56)``: plain-20, ResNet-20,
            plain-56, ResNet-56, which shows the degradation of plain nets with depth too).
        steps: training steps per network.
        batch: images per step.
        seed: seed of the weights and of the batch order (the data has its own seed).
        data: the data set; default the preset's (on a CPU five classes at 12x12).
        width: filters of the first stage (stages have width, 2 width, 4 width).
        lr: SGD learning rate, constant.
        eval_every: score the held-out set every this many steps (and at step 0 and the end).
        every: yield an update every this many steps (and after each evaluation).
        max_seconds: stop cleanly after the step that passes this many seconds (the last
            update then has ``stopped="time budget"``); None for no limit.
        threads: torch intra-op threads on a CPU while the race runs (restored afterwards);
            None leaves the process's setting.
        device: "cpu", "cuda", ...; default as :func:`resnet_core.device.pick_device`.

    Yields:
        :class:`RaceUpdate`: one at step 0 (models built, held-out accuracy at init), then
        every ``every`` steps, and a final one with ``done=True``.

    Raises:
        LabError: a bad depth, size or rate (raised by the call, before any work).
    """
    dev = device if isinstance(device, torch.device) else pick_device(device)
    preset = RACE_PRESETS["cuda" if dev.type == "cuda" else "cpu"]
    depths = _checked_depths(preset["depth"] if depth is None else depth)
    opts = _checked_options(preset, steps=steps, batch=batch, width=width, eval_every=eval_every, every=every, lr=lr)
    seconds, n_threads = _checked_limits(preset, max_seconds, threads)
    data = data or SyntheticData(**preset["data"])
    return _run_race(
        depths=depths,
        seed=check_seed(seed),
        data=data,
        max_seconds=seconds,
        threads=n_threads,
        device=dev,
        **opts,
    )


def _run_race(
    *,
    depths: tuple[int, ...],
    steps: int,
    batch: int,
    seed: int,
    data: SyntheticData,
    width: int,
    lr: float,
    eval_every: int,
    every: int,
    max_seconds: float | None,
    threads: int | None,
    device: torch.device,
) -> Iterator[RaceUpdate]:
    with cpu_threads(threads, device):
        yield from _race_loop(
            depths=depths,
            steps=steps,
            batch=batch,
            seed=seed,
            data=data,
            width=width,
            lr=lr,
            eval_every=eval_every,
            every=every,
            max_seconds=max_seconds,
            device=device,
        )


def _race_tensors(data: SyntheticData, device: torch.device) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Training and held-out images on the device, scaled to roughly zero mean and unit std."""
    x, y, xt, yt = (torch.from_numpy(a).to(device) for a in data.splits())
    return (x - 0.5) / 0.25, y, (xt - 0.5) / 0.25, yt  # images (N, 3, H, W)


def _race_entrants(
    depths: tuple[int, ...], width: int, seed: int, num_classes: int, lr: float, device: torch.device
) -> tuple[list[str], list[NetKind], list[ResNet], list[torch.optim.Optimizer]]:
    """Plain before residual at each depth, each with the paper's SGD (momentum 0.9, decay 1e-4)."""
    names, kinds, models, optimizers = [], [], [], []
    for d in depths:
        for kind in ("plain", "residual"):
            model = _race_model(d, width, kind == "residual", seed, num_classes).to(device).train()
            names.append(f"{'Plain' if kind == 'plain' else 'ResNet'}-{d}")
            kinds.append(kind)
            models.append(model)
            optimizers.append(torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4))
    return names, kinds, models, optimizers


def _race_config(
    *, depths: tuple[int, ...], steps: int, batch: int, width: int, lr: float, seed: int,
    eval_every: int, max_seconds: float | None, device: torch.device,
) -> dict[str, Any]:
    return {
        "depths": list(depths),
        "steps": steps,
        "batch": batch,
        "width": width,
        "widths": [width, 2 * width, 4 * width],
        "lr": lr,
        "momentum": 0.9,
        "weight_decay": 1e-4,
        "seed": seed,
        "eval_every": eval_every,
        "max_seconds": max_seconds,
        "norm": "batch norm",
        "shortcuts": "option A (zero padding)",
        "threads": torch.get_num_threads() if device.type == "cpu" else None,
    }


class _RaceRecord:
    """What a race has measured so far; each update copies it, so a page may keep old updates."""

    def __init__(
        self, names: list[str], kinds: list[NetKind], depths: tuple[int, ...], steps: int, *,
        start: float, device: torch.device, config: dict[str, Any], data: str,
    ) -> None:
        self.names, self.kinds, self.depths, self.steps = names, kinds, depths, steps
        self.start, self.device, self.config, self.data = start, device, config, data
        self.losses = np.zeros((len(names), steps), dtype=np.float32)
        self.accs = np.zeros((len(names), steps), dtype=np.float32)
        self.eval_steps: list[int] = []
        self.eval_accs: list[list[float]] = [[] for _ in names]

    def evaluate(self, step: int, models: list[ResNet], images: Tensor, labels: Tensor) -> None:
        self.eval_steps.append(step)
        for i, m in enumerate(models):
            self.eval_accs[i].append(_accuracy(m, images, labels))

    def update(self, step: int, *, done: bool, stopped: str | None = None) -> RaceUpdate:
        curves = tuple(
            RaceCurve(
                name=self.names[i],
                kind=self.kinds[i],
                depth=self.depths[i // 2],
                steps=np.arange(1, step + 1),
                loss=self.losses[i, :step].copy(),
                accuracy=self.accs[i, :step].copy(),
                eval_steps=np.array(self.eval_steps, dtype=np.int64),
                eval_accuracy=np.array(self.eval_accs[i], dtype=np.float64),
            )
            for i in range(len(self.names))
        )
        return RaceUpdate(
            step=step,
            steps=self.steps,
            elapsed=time.perf_counter() - self.start,
            curves=curves,
            done=done,
            stopped=stopped,
            device=str(self.device),
            config=self.config,
            data=self.data,
        )


def _train_step(
    models: list[ResNet], optimizers: list[torch.optim.Optimizer], xb: Tensor, yb: Tensor,
    record: _RaceRecord, step: int,
) -> None:
    """One SGD step of every network on the same batch, its loss and accuracy recorded before the update."""
    for i, (model, opt) in enumerate(zip(models, optimizers)):
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        record.losses[i, step - 1] = loss.item()
        record.accs[i, step - 1] = (logits.argmax(1) == yb).float().mean().item()


def _race_loop(
    *,
    depths: tuple[int, ...],
    steps: int,
    batch: int,
    seed: int,
    data: SyntheticData,
    width: int,
    lr: float,
    eval_every: int,
    every: int,
    max_seconds: float | None,
    device: torch.device,
) -> Iterator[RaceUpdate]:
    start = time.perf_counter()
    x, y, xt, yt = _race_tensors(data, device)
    names, kinds, models, optimizers = _race_entrants(depths, width, seed, len(data.classes), lr, device)
    config = _race_config(depths=depths, steps=steps, batch=batch, width=width, lr=lr, seed=seed,
                          eval_every=eval_every, max_seconds=max_seconds, device=device)
    record = _RaceRecord(names, kinds, depths, steps, start=start, device=device, config=config,
                         data=data.description)
    record.evaluate(0, models, xt, yt)
    yield record.update(0, done=False)
    gen = torch.Generator().manual_seed(seed)
    for step in range(1, steps + 1):
        idx = torch.randint(0, len(x), (batch,), generator=gen).to(device)
        _train_step(models, optimizers, x[idx], y[idx], record, step)  # batch (B, 3, H, W), (B,)
        out_of_time = max_seconds is not None and time.perf_counter() - start > max_seconds
        if step == steps or out_of_time:
            record.evaluate(step, models, xt, yt)
            yield record.update(step, done=True, stopped="time budget" if out_of_time and step < steps else None)
            return
        evaluated = step % eval_every == 0
        if evaluated:
            record.evaluate(step, models, xt, yt)
        if evaluated or step % every == 0:
            yield record.update(step, done=False)


#: the ``format`` key of saved race curves (written by scripts/race.py, read by the page)
RACE_FORMAT = "resnet-playground/race-curves/1"
MAX_SAVED_BYTES = 5_000_000


@dataclass(frozen=True)
class SavedRace:
    """Race curves saved to JSON, with how and where they were produced.

    Attributes:
        curves: one :class:`RaceCurve` per network (training points possibly binned).
        meta: ``device`` ("cuda", "cpu"), ``device_name`` ("NVIDIA H100 80GB HBM3"),
            ``torch``, ``date`` (ISO 8601), ``wall_s``, ``steps`` (done), ``stopped``,
            ``config`` (as :attr:`RaceUpdate.config`), ``data`` (data set description),
            ``command``, ``produced_by``.
    """

    curves: tuple[RaceCurve, ...]
    meta: dict[str, Any]

    @property
    def caption(self) -> str:
        """How and where the curves were made, for a figure title."""
        m = self.meta
        names = " vs ".join(c.name for c in self.curves)
        where = m.get("device_name") or m.get("device", "unknown device")
        date = str(m.get("date", ""))[:10]
        return (
            f"{names}: {m.get('steps', '?')} steps on {where} ({m.get('device', '?')}), "
            f"torch {m.get('torch', '?')}, {date}, {float(m.get('wall_s', 0)):.0f} s wall, "
            f"by {m.get('produced_by', 'scripts/race.py')}"
        )


def save_race(update: RaceUpdate, path: str | Path, *, meta: dict[str, Any], max_points: int = 500) -> Path:
    """Write the curves of a finished race and ``meta`` (see :class:`SavedRace`) as JSON.

    Training points are averaged into at most ``max_points`` bins per curve, which keeps a
    few-thousand-step, four-network race well under 200 KB.
    """
    path = Path(path)
    body = update.to_dict(max_points=max_points)
    curves = body.pop("curves")
    doc = {
        "format": RACE_FORMAT,
        "meta": {**body, "steps": update.step, **meta},
        "curves": curves,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return path


def load_race(path: str | Path) -> SavedRace:
    """Read curves written by :func:`save_race`.

    Raises:
        FileNotFoundError: no file at ``path``.
        LabError: (a ValueError) not a race-curves file (wrong format key, malformed, or too large).
    """
    parse = lambda doc: SavedRace(curves=tuple(RaceCurve.from_dict(c) for c in doc["curves"]), meta=dict(doc["meta"]))  # noqa: E731
    return read_saved(path, fmt=RACE_FORMAT, max_bytes=MAX_SAVED_BYTES, what=Term("race-curves", key="error.term_race"), parse=parse)
