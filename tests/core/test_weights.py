"""Weights: torchvision's through the hub cache (made by the test, no network), and user checkpoints.

RELIABILITY.md cases 16-18: a checkpoint that would run code is refused and the code never
runs; programs (TorchScript, .pt2) and disguised pickles are refused by content; a file that
does not fit gives one clear error naming the first bad key, and the model is left untouched.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import torch
import torchvision
from safetensors.torch import save, save_file
from torch import nn
from torchvision.models import ResNet18_Weights, ResNet50_Weights

from resnet_core import build_resnet
from resnet_core import checkpoints as C
from resnet_core import weights as W
from resnet_core.preprocess import Preprocess
from resnet_core.serving import ModelService, ServiceConfig
from resnet_core.weights import (
    LoadedWeights,
    WeightsError,
    load_checkpoint,
    load_weights,
    try_pretrained,
    weight_names,
)
from resnet_core.zoo import ModelBuilder, ModelKey

SMALL = ("basic", (1, 1, 1, 1))  # ResNet-10: the cheapest architecture with every kind of layer


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def no_network(monkeypatch) -> list[str]:
    """Every test runs without a network: urlopen fails at once, and records that it was asked."""
    asked: list[str] = []

    def refuse(request, *args, **kwargs):
        asked.append(getattr(request, "full_url", str(request)))
        raise urllib.error.URLError("no network in tests")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    W.forget_download_failures()
    yield asked
    W.forget_download_failures()


@pytest.fixture
def hub(tmp_path, monkeypatch) -> Path:
    """An empty torch hub cache; returns its checkpoints folder (which may not exist yet)."""
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))  # what torch.hub.set_dir does
    return tmp_path / "hub" / "checkpoints"


@pytest.fixture
def online(monkeypatch) -> None:
    # the app reads RESNET_OFFLINE (playground/settings.py) and passes offline=...; the library
    # never reads it, so a test that asks for the network gets it even where the variable is set
    monkeypatch.setenv("RESNET_OFFLINE", "1")


def cache_file(hub: Path, member) -> Path:
    """Where torchvision's file for ``member`` lives in the hub cache (name from its URL)."""
    hub.mkdir(parents=True, exist_ok=True)
    return hub / member.url.rsplit("/", 1)[-1]


def snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def assert_unchanged(model: nn.Module, before: dict[str, torch.Tensor]) -> None:
    after = model.state_dict()
    assert list(after) == list(before)
    for k, v in before.items():
        assert torch.equal(after[k], v), f"{k} was modified"


def logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model.eval()(x)


@pytest.fixture(scope="module")
def donor_state() -> dict[str, torch.Tensor]:
    """A ResNet-10 state dict (10 classes) different from any fresh model's."""
    torch.manual_seed(123)
    donor = build_resnet(SMALL, num_classes=10)
    with torch.no_grad():  # non-trivial running stats, so BN buffers are really loaded
        for m in donor.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(7)
    return {k: v.clone().contiguous() for k, v in donor.state_dict().items()}


@pytest.fixture
def target() -> nn.Module:
    torch.manual_seed(0)
    return build_resnet(SMALL, num_classes=10)


# --------------------------------------------------------------------------- names


def test_weight_names_come_from_torchvision() -> None:
    assert weight_names(18) == ("IMAGENET1K_V1",)
    assert weight_names(50) == tuple(m.name for m in ResNet50_Weights) == ("IMAGENET1K_V1", "IMAGENET1K_V2")
    assert weight_names(10) == weight_names(200) == weight_names(SMALL) == ()
    assert weight_names(50, "v1") == weight_names(50, "preact") == ()


def test_imagenet_categories_are_torchvision_s_offline() -> None:
    assert W.IMAGENET_CATEGORIES == tuple(ResNet50_Weights.IMAGENET1K_V2.meta["categories"])
    assert len(W.IMAGENET_CATEGORIES) == 1000 and W.IMAGENET_CATEGORIES[0] == "tench"


# --------------------------------------------------------------------------- pretrained


