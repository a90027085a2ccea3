"""resnet_core.backends: the request-level interface, served in this process and on Ray Serve.

The quick tests check the local backend against plain torch and the inspection function it
wraps. The Ray tests start a real local Ray instance with 2 CPU replicas (one torch thread
each) and check that it answers exactly as the local backend does, under concurrency, and when
a replica is killed mid-load.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch
from _models import TINY_KEY
from _pictures import natural_image

from resnet_core.backends import (
    Backend,
    BackendUnavailable,
    CallError,
    InspectCall,
    LocalBackend,
    PredictCall,
    Predicted,
)
from resnet_core.backends.base import key_seed, run_predict, served_model
from resnet_core.inspection import inspect
from resnet_core.model import build_resnet
from resnet_core.preprocess import prepare
from resnet_core.results import Inspection
from resnet_core.serving import ModelService, ServiceConfig
from resnet_core.zoo import ModelKey

ROOT = Path(__file__).resolve().parents[2]
TINY = TINY_KEY  # the cheapest network the app serves (tests/_models.py)
OTHER = ModelKey(("basic", (1, 1, 2, 1)), "v1.5", "random")
SIDE = 64


def small_service() -> ModelService:
    return ModelService(ServiceConfig(device="cpu", offline=True, warm_up=False))


def last(pairs: Iterator[tuple[Inspection, bool]]) -> Inspection:
    items = list(pairs)
    assert items and items[-1][1] is False and all(p for _, p in items[:-1])
    return items[-1][0]


def assert_same_inspection(a: Inspection, b: Inspection) -> None:
    assert [p.index for p in a.predictions] == [p.index for p in b.predictions]
    np.testing.assert_allclose([p.probability for p in a.predictions], [p.probability for p in b.predictions], rtol=1e-4)
    np.testing.assert_array_equal(a.image, b.image)
    assert [c.target for c in a.cams] == [c.target for c in b.cams] and a.layer == b.layer
    for ca, cb in zip(a.cams, b.cams):
        np.testing.assert_allclose(ca.heatmap, cb.heatmap, atol=1e-4)
        np.testing.assert_allclose(ca.raw, cb.raw, rtol=1e-3, atol=1e-5)
    assert [x.name for x in a.activations] == [x.name for x in b.activations]
    for xa, xb in zip(a.activations, b.activations):
        assert xa.channels == xb.channels
        assert np.abs(xa.maps.astype(int) - xb.maps.astype(int)).max() <= 1  # float rounding at a level edge
    assert (a.guided is None) == (b.guided is None)
    if a.guided is not None:
        np.testing.assert_allclose(a.guided, b.guided, atol=1e-4)
    assert (a.timeline is None) == (b.timeline is None)
    if a.timeline is not None:
        assert a.timeline.layers == b.timeline.layers and a.timeline.targets == b.timeline.targets
        for ra, rb in zip(a.timeline.maps, b.timeline.maps):
            for ma, mb in zip(ra, rb):
                np.testing.assert_allclose(ma.heatmap, mb.heatmap, atol=1e-4)


def assert_same_predicted(a: Predicted, b: Predicted) -> None:
    assert [p.index for p in a.predictions] == [p.index for p in b.predictions]
    np.testing.assert_allclose([p.probability for p in a.predictions], [p.probability for p in b.predictions], rtol=1e-4)
    assert a.input_size == b.input_size and a.info == b.info


# ------------------------------------------------------------------------------ quick, no Ray


def test_calls_refuse_bad_input_with_one_plain_error() -> None:
    picture = natural_image(40, 50)
    bad = [
        dict(picture=picture.astype(np.float32)),
        dict(picture=picture[..., :2]),
        dict(picture=np.zeros((3000, 10, 3), np.uint8)),
        dict(picture=picture, mode="stretch" * 100),
        dict(picture=picture, size=5000),
        dict(picture=picture, top_k=0),
        dict(picture=picture, top_k=True),
    ]
    for fields in bad:
        with pytest.raises(CallError) as caught:
            PredictCall(TINY, **fields)
        assert len(str(caught.value)) < 250
    with pytest.raises(CallError):
        InspectCall(TINY, picture, layer="")
    with pytest.raises(CallError):
        InspectCall(TINY, picture, target=(1,) * 11)
    with pytest.raises(CallError):
        InspectCall(TINY, picture, target=-1)


def test_random_weights_are_the_same_in_every_process() -> None:
    """Two services (as two replicas would be) draw the same random network for a key, whatever
    the global generator's state; another key gets another network."""
    a, b = small_service(), small_service()
    torch.manual_seed(123)
    first = LocalBackend(a).info(TINY, size=SIDE)
    torch.manual_seed(456)
    LocalBackend(b).info(TINY, size=SIDE)
    wa, wb = a.get(TINY).model.state_dict(), b.get(TINY).model.state_dict()
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert first.random and not first.pretrained and first.name == a.get(TINY).model.name
    assert key_seed(TINY) != key_seed(OTHER)


