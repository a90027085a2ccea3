"""Hostile images and checkpoints, faults inside the network, and extreme requests, through the
running app's API.

Issue 7, parts 2-4, and shared/RELIABILITY.md items 8-20 and 24. The library side of each case
is tested in test_images.py (intake), test_weights.py (checkpoints) and test_inspection.py
(hooks, faults); here each goes through the real server (``live_app`` from
tests/_live.py, in this process, so the test can look at its model cache and hooks)
with ``gradio_client``, as an API user sends it. Each bad request must give one clear error
with our text and no traceback, leave no hook and no changed weight behind, and the next good
request must give exactly the result it gave before.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import struct
import threading
import time
import warnings
import weakref
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import safetensors.torch
import torch
from _live import (
    TINY,
    TINY_ARCH,
    LiveApp,
    api_data,
    assert_clear_message,
    assert_same_result,
    call,
    file_data,
    inspect,
    live_app,
    live_fixture,
    picture_fixture,
    raw_call,
    signature,
    tiny_args,
)
from _models import TINY_KEY
from _pictures import encode, natural_image, png_declaring
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image

from playground import errors
from resnet_core import serving
from resnet_core.batching import InspectBatcher
from resnet_core.hooks import hook_count
from resnet_core.images import load_image
from resnet_core.inspection import inspect as library_inspect
from resnet_core.model import build_resnet
from resnet_core.preprocess import prepare
from resnet_core.serving import ModelService, ServiceConfig
from resnet_core.zoo import ModelKey

pytestmark = pytest.mark.timeout(300)

ARCH = TINY_ARCH  # /load_checkpoint's architecture inputs


# the server under test, with the shipped settings (``client`` and ``baseline``: tests/conftest.py)
live = live_fixture("faults")
good_png = picture_fixture("good.png", 120, 160, seed=11)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("files")


def served_models(live: LiveApp) -> dict[ModelKey, Any]:
    zoo = live.service
    return {key: zoo.get(key) for key in zoo.keys()}


def weights_digest(model: torch.nn.Module) -> str:
    h = hashlib.blake2b()
    for name, t in model.state_dict().items():
        h.update(name.encode())
        h.update(memoryview(t.detach().cpu().contiguous().numpy()).cast("B"))
    return h.hexdigest()


def model_state(live: LiveApp) -> dict[ModelKey, tuple]:
    """Per cached model: its weights, mode, gradient flags and hooks."""
    return {
        key: (
            weights_digest(s.model),
            s.model.training,
            any(p.requires_grad for p in s.model.parameters()),
            hook_count(s.model),
        )
        for key, s in served_models(live).items()
    }


def assert_untouched(live: LiveApp, before: dict[ModelKey, tuple]) -> None:
    after = model_state(live)
    for key, state in before.items():
        assert after[key] == state, f"{key} changed: {state} -> {after[key]}"
    for key, (_, training, grads, hooks) in after.items():
        assert (training, grads, hooks) == (False, False, 0), key


def library_predictions(live: LiveApp, path: Path, **overrides: Any) -> list[tuple[str, float]]:
    """The predictions resnet_core itself gives for ``path`` with the served tiny model."""
    args = {**TINY, **overrides}
    served = live.service.get(TINY_KEY)
    prepared = prepare(load_image(path), served.weights.preprocess, mode=args["mode"], size=args["size"])
    res = library_inspect(served.model, prepared, categories=served.weights.categories, top_k=args["top_k"])
    return [(p.label, p.probability) for p in res.predictions]


def assert_predictions(got: dict[str, Any], want: list[tuple[str, float]]) -> None:
    pairs = [(c["label"], c["confidence"]) for c in got["predictions"]["confidences"]]
    assert [label for label, _ in pairs] == [label for label, _ in want]
    assert [p for _, p in pairs] == pytest.approx([p for _, p in want], rel=1e-5, abs=1e-7)


# =========================================================================== 2. images

# Refused by content, whatever the name says. The library's half of each is in test_images.py;
# text renamed .jpg, zero bytes and random bytes through the app are test_endpoints.py's
# test_bad_input_is_one_clear_error_then_the_next_request_is_unaffected.


def _truncated(fmt: str) -> bytes:
    data = encode(Image.fromarray(natural_image(240, 320, seed=5)), fmt)
    return data[: len(data) * 6 // 10]


def _eps() -> bytes:
    return encode(Image.new("RGB", (16, 16), (200, 10, 10)), "EPS")


BAD_IMAGES: dict[str, tuple[str, Any, str]] = {
    # id: (file name, bytes or a maker, message)
    "bomb-pillow-1x-2x": ("bomb.png", lambda: png_declaring(10_000, 10_000, idat_zeros=4096), r"too large"),
    "bomb-pillow-over-2x": ("bomb.png", lambda: png_declaring(20_000, 20_000, idat_zeros=4096), r"too large"),
    "bomb-ours-1x-2x": ("bomb.png", lambda: png_declaring(7_000, 7_000, idat_zeros=4096), r"7000×7000 is 49 megapixels"),
    "png-8000x8000": (
        "huge.png",
        lambda: encode(Image.new("1", (8_000, 8_000)), "PNG"),
        r"8000×8000 is 64 megapixels",
    ),
    "truncated-png": ("cut.png", lambda: _truncated("PNG"), r"PNG file is (incomplete or )?damaged"),
    "truncated-jpeg": ("cut.jpg", lambda: _truncated("JPEG"), r"JPEG file is (incomplete or )?damaged"),
    "ico-as-png": ("icon.png", lambda: encode(Image.new("RGB", (16, 16)), "ICO"), r"ICO is not supported"),
    "pdf-as-png": ("doc.png", lambda: encode(Image.new("RGB", (16, 16)), "PDF"), r"PDF is not supported"),
    "eps-as-jpg": ("art.jpg", _eps, r"EPS is not supported"),
    "psd-as-png": ("layers.png", lambda: b"8BPS\x00\x01" + b"\x00" * 64, r"PSD is not supported"),
    "fits-as-png": (
        "sky.png",
        lambda: b"SIMPLE  =                    T" + b" " * 2850,
        r"FITS is not supported",
    ),
    "tga-as-png": ("old.png", lambda: encode(Image.new("RGB", (16, 16)), "TGA"), r"not an image we can read"),
    "ppm-as-png": ("old.png", lambda: encode(Image.new("RGB", (16, 16)), "PPM"), r"not an image we can read"),
    "zip-as-png": ("archive.png", lambda: b"PK\x03\x04" + b"\x00" * 100, r"ZIP is not supported"),
}


@pytest.mark.parametrize("case", list(BAD_IMAGES))
def test_a_bad_image_is_one_clear_error_and_the_next_request_is_unaffected(
    live: LiveApp, client: Client, files: Path, good_png: Path, baseline: dict[str, Any], case: str
) -> None:
    name, content, message = BAD_IMAGES[case]
    path = files / case / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content() if callable(content) else content)
    before = model_state(live)
    start = time.perf_counter()
    with pytest.raises(AppError, match=message) as caught:
        inspect(client, path)
    assert time.perf_counter() - start < 30, "refused from the header, not after decoding"
    assert_clear_message(str(caught.value), live)
    assert_untouched(live, before)
    assert_same_result(signature(inspect(client, good_png)), baseline)


# ---------------------------------------------------------------------- valid but unusual


def _with_orientation(picture: Image.Image, orientation: int) -> Image.Image:
    """The picture stored so that a viewer applying EXIF ``orientation`` shows ``picture``."""
    undo = {
        1: None,
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_90,  # the viewer turns it by 270
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_270,
    }[orientation]
    stored = picture if undo is None else picture.transpose(undo)
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored.info["exif"] = exif.tobytes()
    return stored


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_gives_the_result_of_the_upright_picture(
    live: LiveApp, client: Client, files: Path, orientation: int
) -> None:
    upright = Image.fromarray(natural_image(64, 112, seed=7))  # wider than tall: turns show
    path = files / f"orient{orientation}.png"
    stored = _with_orientation(upright, orientation)
    stored.save(path, exif=stored.info["exif"])
    reference = files / "upright.png"
    upright.save(reference)
    got = inspect(client, path, mode="whole", size=96)
    assert_predictions(got, library_predictions(live, reference, mode="whole", size=96))
    # the heatmap is drawn on the picture as the person sees it: 96 wide, 55 high
    assert np.asarray(Image.open(got["overlay"])).shape[:2] == (55, 96)


def unusual_images() -> dict[str, tuple[str, Any]]:
    rgb = natural_image(48, 64, seed=9)
    grey = rgb.mean(axis=2).astype(np.uint8)
    alpha = np.linspace(0, 255, 64, dtype=np.uint8)[None, :].repeat(48, 0)

    def palette() -> Image.Image:
        p = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
        p.info["transparency"] = 0
        return p

    def sixteen(mode: str) -> Image.Image:
        raw = (grey.astype(np.uint16) * 257).astype(">u2" if mode == "I;16B" else "<u2").tobytes()
        return Image.frombytes(mode, (64, 48), raw)

    def gif_1000_frames() -> Image.Image:
        frames = [Image.fromarray(np.roll(rgb, 3 * i, axis=1)).convert("P") for i in range(1000)]
        buf = io.BytesIO()
        frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=10)
        return buf.getvalue()

    def apng_1000_frames() -> bytes:
        frames = [Image.fromarray(np.roll(rgb, 3 * i, axis=1)) for i in range(1000)]
        buf = io.BytesIO()
        frames[0].save(buf, "PNG", save_all=True, append_images=frames[1:])
        return buf.getvalue()

    def tiff_pages() -> bytes:
        pages = [Image.fromarray(np.roll(rgb, 20 * i, axis=0)) for i in range(3)]
        buf = io.BytesIO()
        pages[0].save(buf, "TIFF", save_all=True, append_images=pages[1:])
        return buf.getvalue()

    def corrupt_exif() -> bytes:
        # an orientation entry whose offset points far past the end of the block
        exif = b"Exif\x00\x00II*\x00" + struct.pack("<IHHHII", 8, 1, 0x0112, 3, 1, 10**6)
        return encode(Image.fromarray(rgb), "JPEG", exif=exif, quality=95)

    def thin(width: int, height: int) -> bytes:
        ramp = np.linspace(0, 255, max(width, height)).astype(np.uint8).reshape(height, width)
        return encode(Image.fromarray(ramp), "PNG")

    return {
        "mode-1": ("PNG", lambda: Image.fromarray(grey > 100)),
        "mode-L": ("PNG", lambda: Image.fromarray(grey)),
        "mode-LA": ("PNG", lambda: Image.fromarray(np.dstack([grey, alpha]))),
        "mode-P-transparency": ("PNG", palette),
        "mode-RGBA": ("PNG", lambda: Image.fromarray(np.dstack([rgb, alpha]))),
        "mode-CMYK": ("TIFF", lambda: Image.fromarray(rgb).convert("CMYK")),
        "mode-CMYK-jpeg": ("JPEG", lambda: Image.fromarray(rgb).convert("CMYK")),
        "mode-I;16": ("PNG", lambda: sixteen("I;16")),
        "mode-I;16B": ("TIFF", lambda: sixteen("I;16B")),
        "mode-I": ("TIFF", lambda: Image.fromarray(grey.astype(np.int32) * 200)),
        "mode-F": ("TIFF", lambda: Image.fromarray(grey.astype(np.float32) / 255)),
        "gif-1000-frames": ("GIF", gif_1000_frames),
        "apng-1000-frames": ("PNG", apng_1000_frames),
        "tiff-3-pages": ("TIFF", tiff_pages),
        "jpeg-corrupt-exif": ("JPEG", corrupt_exif),
        "1x1": ("PNG", lambda: Image.new("RGB", (1, 1), (10, 200, 30))),
        "1x20000": ("PNG", lambda: thin(1, 20_000)),
        "20000x1": ("PNG", lambda: thin(20_000, 1)),
    }


UNUSUAL = unusual_images()


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow reports the broken EXIF it skips
@pytest.mark.parametrize("case", list(UNUSUAL))
def test_an_unusual_but_valid_image_gives_the_library_s_result(
    live: LiveApp, client: Client, files: Path, case: str
) -> None:
    fmt, make = UNUSUAL[case]
    made = make()
    path = files / f"{case}.{fmt.lower()}"
    path.write_bytes(made if isinstance(made, bytes) else encode(made, fmt))
    start = time.perf_counter()
    got = inspect(client, path)
    assert time.perf_counter() - start < 60
    # The conversion itself (16-bit not white, alpha on white, first frame, ...) is checked
    # pixel by pixel in test_images.py; here: the app gives exactly what the library gives.
    assert_predictions(got, library_predictions(live, path))


@pytest.mark.slow
def test_an_8000_square_jpeg_is_decoded_at_reduced_scale_and_works(
    live: LiveApp, client: Client, files: Path
) -> None:
    small = Image.fromarray(natural_image(250, 250, seed=4))
    path = files / "huge.jpg"
    small.resize((8_000, 8_000), Image.Resampling.BILINEAR).save(path, quality=70)
    assert path.stat().st_size <= live.settings.max_file_size
    start = time.perf_counter()
    got = inspect(client, path)
    assert time.perf_counter() - start < 60
    assert_predictions(got, library_predictions(live, path))


# =========================================================================== 3. checkpoints


class RunsCode:
    """Unpickling this runs ``exec``: a file that would write ``marker`` if it were ever loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (exec, (f"open({str(self.marker)!r}, 'w').write('pwned')",))