def test_pretrained_loads_from_the_hub_cache_offline(hub, no_network) -> None:
    torch.manual_seed(5)
    reference = torchvision.models.resnet18().eval()
    torch.save(reference.state_dict(), cache_file(hub, ResNet18_Weights.IMAGENET1K_V1))

    model = build_resnet(18, weights="IMAGENET1K_V1")
    x = torch.randn(2, 3, 64, 64)
    torch.testing.assert_close(logits(model, x), logits(reference, x), rtol=1e-5, atol=1e-5)

    fresh = build_resnet(18)
    loaded = try_pretrained(fresh, "DEFAULT", offline=True)
    assert loaded == LoadedWeights(
        source="IMAGENET1K_V1",
        pretrained=True,
        categories=tuple(ResNet18_Weights.IMAGENET1K_V1.meta["categories"]),
        preprocess=Preprocess.from_weights(ResNet18_Weights.IMAGENET1K_V1),
        notice=None,
    )
    torch.testing.assert_close(logits(fresh, x), logits(reference, x), rtol=1e-5, atol=1e-5)
    # the enum member itself works too
    assert load_weights(build_resnet(18), ResNet18_Weights.IMAGENET1K_V1, offline=True).source == "IMAGENET1K_V1"
    assert no_network == []  # the cache was enough


def test_offline_with_an_empty_cache_falls_back_with_a_notice(hub, no_network) -> None:
    model = build_resnet(18)
    before = snapshot(model)
    loaded = try_pretrained(model, offline=True)
    assert (loaded.source, loaded.pretrained) == ("random", False)
    assert "could not be loaded" in loaded.notice and "RESNET_OFFLINE" in loaded.notice
    assert "random weights" in loaded.notice
    assert len(loaded.categories) == 1000
    assert_unchanged(model, before)
    assert no_network == []  # offline means not even trying
    with pytest.raises(WeightsError, match="could not|offline"):
        load_weights(build_resnet(18), "DEFAULT", offline=True)  # the strict path raises instead


def test_no_network_fails_fast_once_then_remembers(hub, online, no_network) -> None:
    model = build_resnet(18)
    before = snapshot(model)
    start = time.monotonic()
    first = try_pretrained(model)
    second = try_pretrained(model, "IMAGENET1K_V1")
    assert time.monotonic() - start < 5
    for loaded in (first, second):
        assert loaded.source == "random" and "no network" in loaded.notice
    assert len(no_network) == 1  # the failure is remembered: no second attempt
    assert_unchanged(model, before)
    assert not list(hub.glob("*"))  # no partial download left behind


def test_a_download_is_hash_checked_and_atomic(hub, online, monkeypatch) -> None:
    payload = io.BytesIO()
    torch.save(torchvision.models.resnet18().state_dict(), payload)
    body = payload.getvalue()

    class Response(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self.close()

    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: Response(body))
    # torchvision's file name carries the first hex digits of the real file's sha256: ours differs
    model = build_resnet(18)
    loaded = try_pretrained(model)
    assert loaded.source == "random" and "hash" in loaded.notice
    assert not list(hub.glob("*"))  # neither the bad file nor a .partial stays

    import hashlib

    good = hub / f"resnet18-{hashlib.sha256(body).hexdigest()[:8]}.pth"
    W._download("https://example.invalid/" + good.name, good)
    assert good.read_bytes() == body
    assert [p.name for p in hub.iterdir()] == [good.name]


def test_a_corrupt_cached_file_falls_back_and_the_strict_path_says_why(hub) -> None:
    cache_file(hub, ResNet18_Weights.IMAGENET1K_V1).write_bytes(b"\x80\x02 not really a checkpoint")
    loaded = try_pretrained(build_resnet(18), offline=True)
    assert loaded.source == "random" and "delete it" in loaded.notice
    with pytest.raises(WeightsError, match="unusable"):
        load_weights(build_resnet(18), "DEFAULT", offline=True)


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"depth": 10}, "ResNet-18/34/50/101/152"),
        ({"depth": 50, "variant": "v1"}, "v1.5"),
        ({"depth": 18, "variant": "preact"}, "v1.5"),
        ({"depth": 18, "num_classes": 10}, "1000 classes"),
    ],
)
def test_pretrained_for_models_without_imagenet_weights(hub, kwargs, why) -> None:
    depth = kwargs.pop("depth")
    with pytest.raises(WeightsError, match=why):
        build_resnet(depth, weights="DEFAULT", **kwargs)
    model = build_resnet(depth, **kwargs)
    loaded = try_pretrained(model, offline=True)  # the lenient path never raises for these
    assert loaded.source == "random" and why in loaded.notice


