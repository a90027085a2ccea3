"""The in-process backend: the model work runs in the front end's own process (the default)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from ..results import Inspection
from ..serving import ModelService
from ..shapes import Architecture
from ..studies import StudyContext, run_study
from ..zoo import ModelKey, ServedModel
from .base import (
    CallError,
    CheckpointRef,
    InspectCall,
    ModelInfo,
    PredictCall,
    Predicted,
    checkpoint_digest,
    run_predict,
    served_model,
)


class LocalBackend:
    """Serve calls on a :class:`ModelService` in this process (what the app does without ``--backend``).

    A person's checkpoint is built here once, and the :class:`CheckpointRef` the session keeps
    holds the model itself (as ``gr.State`` held it before), so it goes when the session does.

    Args:
        service: the process's model service (its cache, engines and budgets are used as they are).
    """

    def __init__(self, service: ModelService) -> None:
        self.service = service

    def check_cost(self, depth: int | tuple, variant: str, size: int) -> Architecture:
        return self.service.check_cost(depth, variant, size)

    def info(self, key: ModelKey, *, size: int = 224) -> ModelInfo:
        return ModelInfo.of(served_model(self.service, key, size=size))

    def add_checkpoint(self, key: ModelKey, data: bytes, *, filename: str) -> CheckpointRef:
        """Build ``key``'s architecture with a person's weights (checked by content, never cached).

        Raises:
            WeightsError: the checkpoint is unsafe, unreadable or does not fit the architecture.
        """
        self.service.check_cost(key.depth, key.variant, 224)
        served = self.service.add_checkpoint(key, bytes(data), filename=filename)
        return CheckpointRef(served.key, checkpoint_digest(data), filename, ModelInfo.of(served), served)

    def inspect(self, call: InspectCall, *, cancel: threading.Event | None = None) -> Iterator[tuple[Inspection, bool]]:
        yield from self.run("inspect", call, cancel=cancel)

    def predict(self, call: PredictCall) -> Predicted:
        (result,) = run_predict(self.service, [call], self._resolve)
        if isinstance(result, Exception):
            raise result
        return result

    def run(
        self, name: str, call: Any, *, cancel: threading.Event | None = None, finish: threading.Event | None = None
    ) -> Iterator[Any]:
        ctx = StudyContext(self.service, self.resolve, cancel if cancel is not None else threading.Event(),
                           finish if finish is not None else threading.Event())
        yield from run_study(ctx, name, call)

    def _resolve(self, call: PredictCall) -> ServedModel:
        return self.resolve(call.key, call.checkpoint, call.size or 224)

    def resolve(self, key: ModelKey, checkpoint: CheckpointRef | None, size: int) -> ServedModel:
        """The served model of ``key`` (the session's checkpoint where given), within the budget."""
        if checkpoint is None:
            return served_model(self.service, key, size=size)
        self.service.check_cost(key.depth, key.variant, size)
        served = checkpoint.handle
        if not isinstance(served, ServedModel):
            raise CallError("this checkpoint was loaded by another backend; load it again", key="error.checkpoint_other_backend")
        return served


__all__ = ["LocalBackend"]
