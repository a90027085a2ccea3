"""Degradation as the paper shows it: deeper plain nets train worse, deeper ResNets better.

He et al. (https://arxiv.org/abs/1512.03385), Fig. 1 and Fig. 6: on CIFAR-10 the 56-layer plain
network has a higher *training* error than the 20-layer one (so overfitting cannot explain
it), while ResNet-56 ends below ResNet-20. Here the same four CIFAR networks train on the
synthetic data set with several seeds (:func:`resnet_core.lab.race.race` with two depths);
:func:`summarize_races` turns the runs into error curves with their spread across seeds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._common import LabError, NetKind, check_int, read_saved
from .race import RaceUpdate

DEGRADATION_FORMAT = "resnet-playground/degradation/1"
MAX_DEGRADATION_BYTES = 2_000_000


@dataclass(frozen=True)
class ErrorCurve:
    """One network's error across seeds.

    Attributes:
        name: "Plain-56", "ResNet-20", ...
        kind: "plain" or "residual".
        depth: 6n+2 layers.
        steps: (k,) the last step of each bin of training steps.
        train_error: (S, k) per seed, the mean training-batch error in each bin.
        eval_steps: (m,) steps where the held-out set was scored.
        test_error: (S, m) per seed, held-out error there.
    """

    name: str
    kind: NetKind
    depth: int
    steps: np.ndarray
    train_error: np.ndarray
    eval_steps: np.ndarray
    test_error: np.ndarray

    @property
    def final_train_error(self) -> np.ndarray:
        """(S,) per seed, the training error of the last bin."""
        return self.train_error[:, -1]

    @property
    def final_test_error(self) -> np.ndarray:
        """(S,) per seed, the last held-out error."""
        return self.test_error[:, -1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "depth": self.depth,
            "steps": self.steps.astype(int).tolist(),
            "train_error": np.round(self.train_error, 4).tolist(),
            "eval_steps": self.eval_steps.astype(int).tolist(),
            "test_error": np.round(self.test_error, 4).tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ErrorCurve:
        return cls(
            name=str(d["name"]),
            kind=d["kind"],
            depth=int(d["depth"]),
            steps=np.asarray(d["steps"], dtype=np.int64),
            train_error=np.asarray(d["train_error"], dtype=np.float64).reshape(-1, len(d["steps"])),
            eval_steps=np.asarray(d["eval_steps"], dtype=np.int64),
            test_error=np.asarray(d["test_error"], dtype=np.float64).reshape(-1, len(d["eval_steps"])),
        )


@dataclass(frozen=True)
class Degradation:
    """Several seeds of the same multi-depth race, as error curves.

    Attributes:
        curves: one :class:`ErrorCurve` per network, in the race's order.
        seeds: the seeds run.
        meta: how and where it was made (device, settings, data, date, wall time, command).
    """

    curves: tuple[ErrorCurve, ...]
    seeds: tuple[int, ...]
    meta: dict[str, Any]

    def curve(self, name: str) -> ErrorCurve:
        for c in self.curves:
            if c.name == name:
                return c
        raise KeyError(name)

    def pair(self, kind: NetKind) -> tuple[ErrorCurve, ErrorCurve]:
        """The shallowest and the deepest network of ``kind``."""
        same = sorted((c for c in self.curves if c.kind == kind), key=lambda c: c.depth)
        if len(same) < 2:
            raise KeyError(kind)
        return same[0], same[-1]

    def deeper_worse(self, kind: NetKind, *, split: str = "train") -> int:
        """In how many seeds the deeper net of ``kind`` ends with the higher error."""
        shallow, deep = self.pair(kind)
        if split == "train":
            return int(np.sum(deep.final_train_error > shallow.final_train_error))
        return int(np.sum(deep.final_test_error > shallow.final_test_error))


def summarize_races(
    runs: Sequence[RaceUpdate], *, seeds: Sequence[int], bins: int = 60, meta: dict[str, Any] | None = None
) -> Degradation:
    """Error curves from the final updates of races that differ only in their seed.

    Training error per step is noisy (one batch); it is averaged in ``bins`` equal bins of
    steps, so each bin's value is the mean error over its steps.

    Raises:
        LabError: no runs, runs of different networks or lengths, or seeds not matching.
    """
    check_int("bins", bins, 2, 1000)
    if not runs or len(runs) != len(seeds):
        raise LabError(f"give one finished race per seed ({len(runs)} races, {len(seeds)} seeds)")
    names = [c.name for c in runs[0].curves]
    if any([c.name for c in r.curves] != names or r.step != runs[0].step for r in runs):
        raise LabError("the races differ in their networks or their number of steps")
    k = runs[0].step
    edges = np.linspace(0, k, min(bins, k) + 1).astype(int)
    curves = []
    for i, name in enumerate(names):
        first = runs[0].curves[i]
        train = np.stack(
            [
                np.add.reduceat(1.0 - r.curves[i].accuracy.astype(np.float64), edges[:-1]) / np.diff(edges)
                for r in runs
            ]
        )
        test = np.stack([1.0 - r.curves[i].eval_accuracy.astype(np.float64) for r in runs])
        curves.append(
            ErrorCurve(
                name=name,
                kind=first.kind,
                depth=first.depth,
                steps=edges[1:].astype(np.int64),
                train_error=train,
                eval_steps=first.eval_steps.astype(np.int64),
                test_error=test,
            )
        )
    info = {"config": runs[0].config, "data": runs[0].data, "device": runs[0].device, **(meta or {})}
    return Degradation(curves=tuple(curves), seeds=tuple(int(s) for s in seeds), meta=info)


def save_degradation(result: Degradation, path: str | Path) -> Path:
    path = Path(path)
    doc = {
        "format": DEGRADATION_FORMAT,
        "seeds": list(result.seeds),
        "meta": result.meta,
        "curves": [c.to_dict() for c in result.curves],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    return path


def load_degradation(path: str | Path) -> Degradation:
    """Read what :func:`save_degradation` wrote.

    Raises:
        FileNotFoundError: no file at ``path``.
        LabError: not a degradation file (wrong format key, malformed, or too large).
    """
    return read_saved(path, fmt=DEGRADATION_FORMAT, max_bytes=MAX_DEGRADATION_BYTES, what="degradation", parse=_parse)


def _parse(doc: dict[str, Any]) -> Degradation:
    curves = tuple(ErrorCurve.from_dict(c) for c in doc["curves"])
    return Degradation(curves=curves, seeds=tuple(int(s) for s in doc["seeds"]), meta=dict(doc["meta"]))
