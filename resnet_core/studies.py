"""Named studies: every model-running computation a tab offers, as one registered generator.

A study is a library function that takes a :class:`StudyContext` (the model service, a resolver
from a model key to a served model, a cancel flag and a finish flag) and one frozen call record, and yields frozen
records of numpy arrays: progress updates first, the finished result last. A backend runs a
study by name (:meth:`~resnet_core.backends.base.Backend.run`): in this process, or on a Ray
Serve replica, where the same registry is imported. So a tab never touches a model: it builds the
call, hands it to the backend, and draws what comes back.

Registering (in the module that computes it)::

    @study("compare_depths")
    def compare_depths(ctx: StudyContext, call: CompareCall) -> Iterator[CompareResult]:
        ...

Torch only through the studies themselves; this module imports neither gradio nor ray.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .serving import ModelService
from .zoo import ModelKey, ServedModel

#: the modules that register studies, imported on first use (so a Ray replica sees the same table)
STUDY_MODULES: tuple[str, ...] = (
    "resnet_core.backends.base",
    "resnet_core.attributions.study",
    "resnet_core.receptive",
    "resnet_core.erf",
    "resnet_core.featureviz",
    "resnet_core.lab.hypothesis",
    "resnet_core.lab.gradient_split",
    "resnet_core.lab.lesion",
    "resnet_core.lab.no_bn",
    "resnet_core.compare",
    "resnet_core.lab.studies",
    "resnet_core.transfer.study",
)


class Cancelled(RuntimeError):
    """The caller asked a running study to stop."""


@dataclass(frozen=True)
class StudyContext:
    """What a study may use besides its call.

    Attributes:
        service: the process's model service (cache, budgets, device).
        resolve: a model key (and, for ``weights="checkpoint"``, the session's checkpoint
            reference) at an input side to a served model, within the compute budget.
        cancel: set by the caller to stop the study at its next check (:meth:`check`): it
            raises :class:`Cancelled` and nothing of the run comes back.
        finish: set by the caller to ask for the result now, made from the work done so far (a
            person's Stop in a training run: the weights trained so far are worth keeping). A
            study that can wrap up early reads it (:meth:`finishing`) and ends as it would have
            at its last step; one that cannot ignores it.
    """

    service: ModelService
    resolve: Callable[[ModelKey, Any, int], ServedModel]
    cancel: threading.Event = field(default_factory=threading.Event)
    finish: threading.Event = field(default_factory=threading.Event)

    def check(self) -> None:
        """Raise :class:`Cancelled` when the caller asked to stop."""
        if self.cancel.is_set():
            raise Cancelled("stopped")

    def finishing(self) -> bool:
        """True once the caller asked for the result now; raises :class:`Cancelled` first if it cancelled."""
        self.check()
        return self.finish.is_set()


StudyFn = Callable[[StudyContext, Any], Iterator[Any]]


@dataclass(frozen=True)
class Study:
    """One row of the registry: a name, the function, and the call type it takes."""

    name: str
    fn: StudyFn
    call_type: type | None = None


_REGISTRY: dict[str, Study] = {}
_loaded = threading.Lock()


def study(name: str, *, call_type: type | None = None) -> Callable[[StudyFn], StudyFn]:
    """Register ``fn`` as the study ``name`` (a decorator); the function is returned unchanged."""

    def register(fn: StudyFn) -> StudyFn:
        if name in _REGISTRY and _REGISTRY[name].fn is not fn:
            raise ValueError(f"two studies are named {name!r}")
        _REGISTRY[name] = Study(name, fn, call_type)
        return fn

    return register


def registry() -> dict[str, Study]:
    """Every registered study by name (importing the modules that register them)."""
    with _loaded:
        for module in STUDY_MODULES:
            importlib.import_module(module)
    return dict(_REGISTRY)


def run_study(ctx: StudyContext, name: str, call: Any) -> Iterator[Any]:
    """Run the study ``name`` on ``call``, yielding its records.

    Raises:
        KeyError: no study has that name.
        TypeError: the call is not of the type the study takes.
    """
    row = _REGISTRY.get(name)  # registered by a module already imported (the inspection is)
    if row is None:
        row = registry().get(name)
    if row is None:
        raise KeyError(f"no study named {name!r}")
    if row.call_type is not None and not isinstance(call, row.call_type):
        raise TypeError(f"the study {name!r} takes a {row.call_type.__name__}, not a {type(call).__name__}")
    ctx.check()
    yield from row.fn(ctx, call)


__all__ = ["STUDY_MODULES", "Cancelled", "Study", "StudyContext", "registry", "run_study", "study"]