def test_local_predict_matches_a_plain_forward_pass() -> None:
    service = small_service()
    backend = LocalBackend(service)
    picture = natural_image(70, 90, seed=3)
    got = backend.predict(PredictCall(TINY, picture, size=SIDE, top_k=7))
    served = service.get(TINY)
    x = prepare(picture, served.weights.preprocess, size=SIDE).tensor
    with torch.no_grad():
        probs = served.model(x).softmax(1)[0]
    top = probs.topk(7)
    assert [p.index for p in got.predictions] == top.indices.tolist()
    np.testing.assert_allclose([p.probability for p in got.predictions], top.values.numpy(), rtol=1e-4)
    assert got.input_size == (SIDE, SIDE) and got.batch_size == 1


@pytest.mark.slow
def test_local_inspect_matches_the_inspection_function() -> None:
    service = small_service()
    picture = natural_image(80, 60, seed=4)
    call = InspectCall(TINY, picture, mode="whole", size=SIDE, layer="layer3", target=(5, 9), top_k=3, guided=True)
    got = last(LocalBackend(service).inspect(call))
    served = service.get(TINY)
    want = inspect(served.model, prepare(picture, served.weights.preprocess, mode="whole", size=SIDE), layer="layer3",
                   target=[5, 9], top_k=3, categories=served.weights.categories, guided=True, timeline=True)
    assert_same_inspection(got, want)


@pytest.mark.slow
def test_a_batch_of_predictions_equals_each_prediction_alone() -> None:
    """Grouping by model and input shape; one bad call does not spoil the others."""
    service = small_service()
    calls = [
        PredictCall(TINY, natural_image(64, 64, seed=i), size=SIDE, top_k=1 + i % 4) for i in range(4)
    ] + [
        PredictCall(OTHER, natural_image(64, 64, seed=9), size=SIDE),
        PredictCall(TINY, natural_image(64, 64, seed=8), size=32),
        PredictCall(ModelKey(50, "v1.5", "random"), natural_image(64, 64), size=1024),  # past the budget
    ]
    def resolve(call: PredictCall) -> object:
        return served_model(service, call.key, size=call.size or 224)

    together = run_predict(service, calls, resolve)
    assert isinstance(together[-1], ValueError) and "GMACs" in str(together[-1])
    assert [r.batch_size for r in together[:6]] == [4, 4, 4, 4, 1, 1]
    for call, result in zip(calls[:6], together[:6]):
        (alone,) = run_predict(service, [call], resolve)
        assert_same_predicted(result, alone)
        assert len(result.predictions) == call.top_k


def checkpoint_bytes(seed: int = 7, classes: int = 10) -> tuple[bytes, torch.nn.Module]:
    """A person's checkpoint for TINY's architecture (a 10-class head), and the model it came from."""
    from safetensors.torch import save

    torch.manual_seed(seed)
    model = build_resnet(TINY.depth, variant=TINY.variant, num_classes=classes).eval()
    return save({k: v.contiguous() for k, v in model.state_dict().items()}), model


def test_a_checkpoint_is_served_as_its_own_weights() -> None:
    backend = LocalBackend(small_service())
    assert isinstance(backend, Backend)
    data, model = checkpoint_bytes()
    ref = backend.add_checkpoint(TINY, data, filename="mine.safetensors")
    assert ref.info.pretrained and not ref.info.random and len(ref.info.categories) == 10
    picture = natural_image(64, 64, seed=5)
    got = backend.predict(PredictCall(TINY, picture, size=SIDE, top_k=3, checkpoint=ref))
    with torch.no_grad():
        probs = model(prepare(picture, size=SIDE).tensor).softmax(1)[0]
    assert [p.index for p in got.predictions] == probs.topk(3).indices.tolist()
    np.testing.assert_allclose([p.probability for p in got.predictions], probs.topk(3).values.numpy(), rtol=1e-4)
    with pytest.raises(CallError, match="another architecture"):
        PredictCall(OTHER, picture, checkpoint=ref)
    with pytest.raises(ValueError):
        backend.add_checkpoint(OTHER, data, filename="mine.safetensors")


