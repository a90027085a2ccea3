"""The app end to end: the real server (``python app.py --offline`` in a subprocess, see
``_server.py``) driven through ``gradio_client`` the way an API user or the page drives it.

References come from torchvision (parameter counts and MACs from its weights' metadata,
stage shapes from its own ResNet run on the meta device), never from this app's output.
There is no network and no GPU here, so every model runs with random weights and the page
must say so.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torchvision
from _server import (
    INSPECT_DEFAULTS,
    INSPECT_OUTPUTS,
    OUTPUT_FORMATS,
    ROOT,
    Server,
    app_client_fixture,
    gradio_client,
    pictures_differ_by,
    read_picture,
    running_app,
)
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

pytestmark = pytest.mark.timeout(240)

EXAMPLES = sorted((ROOT / "assets" / "examples").glob("*.jpg"))
CALL_TIMEOUT_S = 150.0  # one request, on a busy 2-core CPU
STEM_FORMULA = "⌊(224 + 2·3 − 7)/2⌋ + 1 = 112"



# --------------------------------------------------------------------------- references


def torchvision_weights(depth: int) -> Any:
    return getattr(torchvision.models, f"ResNet{depth}_Weights").DEFAULT


def millions(n: int) -> str:
    """25557032 -> "25.6M": how a person reads a parameter count."""
    return f"{n / 1e6:.1f}M"


def torchvision_shapes(depth: int | tuple[str, list[int]], size: tuple[int, int]) -> dict[str, tuple[int, ...]]:
    """(C, H, W) after the stem conv, the max-pool, every stage and every block, from torchvision."""
    from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

    with torch.device("meta"):  # shapes only: no memory, no arithmetic
        if isinstance(depth, int):
            model = getattr(torchvision.models, f"resnet{depth}")()
        else:
            model = ResNet(BasicBlock if depth[0] == "basic" else Bottleneck, depth[1])
        x = torch.empty(1, 3, *size)  # (B, C, H, W)
    shapes: dict[str, tuple[int, ...]] = {}
    hooks = [
        module.register_forward_hook(lambda _m, _i, out, name=name: shapes.__setitem__(name, tuple(out.shape[1:])))
        for name, module in model.named_modules()
        if name in ("conv1", "maxpool") or (name.startswith("layer") and name.count(".") <= 1)
    ]
    try:
        model(x)
    finally:
        for h in hooks:
            h.remove()
    return shapes


def chw(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


# --------------------------------------------------------------------------- helpers


def call(client: Client, *args: Any, api_name: str, timeout: float = CALL_TIMEOUT_S, **kwargs: Any) -> Any:
    """``client.predict`` with a deadline (``predict`` itself waits forever)."""
    return client.submit(*args, api_name=api_name, **kwargs).result(timeout=timeout)


def inspect(client: Client, image: Path | str | None, **overrides: Any) -> dict[str, Any]:
    args = {**INSPECT_DEFAULTS, **overrides}
    out = call(client, image=None if image is None else handle_file(str(image)), **args, api_name="/inspect")
    assert len(out) == len(INSPECT_OUTPUTS)
    return dict(zip(INSPECT_OUTPUTS, out))


def picture(out: dict[str, Any], name: str) -> np.ndarray:
    """The pixels of output ``name``, which must be a real file of its format (OUTPUT_FORMATS)."""
    return read_picture(out[name], OUTPUT_FORMATS[name])


def confidences(label: dict) -> list[tuple[str, float]]:
    return [(c["label"], c["confidence"]) for c in label["confidences"]]


client = app_client_fixture("downloads")


@pytest.fixture(scope="module")
def app_module() -> Any:
    """Where the page parses what a user picked."""
    from playground import choices

    return choices


# --------------------------------------------------------------------------- plain functions


@pytest.mark.parametrize(
    ("choice", "counts", "block", "expected"),
    [
        ("ResNet-50", "", "basic", 50),
        (" ResNet-18 ", "", "basic", 18),
        ("152", "", "basic", 152),
        ("custom", "2, 2, 2, 2", "basic", ("basic", (2, 2, 2, 2))),
        ("custom", "3;4;6;3", "bottleneck", ("bottleneck", (3, 4, 6, 3))),
        ("custom", "1 2  3 4", "bottleneck", ("bottleneck", (1, 2, 3, 4))),
    ],
)
def test_parse_depth_reads_names_and_counts(app_module: Any, choice: str, counts: str, block: str, expected: Any) -> None:
    assert app_module.parse_depth(choice, counts, block) == expected


@pytest.mark.parametrize(
    ("choice", "counts", "block", "message"),
    [
        ("ResNet-51", "", "basic", "no standard ResNet has depth 51"),
        ("", "", "basic", "pick a depth"),
        ("VGG-16", "", "basic", "pick a depth"),
        ("custom", "2, x, 2, 2", "basic", "four whole numbers"),
        ("custom", "", "basic", "one block count per stage"),
        ("custom", "0, 0, 0, 0", "basic", "between 1 and"),
        ("custom", "2, 2, 2, 1000", "basic", "between 1 and"),
        ("custom", "2, 2, 2", "basic", "one block count per stage"),
        ("custom", "-1, 2, 2, 2", "basic", "four whole numbers|between 1 and"),
        ("custom", "2, 2, 2, 2", "wide", "block type must be one of"),
    ],
)
def test_parse_depth_rejects_with_a_reason(app_module: Any, choice: str, counts: str, block: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        app_module.parse_depth(choice, counts, block)


def test_parse_target(app_module: Any) -> None:
    categories = tuple(torchvision_weights(50).meta["categories"])
    parse = app_module.parse_target
    assert parse(None, categories) is None
    assert parse("", categories) is None
    assert parse("auto (top-1)", categories) is None
    assert parse("281: tabby", categories) == 281
    assert parse(" 281 ", categories) == 281
    assert parse("0", categories) == 0
    assert parse("999: toilet tissue", categories) == 999
    assert parse("Tabby", categories) == 281  # a name alone, in any letter case
    assert categories[parse("crane", categories)] == "crane"  # ImageNet names "crane" twice (134 and 517)
    for bad in ("1000", "-1", "tabby cat", "281x"):
        with pytest.raises(ValueError, match="unknown class"):
            parse(bad, categories)
    with pytest.raises(ValueError, match=r"0-9\)"):
        parse("10", tuple(f"class {i}" for i in range(10)))


def test_parse_size(app_module: Any) -> None:
    parse, biggest = app_module.parse_size, app_module.MAX_INPUT_SIZE
    assert parse(224, 224) == (224, 224)
    assert parse(None, None) == (224, 224)
    assert parse(200, None) == (200, 200)  # an empty width means square
    assert parse(200, 0) == (200, 200)
    assert parse(200.0, 320.0) == (200, 320)
    assert parse(1, biggest) == (1, biggest)
    for h, w in ((0, 224), (224, -5), (biggest + 1, 224), (-1, -1)):
        with pytest.raises(ValueError, match="between 1 and"):
            parse(h, w)
    for h, w in (("abc", 224), (float("nan"), 224), (float("inf"), 224), (224, [3])):
        with pytest.raises(ValueError, match="whole number"):
            parse(h, w)


def test_help_runs_and_lists_the_options() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "--help"], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    for option in ("--host", "--port", "--device", "--offline", "--share", "--queue-size", "--max-file-mb"):
        assert option in proc.stdout


# --------------------------------------------------------------------------- the server


def test_starts_without_network_or_gpu_and_says_weights_are_random(client: Client, app_server: Server) -> None:
    status = call(client, api_name="/status")
    assert status.startswith("⚠️"), status  # the warning leads the banner
    assert "random weights" in status and "predictions are meaningless" in status
    assert "**Device:** CPU" in status
    # the whole log (log() is its tail): tests that ran before may have filled it since startup
    startup = app_server.log_path.read_text(errors="replace").split("Running on local URL")[0]
    assert "Traceback" not in startup, startup


ARCHITECTURES = [
    pytest.param("ResNet-18", "", "basic", 18, id="resnet18"),
    pytest.param("ResNet-50", "", "basic", 50, id="resnet50"),
    pytest.param("ResNet-152", "", "basic", 152, id="resnet152"),
    # custom counts that spell out a standard depth must give torchvision's numbers exactly
    pytest.param("custom", "3, 4, 6, 3", "bottleneck", 50, id="custom-3463-bottleneck"),
    pytest.param("custom", "1, 1, 1, 1", "basic", ("basic", [1, 1, 1, 1]), id="custom-1111-basic"),
]


@pytest.mark.parametrize(("depth", "counts", "block", "reference"), ARCHITECTURES)
def test_architecture_matches_torchvision(client: Client, depth: str, counts: str, block: str, reference: Any) -> None:
    graph, table, cost, totals, blocks = call(
        client, depth=depth, counts=counts, block=block, variant="v1.5", height=224, width=224, level="block", unfold=False,
        selected=None, api_name="/architecture",
    )
    for fig in (graph, cost):
        assert fig["type"] == "plotly"
        assert json.loads(fig["plot"])["data"], "an empty figure"
    assert STEM_FORMULA in table
    shapes = torchvision_shapes(reference, (224, 224))
    for stage in ("maxpool", "layer1", "layer2", "layer3", "layer4"):
        assert f"| {chw(shapes[stage])} |" in table, f"{stage} should be {chw(shapes[stage])}"
    if isinstance(reference, int):
        meta = torchvision_weights(reference).meta
        assert f"**{millions(meta['num_params'])}** parameters" in totals, totals
        assert f"**{meta['_ops']:.2f} GMACs**" in totals, totals
    else:
        from torchvision.models.resnet import BasicBlock, ResNet

        params = sum(p.numel() for p in ResNet(BasicBlock, reference[1]).parameters())
        assert f"**{millions(params)}** parameters" in totals, totals
    # the block picker is filled from the model itself: exactly torchvision's block names
    expected_blocks = [name for name in shapes if name.count(".") == 1]
    assert [c[0] for c in blocks["choices"]] == expected_blocks


def test_non_square_input_flows_through(client: Client) -> None:
    _, table, _, totals, _ = call(
        client, depth="ResNet-18", counts="", block="basic", variant="v1.5", height=200, width=320, level="block",
        unfold=False, selected=None, api_name="/architecture",
    )
    assert "at 200×320" in totals
    assert "⌊(200 + 2·3 − 7)/2⌋ + 1 = 100" in table and "⌊(320 + 2·3 − 7)/2⌋ + 1 = 160" in table
    shapes = torchvision_shapes(18, (200, 320))
    for stage in ("conv1", "maxpool", "layer1", "layer2", "layer3", "layer4"):
        assert f"| {chw(shapes[stage])} |" in table, f"{stage} should be {chw(shapes[stage])}"


@pytest.mark.parametrize(
    ("depth", "name", "before", "cls"),
    [(50, "layer2.0", "layer1", "Bottleneck"), (18, "layer3.1", "layer3.0", "BasicBlock"), (18, "layer1.0", "maxpool", "BasicBlock")],
)
def test_block_code_is_the_class_source_with_its_shapes(client: Client, depth: int, name: str, before: str, cls: str) -> None:
    code = call(client, depth=f"ResNet-{depth}", counts="", block="basic", variant="v1.5", height=224, width=224, name=name,
                api_name="/block_code")
    shapes = torchvision_shapes(depth, (224, 224))
    in_shape, out_shape = shapes[before], shapes[name]
    assert f"# x: {tuple(in_shape)} -> out: {tuple(out_shape)}" in code, code[:400]
    assert f"class {cls}(" in code
    compile(code, name, "exec")  # the header is comments; the rest is real Python
    nothing = call(client, depth=f"ResNet-{depth}", counts="", block="basic", variant="v1.5", height=224, width=224,
                   name=None, api_name="/block_code")
    assert nothing.startswith("# pick a block")


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_inspect_each_example(client: Client, app_server: Server, example: Path) -> None:
    out = inspect(client, example)
    assert "random weights" in out["notice"]
    overlay = picture(out, "overlay")
    assert overlay.shape == (224, 224, 3)  # what the network saw: the 224 centre crop
    assert overlay.std() > 1, "a blank overlay"
    assert out["guided"] is None  # not asked for
    for name in ("timeline", "gallery"):
        pixels = picture(out, name)
        assert min(pixels.shape[:2]) >= 64, f"{name} is only {pixels.shape}"
        assert pixels.std() > 1, f"a blank {name}"
    preds = confidences(out["predictions"])
    assert len(preds) == 5
    probs = [p for _, p in preds]
    assert all(0 <= p <= 1 for p in probs) and sum(probs) <= 1 + 1e-6
    assert probs == sorted(probs, reverse=True)
    assert out["predictions"]["label"] == preds[0][0]
    # "auto" explains the top-1 class at layer4, and says which
    assert out["caption"].startswith(f"Grad-CAM at layer4 for “{preds[0][0]}”")
    assert "**layer4** output 512×7×7" in out["act_text"]  # torchvision: ResNet-18 layer4 at 224
    assert out["info"].startswith("ResNet-18: input 224×224")
    for fig in (out["topk"], out["stats"]):
        assert fig["type"] == "plotly"
    for suffix in ("jpeg", "png"):
        assert any(app_server.temp_dir.rglob(f"*.{suffix}")), "outputs should be served from GRADIO_TEMP_DIR"


def test_target_class_and_block_layer(client: Client) -> None:
    # the page fills the layer pickers from the chosen model (/layers) before inspecting
    layers, stages, blocks = call(client, depth="ResNet-18", counts="", block="basic", variant="v1.5", api_name="/layers")
    names = [c[0] for c in layers["choices"]]
    expected = [n for n in torchvision_shapes(18, (224, 224)) if n.startswith("layer")]
    assert set(expected) <= set(names) and "stem" in names
    assert layers["value"] == "layer4" and blocks["value"] == "layer4.1"
    out = inspect(client, EXAMPLES[0], layer="layer3.1", target="281: tabby", size=160)
    assert out["caption"].startswith("Grad-CAM at layer3.1 for “tabby” (class 281,"), out["caption"]
    assert picture(out, "overlay").shape == (160, 160, 3)
    assert out["info"].startswith("ResNet-18: input 160×160")
    assert "**layer4** output 512×5×5" in out["act_text"]  # 160 / 32 = 5


def test_redraws_use_this_sessions_result_only(app_server: Server, tmp_path: Path) -> None:
    alice, bob = gradio_client(app_server.url, tmp_path / "a"), gradio_client(app_server.url, tmp_path / "b")
    call(alice, depth="ResNet-18", counts="", block="basic", variant="v1.5", api_name="/layers")
    first = inspect(alice, EXAMPLES[0])
    inspect(bob, EXAMPLES[-1], target="1: goldfish", size=112)
    overlay, _, caption = call(alice, alpha=0.5, cmap="jet", api_name="/render_cam")
    assert caption == first["caption"]
    assert np.array_equal(picture({"overlay": overlay}, "overlay"), picture(first, "overlay"))
    lighter, _, _ = call(alice, alpha=0.2, cmap="viridis", api_name="/render_cam")
    assert not np.array_equal(picture({"overlay": lighter}, "overlay"), picture(first, "overlay"))
    gallery, text = call(alice, name="layer1", scale="per-channel", cmap="viridis", api_name="/render_activations")
    assert text.startswith(f"**layer1** output {chw(torchvision_shapes(18, (224, 224))['layer1'])}")
    picture({"gallery": gallery}, "gallery")
    stranger = gradio_client(app_server.url, tmp_path / "c")
    with pytest.raises(AppError, match="Run an inspection first"):
        call(stranger, alpha=0.5, cmap="jet", api_name="/render_cam")


# --------------------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bad")
    (d / "notes.jpg").write_text("hello, I am a text file, not a picture\n")
    (d / "empty.png").write_bytes(b"")
    (d / "noise.png").write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    return {p.name: p for p in d.iterdir()}


#: the good request that follows every bad one (small, to keep ten round trips cheap)
GOOD = dict(size=112)


@pytest.fixture(scope="module")
def baseline(client: Client) -> dict[str, Any]:
    return inspect(client, EXAMPLES[0], **GOOD)


BAD_REQUESTS = [
    pytest.param("notes.jpg", {}, r"This file is text, not an image", id="text-renamed-jpg"),
    pytest.param("empty.png", {}, r"The file is empty", id="empty-file"),
    pytest.param("noise.png", {}, r"not an image we can read", id="random-bytes"),
    pytest.param("", {}, r"Upload an image in the Inspect tab first", id="no-image"),
    pytest.param("example", {"depth": "ResNet-51"}, r"ResNet-51.*not in the list of choices", id="unknown-depth"),
    pytest.param("example", {"depth": "custom", "counts": "2, x"}, r"block counts are four whole numbers", id="bad-counts"),
    pytest.param("example", {"depth": "custom", "counts": "0, 0, 0, 0"}, r"between 1 and \d+ blocks", id="zero-counts"),
    pytest.param("example", {"target": "not a class"}, r"unknown class 'not a class'", id="unknown-class"),
    pytest.param("example", {"target": "1000"}, r"unknown class '1000'", id="class-out-of-range"),
    pytest.param("example", {"weights": "checkpoint"}, r"upload a checkpoint", id="no-checkpoint"),
]


@pytest.mark.parametrize(("image", "overrides", "message"), BAD_REQUESTS)
def test_bad_input_is_one_clear_error_then_the_next_request_is_unaffected(
    client: Client,
    app_server: Server,
    bad_files: dict[str, Path],
    baseline: dict[str, Any],
    image: str,
    overrides: dict[str, Any],
    message: str,
) -> None:
    path = EXAMPLES[0] if image == "example" else bad_files.get(image)
    with pytest.raises(AppError, match=message) as caught:
        inspect(client, path, **overrides)
    text = str(caught.value)
    assert "Traceback" not in text and "Could not preprocess" not in text, text
    assert str(app_server.temp_dir) not in text, "the server's paths are not the user's business"
    again = inspect(client, EXAMPLES[0], **GOOD)
    assert again["caption"] == baseline["caption"]
    for (label, p), (label0, p0) in zip(confidences(again["predictions"]), confidences(baseline["predictions"])):
        assert label == label0 and p == pytest.approx(p0, rel=1e-5, abs=1e-7)
    assert pictures_differ_by(picture(again, "overlay"), picture(baseline, "overlay"), "JPEG", 1) is None


def test_on_a_cpu_the_timeline_follows_the_rest(client: Client) -> None:
    """Two updates: everything but the timeline first, then the whole result (what predict() returns)."""
    job = client.submit(image=handle_file(str(EXAMPLES[0])), **INSPECT_DEFAULTS, api_name="/inspect")
    final = dict(zip(INSPECT_OUTPUTS, job.result(timeout=CALL_TIMEOUT_S)))
    updates = [dict(zip(INSPECT_OUTPUTS, u)) for u in job.outputs()]
    assert len(updates) == 2, [u["info"] for u in updates]
    first = updates[0]
    assert first["timeline"] is None and first["info"].endswith("the Grad-CAM timeline below is on its way")
    for name in ("caption", "act_text", "notice"):
        assert first[name] == final[name], name
    assert confidences(first["predictions"]) == confidences(final["predictions"])
    for name in ("overlay", "gallery"):
        assert np.array_equal(picture(first, name), picture(final, name)), name
    assert " ms of it for the timeline, sent after the rest)" in final["info"], final["info"]
    timeline = picture(final, "timeline")
    assert min(timeline.shape[:2]) >= 64 and timeline.std() > 1


def test_the_timeline_comes_in_one_pass_when_the_server_is_told_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--no-timeline-after (a busy CPU server, or what a GPU does anyway): one update, whole."""
    monkeypatch.setenv("RESNET_TIMELINE_AFTER", "0")
    from playground.settings import parse_settings

    assert parse_settings([]).service.timeline_after is False
    assert parse_settings(["--timeline-after"]).service.timeline_after is True
    monkeypatch.delenv("RESNET_TIMELINE_AFTER")
    assert parse_settings([]).service.timeline_after is None  # auto: on without CUDA
    tiny = dict(INSPECT_DEFAULTS, depth="custom", counts="1, 1, 1, 1", weights="random", size=64)
    with running_app(tmp_path, args=["--no-timeline-after"]) as server:
        job = gradio_client(server.url, tmp_path / "d").submit(image=handle_file(str(EXAMPLES[0])), **tiny, api_name="/inspect")
        final = dict(zip(INSPECT_OUTPUTS, job.result(timeout=CALL_TIMEOUT_S)))
        assert len(job.outputs()) == 1
        assert "timeline" not in final["info"] and picture(final, "timeline").std() > 1


