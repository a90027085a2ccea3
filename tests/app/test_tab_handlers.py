"""The tabs' handlers called as plain functions (no server): each takes its backend explicitly.

References: a plain torch forward pass of the same model (with the ablated block replaced by
hand), hand arithmetic for the Compare verdict, and a build or first pass made slow on purpose
for the Compare timings.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import natural_image
from PIL import Image

from playground.binding import bind
from playground.choices import ModelChoice
from playground.tabs import compare, why_residual
from resnet_core.backends import LocalBackend
from resnet_core.compare import CompareCall, DepthComparison, DepthRow
from resnet_core.images import prepare
from resnet_core.results import Prediction
from resnet_core.serving import ModelService, ServiceConfig
from resnet_core.zoo import ModelKey
from viz.compare import compare_verdict

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def backend() -> LocalBackend:
    return LocalBackend(ModelService(ServiceConfig(device="cpu", offline=True, warm_up=False)))


@pytest.fixture
def picture(tmp_path: Path) -> str:
    path = tmp_path / "p.png"
    Image.fromarray(natural_image(160, 200, seed=3)).save(path)
    return str(path)


def probabilities(model: torch.nn.Module, tensor: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return model(tensor).double().softmax(-1)[0].numpy()


def test_the_ablation_handler_matches_the_network_with_the_block_taken_out(backend: LocalBackend, picture: str) -> None:
    """Zeroing the branch of an identity block of a v1.5 ResNet leaves relu(x) = x (x is already
    a ReLU's output): the same as the network with that block replaced by nothing at all."""
    choice = ModelChoice.parse("ResNet-18", "", "basic", "v1.5", "random")
    before, after, cam_before, cam_after, words = why_residual.ablation(
        picture, "ResNet-18", "", "basic", "v1.5", "random", "layer3.1", "branch", "layer4",
        backend=backend, checkpoint_of=lambda *_: None,
    )
    assert "layer3.1" in words  # what changed, said of the block that was ablated
    served = backend.resolve(choice.key, None, 224)
    tensor = prepare(np.asarray(Image.open(picture).convert("RGB")), served.weights.preprocess).tensor
    intact = probabilities(served.model, tensor)
    cut = copy.deepcopy(served.model)
    cut.layer3[1] = torch.nn.Identity()
    without = probabilities(cut, tensor)
    cats = served.weights.categories
    for shown, reference in ((before, intact), (after, without)):
        top = np.argsort(-reference)[:5]
        assert list(shown) == [cats[i] for i in top]
        np.testing.assert_allclose(list(shown.values()), reference[top], rtol=1e-4, atol=1e-6)
    assert cam_before.size == cam_after.size and min(cam_before.size) >= 64  # the picture the network saw
    with pytest.raises(Exception, match="no block called 'layer7.0'"):
        why_residual.ablation(picture, "ResNet-18", "", "basic", "v1.5", "random", "layer7.0", "branch", "layer4",
                              backend=backend, checkpoint_of=lambda *_: None)


def test_gradient_flow_handler_draws_both_normalizations_with_a_verdict_each(backend: LocalBackend) -> None:
    flow, share, words = why_residual.gradient_flow("cifar", 20, "both", backend=backend)
    assert len(flow.data) > 0 and len(share.data) > 0
    assert words.count("\n* ") == 6  # three networks, BN on and off: a verdict each


def test_a_bound_handler_keeps_what_gradio_reads(backend: LocalBackend) -> None:
    import inspect

    handler = bind(compare.compare_depths, backend=backend)
    assert list(inspect.signature(handler).parameters) == ["image", "weights", "request", "progress"]
    assert inspect.isgeneratorfunction(handler) and handler.__doc__ == compare.compare_depths.__doc__
    shatter = bind(why_residual.shattering, backend=backend)
    assert inspect.isgeneratorfunction(shatter) and list(inspect.signature(shatter).parameters)[0] == "norm"


def test_compare_times_the_forward_pass_apart_from_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow build and a slow first pass (both made slow here on purpose) are reported as build
    time, never as the forward time of the depth; a model already cached took no build."""
    service = ModelService(ServiceConfig(device="cpu", offline=True, warm_up=False))
    real_build = service.builder.build

    def slow_build(key: ModelKey):  # noqa: ANN202
        time.sleep(2.0)
        served = real_build(key)
        calls = {"n": 0}

        def first_pass_is_slow(*_: object) -> None:
            calls["n"] += 1
            if calls["n"] == 1:
                time.sleep(3.0)

        served.model.register_forward_pre_hook(first_pass_is_slow)
        return served

    monkeypatch.setattr(service.builder, "build", slow_build)
    backend = LocalBackend(service)
    call = CompareCall(natural_image(96, 96), weights="random", depths=(18,), passes=3)
    (first,) = list(backend.run("compare_depths", call))
    (row,) = first.rows
    assert row.build_s >= 2.0 and row.forward_ms < 3000.0, row
    (again,) = list(backend.run("compare_depths", call))
    assert again.rows[0].build_s == 0.0


def row(depth: int, ms: float, macs: float, params: int, label: str, *, pretrained: bool = True,
        build_s: float = 0.0) -> DepthRow:
    preds = (Prediction(1, label, 0.9), *(Prediction(i, f"c{i}", 0.01) for i in range(2, 6)))
    return DepthRow(depth=depth, name=f"ResNet-{depth}", image=np.zeros((8, 8, 3), np.uint8),
                    heatmap=np.zeros((8, 8), np.float32), predictions=preds, forward_ms=ms, build_s=build_s,
                    params=params, macs=int(macs), source="IMAGENET1K_V2" if pretrained else "random",
                    pretrained=pretrained)


def test_the_compare_verdict_reads_its_own_table() -> None:
    # by hand: 40 / 10 ms = 4.0x; 11.5 / 1.8 GMACs = 6.4x; 60 / 12 M parameters = 5.0x
    rows = (row(18, 10.0, 1.8e9, 12_000_000, "tabby", build_s=1.3), row(152, 40.0, 11.5e9, 60_000_000, "tabby"),
            row(50, 20.0, 4.1e9, 25_000_000, "tiger cat"))
    text = compare_verdict(DepthComparison(rows, 3), "en")
    assert "From ResNet-18 to ResNet-152, one forward pass took 4.0× as long (10 → 40 ms)" in text
    assert "for 6.4× the multiply-adds and 5.0× the parameters" in text
    assert "2 of 3 depths put “tabby” first" in text and "Building 1 of the models took 1.3 s" in text
    zh = compare_verdict(DepthComparison(rows, 3), "zh")
    assert "4.0 倍" in zh and "6.4 倍" in zh and "“tabby”" in zh
    random = compare_verdict(DepthComparison(tuple(row(d, 5.0 * d, d * 1e8, d, "x", pretrained=False)
                                                   for d in (18, 34)), 2), "en")
    assert "random" in random and "put" not in random
    assert compare_verdict(DepthComparison(rows[:1], 3), "en") == ""  # one depth: nothing to compare


def test_the_inspect_handler_streams_keeps_and_redraws_without_a_server(backend: LocalBackend, picture: str) -> None:
    """/inspect's handler with its dependencies given: its top-k is torch's own softmax of the
    same model; the session keeps the complete result only, and redraws read it back."""
    from playground.sessions import SessionStore
    from playground.tabs import inspect as tab

    store = SessionStore()
    notice_for = lambda info, lang: f"{info.name} ({lang})"  # noqa: E731
    updates = list(tab.inspect_image(picture, "ResNet-18", "", "basic", "v1.5", "random", "layer4", "auto (top-1)",
                                     "crop", 224, 5, False, backend=backend, store=store,
                                     checkpoint_of=lambda *_, **__: None, notice_for=notice_for))
    assert len(updates) == 2  # on a CPU the result first, then the result with its timeline
    ticket, shown = updates[-1][0], dict(zip(tab.SHOWN, updates[-1][1:]))
    assert all(u[0] is None for u in updates[:-1]) and ticket is not None  # nothing kept until complete
    assert shown["notice"] == "ResNet-18 (en)" and shown["random_flag"] is True
    served = backend.resolve(ModelKey(18, "v1.5", "random"), None, 224)
    tensor = prepare(np.asarray(Image.open(picture).convert("RGB")), served.weights.preprocess).tensor
    reference = probabilities(served.model, tensor)
    top = np.argsort(-reference)[:5]
    assert list(shown["preds"]) == [served.weights.categories[i] for i in top]
    np.testing.assert_allclose(list(shown["preds"].values()), reference[top], rtol=1e-4, atol=1e-6)
    overlay, _, caption = tab.render_cam(ticket, 0.3, "viridis", store=store)
    assert overlay.size == shown["overlay"].size and "layer4" in caption
    with pytest.raises(Exception, match="Run an inspection first"):
        tab.render_cam(None, 0.5, "jet", store=store)


@pytest.mark.slow
def test_shattering_shows_each_depth_once_measured_with_a_verdict_on_the_deepest(backend: LocalBackend) -> None:
    """Each update holds whole depths (plain, ResNet and pre-activation measured), and its
    verdict names the deepest depth measured so far, never one still to come."""
    updates = list(why_residual.shattering(True, backend=backend))
    assert len(updates) == 4  # 8, 20, 56 and 110 layers
    depths = (8, 20, 56, 110)
    for i, words in enumerate(u[0] for u in updates):
        assert words.startswith(f"At depth {depths[i]},") and f"Plain-{depths[i]}" in words, words
        assert all(f"-{d}" not in words for d in depths[i + 1:]), words
        assert words.count("→") == 2 * i  # one correlation per measured depth, for each of two nets