def test_the_deployment_takes_its_settings_from_text_arguments() -> None:
    """What ``serve run ...:app_builder`` and a KubeRay Serve config pass: replicas, GPUs, autoscaling."""
    pytest.importorskip("ray.serve")
    from resnet_core.backends.ray_serve import config_from_args, deployment

    gpu = config_from_args({"num_replicas": "3", "num_gpus": "1", "max_batch_size": "16"})
    made = deployment(gpu)
    assert made.num_replicas == 3 and made.ray_actor_options["num_gpus"] == 1.0
    assert gpu.service.device == "cuda" and gpu.torch_threads is None and gpu.max_batch_size == 16
    cpu = config_from_args({"min_replicas": "1", "max_replicas": "4"})
    assert cpu.service.device == "cpu" and cpu.torch_threads == 1 and "num_gpus" not in deployment(cpu).ray_actor_options
    assert cpu.autoscaling == {"min_replicas": 1, "max_replicas": 4, "target_ongoing_requests": 4.0}
    assert deployment(config_from_args({"max_queued_requests": "64"})).max_queued_requests == 64
    with pytest.raises(ValueError, match="unknown arguments"):
        config_from_args({"replicas": "2"})


# ------------------------------------------------------------------------------ a real Ray instance


@pytest.fixture(scope="module")
def ray_setup() -> Iterator[tuple[Callable, LocalBackend]]:
    """A local Ray instance (2 CPUs), 2 CPU replicas with one torch thread each, and the local
    backend with the replicas' service settings, to compare against."""
    ray = pytest.importorskip("ray")
    serve = pytest.importorskip("ray.serve")
    from resnet_core.backends.ray_serve import RayBackend, RayConfig

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray.init(
        num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
        # the replicas import this checkout's resnet_core
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "RESNET_OFFLINE": "1", "OMP_NUM_THREADS": "1"}},
    )
    try:
        serve.start(proxy_location="Disabled")
        service = ServiceConfig(device="cpu", offline=True, warm_up=False)
        # a wider batch window than the default, so concurrent top-k calls surely meet in one
        config = RayConfig(num_replicas=2, torch_threads=1, batch_wait_timeout_s=0.05, service=service)
        backend = RayBackend.deploy(config, timeout_s=120)
        yield (lambda: backend), LocalBackend(ModelService(service))
    finally:
        serve.shutdown()
        ray.shutdown()


