"""The tabs' handlers called as plain functions (no server): each takes its backend explicitly.

References: a plain torch forward pass of the same model (with the ablated block replaced by
hand), hand arithmetic for the Compare verdict, and a build or first pass made slow on purpose
for the Compare timings.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from _pictures import natural_image
from PIL import Image

from playground.binding import bind
from playground.choices import ModelChoice
from playground.tabs import compare, why_residual
from resnet_core.backends import LocalBackend
from resnet_core.compare import CompareCall, DepthComparison, DepthRow
from resnet_core.preprocess import prepare
from resnet_core.results import Prediction
from resnet_core.serving import ModelService, ServiceConfig
from resnet_core.zoo import ModelKey
from viz.compare import compare_verdict

ROOT = Path(__file__).resolve().parents[2]


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


# ------------------------------------------------------------------------------ the Train tab


def _request(host: str, session: str = "trainer", agent: str = "Firefox", lang: str = "en") -> object:
    """What a handler reads of a gr.Request: the session hash, the client, its headers, its language."""
    from types import SimpleNamespace

    return SimpleNamespace(session_hash=session, client=SimpleNamespace(host=host), headers={"user-agent": agent},
                           query_params={"lang": lang})


def _no_progress(*_: object, **__: object) -> None:
    return None


@pytest.fixture
def slots(tmp_path: Path) -> tuple[list[str], list[list[str]]]:
    """Two class slots of five pictures each (stripes, a bright square), as the page sends them."""
    names, files = ["stripes", "square"], []
    rng = np.random.default_rng(0)
    for k, name in enumerate(names):
        paths = []
        for i in range(5):
            img = np.full((40, 40, 3), rng.integers(0, 90, 3), np.uint8)
            if k == 0:
                img[:, ::6] = rng.integers(160, 255, 3)
            else:
                img[10:30, 10:30] = rng.integers(160, 255, 3)
            path = tmp_path / f"{name}{i}.png"
            Image.fromarray(img).save(path)
            paths.append(str(path))
        files.append(paths)
    return names + [""] * 8, files + [None] * 8


def _finetune(backend, store, cancels, slots, who, *, steps: int = 4, old=None):
    from playground.tabs import train

    names, files = slots
    return train.finetune("classes", None, names, files, "ResNet-10", "random", "features", False, 0.4, steps, 120,
                          64, old, who, _no_progress, backend=backend, store=store, cancels=cancels)


def test_the_train_handlers_run_export_and_keep_only_the_result(backend: LocalBackend, slots, tmp_path: Path) -> None:
    """/finetune streams the study's updates and keeps the finished record (weights counted in the
    store's bytes); /finetune_export writes weights that load back with the slots' class names."""
    from playground.cancels import Cancels
    from playground.sessions import SessionStore
    from playground.tabs import train
    from resnet_core.transfer.export import load_export

    store, cancels, me = SessionStore(), Cancels(), _request("10.0.0.1")
    shown, kept_while_running = [], []
    for step in _finetune(backend, store, cancels, slots, me):
        kept_while_running.append(len(store))
        shown.append(dict(zip(train.OUTPUTS, step)))
    assert shown[0]["state"] is None and shown[0]["status"].startswith("2 classes, 10 pictures, on ResNet-10.")
    assert "random" in shown[0]["status"] and set(kept_while_running[:-1]) == {0}  # nothing kept while it runs
    assert all(s["state"] == gr.update() for s in shown[1:-1]) and len(shown) >= 3
    final = shown[-1]
    assert isinstance(final["state"], train.Ticket) and len(store) == 1
    assert "Trainable: 1,026 of" in final["status"]  # the features strategy: only the new fc (512 x 2 + 2) learns
    assert final["confusion_plot"] is not None and final["cams"] is not None and final["pca_plot"] is not None
    kept = store.get(final["state"], request=me)
    assert store.bytes == kept.nbytes >= kept.result.weights.nbytes > 4_000_000  # ResNet-10's weights, counted
    words, weights, script = train.finetune_export(final["state"], me, store=store, cache_dir=str(tmp_path / "cache"))
    assert "model.safetensors" in words and Path(script).name == "classify.py"
    model, info = load_export(weights)
    assert info.class_names == ("stripes", "square") and model.fc.out_features == 2
    # a second run discards the first (and its cached files) once it starts
    list(_finetune(backend, store, cancels, slots, me, old=final["state"]))
    assert not Path(weights).exists() and len(store) == 1


def test_the_train_stop_ends_only_its_owners_run_and_keeps_what_it_trained(backend: LocalBackend, slots,
                                                                           tmp_path: Path) -> None:
    """Stop is a training tool's stop (Keras, Lightning): the owner's run ends at its next step,
    and what it trained is analysed and kept for export as a full run's is; a stranger's Stop
    (the same session hash from another client) changes nothing."""
    from playground.cancels import Cancels
    from playground.sessions import SessionStore
    from playground.tabs import train
    from resnet_core.transfer.export import load_export

    store, cancels = SessionStore(), Cancels()
    victim, stranger = _request("10.0.0.1"), _request("10.0.0.2", agent="curl")  # the same session hash
    run = _finetune(backend, store, cancels, slots, victim, steps=300)
    next(run), next(run)  # the head, then the step-0 update: the run is under way
    assert not train.stop_training(stranger, cancels=cancels)
    nxt = dict(zip(train.OUTPUTS, next(run)))  # an update every 20 steps (TrainConfig.eval_every)
    assert "Stopped" not in nxt["status"] and "in 20 steps" in nxt["status"]
    assert train.stop_training(victim, cancels=cancels)
    rest = [dict(zip(train.OUTPUTS, s)) for s in run]
    final = rest[-1]
    assert "stopped on request" in final["status"] and "weights as they were at step 21, where you stopped" in final["status"] and "in 21 steps" in final["status"]
    assert isinstance(final["state"], train.Ticket) and len(store) == 1
    assert final["confusion_plot"] is not None and final["pca_plot"] is not None and final["cams"] is not None
    kept = store.get(final["state"], request=victim).result
    assert kept.last.step == 21 and kept.last.stopped == "stopped"
    words, weights, _ = train.finetune_export(final["state"], victim, store=store, cache_dir=str(tmp_path / "cache"))
    model, info = load_export(weights)
    assert info.class_names == ("stripes", "square") and model.fc.out_features == 2
    # the Chinese page says it in Chinese; a Stop right after step 0 ends the run at step 1
    reader = _request("10.0.0.3", lang="zh")
    run = _finetune(backend, store, cancels, slots, reader, steps=300)
    next(run), next(run)
    train.stop_training(reader, cancels=cancels)
    final = dict(zip(train.OUTPUTS, list(run)[-1]))
    assert "按要求停止" in final["status"] and "你停止时（第 1 步）" in final["status"] and isinstance(final["state"], train.Ticket)


def test_the_train_handlers_refuse_another_clients_ticket_and_an_empty_export(backend: LocalBackend, slots) -> None:
    from playground.cancels import Cancels
    from playground.sessions import SessionStore
    from playground.tabs import train

    store, me, other = SessionStore(), _request("10.0.0.1"), _request("10.0.0.9", agent="curl")
    ticket = store.put(train.TrainState(), request=me, kind="train")
    with pytest.raises(gr.Error, match="another browser"):
        list(_finetune(backend, store, Cancels(), slots, other, old=ticket))
    assert len(store) == 1  # the owner's run is untouched
    with pytest.raises(gr.Error, match="Train first"):
        train.finetune_export(None, me, store=store, cache_dir="unused")
    with pytest.raises(gr.Error, match="expired"):
        train.finetune_export(ticket, other, store=store, cache_dir="unused")


def test_a_webcam_snapshot_joins_its_slot() -> None:
    from playground.tabs import train

    groups = [["a.png"], None, *([None] * 8)]
    out = train.add_snapshot("snap.png", "2", *groups)
    assert out[1] == ["snap.png"] and all(o == gr.update() for i, o in enumerate(out) if i != 1)
    assert train.add_snapshot("snap.png", "1", *groups)[0] == ["a.png", "snap.png"]
    with pytest.raises(gr.Error, match="snapshot first"):
        train.add_snapshot(None, "1", *groups)


def test_what_the_budget_cut_from_the_analysis_is_said_in_both_languages(backend: LocalBackend, slots) -> None:
    from playground.tabs import train
    from resnet_core.transfer.data import from_sources
    from resnet_core.transfer.study import FinetuneCall
    from resnet_core.transfer.train import TrainConfig

    names, files = slots
    data = from_sources(list(zip(names[:2], files[:2])))
    call = FinetuneCall(ModelKey(10, "v1.5", "random"), data, TrainConfig(steps=50, max_seconds=10.0), spent=10.0 - 1e-6)
    result = list(backend.run("finetune", call))[-1]
    assert result.report.cut_short
    planned = result.report.cams_planned
    assert train.cut_text(result, "en").endswith(f"Grad-CAM was drawn for 0 of {planned} held-out pictures.")
    assert "feature map was left out" in train.cut_text(result, "en")
    assert f"{planned} 张留出图片中的 0 张" in train.cut_text(result, "zh")
    shown = train.report_outputs(result, "en")
    assert shown["pca_plot"] is None and shown["cams"] is None and "left out" in shown["pca_md"]
