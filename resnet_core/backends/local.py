"""The in-process backend: the model work runs in the front end's own process (the default)."""

from __future__ import annotations

from collections.abc import Iterator

from ..results import Inspection
from ..serving import ModelService
from ..shapes import Architecture
from ..zoo import ModelKey
from .base import InspectCall, ModelInfo, PredictCall, Predicted, run_inspect, run_predict, served_model


class LocalBackend:
    """Serve calls on a :class:`ModelService` in this process (what the app does without ``--backend``).

    Args:
        service: the process's model service (its cache, engines and budgets are used as they are).
    """

    def __init__(self, service: ModelService) -> None:
        self.service = service

    def check_cost(self, depth: int | tuple, variant: str, size: int) -> Architecture:
        return self.service.check_cost(depth, variant, size)

    def info(self, key: ModelKey, *, size: int = 224) -> ModelInfo:
        return ModelInfo.of(served_model(self.service, key, size=size))

    def inspect(self, call: InspectCall) -> Iterator[tuple[Inspection, bool]]:
        yield from run_inspect(self.service, call)

    def predict(self, call: PredictCall) -> Predicted:
        (result,) = run_predict(self.service, [call])
        if isinstance(result, Exception):
            raise result
        return result


__all__ = ["LocalBackend"]