def test_predict_is_the_forward_only_top_k_of_inspect(client: Client, bad_files: dict[str, Path]) -> None:
    """/predict: the fast path (BatchNorm folded into the convolutions) gives /inspect's top-k."""
    model = {k: INSPECT_DEFAULTS[k] for k in ("depth", "counts", "block", "variant", "weights")}
    for example, mode, size, k in ((EXAMPLES[1], "crop", 224, 5), (EXAMPLES[2], "whole", 160, 12)):
        want = inspect(client, example, mode=mode, size=size, top_k=k)
        notice, label, info = call(client, image=handle_file(str(example)), **model, mode=mode, size=size, top_k=k,
                                   api_name="/predict")
        assert "random weights" in notice
        got, ref = confidences(label), confidences(want["predictions"])
        assert len(got) == min(k, 10) and [name for name, _ in got] == [name for name, _ in ref]  # the label shows 10
        for (_, p), (_, q) in zip(got, ref):
            assert p == pytest.approx(q, rel=1e-4, abs=1e-7)  # folding BN moves the last float bits
        side = want["info"].split("input ")[1].split(",")[0]
        assert info.startswith(f"ResNet-18: input {side}, top-{k} in ") and "forward pass only" in info, info
    with pytest.raises(AppError, match="The file is empty"):
        call(client, image=handle_file(str(bad_files["empty.png"])), **model, mode="crop", size=224, top_k=5,
             api_name="/predict")