@pytest.fixture(scope="module")
def donor() -> dict[str, torch.Tensor]:
    """A real state dict for the tiny architecture, in half precision (11 MB, under the upload limit)."""
    torch.manual_seed(1)
    return {
        k: (v.half() if v.is_floating_point() else v)
        for k, v in build_resnet(("basic", (1, 1, 1, 1))).state_dict().items()
    }


def _safetensors(state: dict[str, torch.Tensor]) -> bytes:
    return safetensors.torch.save({k: v.contiguous() for k, v in state.items()})


def _torch_save(obj: Any) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _header(n: int, body: bytes = b"{}") -> bytes:
    return n.to_bytes(8, "little") + body


def bad_checkpoints(donor: dict[str, torch.Tensor], marker: Path) -> dict[str, tuple[str, bytes, str]]:
    renamed = dict(donor)
    renamed["conv1.weights"] = renamed.pop("conv1.weight")
    reshaped = {**donor, "conv1.weight": torch.zeros(64, 3, 5, 5, dtype=torch.half)}
    integer = {**donor, "layer1.0.conv1.weight": donor["layer1.0.conv1.weight"].to(torch.int16)}
    nan = {k: v.clone() for k, v in donor.items()}
    nan["layer2.0.conv2.weight"][0, 0, 0, 0] = float("nan")
    good = _safetensors(donor)
    scripted = io.BytesIO()
    with warnings.catch_warnings():  # TorchScript is deprecated, and still what people upload
        warnings.simplefilter("ignore", FutureWarning)
        torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), scripted)
    return {
        "pickle-runs-code": (
            "evil.pth",
            _torch_save({"conv1.weight": RunsCode(marker)}),
            r"refused: its pickle asks to build objects",
        ),
        "pickle-named-safetensors": (
            "evil.safetensors",
            _torch_save(donor),
            r"named \.safetensors but holds a pickle",
        ),
        "torchscript": ("model.pt", scripted.getvalue(), r"TorchScript program"),
        "pkl-suffix": ("weights.pkl", good, r"accepted as \.safetensors or \.pth"),
        "wrong-keys": ("keys.safetensors", _safetensors(renamed), r"missing key 'conv1\.weight'"),
        "wrong-shapes": (
            "shapes.safetensors",
            _safetensors(reshaped),
            r"'conv1\.weight' has shape \(64, 3, 5, 5\)",
        ),
        "wrong-dtype": ("dtype.safetensors", _safetensors(integer), r"has dtype torch\.int16"),
        "nan-weights": ("nan.safetensors", _safetensors(nan), r"holds NaN or infinite values"),
        "truncated-safetensors": ("cut.safetensors", good[: len(good) // 2], r"truncated or corrupt"),
        "huge-header": ("huge.safetensors", _header(200 * 2**20, b'{"a": 1}'), r"header claims \d+ bytes"),
        "header-past-end": (
            "short.safetensors",
            _header(5000, b'{"conv1.weight": {}}'),
            r"runs past the end",
        ),
        "header-not-json": ("junk.safetensors", _header(10, b"{not json!"), r"not valid JSON"),
        "random-bytes": (
            "noise.pth",
            np.random.default_rng(0).integers(0, 256, 4096, np.uint8).tobytes(),
            r"not a (readable )?.*checkpoint",
        ),
        "empty": ("empty.safetensors", b"", r"not a checkpoint"),
    }


def load_checkpoint(client: Client, path: Path, arch: dict[str, Any] = ARCH) -> Any:
    from gradio_client import handle_file

    return call(client, file=handle_file(str(path)), **arch, api_name="/load_checkpoint")


def test_bad_checkpoints_are_one_clear_error_each_and_change_no_model(
    live: LiveApp, files: Path, donor: dict[str, torch.Tensor], good_png: Path
) -> None:
    session = live.client()  # its own session: its checkpoint is its own gr.State
    good = files / "good.safetensors"
    good.write_bytes(_safetensors(donor))
    message, weights = load_checkpoint(session, good)
    assert "Loaded **good.safetensors**" in message and weights["value"] == "checkpoint"
    mine = signature(inspect(session, good_png, weights="checkpoint"))
    # the result is that of the library with those weights, not of the served random model
    reference = build_resnet(("basic", (1, 1, 1, 1))).eval()
    reference.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in donor.items()})
    prepared = prepare(load_image(good_png), mode="crop", size=TINY["size"])
    want = library_inspect(
        reference, prepared, categories=live.service.get(TINY_KEY).weights.categories
    )
    assert [label for label, _ in mine["predictions"]] == [p.label for p in want.predictions]

    marker = files / "pwned.txt"
    before = model_state(live)
    temp_before = {f for f in live.files() if "/" not in f}
    for case, (name, data, text) in bad_checkpoints(donor, marker).items():
        path = files / "ckpt" / case / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        with pytest.raises(AppError, match=text) as caught:
            load_checkpoint(session, path)
        assert_clear_message(str(caught.value), live)
        assert not marker.exists(), f"{case}: the pickle ran"
        assert_untouched(live, before)
    assert not marker.exists()
    # gr.File's own preprocess left an empty temp file per upload; ours leaves only the uploads
    assert {f for f in live.files() if "/" not in f} == temp_before
    # the session's own model is the good checkpoint still
    assert_same_result(signature(inspect(session, good_png, weights="checkpoint")), mine)


