"""Degradation: deeper plain nets against shallower ones, and the same for ResNets.

He et al. (https://arxiv.org/abs/1512.03385), Fig. 1 and Fig. 6: on CIFAR-10 the 56-layer plain
network trains, but to a higher *training* error than the 20-layer one (so overfitting cannot
explain it), while ResNet-56 ends below ResNet-20. Here the same four CIFAR networks train on
the synthetic data set with several seeds (:func:`resnet_core.lab.race.race` with two depths);
:func:`summarize_races` turns the runs into error curves with their spread across seeds, and
:meth:`Degradation.finding` says which of the paper's claims the runs show. A short run can show
something else: a deep plain net that never leaves chance has not started training, which is
not the paper's degradation (there the deeper plain net trains, only worse).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import Term
from ._common import LabError, NetKind, check_int, read_saved
from .race import RaceUpdate

DEGRADATION_FORMAT = "resnet-playground/degradation/1"
MAX_DEGRADATION_BYTES = 2_000_000
#: the "final" training error is the mean over this last share of the steps (a bin alone is one
#: or two batches: 96 samples in the saved CPU runs, a standard error of about 4 points)
FINAL_SHARE = 0.2
#: a network has "started" when its final training error is at least this far below chance
#: (1 - 1/classes): over the last 20% of 150 steps at batch 32 (960 samples) the standard error
#: of an error near chance is about 0.013, so 0.1 is far outside noise
STARTED_MARGIN = 0.1


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
        """(S,) per seed, the mean training error over the last :data:`FINAL_SHARE` of the
        steps (the bins that end there, weighted by their steps)."""
        last = int(self.steps[-1])
        widths = np.diff(np.concatenate([[0], self.steps])).astype(np.float64)
        keep = self.steps > last * (1 - FINAL_SHARE)
        keep[-1] = True
        return (self.train_error[:, keep] * widths[keep]).sum(axis=1) / widths[keep].sum()

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

    @property
    def chance_error(self) -> float:
        """``1 - 1/classes`` of the data the runs trained on (from ``meta``)."""
        classes = self.meta.get("classes")
        if not isinstance(classes, int):  # files written before "classes" was recorded
            match = re.search(r"(\d+) classes", str(self.meta.get("data", "")))
            classes = int(match.group(1)) if match else 10
        return 1.0 - 1.0 / classes

    def started(self, name: str) -> np.ndarray:
        """(S,) per seed, whether the network left chance (see :data:`STARTED_MARGIN`)."""
        return self.curve(name).final_train_error < self.chance_error - STARTED_MARGIN

    def finding(self) -> DegradationFinding:
        """Which of He et al.'s claims these runs show (the rule behind the page's verdict).

        The paper's Fig. 1: the deeper plain net trains (leaves chance) in every seed and ends
        with the higher training error in every seed. Fig. 6: the deeper ResNet ends lower in
        most seeds. Where the deeper plain net never leaves chance, the runs show a deep plain
        net that did not start, which is a different (and weaker) claim.
        """
        n = len(self.seeds)
        plain_shallow, plain_deep = self.pair("plain")
        res_shallow, res_deep = self.pair("residual")
        deep_started = int(self.started(plain_deep.name).sum())
        plain_worse = self.deeper_worse("plain")
        res_worse = self.deeper_worse("residual")
        if deep_started == n and plain_worse == n:
            plain = "degrades"
        elif deep_started == 0 and int(self.started(plain_shallow.name).sum()) == n:
            plain = "never_started"
        else:
            plain = "mixed"
        return DegradationFinding(
            plain=plain,
            plain_deep_started=deep_started,
            plain_deeper_worse=plain_worse,
            residual_deeper_worse=res_worse,
            residual_deeper_better=2 * res_worse < n,
            seeds=n,
        )

    def deeper_worse(self, kind: NetKind, *, split: str = "train") -> int:
        """In how many seeds the deeper net of ``kind`` ends with the higher error."""
        shallow, deep = self.pair(kind)
        if split == "train":
            return int(np.sum(deep.final_train_error > shallow.final_train_error))
        return int(np.sum(deep.final_test_error > shallow.final_test_error))


@dataclass(frozen=True)
class DegradationFinding:
    """What :meth:`Degradation.finding` read from the runs.

    Attributes:
        plain: "degrades" (the paper's Fig. 1: the deeper plain net trains, to a higher
            training error, in every seed), "never_started" (the deeper plain net stays at
            chance in every seed while the shallower one trains) or "mixed".
        plain_deep_started: seeds in which the deeper plain net left chance.
        plain_deeper_worse: seeds in which it ends with the higher training error.
        residual_deeper_worse: seeds in which the deeper ResNet ends with the higher error.
        residual_deeper_better: the deeper ResNet ends lower in most seeds (the paper's Fig. 6).
        seeds: seeds run.
    """

    plain: str
    plain_deep_started: int
    plain_deeper_worse: int
    residual_deeper_worse: int
    residual_deeper_better: bool
    seeds: int

    @property
    def as_in_paper(self) -> bool:
        """Both halves of the paper's finding hold."""
        return self.plain == "degrades" and self.residual_deeper_better


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
    return read_saved(path, fmt=DEGRADATION_FORMAT, max_bytes=MAX_DEGRADATION_BYTES, what=Term("degradation", key="error.term_degradation"), parse=_parse)


def _parse(doc: dict[str, Any]) -> Degradation:
    curves = tuple(ErrorCurve.from_dict(c) for c in doc["curves"])
    return Degradation(curves=curves, seeds=tuple(int(s) for s in doc["seeds"]), meta=dict(doc["meta"]))
