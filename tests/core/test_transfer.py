"""Transfer learning: strategies, the loop, what changed, export, the ``finetune`` study, the figures."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from resnet_core.images import load_image
from resnet_core.model import build_resnet
from resnet_core.preprocess import Preprocess, prepare
from resnet_core.studies import Cancelled
from resnet_core.transfer.analysis import confusion, pca_2d, separation
from resnet_core.transfer.data import TransferError, from_folder, from_sources, split
from resnet_core.transfer.export import (
    export_script,
    export_weights,
    info_for,
    load_export,
    read_export_info,
    write_export,
)
from resnet_core.transfer.study import ANALYSIS_SHARE, FinetuneCall, FinetuneResult
from resnet_core.transfer.train import (
    MAX_SECONDS,
    TrainConfig,
    TrainUpdate,
    count_trainable,
    finetune,
    predict,
    to_tensors,
)
from resnet_core.weights import load_checkpoint
from resnet_core.zoo import ModelBuilder, ModelKey

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SET = ROOT / "assets" / "datasets" / "textures"
TINY = ("basic", (1, 1, 1, 1))


def _picture(kind: int, seed: int, size: int = 40) -> np.ndarray:
    """Class 0: vertical stripes, class 1: a bright square; colours vary."""
    rng = np.random.default_rng(seed)
    img = np.full((size, size, 3), rng.integers(0, 90, 3), np.uint8)
    if kind == 0:
        img[:, :: 6] = rng.integers(160, 255, 3)
    else:
        y, x = rng.integers(0, size // 2, 2)
        img[y : y + size // 2, x : x + size // 2] = rng.integers(160, 255, 3)
    return img


@pytest.fixture(scope="module")
def tiny_set():
    return from_sources({"stripes": [_picture(0, i) for i in range(6)], "square": [_picture(1, 100 + i) for i in range(6)]})


def _config(**kw) -> TrainConfig:
    base = {"steps": 4, "batch": 4, "input_size": 64, "eval_every": 2, "max_seconds": 120.0}
    return TrainConfig(**{**base, **kw})


def _run(model, data, **kw):
    run = finetune(model, data, config=_config(**kw))
    updates = list(run)
    return run, updates


def test_fixed_feature_extractor_leaves_every_backbone_value_bit_identical(tiny_set) -> None:
    torch.manual_seed(0)
    base = build_resnet(TINY)
    reference = {k: v.clone() for k, v in base.state_dict().items()}
    run, updates = _run(base, tiny_set, strategy="features", augment=True)
    after = run.model.state_dict()
    for key, value in reference.items():
        if key.startswith("fc."):
            continue
        assert torch.equal(after[key], value), key  # weights and BatchNorm buffers alike
    assert not torch.equal(run.model.fc.weight, run.model.fc.weight.new_zeros(()))
    assert updates[-1].trainable == 512 * 2 + 2  # a new fc only: C x K weights + K biases
    for key, value in reference.items():  # and the caller's model is untouched
        assert torch.equal(base.state_dict()[key], value)


def test_trainable_counts_match_the_modules_each_strategy_names(tiny_set) -> None:
    base = build_resnet(TINY)
    total = sum(p.numel() for p in base.parameters()) - base.fc.weight.numel() - base.fc.bias.numel() + 512 * 2 + 2
    last = sum(p.numel() for p in base.layer4.parameters()) + 512 * 2 + 2
    got = {}
    for strategy in ("features", "last_stage", "all"):
        run = finetune(base, tiny_set, config=_config(strategy=strategy))
        got[strategy] = count_trainable(run.model)
    assert got["features"] == (512 * 2 + 2, total)
    assert got["last_stage"] == (last, total)
    assert got["all"] == (total, total)


def test_last_stage_changes_only_the_last_stage_and_fc(tiny_set) -> None:
    base = build_resnet(TINY)
    before = {k: v.clone() for k, v in base.state_dict().items()}
    run, _ = _run(base, tiny_set, strategy="last_stage")
    after = run.model.state_dict()
    changed = {k.split(".")[0] for k, v in before.items() if k in after and after[k].shape == v.shape and not torch.equal(after[k], v)}
    assert changed <= {"layer4", "fc"} and "layer4" in changed


def test_fine_tune_everything_copies_and_leaves_the_caller_model_alone(tiny_set) -> None:
    base = build_resnet(TINY)
    base.requires_grad_(False)  # as a served model
    before = {k: v.clone() for k, v in base.state_dict().items()}
    run, updates = _run(base, tiny_set, strategy="all", augment=False)
    assert all(torch.equal(base.state_dict()[k], v) for k, v in before.items())
    assert not any(p.requires_grad for p in base.parameters()) and not base.training
    assert not run.model.training and not any(p.requires_grad for p in run.model.parameters())
    assert run.model.fc.out_features == 2
    last = updates[-1]
    assert last.done and last.step == 4 and len(last.loss) == 4 and np.isfinite(last.loss).all()
    assert last.eval_steps.tolist() == [0, 2, 4]


def test_updates_are_seeded(tiny_set) -> None:
    torch.manual_seed(0)
    a = _run(build_resnet(TINY), tiny_set, strategy="all")[1][-1]
    torch.manual_seed(0)
    b = _run(build_resnet(TINY), tiny_set, strategy="all")[1][-1]
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-5)


def test_stop_event_and_time_budget_end_the_run(tiny_set) -> None:
    stop = threading.Event()
    run = finetune(build_resnet(TINY), tiny_set, config=_config(steps=50, eval_every=1), stop=stop)
    seen = []
    for update in run:
        seen.append(update)
        if update.step == 2:
            stop.set()
    assert seen[-1].stopped == "stopped" and seen[-1].done and seen[-1].step == 3
    run = finetune(build_resnet(TINY), tiny_set, config=_config(steps=500, max_seconds=0.001, eval_every=100))
    last = list(run)[-1]
    assert last.stopped == "time budget" and last.step < 500
    assert not run.model.training


@pytest.mark.parametrize(
    "kw",
    [{"strategy": "everything"}, {"steps": 0}, {"steps": 10**6}, {"batch": 1}, {"input_size": 4096}, {"lr": float("nan")}, {"held_out": 0.9}, {"max_seconds": -1}],
    ids=str,
)
def test_bad_settings_get_one_clear_error(kw) -> None:
    with pytest.raises(TransferError):
        TrainConfig(**kw)


def test_pca_matches_the_covariance_eigenvectors_and_separation_is_a_fisher_ratio() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 6)) @ rng.normal(size=(6, 6))
    coords, share = pca_2d(x)
    cov = np.cov(x - x.mean(0), rowvar=False)
    values, vectors = np.linalg.eigh(cov)
    top = vectors[:, ::-1][:, :2]
    ref = (x - x.mean(0)) @ top
    np.testing.assert_allclose(np.abs(coords), np.abs(ref), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(share, values[::-1][:2] / values.sum(), rtol=1e-4)
    labels = np.repeat([0, 1], 25)
    apart = np.concatenate([rng.normal(0, 1, (25, 3)), rng.normal(10, 1, (25, 3))])
    mixed = rng.normal(0, 1, (50, 3))
    assert separation(apart, labels) > 10 > 1 > separation(mixed, labels)


def test_confusion_counts_each_prediction(tiny_set) -> None:
    model = build_resnet(TINY, num_classes=2).eval()
    x = torch.randn(7, 3, 32, 32)
    labels = np.array([0, 1, 1, 0, 1, 0, 0])
    pred = model(x).argmax(1).numpy()
    cm = confusion(model, x, labels, ("a", "b"))
    for i in range(2):
        for j in range(2):
            assert cm.matrix[i, j] == int(((labels == i) & (pred == j)).sum())
    assert cm.accuracy == pytest.approx(float((pred == labels).mean()))


# ---------------------------------------------------------------------------------------------
# export


@pytest.fixture(scope="module")
def trained(tiny_set):
    torch.manual_seed(1)
    run = finetune(build_resnet(TINY), tiny_set, config=_config(strategy="all", steps=3))
    list(run)
    return run


def test_export_loads_back_through_load_checkpoint_and_the_zoo(tiny_set, trained, tmp_path: Path) -> None:
    info = info_for(trained.model, tiny_set.class_names, input_size=64, preprocess=trained.preprocess, strategy="all")
    path = export_weights(trained.model, info, tmp_path / "m.safetensors")
    read = read_export_info(path)
    assert read.class_names == ("stripes", "square") and read.input_size == 64 and read.layers == (1, 1, 1, 1)
    fresh = build_resnet(TINY, num_classes=2)
    load_checkpoint(fresh, path)
    x = trained.x[:4]
    np.testing.assert_allclose(predict(fresh, x).numpy(), predict(trained.model, x).numpy(), atol=1e-6)
    model, _ = load_export(path)
    np.testing.assert_allclose(predict(model, x).numpy(), predict(trained.model, x).numpy(), atol=1e-6)
    served = ModelBuilder(device="cpu").add_checkpoint(ModelKey(TINY), path, filename="m.safetensors")
    assert served.model.fc.out_features == 2


def test_an_export_brings_its_class_names_and_preprocessing_to_every_backend(tiny_set, trained, tmp_path: Path) -> None:
    """The checkpoint loader reads an export's names and preprocessing from its header, so a
    backend (here the local one, given the file's bytes as the Ray one is) shows them; a plain
    safetensors file of the same weights keeps "class i" and ImageNet's preprocessing."""
    from resnet_core.backends import LocalBackend
    from resnet_core.serving import ModelService, ServiceConfig

    fed = Preprocess(crop_size=64, resize_size=72)  # not ImageNet's, so it shows where it was read
    info = info_for(trained.model, tiny_set.class_names, input_size=64, preprocess=fed, strategy="all")
    path = export_weights(trained.model, info, tmp_path / "m.safetensors")
    backend = LocalBackend(ModelService(ServiceConfig(device="cpu", offline=True, warm_up=False)))
    ref = backend.add_checkpoint(ModelKey(TINY), path.read_bytes(), filename="m.safetensors")
    assert ref.info.categories == ("stripes", "square")
    assert ref.handle.weights.preprocess == fed
    import safetensors.torch

    plain = tmp_path / "plain.safetensors"
    safetensors.torch.save_file(safetensors.torch.load_file(str(path)), str(plain))  # the same tensors, no metadata
    other = backend.add_checkpoint(ModelKey(TINY), plain.read_bytes(), filename="plain.safetensors")
    assert other.info.categories == ("class 0", "class 1") and other.handle.weights.preprocess == Preprocess()


def test_exported_weights_load_strictly_into_torchvision(tmp_path: Path) -> None:
    # torchvision is the independent reference: its ResNet-18 with 3 classes runs our weights
    ours = build_resnet(18, num_classes=3).eval()
    info = info_for(ours, ("a", "b", "c"), input_size=64, preprocess=Preprocess(), strategy="all")
    path = export_weights(ours, info, tmp_path / "m.safetensors")
    import safetensors.torch

    ref = torchvision.models.resnet18(num_classes=3).eval()
    ref.load_state_dict(safetensors.torch.load_file(str(path)), strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ref(x), ours(x), atol=1e-5, rtol=1e-5)


def test_generated_script_holds_only_what_its_network_needs() -> None:
    pre = Preprocess()
    basic = export_script(info_for(build_resnet(TINY, num_classes=2), ("a", "b"), input_size=64, preprocess=pre, strategy="all"))
    v1 = export_script(info_for(build_resnet(("bottleneck", (1, 1, 1, 1)), variant="v1", num_classes=2), ("a", "b"),
                                input_size=64, preprocess=pre, strategy="all"))
    v15 = export_script(info_for(build_resnet(("bottleneck", (1, 1, 1, 1)), num_classes=2), ("a", "b"),
                                 input_size=64, preprocess=pre, strategy="all"))
    for script in (basic, v1, v15):
        assert "if False" not in script and "if True" not in script and "is Bottleneck" not in script
        compile(script, "classify.py", "exec")
    assert "Bottleneck" not in basic and "BasicBlock" not in v1
    assert "conv1.stride" in v1 and "conv1.stride" not in v15  # the v1 stride fix only where it applies


@pytest.mark.parametrize(("depth", "variant", "without_safetensors"),
                         [(TINY, "v1.5", False), (("bottleneck", (1, 1, 1, 1)), "v1", False), (TINY, "v1.5", True)])
def test_generated_script_classifies_a_folder_like_the_library(tiny_set, tmp_path: Path, depth, variant,
                                                               without_safetensors) -> None:
    torch.manual_seed(2)
    model = build_resnet(depth, variant=variant, num_classes=2).eval()
    with torch.no_grad():  # a sharper head so that predictions differ between images
        model.fc.weight.mul_(20)
    pre = Preprocess()
    info = info_for(model, tiny_set.class_names, input_size=64, preprocess=pre, strategy="all")
    export_weights(model, info, tmp_path / "model.safetensors")
    (tmp_path / "classify.py").write_text(export_script(info), encoding="utf-8")
    folder = tmp_path / "images"
    folder.mkdir()
    expected = {}
    for i in range(6):
        name = f"img{i}.png"
        Image.fromarray(_picture(i % 2, 500 + i, size=50 + 7 * i)).save(folder / name)
        x = prepare(load_image(folder / name), pre, size=64).tensor
        probs = predict(model, x)[0]
        expected[name] = (tiny_set.class_names[int(probs.argmax())], float(probs.max()))
    env = dict(os.environ)
    if without_safetensors:  # a package shadowing safetensors, with no .torch: the script's own reader runs
        (tmp_path / "shadow" / "safetensors").mkdir(parents=True)
        (tmp_path / "shadow" / "safetensors" / "__init__.py").write_text("")
        env["PYTHONPATH"] = str(tmp_path / "shadow")
    out = subprocess.run(
        [sys.executable, str(tmp_path / "classify.py"), str(folder)], capture_output=True, text=True, timeout=120,
        cwd=tmp_path, env=env,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [line.split("\t") for line in out.stdout.strip().splitlines()]
    assert len(lines) == 6
    for name, label, prob in lines:
        assert label == expected[name][0]
        assert float(prob) == pytest.approx(expected[name][1], abs=1e-3)


# ---------------------------------------------------------------------------------------------
# session and figures


def _call(data, **kw) -> FinetuneCall:
    spent = kw.pop("spent", 0.0)
    return FinetuneCall(ModelKey(TINY, "v1.5", "random"), data, _config(**kw), spent=spent)


@pytest.fixture(scope="module")
def studied(backend, tiny_set) -> list:
    return list(backend.run("finetune", _call(tiny_set, strategy="all", steps=6)))


def test_the_study_streams_updates_then_a_result_whose_weights_reproduce_its_confusion(
    studied, tiny_set, backend, tmp_path: Path
) -> None:
    """The result carries the weights as arrays; written by the front end (no model) and loaded
    back, they make the same held-out predictions the study's own confusion matrix counted."""
    *updates, result = studied
    assert all(isinstance(u, TrainUpdate) for u in updates) and isinstance(result, FinetuneResult)
    assert [u.step for u in updates] == [0, 2, 4, 6] and updates[-1].done and result.last.step == 6
    assert not result.report.cut_short and result.elapsed >= result.last.elapsed
    files = write_export(result.weights, tmp_path)
    assert files.script is not None and files.script.is_file()
    model, info = load_export(files.weights)  # through load_checkpoint's checks: shapes, dtypes, names
    assert info.class_names == tiny_set.class_names and info.input_size == 64 and info.strategy == "all"
    served = backend.resolve(ModelKey(TINY, "v1.5", "random"), None, 224)
    x, _ = to_tensors(tiny_set, input_size=64, preprocess=served.weights.preprocess)
    _, held = split(tiny_set.labels, held_out=0.25, seed=0)
    predicted = predict(model, x[held]).argmax(1).numpy()
    matrix = np.zeros((2, 2), dtype=np.int64)
    np.add.at(matrix, (tiny_set.labels[held], predicted), 1)
    np.testing.assert_array_equal(matrix, result.report.confusion.matrix)
    # the record's size counts the weights (what the session store bounds)
    params = sum(p.numel() * 4 for p in model.parameters())
    assert result.nbytes >= params and result.weights.nbytes >= params
    report = result.report
    assert report.features is not None and report.features.before.shape == (len(tiny_set), 2)
    assert len(report.cams) == report.cams_planned == len(held)
    assert {p.truth for p in report.cams} == set(tiny_set.class_names)  # classes take turns
    assert report.cams[0].after_heatmap.shape == (64, 64) and report.cams[0].image.shape == (64, 64, 3)


def test_the_study_leaves_its_base_model_untouched(studied, backend) -> None:
    served = backend.resolve(ModelKey(TINY, "v1.5", "random"), None, 224)
    assert served.model.fc.out_features == 1000 and not any(p.requires_grad for p in served.model.parameters())


def test_a_cancel_stops_the_study_at_its_next_step_with_nothing_kept(backend, tiny_set) -> None:
    cancel = threading.Event()
    records = backend.run("finetune", _call(tiny_set, steps=200, eval_every=1), cancel=cancel)
    first = next(records)
    threading.Thread(target=cancel.set).start()
    seen = []
    with pytest.raises(Cancelled):
        for record in records:
            seen.append(record)
    assert first.step == 0 and all(isinstance(r, TrainUpdate) for r in seen) and len(seen) < 200


def test_a_finish_ends_the_steps_early_and_keeps_the_weights_trained_so_far(backend, tiny_set, tmp_path: Path) -> None:
    """A person's Stop: the loop ends at the next step as "stopped", and the result still comes
    with its analysis and weights, which are those of the last step (the held-out score they
    give, loaded back, is the one the last update reported)."""
    finish = threading.Event()
    records = backend.run("finetune", _call(tiny_set, steps=200, eval_every=1), finish=finish)
    assert next(records).step == 0
    assert next(records).step == 1
    finish.set()
    *updates, result = list(records)
    last = updates[-1]
    assert isinstance(result, FinetuneResult) and result.last is last
    assert last.done and last.stopped == "stopped" and last.step == 2  # the step under way, then no more
    assert not result.report.cut_short and result.report.confusion.matrix.sum() > 0
    model, info = load_export(write_export(result.weights, tmp_path).weights)
    assert info.class_names == tiny_set.class_names
    served = backend.resolve(ModelKey(TINY, "v1.5", "random"), None, 224)
    x, _ = to_tensors(tiny_set, input_size=64, preprocess=served.weights.preprocess)
    _, held = split(tiny_set.labels, held_out=0.25, seed=0)
    right = (predict(model, x[held]).argmax(1).numpy() == tiny_set.labels[held]).mean()
    assert right == pytest.approx(last.held_out_accuracy)
    # a cancel still wins over a finish: nothing comes back
    cancel, finish = threading.Event(), threading.Event()
    records = backend.run("finetune", _call(tiny_set, steps=200, eval_every=1), cancel=cancel, finish=finish)
    next(records)
    finish.set()
    cancel.set()
    with pytest.raises(Cancelled):
        list(records)


def test_the_time_budget_covers_reading_the_steps_and_the_analysis(backend, tiny_set) -> None:
    """Seconds spent before the call (reading the pictures) count; the loop leaves its share to
    the analysis; what the analysis could not make by the end of the budget is reported missing."""
    *updates, result = backend.run("finetune", _call(tiny_set, steps=500, eval_every=100, max_seconds=10.0,
                                                     spent=10.0 - 1e-6))
    assert updates[-1].stopped == "time budget" and updates[-1].step < 500
    assert updates[-1].elapsed >= 10.0 - 1e-6  # the reading counted
    report = result.report
    assert report.cut_short and report.features is None and report.cams == () and report.cams_planned > 0
    assert report.confusion.matrix.sum() > 0  # the held-out score is always made
    # with a budget to spare the loop stops by its own share: the last 20 % is the analysis's
    assert ANALYSIS_SHARE == pytest.approx(0.2)
    *updates, result = backend.run("finetune", _call(tiny_set, steps=500, eval_every=100, max_seconds=10.0,
                                                     spent=7.0))
    assert updates[-1].stopped == "time budget" and updates[-1].elapsed < 10.0 and not result.report.cut_short


@pytest.mark.parametrize("bad", [dict(spent=-1.0), dict(spent=500.0), dict(key=ModelKey(TINY, "v1.5", "checkpoint"))])
def test_a_bad_call_is_refused_before_any_work(tiny_set, bad) -> None:
    from resnet_core.backends import CallError

    kw = dict(key=ModelKey(TINY, "v1.5", "random"), data=tiny_set, config=_config(), spent=0.0) | bad
    with pytest.raises(CallError):
        FinetuneCall(**kw)


def test_figures_speak_both_languages(backend, tiny_set) -> None:
    from viz import transfer as vt

    call = replace(_call(tiny_set, strategy="features"), max_cams=2)
    *updates, result = backend.run("finetune", call)
    report = result.report
    last = updates[-1]
    for lang in ("en", "zh"):
        fig = vt.curves_figure(last, lang=lang)
        assert len(fig.data) == 3
        assert f"{last.trainable:,}" in fig.layout.title.text
        verdict = vt.training_verdict(last, lang=lang)
        assert f"{last.eval_accuracy[0]:.0%}" in verdict and f"{last.eval_accuracy[-1]:.0%}" in verdict
        cm_fig = vt.confusion_figure(report.confusion, lang=lang)
        np.testing.assert_array_equal(np.asarray(cm_fig.data[0].z), report.confusion.matrix)
        assert vt.confusion_verdict(report.confusion, lang=lang)
        pca = vt.pca_figure(report.features, lang=lang)
        assert sum(len(t.x) for t in pca.data) == 2 * len(tiny_set)
        assert f"{report.features.separation_after:.2f}" in vt.pca_verdict(report.features, lang=lang)
        grid = vt.cam_pairs_image(report.cams, cell=64, lang=lang)
        assert grid.dtype == np.uint8 and grid.shape[1] == 3 * 64 + 24
    assert "训练" in vt.training_verdict(last, lang="zh")
    with pytest.raises(ValueError):
        vt.curves_figure(last, lang="fr")


def test_confusion_verdict_names_the_most_common_mistake() -> None:
    from resnet_core.transfer.analysis import Confusion
    from viz.transfer import confusion_verdict

    cm = Confusion(("cat", "dog", "fox"), np.array([[5, 0, 0], [1, 3, 0], [0, 4, 2]]))
    text = confusion_verdict(cm)
    assert "10 of 15" in text and "“fox” taken for “dog”" in text and "4 times" in text
    clean = Confusion(("a", "b"), np.eye(2, dtype=np.int64) * 3)
    assert "Every" in confusion_verdict(clean)


@pytest.mark.slow
def test_default_strategy_reaches_90_percent_on_the_bundled_set_from_random_weights() -> None:
    torch.manual_seed(0)
    data = from_folder(EXAMPLE_SET)
    # The default steps; the time guard is lifted because this shared machine's speed varies 3x.
    config = TrainConfig()
    run = finetune(build_resnet(10), data, config=replace(config, max_seconds=MAX_SECONDS))
    last = list(run)[-1]
    assert last.held_out_accuracy >= 0.9, (last.step, last.eval_accuracy.tolist())
    assert last.eval_accuracy[0] < 0.6  # it was learned, not there from the start

