"""Fine-tuning as a study: train on a person's classes, analyse, and send back the weights as data.

A registered study (:mod:`resnet_core.studies`), so the page runs it through its backend, in
process or on a Ray Serve replica: the call carries the data set as numpy arrays (read from the
uploads by the front end), the study yields the training updates as they come and, last, a
:class:`FinetuneResult` that holds the analysis and the fine-tuned weights as numpy arrays, from
which the front end writes the export without a model (:func:`~.export.write_export`).

The time budget (``TrainConfig.max_seconds``) covers everything: the seconds the front end
spent reading the pictures (``FinetuneCall.spent``), turning them into tensors, the steps and
the analysis. The loop leaves :data:`ANALYSIS_SHARE` of the budget to the analysis; whatever the
analysis cannot finish by the end of the budget is left out, and the report says so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..backends.base import CallError
from ..studies import StudyContext, study
from ..zoo import ModelKey
from .analysis import MAX_CAM_IMAGES, TransferReport, analyse
from .data import MAX_TOTAL_IMAGES, ImageSet
from .export import FinetunedWeights, info_for
from .train import TrainConfig, TrainUpdate, finetune

#: share of the time budget the training loop leaves to the analysis (two feature passes over
#: every picture and up to eight Grad-CAM pairs usually take far less than the steps; when the
#: steps end early, the analysis has the rest too)
ANALYSIS_SHARE = 0.2
#: the side the base network's cost is checked at (the largest input a run may ask for)
COST_SIDE = 224


def _check_images(data: object) -> None:
    if not isinstance(data, ImageSet):
        raise CallError("the data set must be a resnet_core.transfer.data.ImageSet", key="error.finetune_data_type")
    if not 1 <= len(data.images) <= MAX_TOTAL_IMAGES or len(data.names) != len(data.images):
        raise CallError(f"the data set holds from 1 to {MAX_TOTAL_IMAGES} pictures, each with a name",
                        key="error.finetune_data_size", high=MAX_TOTAL_IMAGES)
    for image in data.images:
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise CallError("each picture must be an (H, W, 3) uint8 array (as resnet_core.transfer.data reads them)",
                            key="error.finetune_picture")
    labels = data.labels
    if not isinstance(labels, np.ndarray) or labels.shape != (len(data.images),) or labels.dtype != np.int64:
        raise CallError("the labels must be an (N,) int64 array, one per picture", key="error.finetune_labels")
    if labels.min() < 0 or labels.max() >= data.num_classes:
        raise CallError("every label must name one of the data set's classes", key="error.finetune_label_range")


@dataclass(frozen=True, eq=False)
class FinetuneCall:
    """One fine-tuning request.

    Attributes:
        key: the network to start from (torchvision's weights or random ones; not a person's checkpoint).
        data: the classes and pictures, as numpy arrays (read by :mod:`resnet_core.transfer.data`).
        config: strategy, steps, the time budget (``max_seconds``), augmentation, split, seed.
        spent: seconds of the budget already spent before the call (reading the pictures).
        max_cams: held-out pictures shown with Grad-CAM before and after.
    """

    key: ModelKey
    data: ImageSet
    config: TrainConfig
    spent: float = 0.0
    max_cams: int = 8

    def __post_init__(self) -> None:
        if not isinstance(self.key, ModelKey):
            raise CallError("key must be a resnet_core.zoo.ModelKey", key="error.finetune_key")
        if self.key.weights == "checkpoint":
            raise CallError("fine-tuning starts from torchvision's weights or random ones, not a loaded checkpoint",
                            key="error.finetune_checkpoint")
        _check_images(self.data)
        if not isinstance(self.config, TrainConfig):
            raise CallError("config must be a resnet_core.transfer.train.TrainConfig", key="error.finetune_config")
        spent = self.spent
        if isinstance(spent, bool) or not isinstance(spent, (int, float)) or not math.isfinite(spent) or spent < 0:
            raise CallError(f"spent is a number of seconds, not {str(spent)[:100]!r}", key="error.finetune_spent",
                            got=repr(str(spent)[:100]))
        if spent >= self.config.max_seconds:
            raise CallError("the time budget was spent before training could start; allow more seconds",
                            key="error.finetune_no_time")
        cams = self.max_cams
        if isinstance(cams, bool) or not isinstance(cams, int) or not 0 <= cams <= MAX_CAM_IMAGES:
            raise CallError(f"max_cams is a whole number from 0 to {MAX_CAM_IMAGES}", key="error.finetune_max_cams",
                            high=MAX_CAM_IMAGES)


@dataclass(frozen=True, eq=False)
class FinetuneResult:
    """The last record of the ``finetune`` study.

    Attributes:
        last: the final training update (curves, why it ended).
        report: what changed (confusion, features, Grad-CAM pairs; see ``report.cut_short``).
        weights: the fine-tuned network as data, what :func:`~.export.write_export` writes.
        elapsed: seconds from the start of the budget to the end of the analysis.
    """

    last: TrainUpdate
    report: TransferReport
    weights: FinetunedWeights
    elapsed: float

    @property
    def nbytes(self) -> int:
        """Bytes held in arrays: the weights, the pictures of the Grad-CAM pairs, the curves and maps."""
        report = self.report
        cams = sum(p.image.nbytes + p.before_heatmap.nbytes + p.after_heatmap.nbytes for p in report.cams)
        features = report.features
        fmap = 0 if features is None else sum(a.nbytes for a in (features.before, features.after, features.labels,
                                                                  features.held_out))
        curves = sum(a.nbytes for a in (self.last.loss, self.last.train_accuracy, self.last.eval_steps,
                                        self.last.eval_accuracy))
        return self.weights.nbytes + cams + fmap + curves + report.confusion.matrix.nbytes


@study("finetune", call_type=FinetuneCall)
def finetune_study(ctx: StudyContext, call: FinetuneCall) -> Iterator[TrainUpdate | FinetuneResult]:
    """Fine-tune ``call.key`` on ``call.data``: a :class:`TrainUpdate` every ``eval_every`` steps
    (and at step 0 and the end), then the analysis and the weights in one :class:`FinetuneResult`.

    Stops with :class:`~resnet_core.studies.Cancelled` at the next step once the caller cancels.
    Once the caller asks it to finish (``ctx.finish``), the training ends at the next step as
    ``stopped="stopped"`` and the analysis and the weights come back as usual, within what is
    left of the budget: a person's Stop keeps what was trained so far.
    """
    start = time.perf_counter() - call.spent  # the budget began when the front end started reading
    budget = call.config.max_seconds
    served = ctx.resolve(call.key, None, COST_SIDE)

    # a cancel raises Cancelled (the run ends without a result); a finish ends the steps early
    run = finetune(served.model, call.data, config=call.config, preprocess=served.weights.preprocess,
                   stop=ctx.finishing, started=start, reserve=ANALYSIS_SHARE * budget)
    yield from run
    ctx.check()
    report = analyse(run, served.model, base_categories=served.weights.categories, max_cams=call.max_cams,
                     deadline=start + budget, check=ctx.check)
    info = info_for(run.model, call.data.class_names, input_size=call.config.input_size,
                    preprocess=served.weights.preprocess, strategy=call.config.strategy)
    assert run.last is not None  # a run yields at least its step-0 update
    yield FinetuneResult(run.last, report, FinetunedWeights.of(run.model, info), time.perf_counter() - start)


__all__ = ["ANALYSIS_SHARE", "FinetuneCall", "FinetuneResult", "finetune_study"]
