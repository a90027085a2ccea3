"""An inspection is the study "inspect": a backend serves it through ``run``, with its cancel flag.

The Ray side of the same path (retry, skipping what was delivered) is in tests/test_ray_backend.py.
"""

from __future__ import annotations

import threading

import pytest
from _models import TINY_KEY
from _pictures import natural_image

from resnet_core.backends import InspectCall, LocalBackend
from resnet_core.backends.base import run_inspect
from resnet_core.serving import ModelService, ServiceConfig
from resnet_core.studies import Cancelled, registry

TINY = TINY_KEY  # the cheapest network the app serves (tests/_models.py)


def backend(*, timeline_after: bool) -> LocalBackend:
    return LocalBackend(ModelService(ServiceConfig(device="cpu", offline=True, warm_up=False, timeline_after=timeline_after)))


def call() -> InspectCall:
    return InspectCall(TINY, natural_image(64, 64), size=64, target=3)


def test_inspect_is_a_registered_study_and_yields_what_the_service_yields() -> None:
    assert registry()["inspect"].call_type is InspectCall
    local = backend(timeline_after=True)
    got = list(local.inspect(call()))
    want = list(run_inspect(local.service, call(), lambda c: local.resolve(c.key, c.checkpoint, c.size)))
    assert [p for _, p in got] == [p for _, p in want] == [True, False]  # the result, then with its timeline
    assert got[0][0].timeline is None and got[-1][0].timeline is not None
    assert [c.target for c in got[-1][0].cams] == [3]
    for (a, _), (b, _) in zip(got, want):
        assert [p.index for p in a.predictions] == [p.index for p in b.predictions]


def test_a_cancelled_inspection_stops_before_its_second_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    local = backend(timeline_after=True)
    passes = []
    engine = local.service.engine(local.resolve(TINY, None, 64))
    real = engine.inspect
    monkeypatch.setattr(engine, "inspect", lambda *a, **k: passes.append(k.get("timeline")) or real(*a, **k))
    cancel = threading.Event()
    stream = local.inspect(call(), cancel=cancel)
    first, pending = next(stream)
    assert pending and first.timeline is None
    cancel.set()
    with pytest.raises(Cancelled):
        next(stream)
    assert passes == [False]  # the timeline's pass never ran


def test_a_cancel_after_the_last_pair_changes_nothing() -> None:
    local = backend(timeline_after=False)
    cancel = threading.Event()
    stream = local.inspect(call(), cancel=cancel)
    result, pending = next(stream)
    assert not pending and result.timeline is not None
    cancel.set()
    assert list(stream) == []  # complete: nothing left to stop


def test_a_cancel_set_before_the_call_computes_nothing() -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        next(backend(timeline_after=True).inspect(call(), cancel=cancel))