def test_weight_names_are_checked(hub) -> None:
    with pytest.raises(WeightsError, match="no 'IMAGENET1K_V2' weights"):
        load_weights(build_resnet(18), "IMAGENET1K_V2", offline=True)  # exists for ResNet-50, not for 18
    assert "IMAGENET1K_V2" in try_pretrained(build_resnet(18), "IMAGENET1K_V2", offline=True).notice
    with pytest.raises(WeightsError, match="unknown weights"):
        try_pretrained(build_resnet(18), "IMAGENET22K")
    with pytest.raises(WeightsError, match="ResNet18_Weights"):
        load_weights(build_resnet(18), ResNet50_Weights.IMAGENET1K_V1)


# --------------------------------------------------------------------------- good checkpoints


def test_safetensors_round_trip_from_path_and_bytes(tmp_path, donor_state) -> None:
    path = tmp_path / "mine.safetensors"
    save_file(donor_state, str(path))
    donor = build_resnet(SMALL, num_classes=10)
    donor.load_state_dict(donor_state)
    x = torch.randn(1, 3, 48, 48)

    by_path = build_resnet(SMALL, num_classes=10)
    loaded = load_checkpoint(by_path, path)
    assert (loaded.source, loaded.pretrained, loaded.notice) == ("checkpoint:mine.safetensors", True, None)
    assert loaded.categories == tuple(f"class {i}" for i in range(10))
    torch.testing.assert_close(logits(by_path, x), logits(donor, x), rtol=0, atol=0)

    by_bytes = build_resnet(SMALL, num_classes=10)
    assert load_checkpoint(by_bytes, path.read_bytes(), filename="up.safetensors").source == "checkpoint:up.safetensors"
    torch.testing.assert_close(logits(by_bytes, x), logits(donor, x), rtol=0, atol=0)
    # build_resnet(weights=path) goes the same way
    built = build_resnet(SMALL, num_classes=10, weights=str(path))
    torch.testing.assert_close(logits(built, x), logits(donor, x), rtol=0, atol=0)


@pytest.mark.parametrize(
    "wrap",
    [
        pytest.param(lambda sd: sd, id="raw"),
        pytest.param(lambda sd: {"state_dict": sd, "epoch": 3}, id="state_dict-key"),
        pytest.param(lambda sd: {"model": sd, "optimizer": {"lr": 0.1}}, id="model-key"),
        pytest.param(lambda sd: {f"module.{k}": v for k, v in sd.items()}, id="dataparallel"),
    ],
)
@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_pth_round_trip(tmp_path, donor_state, wrap, legacy) -> None:
    path = tmp_path / "mine.pth"
    torch.save(wrap(donor_state), path, _use_new_zipfile_serialization=not legacy)
    model = build_resnet(SMALL, num_classes=10)
    assert load_checkpoint(model, path).source == "checkpoint:mine.pth"
    for k, v in model.state_dict().items():
        assert torch.equal(v, donor_state[k]), k


def test_safetensors_whose_header_length_starts_like_a_pickle(donor_state, target) -> None:
    # a header length of 0x...80 puts a pickle's first byte (0x80) first: still safetensors
    data = save(donor_state)
    n = int.from_bytes(data[:8], "little")
    pad = (0x80 - n) % 256
    raw = data[8 : 8 + n] + b" " * pad  # the format allows trailing spaces in the header
    crafted = _header(n + pad) + raw + data[8 + n :]
    assert crafted[0] == 0x80
    load_checkpoint(target, crafted, filename="x.safetensors")
    assert torch.equal(target.state_dict()["layer1.0.conv1.weight"], donor_state["layer1.0.conv1.weight"])


def test_missing_batchnorm_counters_are_accepted(tmp_path, donor_state, target) -> None:
    # old torchvision files predate num_batches_tracked
    old = {k: v for k, v in donor_state.items() if not k.endswith("num_batches_tracked")}
    load_checkpoint(target, save(old), filename="old.safetensors")
    assert torch.equal(target.state_dict()["fc.weight"], donor_state["fc.weight"])


def test_half_precision_checkpoint_is_cast_to_the_model_dtype(donor_state, target) -> None:
    half = {k: (v.half() if v.is_floating_point() else v) for k, v in donor_state.items()}
    load_checkpoint(target, save(half), filename="half.safetensors")
    assert target.fc.weight.dtype == torch.float32
    torch.testing.assert_close(target.fc.weight, donor_state["fc.weight"].half().float())