def test_a_checkpoint_for_a_network_past_the_budget_is_refused_before_it_is_read(
    live: LiveApp, client: Client, files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[Any] = []
    monkeypatch.setattr(live.service.builder, "add_checkpoint", lambda *a, **k: read.append(a))
    path = files / "big-arch.safetensors"
    path.write_bytes(_safetensors({"x": torch.zeros(1)}))
    with pytest.raises(AppError, match=r"383\.7M parameters; this server runs networks of up to 100\.0M"):
        load_checkpoint(client, path, dict(ARCH, counts="64, 64, 64, 64", block="bottleneck"))
    assert read == []


# =========================================================================== 4. faults


class FailsInBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("simulated failure inside backward")


@pytest.mark.parametrize("where", ["forward", "backward"])
def test_an_exception_inside_the_network_leaves_no_hook_and_the_next_request_is_correct(
    live: LiveApp, client: Client, good_png: Path, baseline: dict[str, Any], where: str
) -> None:
    block = live.service.get(TINY_KEY).model.layer2[0]
    original = block.forward

    def failing(x: torch.Tensor) -> torch.Tensor:
        if where == "forward":
            raise RuntimeError("simulated failure inside forward")
        return FailsInBackward.apply(original(x))

    before = model_state(live)
    block.forward = failing
    try:
        with pytest.raises(AppError, match="Something went wrong on our side") as caught:
            inspect(client, good_png, layer="layer1", guided=True)
    finally:
        del block.forward  # back to the class's method
    assert "simulated" not in str(caught.value), "the exception's text stays in the log"
    assert_clear_message(str(caught.value), live)
    assert_untouched(live, before)
    assert_same_result(signature(inspect(client, good_png)), baseline)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (torch.cuda.OutOfMemoryError, "The GPU ran out of memory for this request"),
        (MemoryError, "The server ran out of memory for this request"),
    ],
)
def test_out_of_memory_is_a_clear_error_that_frees_its_memory(
    live: LiveApp,
    client: Client,
    good_png: Path,
    baseline: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    error: type[BaseException],
    message: str,
) -> None:
    """A simulated OOM (there is no GPU here): the tensors the failed call held must be gone
    when the next request runs, i.e. no frame of it survives in the error the client gets."""
    held: list[weakref.ref] = []
    real_inspect = InspectBatcher.inspect  # the app's one call into the network
    failed = threading.Event()

    def inspect_that_runs_out(engine: InspectBatcher, *args: Any, **kwargs: Any) -> Any:
        if failed.is_set():
            return real_inspect(engine, *args, **kwargs)
        failed.set()
        big = torch.ones(16, 2**20)  # 64 MB the failed request was holding
        held.append(weakref.ref(big))
        raise error("CUDA out of memory. Tried to allocate 20.00 GiB (simulated)")

    before = model_state(live)
    monkeypatch.setattr(InspectBatcher, "inspect", inspect_that_runs_out)
    # pytest's log capture keeps each record's exc_info, and so the failed call's frames; the
    # app's own logging keeps nothing, so its records stay out of pytest's handlers here
    monkeypatch.setattr(errors.log, "propagate", False)
    with pytest.raises(AppError, match=message) as caught:
        inspect(client, good_png)
    assert_clear_message(str(caught.value), live)
    gc.collect()
    assert held and held[0]() is None, "the failed request's tensors are still referenced"
    assert_untouched(live, before)
    assert_same_result(signature(inspect(client, good_png)), baseline)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="a real CUDA out-of-memory needs a GPU")