# --------------------------------------------------------------------------- slow


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_compare_depths(client: Client) -> None:
    job = client.submit(image=handle_file(str(EXAMPLES[0])), weights="DEFAULT", api_name="/compare_depths")
    gallery, table, verdict = job.result(timeout=400)
    depths = (18, 34, 50, 101, 152)
    # each depth is shown as it is done: one update per depth, each holding the ones before
    updates = job.outputs()
    assert [len(g) for g, _, _ in updates] == [1, 2, 3, 4, 5]
    for g, t, _ in updates:
        assert [item["caption"] for item in g] == [item["caption"] for item in gallery[: len(g)]]
        assert [row[0] for row in t["data"]] == [row[0] for row in table["data"][: len(g)]]
    assert len(gallery) == len(table["data"]) == 5
    for depth, item, row in zip(depths, gallery, table["data"]):
        with Image.open(item["image"]) as im:
            im.load()
            assert min(im.size) >= 64
        assert item["caption"].startswith(f"ResNet-{depth}: ")
        meta = torchvision_weights(depth).meta
        model, top5, ms, build_s, params, gmacs, weights = row
        assert model == f"ResNet-{depth}"
        assert len(top5.split("; ")) == 5
        assert float(ms) > 0 and float(build_s) >= 0
        assert params == millions(meta["num_params"])
        assert gmacs == f"{meta['_ops']:.2f}"
        assert weights == "random"  # no network here
    # the verdict reads the table: its ratios are the table's own, from torchvision's counts
    import re

    fast, slow = table["data"][0][2], table["data"][-1][2]
    macs = torchvision_weights(152).meta["_ops"] / torchvision_weights(18).meta["_ops"]
    said = re.search(r"From ResNet-18 to ResNet-152, one forward pass took ([\d.]+)× as long \((\d+) → (\d+) ms\)", verdict)
    assert said and said.group(2, 3) == (fast, slow), verdict
    # the table's times are rounded to the millisecond, the verdict's ratio is not
    assert abs(float(said.group(1)) - float(slow) / float(fast)) <= 0.05 + 0.5 / float(fast) + 0.5 * float(slow) / float(fast) ** 2, verdict
    assert f"for {macs:.1f}× the multiply-adds" in verdict and "random" in verdict


@pytest.mark.slow
def test_ablation_takes_keyword_arguments_and_checks_the_block(client: Client) -> None:
    """/ablation from gradio_client by keyword: a block the picker never listed is accepted by
    the API and checked by the server (Veit et al.: removing one block of a ResNet leaves a
    working network, so the after-picture still has a top-5)."""
    common = dict(image=handle_file(str(EXAMPLES[0])), depth="ResNet-18", counts="2, 2, 2, 2", block="basic",
                  variant="v1.5", weights="random", mode="branch", layer="layer4")
    before, after, cam_before, cam_after, words = client.predict(**common, name="layer3.1", api_name="/ablation")
    assert len(before["confidences"]) == len(after["confidences"]) == 5 and "layer3.1" in words
    assert confidences(before) != confidences(after)
    for picture in (cam_before, cam_after):
        with Image.open(picture) as im:
            assert min(im.size) >= 64
    with pytest.raises(AppError, match="no block called 'layer9.1'"):
        client.predict(**common, name="layer9.1", api_name="/ablation")