# --------------------------------------------------------------------------- hostile files


class RunsCode:
    """A pickle that runs a shell command when loaded (the classic malicious checkpoint)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class OpensFile:
    """A pickle that creates a file when loaded, through builtins.open."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("payload", [RunsCode, OpensFile], ids=["os.system", "open"])
@pytest.mark.parametrize(
    ("name", "how"),
    [
        ("evil.pth", "zip"),
        ("evil.pt", "legacy"),
        ("evil.pkl", "pickle"),
        ("evil.safetensors", "zip"),
        ("evil.safetensors", "pickle"),
    ],
)
def test_a_pickle_that_runs_code_is_refused_and_never_runs(tmp_path, target, donor_state, payload, name, how) -> None:
    marker = tmp_path / "pwned"
    evil = {"state_dict": donor_state, "hook": payload(marker)}
    path = tmp_path / name
    if how == "pickle":
        path.write_bytes(pickle.dumps(payload(marker), protocol=2))
    else:
        torch.save(evil, path, _use_new_zipfile_serialization=how == "zip")
    before = snapshot(target)
    with pytest.raises(WeightsError, match="refused|not a readable") as err:
        load_checkpoint(target, path)
    assert not marker.exists()
    assert "weights_only=False" not in str(err.value)  # never advise the unsafe way
    assert_unchanged(target, before)


@pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")  # deprecated, still what attackers upload
def test_torchscript_is_refused(tmp_path, target) -> None:
    path = tmp_path / "scripted.pt"
    torch.jit.save(torch.jit.trace(nn.Linear(2, 2), torch.randn(1, 2)), str(path))
    with pytest.raises(WeightsError, match="TorchScript"):
        load_checkpoint(target, path)
    with pytest.raises(WeightsError, match="TorchScript"):  # whatever it is called
        load_checkpoint(target, path.read_bytes(), filename="weights.pth")


def test_torch_export_program_is_refused(tmp_path, target) -> None:
    path = tmp_path / "program.pt2"
    torch.export.save(torch.export.export(nn.Linear(2, 2), (torch.randn(1, 2),)), str(path))
    with pytest.raises(WeightsError, match=r"torch.export"):
        load_checkpoint(target, path)
    with pytest.raises(WeightsError, match=r"torch.export"):
        load_checkpoint(target, path.read_bytes(), filename="renamed.pth")


def test_pickle_renamed_safetensors_is_refused(tmp_path, donor_state, target) -> None:
    path = tmp_path / "looks-safe.safetensors"
    torch.save(donor_state, path)  # a perfectly valid .pth, but not what the name says
    with pytest.raises(WeightsError, match="named .safetensors but holds a pickle"):
        load_checkpoint(target, path)


@pytest.mark.parametrize(
    ("obj", "why"),
    [
        ({"a": 1}, "not a tensor"),
        ([torch.zeros(1)], "holds a list"),
        ({}, "holds no tensors"),
    ],
)
def test_pickles_that_are_not_state_dicts_are_refused(tmp_path, target, obj, why) -> None:
    path = tmp_path / "thing.pkl"
    torch.save(obj, path)
    with pytest.raises(WeightsError, match=why):
        load_checkpoint(target, path)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, I am a text file", os.urandom(4096), b"PK\x03\x04broken zip", b"\x80\x02junk"],
    ids=["empty", "text", "random", "broken-zip", "broken-pickle"],
)
def test_files_that_are_not_checkpoints(target, data) -> None:
    before = snapshot(target)
    with pytest.raises(WeightsError):
        load_checkpoint(target, data, filename="x.pth")
    assert_unchanged(target, before)


def _header(n: int) -> bytes:
    return n.to_bytes(8, "little")


