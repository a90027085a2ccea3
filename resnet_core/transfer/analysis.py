"""What training changed: a confusion matrix, features before and after, Grad-CAM beside Grad-CAM.

All results are frozen dataclasses of numpy arrays, ready for :mod:`viz.transfer`.
:func:`analyse` makes all three for a finished run within what is left of its time budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from torch import Tensor

from ..inspection import inspect
from ..model import ResNet
from ..preprocess import Prepared
from .data import TransferError
from .train import FineTune, OutOfTime, pooled_features, predict

#: held-out images shown with Grad-CAM at most (each costs two forward and backward passes)
MAX_CAM_IMAGES = 12


@dataclass(frozen=True)
class Confusion:
    """Held-out predictions against the truth.

    Attributes:
        class_names: one per class.
        matrix: ``(K, K)`` int64; ``matrix[i, j]`` counts images of class i predicted as j.
    """

    class_names: tuple[str, ...]
    matrix: np.ndarray

    @property
    def accuracy(self) -> float:
        total = int(self.matrix.sum())
        return float(np.trace(self.matrix)) / total if total else float("nan")

    def worst_pair(self) -> tuple[int, int, int] | None:
        """``(true, predicted, count)`` of the most frequent mistake, None without mistakes."""
        off = self.matrix.copy()
        np.fill_diagonal(off, 0)
        if not off.any():
            return None
        i, j = np.unravel_index(int(off.argmax()), off.shape)
        return int(i), int(j), int(off[i, j])


def confusion(model: ResNet, x: Tensor, labels: np.ndarray, class_names: Sequence[str]) -> Confusion:
    """The confusion matrix of ``model`` on inputs ``x`` ``(N, 3, S, S)`` with true ``labels``."""
    k = len(class_names)
    pred = predict(model, x).argmax(1).numpy()
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (labels.astype(np.int64), pred), 1)
    return Confusion(tuple(class_names), matrix)


@dataclass(frozen=True)
class FeatureMap:
    """Pooled features of every image projected to 2-D by PCA, before and after training.

    Each panel has its own projection (fitted by SVD on that network's centred features):
    the two networks' feature spaces differ in scale and meaning, so a shared projection would
    show mostly the larger of the two. Signs are fixed so that each axis's largest loading is
    positive, so a rerun draws the same picture.

    Attributes:
        before, after: ``(N, 2)`` float32 coordinates.
        explained_before, explained_after: ``(2,)`` share of the variance on each axis.
        separation_before, separation_after: between-class over within-class variance of the
            full pooled features (a Fisher ratio: larger means the classes lie further apart
            compared with their spread).
        labels: ``(N,)`` class of each image; held_out: ``(N,)`` bool, true for held-out images.
        names: one per image, for hover text; class_names: one per class.
        projection: how the projection was fitted, in words.
    """

    before: np.ndarray
    after: np.ndarray
    explained_before: np.ndarray
    explained_after: np.ndarray
    separation_before: float
    separation_after: float
    labels: np.ndarray
    held_out: np.ndarray
    names: tuple[str, ...]
    class_names: tuple[str, ...]
    projection: str = "separate PCA per panel"


def pca_2d(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(N, 2)`` coordinates on the two main axes and ``(2,)`` explained-variance shares (numpy SVD)."""
    f = np.asarray(features, dtype=np.float64)
    centred = f - f.mean(0, keepdims=True)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:2]  # (2, C)
    signs = np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(1)])
    axes = axes * np.where(signs == 0, 1.0, signs)[:, None]
    coords = centred @ axes.T  # (N, 2)
    var = s**2
    share = var[:2] / var.sum() if var.sum() > 0 else np.zeros(2)
    if coords.shape[1] < 2:  # a single feature: pad so callers always get two axes
        coords = np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))
        share = np.pad(share, (0, 2 - len(share)))
    return coords.astype(np.float32), share.astype(np.float32)


