"""Batched inspections: every caller gets exactly the result it would get alone."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from _pictures import natural_image

from resnet_core import build_resnet
from resnet_core.batching import InspectBatcher, batching_enabled
from resnet_core.hooks import hook_count
from resnet_core.inspection import InspectionError, inspect, make_request, run_requests

SIZE = 96  # small inputs keep a 16-sample batch quick on a CPU


@pytest.fixture(scope="module")
def r18() -> torch.nn.Module:
    torch.manual_seed(0)
    model = build_resnet(18).eval()
    model.requires_grad_(False)  # as the app's zoo serves it
    return model


def _jobs(n: int) -> list[dict]:
    """n different requests: images, layers, targets, timeline, top-k and channel counts."""
    layers = ["layer4", "layer3", "layer2.1", "stem", "layer1.0", "layer4.1", "layer3.0", "layer2"]
    targets = [None, 17, [5, 9], 300, None, 999, [1, 2, 3], 42]
    return [
        dict(
            image=natural_image(seed=i),
            layer=layers[i % 8],
            target=targets[i % 8],
            top_k=3 + i % 5,
            max_channels=4 + i % 6,
            timeline=i % 3 == 0,
            size=SIZE,
        )
        for i in range(n)
    ]


def assert_same(alone, batched) -> None:
    """Same predictions, maps and activations, up to float rounding (and a grey level)."""
    assert [p.index for p in alone.predictions] == [p.index for p in batched.predictions]
    np.testing.assert_allclose(
        [p.probability for p in alone.predictions], [p.probability for p in batched.predictions], rtol=1e-4, atol=1e-7
    )
    assert [(c.layer, c.target) for c in alone.cams] == [(c.layer, c.target) for c in batched.cams]
    for a, b in zip(alone.cams, batched.cams):
        np.testing.assert_allclose(a.heatmap, b.heatmap, atol=1e-4)
        np.testing.assert_allclose(a.raw, b.raw, rtol=1e-4, atol=1e-5 * max(1e-12, np.abs(a.raw).max()))
        assert a.score == pytest.approx(b.score, rel=1e-4, abs=1e-6)
    assert (alone.timeline is None) == (batched.timeline is None)
    if alone.timeline is not None:
        assert alone.timeline.targets == batched.timeline.targets
        for row_a, row_b in zip(alone.timeline.maps, batched.timeline.maps):
            for a, b in zip(row_a, row_b):
                np.testing.assert_allclose(a.heatmap, b.heatmap, atol=1e-4)
    assert [a.name for a in alone.activations] == [a.name for a in batched.activations]
    for a, b in zip(alone.activations, batched.activations):
        assert a.channels == b.channels and a.shape == b.shape
        assert np.abs(a.maps.astype(int) - b.maps.astype(int)).max() <= 1
        assert a.mean == pytest.approx(b.mean, rel=1e-4, abs=1e-6)
        assert a.std == pytest.approx(b.std, rel=1e-3, abs=1e-6)
        assert a.zero_fraction == pytest.approx(b.zero_fraction, abs=1e-6)
    np.testing.assert_array_equal(alone.image, batched.image)


def test_one_batched_pass_equals_each_request_alone(r18):
    jobs = _jobs(6)
    alone = [inspect(r18, **job) for job in jobs]
    batched = run_requests(r18, [make_request(r18, **job) for job in jobs])
    for a, b in zip(alone, batched):
        assert_same(a, b)
    assert hook_count(r18) == 0


def test_statistics_of_every_output_match_torch_alone_and_batched(r18):
    from resnet_core.hooks import capture_outputs
    from resnet_core.inspection import layer_names

    jobs = _jobs(3)
    requests = [make_request(r18, **job) for job in jobs]
    batched = run_requests(r18, requests)
    names = list(layer_names(r18))
    modules = ["maxpool" if n == "stem" else n for n in names]
    for req, res in zip(requests, batched):
        with capture_outputs(r18, modules) as store, torch.no_grad():
            r18(req.prepared.tensor)
        for name, module in zip(names, modules):
            ref = store[module][0]  # (C, h, w)
            act = res.activation(name)
            assert act.mean == pytest.approx(ref.mean().item(), rel=1e-4, abs=1e-6)
            assert act.std == pytest.approx(ref.std(unbiased=False).item(), rel=1e-3, abs=1e-5)
            assert act.max == pytest.approx(ref.max().item(), rel=1e-5)
            assert act.zero_fraction == pytest.approx((ref == 0).float().mean().item(), abs=1e-6)


def test_sixteen_threads_each_get_their_own_result(r18):
    jobs = _jobs(16)
    alone = [inspect(r18, **job) for job in jobs]
    batcher = InspectBatcher(r18, window_s=0.02)
    results: list = [None] * 16
    errors: list = []
    barrier = threading.Barrier(16)

    def work(i: int) -> None:
        try:
            barrier.wait()
            for _ in range(2):
                results[i] = batcher.inspect(**jobs[i])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    for a, b in zip(alone, results):
        assert_same(a, b)
    assert batcher.requests == 32
    assert batcher.largest > 1 and batcher.batches < 32  # they really were batched
    assert hook_count(r18) == 0


def test_mixed_sizes_and_guided_requests_are_served_apart(r18):
    jobs = [
        dict(image=natural_image(seed=1), size=SIZE),
        dict(image=natural_image(seed=2), size=64),
        dict(image=natural_image(seed=3), size=SIZE, guided=True, target=5),
        dict(image=natural_image(seed=4), size=64, target=[3, 4]),
        dict(image=natural_image(seed=5), size=SIZE, timeline=True),
    ]
    alone = [inspect(r18, **job) for job in jobs]
    batcher = InspectBatcher(r18, window_s=0.02)
    results: list = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def work(i: int) -> None:
        barrier.wait()
        results[i] = batcher.inspect(**jobs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for a, b in zip(alone, results):
        assert_same(a, b)
    np.testing.assert_allclose(results[2].guided, alone[2].guided, atol=1e-4)


def test_a_bad_request_fails_alone_and_a_failed_batch_is_retried_one_by_one(r18, monkeypatch):
    batcher = InspectBatcher(r18, window_s=0.02)
    with pytest.raises(InspectionError, match="target"):
        batcher.inspect(natural_image(), target=5000, size=SIZE)

    import resnet_core.batching as batching

    real = batching.run_requests

    def flaky(model, requests, **kw):
        if len(requests) > 1:
            raise RuntimeError("simulated out of memory")
        return real(model, requests, **kw)

    monkeypatch.setattr(batching, "run_requests", flaky)
    jobs = _jobs(4)
    alone = [inspect(r18, **job) for job in jobs]
    results: list = [None] * 4
    barrier = threading.Barrier(4)

    def work(i: int) -> None:
        barrier.wait()
        results[i] = batcher.inspect(**jobs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for a, b in zip(alone, results):
        assert_same(a, b)


def test_a_lone_request_runs_at_once_and_a_disabled_batcher_never_waits(r18):
    batcher = InspectBatcher(r18)
    res = batcher.inspect(natural_image(), size=SIZE)
    assert batcher.batches == 1 and batcher.largest == 1
    assert_same(inspect(r18, natural_image(), size=SIZE), res)
    off = InspectBatcher(r18, enabled=False)
    off.inspect(natural_image(), size=SIZE)
    assert off.largest == 1


def test_run_requests_refuses_what_it_cannot_batch(r18):
    a = make_request(r18, natural_image(), size=SIZE)
    b = make_request(r18, natural_image(), size=64)
    g = make_request(r18, natural_image(), size=SIZE, guided=True)
    with pytest.raises(InspectionError, match="one size"):
        run_requests(r18, [a, b])
    with pytest.raises(InspectionError, match="one at a time"):
        run_requests(r18, [a, g])
    assert run_requests(r18, []) == []


def test_batching_is_on_by_default_only_on_cuda(monkeypatch):
    monkeypatch.setenv("RESNET_BATCH", "1")  # the library never reads it (the app's settings do)
    assert batching_enabled(torch.device("cuda")) is True
    assert batching_enabled(torch.device("cpu")) is False
    assert batching_enabled(torch.device("cpu"), requested=True) is True
    assert batching_enabled(torch.device("cuda"), requested=False) is False


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_sixteen_threads_on_cuda_each_get_their_own_result(precision):
    from resnet_core.fast import reduced_precision

    torch.manual_seed(0)
    model = build_resnet(50).eval().requires_grad_(False).cuda()
    if precision == "bf16":
        model = reduced_precision(model).model
    jobs = [dict(job, size=224) for job in _jobs(16)]
    alone = [inspect(model, **job) for job in jobs]
    batcher = InspectBatcher(model, window_s=0.005)
    results: list = [None] * 16
    barrier = threading.Barrier(16)

    def work(i: int) -> None:
        barrier.wait()
        results[i] = batcher.inspect(**jobs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert batcher.largest > 1
    floor = 0.999 if precision == "fp32" else 0.98  # TF32/bf16 kernels depend on the batch size
    for a, b in zip(alone, results):
        probs = [p.probability for p in a.predictions]
        if probs[0] - probs[1] > 0.05:  # random weights: only a clear winner must stay the winner
            assert a.predictions[0].index == b.predictions[0].index
        for x, y in zip(a.cams, b.cams):
            if x.target == y.target and x.heatmap.max() > 0:
                assert np.corrcoef(x.heatmap.ravel(), y.heatmap.ravel())[0, 1] >= floor