def mixed_calls(n: int) -> list[InspectCall | PredictCall]:
    """``n`` different requests: pictures, models, layers, targets, modes, top-k."""
    calls: list[InspectCall | PredictCall] = []
    layers = ("layer4", "layer3", "layer2.0", "stem")
    for i in range(n):
        key = TINY if i % 3 else OTHER
        picture = natural_image(48 + 8 * (i % 5), 72, seed=100 + i)
        if i % 2:
            calls.append(PredictCall(key, picture, size=SIDE, mode=("crop", "whole")[i % 4 // 2], top_k=1 + i % 6))
        else:
            target = None if i % 4 == 0 else (i * 37) % 1000
            calls.append(InspectCall(key, picture, size=SIDE, layer=layers[i // 2 % 4], target=target, top_k=3,
                                     guided=i % 8 == 0))
    return calls


def run_call(backend: object, call: InspectCall | PredictCall) -> Inspection | Predicted:
    return last(backend.inspect(call)) if isinstance(call, InspectCall) else backend.predict(call)


def assert_same(a: Inspection | Predicted, b: Inspection | Predicted) -> None:
    (assert_same_predicted if isinstance(a, Predicted) else assert_same_inspection)(a, b)


@pytest.mark.slow
@pytest.mark.ray
def test_ray_answers_exactly_as_the_local_backend(ray_setup: tuple) -> None:
    remote, local = ray_setup[0](), ray_setup[1]
    assert remote.info(TINY, size=SIDE) == local.info(TINY, size=SIDE)
    for call in mixed_calls(6):
        assert_same(run_call(remote, call), run_call(local, call))
    # progressive on a CPU: the result first, then the result with its timeline
    pairs = list(remote.inspect(InspectCall(TINY, natural_image(64, 64), size=SIDE)))
    assert [p for _, p in pairs] == [True, False] and pairs[0][0].timeline is None and pairs[1][0].timeline is not None
    # the request's own mistakes come back as the same plain message
    bad = InspectCall(TINY, natural_image(64, 64), size=SIDE, layer="layer9")
    with pytest.raises(ValueError) as local_error:
        last(local.inspect(bad))
    with pytest.raises(CallError) as remote_error:
        last(remote.inspect(bad))
    assert str(remote_error.value) == str(local_error.value)
    with pytest.raises(ValueError, match="GMACs"):
        remote.predict(PredictCall(ModelKey(152, "v1.5", "random"), natural_image(64, 64), size=1024))


@pytest.mark.slow
@pytest.mark.ray
def test_concurrent_top_k_is_batched_by_serve_and_equals_unbatched(ray_setup: tuple) -> None:
    remote, local = ray_setup[0](), ray_setup[1]
    calls = [PredictCall(TINY, natural_image(64, 64, seed=200 + i), size=SIDE, top_k=1 + i % 5) for i in range(16)]
    barrier = threading.Barrier(len(calls))

    def client(call: PredictCall) -> Predicted:
        barrier.wait()
        return remote.predict(call)

    with ThreadPoolExecutor(len(calls)) as pool:
        results = list(pool.map(client, calls))
    assert max(r.batch_size for r in results) > 1, "no two requests shared a forward pass"
    for call, result in zip(calls, results):
        assert_same_predicted(result, local.predict(call))
        assert len(result.predictions) == call.top_k


@pytest.mark.slow
@pytest.mark.ray
def test_sixteen_concurrent_clients_get_their_own_results(ray_setup: tuple) -> None:
    remote, local = ray_setup[0](), ray_setup[1]
    calls = mixed_calls(16)
    wanted = [run_call(local, call) for call in calls]
    barrier = threading.Barrier(len(calls))

    def client(call: InspectCall | PredictCall) -> Inspection | Predicted:
        barrier.wait()
        return run_call(remote, call)

    with ThreadPoolExecutor(len(calls)) as pool:
        results = list(pool.map(client, calls))
    for got, want in zip(results, wanted):
        assert_same(got, want)


@pytest.mark.slow
@pytest.mark.ray
def test_a_persons_checkpoint_is_served_by_every_replica(ray_setup: tuple) -> None:
    """The bytes go to Ray's object store once; whichever replica a request reaches builds the
    same model from them, so results equal the local backend's."""
    remote, local = ray_setup[0](), ray_setup[1]
    data, _ = checkpoint_bytes(seed=11)
    theirs = remote.add_checkpoint(TINY, data, filename="mine.safetensors")
    ours = local.add_checkpoint(TINY, data, filename="mine.safetensors")
    assert theirs.info == ours.info and theirs.digest == ours.digest
    calls = [PredictCall(TINY, natural_image(64, 64, seed=300 + i), size=SIDE, top_k=3, checkpoint=theirs) for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(remote.predict, calls))
    for call, got in zip(calls, results):
        mine = PredictCall(call.key, call.picture, size=SIDE, top_k=3, checkpoint=ours)
        assert_same_predicted(got, local.predict(mine))
    picture = natural_image(64, 64, seed=9)
    got = last(remote.inspect(InspectCall(TINY, picture, size=SIDE, target=4, checkpoint=theirs)))
    assert_same_inspection(got, last(local.inspect(InspectCall(TINY, picture, size=SIDE, target=4, checkpoint=ours))))
    with pytest.raises(CallError):
        remote.add_checkpoint(TINY, b"\x80\x02 not really a checkpoint", filename="bad.safetensors")


def replica_names() -> list[str]:
    import ray

    return [a["name"] for a in ray.util.list_named_actors(all_namespaces=True) if a["name"].startswith("SERVE_REPLICA::")]


@pytest.mark.slow
@pytest.mark.ray
def test_a_replica_killed_mid_load_loses_no_request(ray_setup: tuple, caplog: pytest.LogCaptureFixture) -> None:
    """Every request gets its own result or one BackendUnavailable; none hangs, none gets Ray's
    internal error; the replica that was killed had requests in flight; the deployment recovers."""
    import ray

    remote, local = ray_setup[0](), ray_setup[1]
    calls = mixed_calls(8)
    wanted = [run_call(local, call) for call in calls]
    names = replica_names()
    assert len(names) == 2
    outcomes: list[tuple[int, object]] = []
    lock = threading.Lock()
    stop = time.monotonic() + 8.0

    def client(c: int) -> None:
        i = c
        while time.monotonic() < stop:
            j = i % len(calls)
            try:
                got: object = run_call(remote, calls[j])
            except BackendUnavailable as exc:
                got = exc
            with lock:
                outcomes.append((j, got))
            i += 3

    caplog.set_level(logging.WARNING, logger="resnet_playground")
    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(client, c) for c in range(16)]
        time.sleep(3.0)
        ray.kill(ray.get_actor(names[0], namespace="serve"), no_restart=True)
        for future in futures:
            future.result(timeout=300)  # a client that raised anything else fails here
    served = [(j, got) for j, got in outcomes if not isinstance(got, BackendUnavailable)]
    lost = len(outcomes) - len(served)
    retried = sum("went away" in r.getMessage() for r in caplog.records)
    assert retried + lost > 0, "the killed replica had no request in flight: the test proved nothing"
    assert served and lost <= retried
    for j, got in served:
        assert_same(got, wanted[j])
    # Serve starts a new replica; requests are answered again
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            assert_same(run_call(remote, calls[1]), wanted[1])
            break
        except BackendUnavailable:
            time.sleep(1.0)
    else:
        pytest.fail("the deployment did not recover within 120 s")


@pytest.mark.slow
@pytest.mark.ray
def test_a_study_runs_on_the_replicas_as_it_runs_here(ray_setup: tuple) -> None:
    """The ablation study (a served model, Grad-CAM before and after) streamed from a replica
    equals the same study in this process; its mistakes come back as the same plain message."""
    from resnet_core.lab.studies import AblationCall, FlowCall

    remote, local = ray_setup[0](), ray_setup[1]
    call = AblationCall(TINY, natural_image(80, 96, seed=7), block="layer3.0", mode="branch", layer="layer3")
    (got,) = list(remote.run("ablation", call))
    (want,) = list(local.run("ablation", call))
    assert [p.index for p in got.before] == [p.index for p in want.before]
    assert [p.index for p in got.after] == [p.index for p in want.after]
    assert got.target == want.target and got.before != got.after  # zeroing a branch moves the logits
    np.testing.assert_allclose(got.cam_before, want.cam_before, atol=1e-4)
    np.testing.assert_allclose(got.cam_after, want.cam_after, atol=1e-4)
    bad = AblationCall(TINY, natural_image(64, 64), block="layer9.0")
    with pytest.raises(ValueError) as local_error:
        list(local.run("ablation", bad))
    with pytest.raises(CallError) as remote_error:
        list(remote.run("ablation", bad))
    assert str(remote_error.value) == str(local_error.value) and "layer9.0" in str(local_error.value)
    # every record streams: one per normalization setting, the last holding both
    runs = list(remote.run("gradient_flow", FlowCall(family="cifar", depth=20, norms=(True, False))))
    assert [len(r.flows) for r in runs] == [1, 2] and [f.networks[0].norm for f in runs[-1].flows] == [True, False]


@pytest.mark.slow
@pytest.mark.ray
def test_fine_tuning_runs_on_the_replicas_as_it_runs_here(ray_setup: tuple) -> None:
    """The Train tab's study on a replica: the data set travels as arrays, the updates stream,
    and the weights, the curves and the held-out confusion equal the same run in this process
    (the random base is seeded by its key, the loop by its config, on one thread in both)."""
    from resnet_core.studies import Cancelled
    from resnet_core.transfer.data import from_sources
    from resnet_core.transfer.study import FinetuneCall, FinetuneResult
    from resnet_core.transfer.train import TrainConfig, TrainUpdate

    remote, local = ray_setup[0](), ray_setup[1]
    data = from_sources({"a": [natural_image(40, 48, seed=i) for i in range(4)],
                         "b": [natural_image(40, 48, seed=50 + i)[:, ::-1].copy() for i in range(4)]})
    call = FinetuneCall(TINY, data, TrainConfig(steps=4, batch=4, eval_every=2, max_seconds=300.0), max_cams=2)
    got, want = list(remote.run("finetune", call)), list(local.run("finetune", call))
    assert [type(r) for r in got] == [TrainUpdate] * 3 + [FinetuneResult] == [type(r) for r in want]
    for a, b in zip(got[:-1], want[:-1]):
        assert a.step == b.step
        np.testing.assert_allclose(a.loss, b.loss, rtol=1e-5)
    g, w = got[-1], want[-1]
    assert g.weights.info == w.weights.info and set(g.weights.state) == set(w.weights.state)
    for name, array in w.weights.state.items():
        np.testing.assert_allclose(g.weights.state[name], array, rtol=1e-4, atol=1e-6, err_msg=name)
    np.testing.assert_array_equal(g.report.confusion.matrix, w.report.confusion.matrix)
    assert len(g.report.cams) == len(w.report.cams) == 2
    # the caller's Stop ends the replica's run: nothing comes back after it
    cancel = threading.Event()
    records = remote.run("finetune", FinetuneCall(TINY, data, TrainConfig(steps=400, batch=4, eval_every=1)),
                         cancel=cancel)
    assert next(records).step == 0
    cancel.set()
    with pytest.raises(Cancelled):
        list(records)


@pytest.mark.slow
@pytest.mark.ray
def test_a_finish_reaches_the_replica_running_the_study_and_the_board_keeps_nothing(ray_setup: tuple,
                                                                                  tmp_path: Path) -> None:
    """Stop in the Train tab behind Ray: the flag travels through the named board to whichever
    replica runs the study; training ends early as "stopped" and the result comes back with
    weights that export. A cancel still discards the run, and no token outlives its run."""
    import ray

    from resnet_core.backends.ray_serve import finish_board
    from resnet_core.studies import Cancelled
    from resnet_core.transfer.data import from_sources
    from resnet_core.transfer.export import load_export, write_export
    from resnet_core.transfer.study import FinetuneCall, FinetuneResult
    from resnet_core.transfer.train import TrainConfig, TrainUpdate

    remote = ray_setup[0]()
    data = from_sources({"a": [natural_image(40, 48, seed=i) for i in range(4)],
                         "b": [natural_image(40, 48, seed=50 + i)[:, ::-1].copy() for i in range(4)]})
    call = FinetuneCall(TINY, data, TrainConfig(steps=2000, batch=4, eval_every=1, max_seconds=300.0), max_cams=2)
    finish = threading.Event()
    records = remote.run("finetune", call, finish=finish)
    assert next(records).step == 0
    finish.set()
    *updates, result = list(records)
    assert all(isinstance(u, TrainUpdate) for u in updates) and isinstance(result, FinetuneResult)
    assert result.last.stopped == "stopped" and result.last.done and result.last.step < 2000
    assert result.last.step == updates[-1].step
    model, info = load_export(write_export(result.weights, tmp_path).weights)
    assert info.class_names == ("a", "b") and model.fc.out_features == 2
    board = finish_board()
    # a cancel with a finish flag: nothing comes back, and the replica stops
    cancel = threading.Event()
    records = remote.run("finetune", call, cancel=cancel, finish=threading.Event())
    next(records)
    cancel.set()
    with pytest.raises(Cancelled):
        list(records)
    # a run that is finished as it ends, and one never finished
    finish = threading.Event()
    quick = FinetuneCall(TINY, data, TrainConfig(steps=2, batch=4, eval_every=1, max_seconds=300.0), max_cams=0)
    for record in remote.run("finetune", quick, finish=finish):  # noqa: B007 - the last record is checked below
        finish.set()
    assert isinstance(record, FinetuneResult)
    assert isinstance(list(remote.run("finetune", quick, finish=threading.Event()))[-1], FinetuneResult)
    deadline = time.monotonic() + 10  # a replica forgets its token as its run ends, asynchronously
    while ray.get(board.tokens.remote()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ray.get(board.tokens.remote()) == []