def separation(features: np.ndarray, labels: np.ndarray) -> float:
    """Between-class over within-class variance (trace ratio), 0 when classes coincide."""
    f = np.asarray(features, dtype=np.float64)
    mean = f.mean(0)
    between = within = 0.0
    for k in np.unique(labels):
        fk = f[labels == k]
        between += len(fk) * float(((fk.mean(0) - mean) ** 2).sum())
        within += float(((fk - fk.mean(0)) ** 2).sum())
    return between / within if within > 0 else float("inf") if between > 0 else 0.0


def feature_map(
    before: ResNet,
    after: ResNet,
    x: Tensor,
    labels: np.ndarray,
    held_out: np.ndarray,
    *,
    names: Sequence[str],
    class_names: Sequence[str],
    deadline: float | None = None,
) -> FeatureMap:
    """Project the pooled features of every image in ``x`` under both networks (see :class:`FeatureMap`).

    Raises:
        OutOfTime: ``deadline`` (a ``time.perf_counter()`` instant) passed before both were made.
    """
    fb = pooled_features(before, x, deadline=deadline).cpu().numpy()
    fa = pooled_features(after, x, deadline=deadline).cpu().numpy()
    cb, eb = pca_2d(fb)
    ca, ea = pca_2d(fa)
    mask = np.zeros(len(labels), dtype=bool)
    mask[held_out] = True
    return FeatureMap(
        before=cb,
        after=ca,
        explained_before=eb,
        explained_after=ea,
        separation_before=separation(fb, labels),
        separation_after=separation(fa, labels),
        labels=labels.astype(np.int64),
        held_out=mask,
        names=tuple(names),
        class_names=tuple(class_names),
    )


@dataclass(frozen=True)
class CamPair:
    """One held-out image seen by the original and by the fine-tuned network.

    Attributes:
        image: ``(S, S, 3)`` uint8, the picture both networks saw.
        name: the image's name; truth: its class name.
        before_label, before_probability, before_heatmap: the original network's top-1 class
            (in its own categories), its probability and its Grad-CAM ``(S, S)`` in [0, 1].
        after_label, after_probability, after_heatmap: the same for the fine-tuned network.
        correct: the fine-tuned prediction is the true class.
    """

    image: np.ndarray
    name: str
    truth: str
    before_label: str
    before_probability: float
    before_heatmap: np.ndarray
    after_label: str
    after_probability: float
    after_heatmap: np.ndarray
    correct: bool


