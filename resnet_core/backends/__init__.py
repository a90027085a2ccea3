"""Backends: where the model work of a request runs (this process, or Ray Serve replicas).

The Ray backend lives in :mod:`resnet_core.backends.ray_serve` and is imported only by whoever
asks for it, so ``ray`` stays an optional dependency.
"""

from .base import (
    Backend,
    BackendUnavailable,
    CallError,
    CheckpointRef,
    InspectCall,
    ModelInfo,
    PredictCall,
    Predicted,
)
from .local import LocalBackend

__all__ = [
    "Backend",
    "BackendUnavailable",
    "CallError",
    "CheckpointRef",
    "InspectCall",
    "LocalBackend",
    "ModelInfo",
    "PredictCall",
    "Predicted",
]