def test_a_real_cuda_out_of_memory_is_a_clear_error_and_memory_returns(
    tmp_path: Path, good_png: Path
) -> None:
    """RELIABILITY item 20 on a GPU: fill the card, ask for a big input, then free the filler."""
    with live_app(tmp_path, device="cuda") as gpu:
        session = gpu.client()
        want = signature(inspect(session, good_png))  # builds and warms the tiny model on the GPU
        torch.cuda.synchronize()
        baseline = torch.cuda.memory_allocated()
        free, _ = torch.cuda.mem_get_info()
        filler = torch.empty(max(0, free - 64 * 2**20), dtype=torch.uint8, device="cuda")
        try:
            with pytest.raises(AppError, match="The GPU ran out of memory for this request") as caught:
                inspect(session, good_png, size=1024)
        finally:
            del filler
        assert_clear_message(str(caught.value), gpu)
        gc.collect()
        torch.cuda.synchronize()
        assert torch.cuda.memory_allocated() <= baseline + 16 * 2**20, "the failed request's tensors live on"
        assert hook_count(gpu.service.get(TINY_KEY).model) == 0
        assert_same_result(signature(inspect(session, good_png)), want, pixel_tolerance=1)


def test_a_client_that_disconnects_mid_request_does_not_hurt_the_server(
    live: LiveApp, client: Client, good_png: Path, baseline: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """RELIABILITY item 8: the job is held inside the network while its client goes away."""
    real_inspect = InspectBatcher.inspect  # the app's one call into the network
    entered, release = threading.Event(), threading.Event()
    finished: list[Any] = []

    def slow_inspect(engine: InspectBatcher, *args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(timeout=60)
        try:
            out = real_inspect(engine, *args, **kwargs)
            finished.append(out)
            return out
        except BaseException as exc:
            finished.append(exc)
            raise

    uploaded = live.upload("good.png", good_png.read_bytes())
    before = model_state(live)
    monkeypatch.setattr(InspectBatcher, "inspect", slow_inspect)
    payload = {"path": uploaded, "meta": {"_type": "gradio.FileData"}}
    for route in ("call", "queue"):
        entered.clear()
        release.clear()
        with live.http() as h:
            if route == "call":
                event_id = h.post("gradio_api/call/inspect", json={"data": api_data(live, "inspect", tiny_args(payload))}).json()[
                    "event_id"
                ]
                stream = h.stream("GET", f"gradio_api/call/inspect/{event_id}")
            else:  # the browser's way: join the queue, listen on the session's event stream
                fn_index = next(i for i, fn in live.demo.fns.items() if fn.api_name == "inspect")
                session = f"disconnect{time.monotonic_ns()}"
                r = h.post(
                    "gradio_api/queue/join",
                    json={
                        "data": api_data(live, "inspect", tiny_args(payload)) + [None, None],  # the page sends its two gr.State values too
                        "fn_index": fn_index,
                        "session_hash": session,
                        "event_data": None,
                    },
                )
                assert r.status_code == 200, r.text
                stream = h.stream("GET", "gradio_api/queue/data", params={"session_hash": session})
            with stream:
                assert entered.wait(timeout=60), "the job never reached the network"
            # the connection is closed here, mid-job
        release.set()
        deadline = time.monotonic() + 60
        while len(finished) < (1 if route == "call" else 2) and time.monotonic() < deadline:
            time.sleep(0.1)
    monkeypatch.setattr(InspectBatcher, "inspect", real_inspect)
    assert len(finished) == 2 and not any(isinstance(f, BaseException) for f in finished), finished
    assert_untouched(live, before)
    assert_same_result(signature(inspect(client, good_png)), baseline)
    # and the server still answers everything else
    with live.http() as h:
        assert h.get("gradio_api/info").status_code == 200


# =========================================================================== 24. extremes


EXTREMES = [
    # (what, overrides, message) -- every one inside its slider or dropdown
    (
        "resnet152-at-1024",
        dict(depth="ResNet-152", size=1024),
        r"241 GMACs per pass; this server allows 50\. Choose an input size up to about 448",
    ),
    ("resnet50-at-1024", dict(depth="ResNet-50", size=1024), r"85 GMACs per pass"),
    ("largest-custom", dict(counts="64, 64, 64, 64", block="bottleneck"), r"383\.7M parameters"),
    ("custom-wide-layer4", dict(counts="1, 1, 1, 64"), r"302\.8M parameters"),
    ("top-k-1000", dict(top_k=1000), r"greater than maximum value 20"),
    ("size-4096", dict(size=4096), r"greater than maximum value 1024"),
]


@pytest.mark.parametrize(("what", "overrides", "message"), EXTREMES, ids=[e[0] for e in EXTREMES])
def test_extreme_parameters_are_capped_before_any_work(
    live: LiveApp, client: Client, good_png: Path, what: str, overrides: dict[str, Any], message: str
) -> None:
    builds = live.service.builds
    start = time.perf_counter()
    with pytest.raises(AppError, match=message) as caught:
        inspect(client, good_png, **overrides)
    assert time.perf_counter() - start < 20
    assert_clear_message(str(caught.value), live)
    assert live.service.builds == builds, "nothing was built"


@pytest.mark.slow
def test_the_largest_request_within_the_budget_finishes_in_bounded_time(
    live: LiveApp, client: Client, good_png: Path
) -> None:
    call(client, depth="ResNet-18", counts="", block="basic", variant="v1.5", api_name="/layers")
    start = time.perf_counter()
    got = inspect(client, good_png, depth="ResNet-18", size=1024, top_k=20, guided=True, layer="layer1")
    assert time.perf_counter() - start < 240
    assert got["info"].startswith("ResNet-18: input 1024×1024")
    assert hook_count(live.service.get(ModelKey(18, "v1.5", "random")).model) == 0


def test_raw_api_values_outside_the_controls_are_refused(live: LiveApp) -> None:
    """What the sliders and dropdowns cannot send, a script can: Gradio checks them server-side."""
    uploaded = live.upload("good.png", encode(Image.fromarray(natural_image(32, 32)), "PNG"))
    for overrides in (
        dict(size=10**9),
        dict(size=-5),
        dict(top_k=10**9),
        dict(depth="ResNet-1000"),
        dict(layer="__class__"),
    ):
        event, data = raw_call(live, "inspect", tiny_args(file_data(uploaded), **overrides))
        assert event in ("error", "http"), overrides
        assert_clear_message(json.dumps(data), live)
    with httpx.Client(base_url=live.url, timeout=60, trust_env=False) as h:
        assert h.get("gradio_api/info").status_code == 200


# --------------------------------------------------------------------------- reduced precision


def test_a_reduced_precision_engine_that_fails_falls_back_to_float32(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bf16 copy that cannot run on the device (an op without a bf16 kernel, say) must not take
    the model down: the model is served in float32, and the log says why."""
    service = ModelService(ServiceConfig(offline=True, precision="bf16", warm_up=False))
    served = service.get(TINY_KEY)
    picture = natural_image(64, 64, seed=11)

    bf16 = service.engine(served)  # first the real thing: a bf16 copy that works
    assert next(bf16.model.parameters()).dtype == torch.bfloat16
    service = ModelService(ServiceConfig(offline=True, precision="bf16", warm_up=False))  # nothing cached
    served = service.get(TINY_KEY)

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError('"slow_conv2d_cpu" not implemented for \'BFloat16\'')

    monkeypatch.setattr(serving, "reduced_precision", broken)
    with caplog.at_level("ERROR", logger="resnet_playground"):
        engine = service.engine(served)
    assert any("serving it in float32" in r.getMessage() for r in caplog.records)
    assert engine.model is served.model and next(engine.model.parameters()).dtype == torch.float32
    got = engine.inspect(picture, preprocess=served.weights.preprocess)
    want = library_inspect(served.model, prepare(picture, served.weights.preprocess))
    assert [p.index for p in got.predictions] == [p.index for p in want.predictions]
    assert np.allclose(got.cam.heatmap, want.cam.heatmap, atol=1e-5)
    assert service.engine(served) is engine  # made once, then reused