def _broken_safetensors(donor_state: dict, how: str) -> tuple[bytes, str | None]:
    """A safetensors file broken in one way, and the key the error must name (if any)."""
    sd = dict(donor_state)
    if how == "missing-key":
        sd["layer1.0.convX.weight"] = sd.pop("layer1.0.conv1.weight")
        return save(sd), "layer1.0.conv1.weight"
    if how == "unexpected-key":
        sd["layer9.weight"] = torch.zeros(3)
        return save(sd), "layer9.weight"
    if how == "wrong-shape":
        sd["layer2.0.conv2.weight"] = torch.zeros(128, 128, 1, 1)
        return save(sd), "layer2.0.conv2.weight"
    if how == "wrong-classes":
        sd["fc.weight"], sd["fc.bias"] = torch.zeros(5, 512), torch.zeros(5)
        return save(sd), "fc.weight"
    if how == "int64":
        sd["layer3.0.bn1.weight"] = torch.ones(256, dtype=torch.int64)
        return save(sd), "layer3.0.bn1.weight"
    if how in ("nan", "inf"):
        bad = sd["layer4.0.conv2.weight"].clone()
        bad[1, 2, 0, 0] = float(how)
        sd["layer4.0.conv2.weight"] = bad
        return save(sd), "layer4.0.conv2.weight"
    if how == "neg-inf-in-bn-buffer":
        bad = sd["bn1.running_var"].clone()
        bad[0] = float("-inf")
        sd["bn1.running_var"] = bad
        return save(sd), "bn1.running_var"
    data = save(sd)
    n = int.from_bytes(data[:8], "little")
    if how == "huge-header":
        return _header(2**40) + data[8:], None
    if how == "header-past-eof":
        return _header(len(data)) + data[8:], None
    if how == "truncated":
        return data[: len(data) // 2], ""
    if how == "bad-json":
        return _header(n) + b"{" + b"!" * (n - 1) + data[8 + n :], None
    if how == "offsets-past-end":
        header = json.loads(data[8 : 8 + n])
        key = next(k for k in header if k != "__metadata__")
        header[key]["data_offsets"][1] = 10**12
        raw = json.dumps(header).encode()
        return _header(len(raw)) + raw + data[8 + n :], key
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    [
        "missing-key",
        "unexpected-key",
        "wrong-shape",
        "wrong-classes",
        "int64",
        "nan",
        "inf",
        "neg-inf-in-bn-buffer",
        "huge-header",
        "header-past-eof",
        "truncated",
        "bad-json",
        "offsets-past-end",
    ],
)
@pytest.mark.parametrize("as_path", [True, False], ids=["path", "bytes"])
def test_broken_safetensors_one_clear_error_model_untouched(tmp_path, donor_state, target, how, as_path) -> None:
    data, key = _broken_safetensors(donor_state, how)
    before = snapshot(target)
    if as_path:
        source = tmp_path / "broken.safetensors"
        source.write_bytes(data)
    else:
        source = data
    with pytest.raises(WeightsError) as err:
        load_checkpoint(target, source, filename="broken.safetensors")
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message
    if key:
        assert repr(key) in message
    assert_unchanged(target, before)


def test_size_cap(tmp_path, donor_state, target, monkeypatch) -> None:
    path = tmp_path / "big.safetensors"
    save_file(donor_state, str(path))
    monkeypatch.setattr(C, "MAX_CHECKPOINT_BYTES", path.stat().st_size - 1)
    with pytest.raises(WeightsError, match="limit"):
        load_checkpoint(target, path)
    with pytest.raises(WeightsError, match="limit"):
        load_checkpoint(target, path.read_bytes())


def test_a_checkpoint_for_another_depth_names_the_mismatch(tmp_path, target) -> None:
    other = build_resnet(18, num_classes=10)
    with pytest.raises(WeightsError, match="does not fit ResNet-10"):
        load_checkpoint(target, save(other.state_dict()), filename="r18.safetensors")


def test_missing_file(tmp_path, target) -> None:
    with pytest.raises(WeightsError, match="no checkpoint file"):
        load_checkpoint(target, tmp_path / "nope.pth")


# --------------------------------------------------------------------------- zoo


def cache(max_models: int = 6, *, offline: bool = True) -> ModelService:
    """The one model cache (a service that builds nothing at start)."""
    return ModelService(ServiceConfig(device="cpu", max_models=max_models, offline=offline, warm_up=False))


def test_the_cache_builds_once_for_eight_concurrent_requests() -> None:
    zoo = cache(2)
    key = ModelKey(SMALL, weights="random")
    real_build = zoo.builder.build

    def slow_build(k):
        time.sleep(0.3)  # keep the others waiting while this one builds
        return real_build(k)

    zoo.builder.build = slow_build
    barrier = threading.Barrier(8)
    results, errors = [], []

    def ask() -> None:
        try:
            barrier.wait()
            results.append(zoo.get(key))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert len(results) == 8 and all(r is results[0] for r in results)
    assert zoo.builds == 1


