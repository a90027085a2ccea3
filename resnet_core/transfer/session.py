"""One person's transfer-learning state: data, the trained copy, its results; released by ``close()``.

The Gradio layer keeps one :class:`TransferSession` per browser session in ``gr.State`` (with a
time-to-live) and calls :meth:`TransferSession.close` when the session ends or expires, which
drops every tensor and model the session holds. Memory is bounded by the data caps
(:mod:`resnet_core.transfer.data`) plus one adapted model.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..images import Preprocess
from ..model import ResNet
from .analysis import CamPair, Confusion, FeatureMap, cam_pairs, confusion, feature_map
from .data import ImageSet, TransferError
from .export import export_script, export_weights, info_for, script_support
from .train import FineTune, StopSignal, TrainConfig, TrainUpdate, finetune


@dataclass(frozen=True)
class TransferReport:
    """What changed, for the figures: see :mod:`resnet_core.transfer.analysis`."""

    confusion: Confusion
    features: FeatureMap
    cams: tuple[CamPair, ...]
    before_accuracy: float
    after_accuracy: float


@dataclass(frozen=True)
class ExportedFiles:
    """Paths of an export; ``script`` is None when the script does not cover the architecture (``notice`` says why)."""

    weights: Path
    script: Path | None
    notice: str | None


def _round_robin(indices: np.ndarray, labels: np.ndarray) -> list[int]:
    """``indices`` reordered so that classes take turns: the first of each class, then the second, ..."""
    rank = np.zeros(len(indices), dtype=np.int64)
    for k in np.unique(labels[indices]):
        sel = labels[indices] == k
        rank[sel] = np.arange(int(sel.sum()))
    order = np.lexsort((labels[indices], rank))
    return [int(i) for i in indices[order]]


class TransferSession:
    """Holds one person's data set, base model reference, training run and results.

    Args:
        folder: the session's own folder; exports are written only inside it.
    """

    def __init__(self, *, folder: str | os.PathLike | None = None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.data: ImageSet | None = None
        self.run: FineTune | None = None
        self.base: ResNet | None = None
        self.base_categories: tuple[str, ...] | None = None
        self.report: TransferReport | None = None
        self.stop_event = threading.Event()
        self._lock = threading.Lock()

    @property
    def model(self) -> ResNet | None:
        """The fine-tuned copy, once a run has started."""
        return None if self.run is None else self.run.model

    def set_data(self, data: ImageSet) -> None:
        """Use this data set from now on; a previous run and its results are dropped."""
        with self._lock:
            self._drop_run()
            self.data = data

    def train(
        self,
        base: ResNet,
        *,
        config: TrainConfig = TrainConfig(),
        preprocess: Preprocess = Preprocess(),
        base_categories: tuple[str, ...] | None = None,
        stop: StopSignal = None,
        started: float | None = None,
    ) -> Iterator[TrainUpdate]:
        """Start a run on a copy of ``base`` and yield its updates (see :func:`finetune`).

        ``stop`` defaults to this session's :attr:`stop_event` (cleared at the start), which
        :meth:`request_stop` sets from another thread. ``started`` (a ``time.perf_counter()``
        instant) is when the time budget began: reading the pictures counts too.
        """
        if self.data is None:
            raise TransferError("Add images for at least two classes first.")
        with self._lock:
            self._drop_run()
            self.stop_event.clear()
            self.base = base
            self.base_categories = base_categories
            self.run = finetune(base, self.data, config=config, preprocess=preprocess, stop=stop or self.stop_event,
                                started=started)
        return iter(self.run)

    def request_stop(self) -> None:
        """Ask the running loop to end after its current step."""
        self.stop_event.set()

    def analyse(self, *, max_cams: int = 8) -> TransferReport:
        """Confusion matrix, features before and after, Grad-CAM pairs of held-out images."""
        run, base = self.run, self.base
        if run is None or base is None or run.last is None:
            raise TransferError("Train first; there is nothing to compare yet.")
        run.model.eval().requires_grad_(False)
        held = run.held_idx
        labels = run.data.labels
        cm = confusion(run.model, run.x[held], labels[held], run.data.class_names)
        fmap = feature_map(
            base, run.model, run.x, labels, held, names=run.data.names, class_names=run.data.class_names
        )
        cams = cam_pairs(
            base,
            run.model,
            run.x,
            run.views,
            _round_robin(held, labels)[:max_cams],
            labels=labels,
            names=run.data.names,
            class_names=run.data.class_names,
            before_categories=self.base_categories,
        )
        self.report = TransferReport(
            confusion=cm,
            features=fmap,
            cams=cams,
            before_accuracy=float(run.last.eval_accuracy[0]),
            after_accuracy=cm.accuracy,
        )
        return self.report

    def export(self, *, folder: str | os.PathLike | None = None) -> ExportedFiles:
        """Write ``model.safetensors`` and ``classify.py`` into the session folder (or ``folder`` inside it)."""
        run = self.run
        if run is None:
            raise TransferError("Train first; there is no fine-tuned model to export.")
        target = self._target(folder)
        target.mkdir(parents=True, exist_ok=True)
        info = info_for(
            run.model,
            run.data.class_names,
            input_size=run.config.input_size,
            preprocess=run.preprocess,
            strategy=run.config.strategy,
        )
        weights = export_weights(run.model, info, target / "model.safetensors")
        notice = script_support(run.model)
        script = None
        if notice is None:
            script = target / "classify.py"
            script.write_text(export_script(info, weights_name=weights.name), encoding="utf-8")
        return ExportedFiles(weights=weights, script=script, notice=notice)

    def _target(self, folder: str | os.PathLike | None) -> Path:
        if self.folder is None and folder is None:
            raise TransferError("This session has no folder to write into.")
        base = (self.folder or Path(folder)).resolve()  # type: ignore[arg-type]
        target = Path(folder).resolve() if folder is not None else base
        if self.folder is not None and not target.is_relative_to(base):
            raise TransferError("Exports are written only inside the session's own folder.")
        return target

    def _drop_run(self) -> None:
        self.run = None
        self.report = None
        self.base = None

    def close(self) -> None:
        """Drop the data, the model copy, the results; free GPU memory the session held."""
        self.stop_event.set()
        with self._lock:
            self._drop_run()
            self.data = None
            self.base_categories = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def __enter__(self) -> TransferSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["ExportedFiles", "TransferReport", "TransferSession"]