def cam_pairs(
    before: ResNet,
    after: ResNet,
    x: Tensor,
    views: np.ndarray,
    indices: Sequence[int],
    *,
    labels: np.ndarray,
    names: Sequence[str],
    class_names: Sequence[str],
    before_categories: Sequence[str] | None,
    layer: str = "layer4",
    deadline: float | None = None,
    check: Callable[[], None] | None = None,
) -> tuple[CamPair, ...]:
    """Grad-CAM of the top-1 class at ``layer`` for each chosen image, from both networks.

    Uses :func:`resnet_core.inspection.inspect` on each network (both must be in eval mode with
    frozen parameters, as served models and finished runs are). At most :data:`MAX_CAM_IMAGES`;
    fewer when ``deadline`` (a ``time.perf_counter()`` instant) passes first. ``check`` is called
    before each image (it raises to stop).
    """
    out = []
    for i in list(indices)[:MAX_CAM_IMAGES]:
        if check is not None:
            check()
        if deadline is not None and time.perf_counter() > deadline:
            break
        prepared = Prepared(tensor=x[i : i + 1], view=views[i])
        a = inspect(before, prepared, layer=layer, top_k=1, categories=before_categories, max_channels=1)
        b = inspect(after, prepared, layer=layer, top_k=1, categories=class_names, max_channels=1)
        pa, pb = a.predictions[0], b.predictions[0]
        out.append(
            CamPair(
                image=views[i],
                name=names[i],
                truth=class_names[int(labels[i])],
                before_label=pa.label,
                before_probability=pa.probability,
                before_heatmap=a.cam.heatmap,
                after_label=pb.label,
                after_probability=pb.probability,
                after_heatmap=b.cam.heatmap,
                correct=pb.index == int(labels[i]),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class TransferReport:
    """What changed, for the figures.

    Attributes:
        confusion: held-out predictions of the fine-tuned network.
        features: pooled features before and after; None when the time budget ran out first.
        cams: Grad-CAM pairs of held-out pictures, classes taking turns.
        cams_planned: pairs asked for (more than ``len(cams)`` when the time budget ran out).
        before_accuracy: held-out accuracy before the first step; after_accuracy: at the end.
    """

    confusion: Confusion
    features: FeatureMap | None
    cams: tuple[CamPair, ...]
    cams_planned: int
    before_accuracy: float
    after_accuracy: float

    @property
    def cut_short(self) -> bool:
        """The time budget ended the analysis before all of it was made."""
        return self.features is None or len(self.cams) < self.cams_planned


def round_robin(indices: np.ndarray, labels: np.ndarray) -> list[int]:
    """``indices`` reordered so that classes take turns: the first of each class, then the second, ..."""
    rank = np.zeros(len(indices), dtype=np.int64)
    for k in np.unique(labels[indices]):
        sel = labels[indices] == k
        rank[sel] = np.arange(int(sel.sum()))
    order = np.lexsort((labels[indices], rank))
    return [int(i) for i in indices[order]]


def analyse(
    run: FineTune,
    base: ResNet,
    *,
    base_categories: Sequence[str] | None,
    max_cams: int = 8,
    deadline: float | None = None,
    check: Callable[[], None] | None = None,
) -> TransferReport:
    """Confusion matrix, features before and after, Grad-CAM pairs of a finished run's held-out images.

    The confusion matrix is always made (one forward pass over the held-out images, as each of the
    run's evaluations); the feature map and the Grad-CAM pairs only while ``deadline`` (a
    ``time.perf_counter()`` instant, the end of the run's time budget) has not passed, so the
    report says what was left out (:attr:`TransferReport.cut_short`).

    Args:
        run: a finished run (iterated to its end).
        base: the network it started from (eval mode, frozen, as a served model is).
        base_categories: the base network's class names, for its Grad-CAM captions.
        max_cams: held-out pictures shown with Grad-CAM (at most :data:`MAX_CAM_IMAGES`).
        deadline: when the time budget ends; None: no limit.
        check: called between pieces of work; it raises to stop (a study's cancel check).
    """
    if run.last is None:
        raise TransferError("Train first; there is nothing to compare yet.", key="error.transfer_train_first")
    run.model.eval().requires_grad_(False)
    held, labels = run.held_idx, run.data.labels
    names, class_names = run.data.names, run.data.class_names
    cm = confusion(run.model, run.x[held], labels[held], class_names)
    if check is not None:
        check()
    try:
        fmap = feature_map(base, run.model, run.x, labels, held, names=names, class_names=class_names, deadline=deadline)
    except OutOfTime:
        fmap = None
    chosen = round_robin(held, labels)[: min(max_cams, MAX_CAM_IMAGES)]
    cams = cam_pairs(base, run.model, run.x, run.views, chosen, labels=labels, names=names, class_names=class_names,
                     before_categories=base_categories, deadline=deadline, check=check)
    return TransferReport(confusion=cm, features=fmap, cams=cams, cams_planned=len(chosen),
                          before_accuracy=float(run.last.eval_accuracy[0]), after_accuracy=cm.accuracy)


__all__ = [
    "MAX_CAM_IMAGES",
    "CamPair",
    "Confusion",
    "FeatureMap",
    "TransferReport",
    "analyse",
    "cam_pairs",
    "confusion",
    "feature_map",
    "pca_2d",
    "round_robin",
    "separation",
]