def test_the_cache_evicts_the_least_recently_used() -> None:
    zoo = cache(2)
    a, b, c = (ModelKey(SMALL, variant=v, weights="random") for v in ("v1.5", "v1", "preact"))
    first_a = zoo.get(a)
    zoo.get(b)
    assert zoo.get(a) is first_a  # a hit, and a is now the most recent
    zoo.get(c)
    assert zoo.keys() == [a, c] and b not in zoo
    assert zoo.builds == 3
    zoo.get(b)  # built again after eviction
    assert zoo.builds == 4 and zoo.keys() == [c, b]


def test_served_models_are_read_only_and_warm() -> None:
    served = ModelBuilder(device="cpu").build(ModelKey(SMALL, weights="random"))
    model = served.model
    assert not model.training
    assert all(not p.requires_grad for p in model.parameters())
    assert served.device == torch.device("cpu") and next(model.parameters()).device.type == "cpu"
    assert served.weights.source == "random" and served.weights.notice is None
    # gradients with respect to activations (what Grad-CAM needs) still flow
    x = torch.randn(1, 3, 64, 64, requires_grad=True)
    model(x)[0, 3].backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.parameters())


def test_zoo_falls_back_to_random_weights_offline(hub, no_network) -> None:
    zoo = cache(offline=True)
    served = zoo.get(ModelKey(18))
    assert served.weights.source == "random" and "could not be loaded" in served.weights.notice
    nonstandard = zoo.get(ModelKey(SMALL, weights="IMAGENET1K_V1"))
    assert nonstandard.weights.source == "random" and "ResNet-18/34/50/101/152" in nonstandard.weights.notice
    preact = zoo.get(ModelKey(18, variant="preact", weights="DEFAULT"))
    assert "v1.5" in preact.weights.notice
    assert no_network == []


def test_zoo_serves_cached_pretrained_weights(hub) -> None:
    torch.manual_seed(9)
    reference = torchvision.models.resnet18().eval()
    torch.save(reference.state_dict(), cache_file(hub, ResNet18_Weights.IMAGENET1K_V1))
    served = ModelBuilder(device="cpu", offline=True).build(ModelKey(18, weights="imagenet1k_v1"))
    assert served.weights.source == "IMAGENET1K_V1" and served.weights.notice is None
    x = torch.randn(1, 3, 64, 64)
    torch.testing.assert_close(logits(served.model, x), logits(reference, x), rtol=1e-5, atol=1e-5)


def test_add_checkpoint_makes_a_new_model_and_leaves_cached_ones_alone(donor_state) -> None:
    zoo = cache()
    cached = zoo.get(ModelKey(SMALL, weights="random"))
    before = snapshot(cached.model)

    mine = zoo.add_checkpoint(ModelKey(SMALL), save(donor_state), filename="mine.safetensors")
    assert mine.model is not cached.model and mine.model.num_classes == 10  # read from fc.weight
    assert mine.key.weights == "checkpoint" and mine.weights.source == "checkpoint:mine.safetensors"
    assert mine.weights.categories[0] == "class 0"
    assert not mine.model.training and not any(p.requires_grad for p in mine.model.parameters())
    assert torch.equal(mine.model.fc.weight, donor_state["fc.weight"])
    assert len(zoo) == 1  # user checkpoints are never cached

    data, _ = _broken_safetensors(donor_state, "nan")
    with pytest.raises(WeightsError, match="NaN"):
        zoo.add_checkpoint(ModelKey(SMALL), data, filename="bad.safetensors")
    assert_unchanged(cached.model, before)
    with pytest.raises(ValueError, match="load a checkpoint for this architecture first"):
        zoo.get(mine.key)


def test_model_keys_are_normalized_and_checked() -> None:
    assert ModelKey(["basic", [1, 1, 1, 1]]) == ModelKey(("basic", (1, 1, 1, 1)))
    assert hash(ModelKey(["basic", [1, 1, 1, 1]], weights=" Random "))
    assert ModelKey(50, weights="imagenet1k_v2").weights == "IMAGENET1K_V2"
    for bad in ({"depth": 50, "weights": "IMAGENET21K"}, {"depth": 50, "variant": "v2"}, {"depth": "50"}):
        with pytest.raises(ValueError):
            ModelKey(**bad)
    with pytest.raises(ValueError):
        cache(0)
