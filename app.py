"""ResNet playground: a Gradio app that lays a ResNet open.

Layout and wiring only: every handler is a thin call into ``resnet_core`` (models, shapes,
inspection, the lab) and ``viz`` (figures). Run ``python app.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import inspect as pyinspect
import json
import logging
import math
import os
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

import viz  # noqa: E402
from resnet_core import lab  # noqa: E402
from resnet_core.batching import MAX_BATCH, InspectBatcher, batching_enabled  # noqa: E402
from resnet_core.device import pick_device  # noqa: E402
from resnet_core.explain import block_source  # noqa: E402
from resnet_core.fast import FastPredictor, bf16_supported, reduced_precision  # noqa: E402
from resnet_core.images import MAX_INPUT_SIZE, ImageError, Prepared, load_image, prepare  # noqa: E402
from resnet_core.inspection import MAX_TOP_K, InspectionError, inspect, layer_names  # noqa: E402
from resnet_core.model import ResNet  # noqa: E402
from resnet_core.results import Inspection  # noqa: E402
from resnet_core.shapes import Architecture, describe  # noqa: E402
from resnet_core.specs import BLOCK_TYPES, STANDARD_DEPTHS, VARIANTS, resolve_spec  # noqa: E402
from resnet_core.weights import IMAGENET_CATEGORIES, WeightsError  # noqa: E402
from resnet_core.zoo import ModelKey, ModelZoo, ServedModel  # noqa: E402
from viz import lab as vlab  # noqa: E402

try:  # Hugging Face ZeroGPU: @spaces.GPU asks for a GPU for the call; a no-op elsewhere
    import spaces

    gpu = spaces.GPU
except ImportError:  # pragma: no cover - depends on the host

    def gpu(fn: Callable | None = None, **_: Any) -> Any:
        return fn if fn is not None else (lambda f: f)


log = logging.getLogger("resnet_playground")

ROOT = Path(__file__).resolve().parent
ASSETS = ROOT / "assets"
EXAMPLES = sorted((ASSETS / "examples").glob("*.jpg"))
SAVED_RACE = ASSETS / "curves" / "race.json"

DEPTH_CHOICES = [f"ResNet-{d}" for d in STANDARD_DEPTHS] + ["custom"]
WEIGHT_CHOICES = ["DEFAULT", "IMAGENET1K_V1", "IMAGENET1K_V2", "random", "checkpoint"]
MODEL_EVENTS = "model"  # one concurrency_id for every event that runs a network
RACE_DEPTHS = (20, 32, 44, 56)
RACE_MAX_SECONDS = 120.0
RACE_NORMS = {"on": (True,), "off": (False,), "both": (True, False)}

# How pictures leave the server (measured in docs/performance.md, "Payload"): JPEG for the
# photo-like ones (Grad-CAM overlays, the timeline, the guided map: 7-60x smaller than PNG and
# encoded in 1/70 of its time), PNG for the activation gallery (blocky maps, where JPEG rings
# and PNG is already small and exact).
PHOTO_FORMAT = "jpeg"
MAP_FORMAT = "png"
# Gradio's output cache: files older than CACHE_MAX_AGE_S seconds are deleted every
# CACHE_SWEEP_S seconds (uploads and outputs alike), so a long-running public server does not
# fill its disk. A page fetches its pictures within seconds of the response.
CACHE_SWEEP_S, CACHE_MAX_AGE_S = 900, 3600


def served_picture(pixels: np.ndarray | None) -> Image.Image | None:
    """An output picture (H x W x 3 uint8) that shares no bytes with any other response.

    Gradio stores an output under the hash of its encoded bytes and rewrites that file in
    place, so two users who get byte-identical pictures at the same moment (the same example,
    the same settings) could be served a half-written file. A tag of this response's own in the
    picture's metadata (a PNG text chunk, an EXIF ImageUniqueID in a JPEG) gives every response
    a file of its own; the pixels are untouched.
    """
    if pixels is None:
        return None
    img = Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8))
    tag = uuid.uuid4().hex
    img.info["response"] = tag  # PNG: Gradio copies text-valued info into the file
    exif = Image.Exif()
    exif[0xA420] = tag  # ImageUniqueID; JPEG: Gradio writes info["exif"]
    img.info["exif"] = exif.tobytes()
    return img



@dataclass(frozen=True)
class Settings:
    """How the server runs; every field has a flag and an environment variable.

    Attributes:
        host: address to listen on (RESNET_HOST, GRADIO_SERVER_NAME).
        port: port (RESNET_PORT, GRADIO_SERVER_PORT); 0 picks a free one.
        device: "auto", "cpu" or "cuda" (RESNET_DEVICE).
        share: open a public Gradio share link (RESNET_SHARE).
        offline: never try to download weights (RESNET_OFFLINE).
        max_file_size: largest upload in bytes.
        queue_size: requests waiting beyond this are turned away as "busy".
        concurrency: events running a network at once (one GPU: a few; CPU: the cores).
        max_models: models kept in memory.
        max_gmacs: most multiply-accumulates (in billions) of one forward pass a request may ask
            for: depth and input size together bound a request's time and activation memory.
            ResNet-152 at 224 is 11.5, ResNet-18 at 1024 is 38, ResNet-50 at 1024 is 85.
        max_params: most parameters of a network the server builds (ResNet-152: 60.2M; the
            custom depths allow up to 400M, which the Architecture tab still shows).
        batch: batch concurrent inspections of one model into one forward and one backward
            (RESNET_BATCH=1/0; None: on CUDA only, where it pays, see docs/performance.md).
        precision: "fp32", "bf16" or "auto" (RESNET_PRECISION): the inspection engine's
            precision; auto is bf16 (BatchNorm folded, channels_last) on a CUDA GPU with bf16,
            float32 elsewhere.
        timeline_after: send an inspection without its Grad-CAM timeline first and the
            timeline after it, from a second pass (RESNET_TIMELINE_AFTER=1/0; None: on a CPU,
            where the timeline is most of the work: the first answer comes 3x sooner, at about
            a quarter more compute per request, see docs/performance.md).
    """

    host: str = "127.0.0.1"
    port: int = 7860
    device: str = "auto"
    share: bool = False
    offline: bool = False
    max_file_size: int = 20 * 2**20
    queue_size: int = 32
    concurrency: int = 2
    max_models: int = 6
    max_gmacs: float = 50.0
    max_params: int = 100_000_000
    batch: bool | None = None
    precision: str = "auto"
    timeline_after: bool | None = None


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _env_choice(name: str) -> bool | None:
    """True or False where the environment variable says so, None (the default) elsewhere."""
    flag = os.environ.get(name, "").strip().lower()
    return True if flag in ("1", "true", "yes", "on") else False if flag in ("0", "false", "no", "off") else None


def parse_settings(argv: list[str] | None = None) -> Settings:
    """Settings from the command line, falling back to the environment, then the defaults."""
    env = os.environ
    p = argparse.ArgumentParser(description="ResNet playground: a Gradio app that lays a ResNet open.")
    p.add_argument("--host", default=env.get("RESNET_HOST") or env.get("GRADIO_SERVER_NAME") or Settings.host)
    p.add_argument("--port", type=int, default=int(env.get("RESNET_PORT") or env.get("GRADIO_SERVER_PORT") or Settings.port))
    p.add_argument("--device", default=env.get("RESNET_DEVICE") or "auto", help="auto, cpu or cuda")
    p.add_argument("--share", action="store_true", default=_env_flag("RESNET_SHARE"))
    p.add_argument("--offline", action="store_true", default=_env_flag("RESNET_OFFLINE"), help="never download weights")
    p.add_argument("--queue-size", type=int, default=Settings.queue_size)
    p.add_argument("--concurrency", type=int, default=Settings.concurrency)
    p.add_argument("--max-file-mb", type=float, default=Settings.max_file_size / 2**20)
    p.add_argument("--max-gmacs", type=float, default=Settings.max_gmacs, help="largest forward pass a request may ask for")
    p.add_argument("--batch", action=argparse.BooleanOptionalAction, default=None, help="batch concurrent inspections")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default=env.get("RESNET_PRECISION") or "auto")
    p.add_argument(
        "--timeline-after",
        action=argparse.BooleanOptionalAction,
        default=_env_choice("RESNET_TIMELINE_AFTER"),
        help="send the Grad-CAM timeline after the rest of an inspection (default: on a CPU)",
    )
    a = p.parse_args(argv)
    return Settings(
        host=a.host,
        port=a.port,
        device=a.device,
        share=a.share,
        offline=a.offline,
        max_file_size=int(a.max_file_mb * 2**20),
        queue_size=max(1, a.queue_size),
        concurrency=max(1, a.concurrency),
        max_gmacs=a.max_gmacs,
        batch=a.batch,
        precision=a.precision,
        timeline_after=a.timeline_after,
    )


# --------------------------------------------------------------------------- errors


class _Friendly:
    """Turns every failure into one clear ``gr.Error``; the traceback stays in the server log."""

    USER_ERRORS = (ImageError, InspectionError, WeightsError, ValueError, KeyError)

    @staticmethod
    def message(exc: BaseException) -> str:
        if isinstance(exc, torch.cuda.OutOfMemoryError):
            return "The GPU ran out of memory for this request. Try a smaller input size or depth."
        if isinstance(exc, MemoryError):
            return "The server ran out of memory for this request. Try a smaller input size or depth."
        if isinstance(exc, _Friendly.USER_ERRORS):
            text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
            return text or type(exc).__name__
        return "Something went wrong on our side; the error was logged and the server keeps running."

    @staticmethod
    def describe(exc: BaseException, handler: str) -> tuple[str, type]:
        """Log what the user must not see; keep only the message and the type (no frames)."""
        if not isinstance(exc, _Friendly.USER_ERRORS):
            log.exception("handler %s failed", handler)
        return _Friendly.message(exc), type(exc)

    @staticmethod
    def error(message: str, exc_type: type) -> gr.Error:
        """The gr.Error to raise once the failed call's frames are gone."""
        _Friendly.after_failure(exc_type)
        return gr.Error(message)

    @staticmethod
    def after_failure(exc_type: type) -> None:
        if issubclass(exc_type, torch.cuda.OutOfMemoryError) and torch.cuda.is_available():
            torch.cuda.empty_cache()


def friendly(fn: Callable) -> Callable:
    """Decorate a handler: user mistakes and faults become a ``gr.Error`` with a plain message.

    The error is raised outside the ``except`` block, so the failed call's frames (and any
    GPU tensors they hold) are released before the next request runs.
    """
    if pyinspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Iterator:
            try:
                yield from fn(*args, **kwargs)
                return
            except gr.Error:
                raise
            except Exception as exc:  # noqa: BLE001 - every failure gets a clear message
                failure = _Friendly.describe(exc, fn.__name__)
            raise _Friendly.error(*failure)

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure gets a clear message
            failure = _Friendly.describe(exc, fn.__name__)
        raise _Friendly.error(*failure)

    return wrapper


# --------------------------------------------------------------------------- pure helpers


def parse_depth(choice: str, counts: str = "", block: str = "bottleneck") -> int | tuple[str, tuple[int, ...]]:
    """The depth a user picked: "ResNet-50" -> 50; "custom" with "2, 2, 2, 2" -> ("basic", (2, 2, 2, 2))."""
    choice = (choice or "").strip()
    if choice.startswith("ResNet-"):
        choice = choice.removeprefix("ResNet-")
    if choice.isdigit():
        resolve_spec(int(choice))
        return int(choice)
    if choice != "custom":
        raise ValueError(f"pick a depth from {', '.join(DEPTH_CHOICES)}")
    parts = [p for p in (counts or "").replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        numbers = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"block counts are four whole numbers such as 2, 2, 2, 2; got {counts!r}") from None
    if block not in BLOCK_TYPES:
        raise ValueError(f"block type must be one of {BLOCK_TYPES}")
    resolve_spec((block, numbers))
    return (block, numbers)


def parse_size(height: float | None, width: float | None) -> tuple[int, int]:
    try:
        h = int(height) if height is not None else 224
        w = int(width) if width not in (None, 0) else h
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(float("inf"))
        raise ValueError("the input size is a whole number of pixels") from None
    if not (1 <= h <= MAX_INPUT_SIZE and 1 <= w <= MAX_INPUT_SIZE):
        raise ValueError(f"input sides must be between 1 and {MAX_INPUT_SIZE} pixels, got {h}x{w}")
    return h, w


def _top_k(value: Any) -> int:
    """How many classes a request shows: 5 when unset, within 1..MAX_TOP_K."""
    return max(1, min(int(value or 5), MAX_TOP_K))


def parse_target(text: str | None, categories: tuple[str, ...]) -> int | None:
    """"auto" -> None (the top-1 class); "281: tabby" or "281" -> 281."""
    text = (text or "").strip()
    if not text or text.lower().startswith("auto"):
        return None
    head = text.split(":", 1)[0].strip()
    if head.isdigit() and int(head) < len(categories):
        return int(head)
    matches = [i for i, c in enumerate(categories) if c.lower() == text.lower()]
    if len(matches) == 1:
        return matches[0]
    if matches:  # ImageNet names "crane" and "maillot" twice
        raise ValueError(f"{text!r} names several classes ({', '.join(map(str, matches))}); pick one by number")
    raise ValueError(f"unknown class {text!r}: pick one from the list or type its number (0-{len(categories) - 1})")


def class_choices(categories: tuple[str, ...]) -> list[str]:
    return ["auto (top-1)"] + [f"{i}: {c}" for i, c in enumerate(categories)]


@functools.lru_cache(maxsize=64)
def skeleton(depth: int | tuple, variant: str) -> ResNet:
    """The architecture without usable weights (built on the meta device: instant, no memory)."""
    with torch.device("meta"):
        return ResNet(resolve_spec(depth), variant=variant)


@functools.lru_cache(maxsize=128)
def architecture_of(depth: int | tuple, variant: str, size: tuple[int, int]) -> Architecture:
    return describe(skeleton(depth, variant), size)


@functools.lru_cache(maxsize=64)
def graph_of(
    depth: int | tuple, variant: str, size: tuple[int, int], folded: tuple | None, level: str, selected: str | None
) -> Any:
    """The block graph; a pure function of its arguments, so built once (gr.Plot only reads it)."""
    return viz.graph_figure(architecture_of(depth, variant, size), folded=folded, level=level, selected=selected)


# "http:", "HTTPS:", "data:", "file:", "//host": anything that is not a path on this server
_NOT_A_LOCAL_PATH = re.compile(r"^\s*(?:[a-z][a-z0-9+.\-]*:|[/\\]{2})", re.IGNORECASE)


def _unread_uploads(component: gr.Image | gr.File) -> gr.Image | gr.File:
    """Make ``component`` hand each upload to the handler as its path, unread, and only uploads.

    * Gradio's own ``gr.Image.preprocess`` opens every upload with ``PIL.Image.open`` before the
      handler runs, so a file that is not an image (a text file renamed ``.jpg``, random bytes,
      a picture far past Pillow's pixel cap) failed there with Gradio's "Could not preprocess
      input" text and the server's temp path, never reaching :func:`load_image`, the one door
      that reads uploads and says plainly what is wrong. ``gr.File``'s leaves an empty temp
      file behind on every call.
    * Only the payload's ``path`` is used, and Gradio has checked by then that it is an upload.
      Its ``url`` is never read: a base64 data URL there would be decoded by Gradio with every
      Pillow plugin and no limits of ours (Gradio 6 overwrites ``url`` before ``preprocess``,
      but that is its business; ours is never to decode it).
    * A web address as the path is refused: Gradio would download it from the server.

    Set on the instance, not by subclassing: Gradio writes a ``.pyi`` stub next to any module
    that defines a component class.
    """
    move, async_move = component.move_resource_to_block_cache, component.async_move_resource_to_block_cache

    def preprocess(payload: Any) -> str | None:
        if isinstance(payload, gr.data_classes.ListFiles):  # a list sent to a single-file gr.File
            payload = payload[0] if payload.root else None
        return None if payload is None else str(payload.path)

    def local_only(path: Any) -> None:
        if isinstance(path, str) and _NOT_A_LOCAL_PATH.match(path):
            raise gr.Error("Files are taken from uploads only, not from web addresses.")

    def move_resource(path: Any) -> Any:
        local_only(path)
        return move(path)

    async def async_move_resource(path: Any) -> Any:
        local_only(path)
        return await async_move(path)

    component.preprocess = preprocess
    component.move_resource_to_block_cache = move_resource
    component.async_move_resource_to_block_cache = async_move_resource
    return component


def _race_text(update: lab.RaceUpdate) -> str:
    """Where the race stands, in one line per network."""
    lines = [f"Step {update.step}/{update.steps}, {update.elapsed:.0f} s on {update.device}" + (
        f" (stopped: {update.stopped})" if update.stopped else "")]
    for c in update.curves:
        if len(c.loss):
            held_out = f", held-out accuracy {c.eval_accuracy[-1]:.0%}" if len(c.eval_accuracy) else ""
            lines.append(f"* **{c.name}**: training loss {c.loss[-1]:.3f}{held_out}")
    return "\n".join(lines)


def _image_path(image: Any) -> Any:
    if image is None:
        raise ImageError("Upload an image first (or pick one of the examples).")
    return image


# --------------------------------------------------------------------------- the app


class Playground:
    """The handlers. One instance per server; per-user data lives in ``gr.State``, never here."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.device = pick_device(settings.device)
        self.zoo = ModelZoo(device=self.device, max_models=settings.max_models, offline=settings.offline or None)
        self.default_key = ModelKey(50, "v1.5", "DEFAULT")
        self.batching = batching_enabled(self.device, settings.batch)
        after = settings.timeline_after
        self.timeline_after = self.device.type != "cuda" if after is None else bool(after)
        precision = settings.precision
        if precision == "auto":
            precision = "bf16" if self.device.type == "cuda" and bf16_supported(self.device) else "fp32"
        self.precision = precision
        self._engines: OrderedDict[ModelKey, tuple[ResNet, InspectBatcher]] = OrderedDict()
        self._engines_lock = threading.Lock()
        self._predictors: OrderedDict[ModelKey, tuple[ResNet, FastPredictor]] = OrderedDict()
        self._warm = threading.Thread(target=self._warm_up, daemon=True)
        self._warm.start()

    def _warm_up(self) -> None:
        try:
            self.engine(self.zoo.get(self.default_key))
        except Exception:  # noqa: BLE001 - the page reports it when asked
            log.exception("warm-up failed")

    def engine(self, served: ServedModel) -> InspectBatcher:
        """The inspection engine of a served model, made and warmed up once per model.

        Batched where ``settings.batch`` says so, on a bf16 copy where ``precision`` is bf16;
        a user's checkpoint gets a plain float32 engine of its own (it is not shared).
        """
        if served.key.weights == "checkpoint":
            return InspectBatcher(served.model, enabled=False)
        plain = None if self.precision == "fp32" else functools.partial(self._warm_engine, served, "fp32")
        build = functools.partial(self._warm_engine, served, self.precision)
        return self._per_model(self._engines, served, build, plain, f"the {self.precision} engine")

    def _per_model(
        self, cache: OrderedDict, served: ServedModel, build: Callable[[], Any], plain: Callable[[], Any] | None, what: str
    ) -> Any:
        """``build()`` once per served model, kept for the next request (at most ``max_models``).

        Should ``build`` fail for a reason other than memory, ``plain`` builds the float32 eager
        version instead (when there is one), and the log says why: a reduced-precision or CUDA
        graph path that cannot run on this device must not take the model down with it.
        """
        with self._engines_lock:
            entry = cache.get(served.key)
            if entry is not None and entry[0] is served.model:
                cache.move_to_end(served.key)
                return entry[1]
        try:
            made = build()
        except torch.cuda.OutOfMemoryError:
            raise
        except Exception:
            if plain is None:
                raise
            log.exception("%s for %s failed; serving it in float32", what, served.key)
            made = plain()
        with self._engines_lock:
            cache[served.key] = (served.model, made)
            cache.move_to_end(served.key)
            while len(cache) > self.settings.max_models:
                cache.popitem(last=False)
        return made

    def _warm_engine(self, served: ServedModel, precision: str) -> InspectBatcher:
        model = reduced_precision(served.model).model if precision == "bf16" else served.model
        engine = InspectBatcher(model, enabled=self.batching)
        # the first request should not pay for allocations, kernel choices and cuDNN plans (on a
        # CPU that is about 15%, so there the warm-up skips the costlier timeline backward)
        warm = np.full((224, 224, 3), 128, np.uint8)
        engine.inspect(warm, preprocess=served.weights.preprocess, timeline=self.device.type == "cuda")
        return engine

    def predictor(self, served: ServedModel) -> FastPredictor:
        """The forward-only fast path of a served model, made and warmed up once per model.

        BatchNorm folded into the convolutions; on CUDA also bf16, channels_last and a CUDA graph
        per input shape (``resnet_core.fast``). A user's checkpoint gets an uncached one.
        """
        if served.key.weights == "checkpoint":
            return FastPredictor(served.model, cuda_graphs=False)

        def build() -> FastPredictor:
            predictor = FastPredictor(served.model)
            predictor.warm_up()  # on CUDA: captures the 224x224 graph
            return predictor

        plain = None
        if served.device.type == "cuda":
            plain = functools.partial(FastPredictor, served.model, dtype=torch.float32, cuda_graphs=False)
        return self._per_model(self._predictors, served, build, plain, "the CUDA fast path")

    # ------------------------------------------------------------------ status
    def status(self) -> str:
        """The banner at the top: device, and whether the default model's weights are real."""
        self._warm.join(timeout=120)
        try:
            served = self.zoo.get(self.default_key)
        except Exception as exc:  # noqa: BLE001
            return f"⚠️ The default model could not be loaded: {exc}. {self._device_text()}"
        return self.notice_for(served)

    def _device_text(self) -> str:
        name = f" ({torch.cuda.get_device_name(self.device)})" if self.device.type == "cuda" else ""
        return f"**Device:** {self.device.type.upper()}{name}"

    def notice_for(self, served: ServedModel) -> str:
        """What the page says at the top about the model a result came from."""
        if served.weights.notice:
            return f"⚠️ **{served.weights.notice}**  \n{self._device_text()}"
        return f"✅ {served.model.name} with {served.weights.source} weights. {self._device_text()}"

    def _check_cost(self, depth: int | tuple, variant: str, size: int) -> None:
        """Refuse a network or an input size past the server's budget, before anything is built.

        Counted on the meta device (no memory, no arithmetic): parameters bound what a cached
        model holds; multiply-accumulates bound the time and activation memory of one inspection.
        """
        arch = architecture_of(depth, variant, (size, size))
        if arch.params > self.settings.max_params:
            raise ValueError(
                f"{arch.name} has {viz.human_count(arch.params)} parameters; this server runs networks of up to "
                f"{viz.human_count(self.settings.max_params)} (ResNet-152 has 60.2M). The Architecture tab still shows it."
            )
        limit = self.settings.max_gmacs * 1e9
        if arch.macs > limit:
            fits = int(size * math.sqrt(limit / arch.macs)) // 32 * 32
            smaller = f"an input size up to about {fits} or " if fits >= 32 else ""
            raise ValueError(
                f"{arch.name} at {size}×{size} takes {arch.macs / 1e9:.0f} GMACs per pass; this server allows "
                f"{self.settings.max_gmacs:g}. Choose {smaller}a smaller network."
            )

    def _served(
        self,
        depth: str,
        counts: str,
        block: str,
        variant: str,
        weights: str,
        user: ServedModel | None = None,
        size: int | None = None,
    ) -> ServedModel:
        d = parse_depth(depth, counts, block)
        if weights not in WEIGHT_CHOICES:
            raise ValueError(f"weights must be one of {', '.join(WEIGHT_CHOICES)}")
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}")
        self._check_cost(d, variant, size or 224)
        if weights == "checkpoint":
            if user is None:
                raise ValueError("upload a checkpoint (.safetensors or .pth) first, or pick other weights")
            if (user.key.depth, user.key.variant) != (d, variant):
                raise ValueError("your checkpoint was loaded for another architecture; load it again for this one")
            return user
        return self.zoo.get(ModelKey(d, variant, weights))

    @friendly
    def load_checkpoint(self, file: Any, depth: str, counts: str, block: str, variant: str) -> tuple:
        """Your own weights for the chosen architecture, checked key by key; kept for this session only."""
        if not file:
            raise ValueError("choose a .safetensors or .pth file")
        path = Path(file)
        if path.suffix.lower() not in (".safetensors", ".pth", ".pt"):
            raise ValueError("checkpoints are accepted as .safetensors or .pth files")
        key = ModelKey(parse_depth(depth, counts, block), variant, "random")
        self._check_cost(key.depth, key.variant, 224)
        served = self.zoo.add_checkpoint(key, path, filename=path.name)
        message = (
            f"Loaded **{path.name}** into {served.model.name} ({served.model.num_classes} classes). "
            "Pick the weights “checkpoint” to use it; it stays with this browser session only."
        )
        return served, message, gr.update(value="checkpoint")

    # ------------------------------------------------------------------ architecture
    @friendly
    def architecture(
        self, depth: str, counts: str, block: str, variant: str, height: float, width: float, level: str, unfold: bool, selected: str | None
    ) -> tuple:
        """Block graph, shape table, cost per stage and totals for one architecture and input size."""
        d = parse_depth(depth, counts, block)
        hw = parse_size(height, width)
        arch = architecture_of(d, variant, hw)
        names = [b.name for b in arch.blocks]
        chosen = selected if selected in names else None
        figure = graph_of(d, variant, hw, () if unfold else None, level, chosen)
        totals = (
            f"**{arch.name}** at {arch.input_size[0]}×{arch.input_size[1]}: "
            f"**{viz.human_count(arch.params)}** parameters, **{viz.human_macs(arch.macs)}**, "
            f"{viz.human_count(arch.adds)} residual additions (counted apart from the MACs), "
            f"{len(arch.blocks)} blocks."
        )
        return (
            figure,
            viz.shape_table_markdown(arch),
            viz.cost_figure(arch),
            totals,
            gr.update(choices=names, value=chosen),
        )

    @friendly
    def block_code(self, depth: str, counts: str, block: str, variant: str, height: float, width: float, name: str | None) -> str:
        """The PyTorch source of the chosen block, with the shapes it sees."""
        if not name:
            return "# pick a block to see its code"
        arch = architecture_of(parse_depth(depth, counts, block), variant, parse_size(height, width))
        return block_source(arch, name)

    @friendly
    def model_layers(self, depth: str, counts: str, block: str, variant: str) -> tuple:
        """Layer pickers for a model (stem, stages, blocks), read from the model itself."""
        names = list(layer_names(skeleton(parse_depth(depth, counts, block), variant)))
        last_stage = [n for n in names if n.startswith("layer") and "." not in n][-1]
        blocks = [n for n in names if "." in n]
        return (
            gr.update(choices=names, value=last_stage),
            gr.update(choices=names, value=last_stage),
            gr.update(choices=blocks, value=blocks[-1] if blocks else None),
        )

    # ------------------------------------------------------------------ inspect
    def _model_and_input(
        self,
        image: Any,
        depth: str,
        counts: str,
        block: str,
        variant: str,
        weights: str,
        mode: str,
        size: float,
        user: ServedModel | None,
    ) -> tuple[ServedModel, Prepared]:
        """The served model a request names (within the budget) and its picture, prepared for it."""
        side = int(size) if size else None
        served = self._served(depth, counts, block, variant, weights, user, size=side)
        prepared = prepare(load_image(_image_path(image)), served.weights.preprocess, mode=mode, size=side)
        return served, prepared

    @friendly
    def run_inspection(
        self,
        image: Any,
        depth: str,
        counts: str,
        block: str,
        variant: str,
        weights: str,
        layer: str,
        target: str | None,
        mode: str,
        size: float,
        top_k: float,
        guided: bool,
        alpha: float = 0.5,
        cmap: str = "jet",
        stage: str = "layer4",
        scale: str = "per-channel",
        act_cmap: str = "viridis",
        user: ServedModel | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's way to ask for progress
    ) -> Iterator[tuple]:
        """Predictions, activations, Grad-CAM and the Grad-CAM timeline for one image.

        On a GPU all of it comes from one forward and one batched backward pass. On a CPU the
        timeline (Grad-CAM at the stem and every stage for the top five classes: five backward
        passes to the stem) costs several times the rest, so there (``timeline_after``) the rest
        is shown first and the timeline follows from a second pass. Either way the last update
        is the whole result, and that is what an API client receives.
        """
        progress(0.05, desc="loading the model and reading the image")
        served, prepared = self._model_and_input(image, depth, counts, block, variant, weights, mode, size, user)
        categories = served.weights.categories
        engine = self.engine(served)
        asked = parse_target(target, categories)
        k = _top_k(top_k)
        progressive = self.timeline_after
        progress(0.5, desc="one forward, one backward")
        result = engine.inspect(
            prepared,
            layer=layer or "layer4",
            target=asked,
            top_k=k,
            categories=categories,
            guided=bool(guided),
            timeline=not progressive,
        )
        view = (alpha, cmap, stage, scale, act_cmap)
        if progressive:
            progress(0.6, desc="drawing")
            yield self._inspection_outputs(result, served, *view, pending=True)
            progress(0.7, desc="the Grad-CAM timeline: stem and every stage")
            # the classes the one-pass timeline follows: the asked-for class, or else the top five
            classes = asked if asked is not None else tuple(p.index for p in result.predictions[: min(5, k)])
            second = engine.inspect(
                prepared, layer="stem", target=classes, top_k=1, categories=categories, max_channels=1, timeline=True
            )
            timings = {**result.timings, "timeline": second.timings["total"]}
            timings["total"] = result.timings["total"] + second.timings["total"]
            result = dataclasses.replace(result, timeline=second.timeline, timings=timings)
        progress(0.9, desc="drawing")
        yield self._inspection_outputs(result, served, *view)

    def _inspection_outputs(
        self,
        result: Inspection,
        served: ServedModel,
        alpha: float,
        cmap: str,
        stage: str,
        scale: str,
        act_cmap: str,
        *,
        pending: bool = False,
    ) -> tuple:
        """/inspect's outputs for ``result``; ``pending``: its timeline is still being computed."""
        top = result.predictions[: min(10, len(result.predictions))]
        info = (
            f"{result.model_name}: input {result.input_size[0]}×{result.input_size[1]}, "
            f"{result.timings['total'] * 1000:.0f} ms on the server"
        )
        if pending:
            info += "; the Grad-CAM timeline below is on its way"
        elif "timeline" in result.timings:
            info += f" ({result.timings['timeline'] * 1000:.0f} ms of it for the timeline, sent after the rest)"
        return (
            result,
            self.notice_for(served),
            *self.render_cam(result, alpha, cmap),
            viz.predictions_label(top),
            viz.predictions_figure(top),
            None if result.timeline is None else served_picture(viz.cam_timeline_image(result.timeline, cmap=cmap)),
            *self.render_activations(result, stage if stage in {a.name for a in result.activations} else "layer4", scale, act_cmap),
            viz.stats_figure(result.activations),
            info,
        )

    @friendly
    def predict(
        self,
        image: Any,
        depth: str,
        counts: str,
        block: str,
        variant: str,
        weights: str,
        mode: str,
        size: float,
        top_k: float,
        user: ServedModel | None = None,
    ) -> tuple:
        """Top-k only: one forward pass on the fast path, no gradients, no Grad-CAM."""
        served, prepared = self._model_and_input(image, depth, counts, block, variant, weights, mode, size, user)
        predictor = self.predictor(served)
        k = _top_k(top_k)
        start = time.perf_counter()
        (top,) = predictor.predict(prepared.tensor, top_k=k, categories=served.weights.categories)
        elapsed = time.perf_counter() - start
        _, _, h, w = prepared.tensor.shape
        info = (
            f"{getattr(served.model, 'name', 'ResNet')}: input {h}×{w}, top-{k} in {elapsed * 1000:.1f} ms on the "
            "server (forward pass only: no Grad-CAM, no activations)"
        )
        return self.notice_for(served), viz.predictions_label(top), info

    @friendly
    def render_cam(self, state: Any, alpha: float, cmap: str) -> tuple:
        """Redraw the Grad-CAM overlay from this user's last inspection (no model involved)."""
        if state is None:
            raise gr.Error("Run an inspection first.")
        cam = state.cam
        overlay = served_picture(viz.cam_overlay(state.image, cam.heatmap, alpha=float(alpha), cmap=cmap))
        guided = None if state.guided is None else served_picture(viz.colormap(state.guided, "gray"))
        caption = f"Grad-CAM at {cam.layer} for “{cam.label}” (class {cam.target}, logit {cam.score:.2f})"
        return overlay, guided, caption

    @friendly
    def render_activations(self, state: Any, name: str, scale: str, cmap: str) -> tuple:
        """Redraw the activation gallery for a stage or block (no model involved)."""
        if state is None:
            raise gr.Error("Run an inspection first.")
        act = state.activation(name or "layer4")
        grid = served_picture(viz.activation_grid(act, scale=scale, cmap=cmap))
        c, h, w = act.shape
        text = (
            f"**{act.name}** output {c}×{h}×{w}: mean {act.mean:.3f}, std {act.std:.3f}, "
            f"max {act.max:.3f}, {act.zero_fraction:.0%} zeros. Strongest channels: "
            + ", ".join(map(str, act.channels))
        )
        return grid, text

    # ------------------------------------------------------------------ compare depths
    @friendly
    def compare_depths(self, image: Any, weights: str, progress: gr.Progress = gr.Progress()) -> Iterator[tuple]:  # noqa: B008
        """One image through ResNet-18/34/50/101/152: top-5, Grad-CAM at layer4, time, size.

        Each depth is shown as soon as it is done (on a CPU the five take seconds); the last
        update holds all five, and that is what an API client receives.
        """
        picture = load_image(_image_path(image))
        overlays, captions, rows = [], [], []
        for i, depth in enumerate(STANDARD_DEPTHS):
            progress(i / len(STANDARD_DEPTHS), desc=f"ResNet-{depth}")
            served = self.zoo.get(ModelKey(depth, "v1.5", weights))
            prepared = prepare(picture, served.weights.preprocess)
            start = time.perf_counter()
            res = inspect(served.model, prepared, categories=served.weights.categories, top_k=5)
            elapsed = time.perf_counter() - start
            arch = architecture_of(depth, "v1.5", res.input_size)
            top = res.predictions[0]
            overlays.append(viz.cam_overlay(res.image, res.cam.heatmap))
            captions.append(f"ResNet-{depth}: {top.label} ({top.probability:.0%})")
            rows.append(
                [
                    f"ResNet-{depth}",
                    "; ".join(f"{p.label} {p.probability:.1%}" for p in res.predictions),
                    f"{elapsed * 1000:.0f}",
                    viz.human_count(arch.params),
                    f"{arch.macs / 1e9:.2f}",
                    served.weights.source,
                ]
            )
            # fresh files for every update: the page may still be fetching the previous one's
            yield [(served_picture(o), c) for o, c in zip(overlays, captions)], [list(r) for r in rows]

    # ------------------------------------------------------------------ why residual?
    @friendly
    def gradient_flow(self, family: str, depth: float, norm: str, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
        """Gradient norm per block at initialization: residual, plain twin, pre-activation."""
        if norm not in RACE_NORMS:
            raise ValueError(f"batch normalization is one of {', '.join(RACE_NORMS)}")
        flows = []
        for i, bn in enumerate(RACE_NORMS[norm]):
            progress(i / len(RACE_NORMS[norm]), desc=f"one backward pass per network, BN {'on' if bn else 'off'}")
            flows.append(lab.gradient_flow(family=family, depth=int(depth), norm=bn))
        text = "\n".join(f"* {net.summary}" for flow in flows for net in flow.networks)
        return vlab.gradient_flow_figure(flows), vlab.shortcut_share_figure(flows[0]), text

    @friendly
    def race(self, depth: float, seconds: float) -> Iterator[tuple]:
        """Train plain-N and ResNet-N side by side on generated shapes and stream the curves."""
        depth = int(depth)
        if depth not in RACE_DEPTHS:
            raise ValueError(f"the race runs at depth {', '.join(map(str, RACE_DEPTHS))}")
        budget = min(max(float(seconds), 5.0), RACE_MAX_SECONDS)  # the server decides how long
        last = 0.0
        for update in lab.race(depth=depth, max_seconds=budget):
            now = time.perf_counter()
            if now - last > 0.5 or update.done:
                last = now
                yield vlab.race_figure(update), _race_text(update)

    @friendly
    def ablation(
        self,
        image: Any,
        depth: str,
        counts: str,
        block: str,
        variant: str,
        weights: str,
        name: str,
        mode: str,
        layer: str,
        user: ServedModel | None = None,
    ) -> tuple:
        """Zero one block's residual branch or cut its shortcut: top-5 and Grad-CAM, before and after."""
        served = self._served(depth, counts, block, variant, weights, user)
        prepared = prepare(load_image(_image_path(image)), served.weights.preprocess)
        cats = served.weights.categories
        before = inspect(served.model, prepared, layer=layer or "layer4", categories=cats)
        with lab.ablate(served.model, name, mode):
            after = inspect(served.model, prepared, layer=layer or "layer4", target=before.cam.target, categories=cats)
        return (
            viz.predictions_label(before.predictions),
            viz.predictions_label(after.predictions),
            served_picture(viz.cam_overlay(before.image, before.cam.heatmap)),
            served_picture(viz.cam_overlay(after.image, after.cam.heatmap)),
        )


# --------------------------------------------------------------------------- i18n

# Keys must not be the name of one of Gradio's own translation groups ("image", "file", "audio",
# "video", "chatbot", ...): the label then resolves to that group and shows "[object Object]".
I18N = gr.I18n(
    en={
        "title": "ResNet playground",
        "subtitle": "Pick a depth, upload an image, and see what every stage of a residual network does with it.",
        "tab_arch": "Architecture",
        "tab_inspect": "Inspect",
        "tab_compare": "Compare depths",
        "tab_lab": "Why residual?",
        "depth": "Depth",
        "counts": "Block counts per stage (custom)",
        "block_type": "Block type (custom)",
        "variant": "Variant",
        "height": "Input height",
        "width": "Input width",
        "level": "Graph level",
        "unfold": "Unfold long stages",
        "block": "Block",
        "show": "Show",
        "picture": "Image",
        "weights": "Weights",
        "layer": "Grad-CAM layer",
        "target": "Class to explain",
        "mode": "Preprocessing",
        "size": "Input size",
        "top_k": "Top-k",
        "guided": "Guided Grad-CAM",
        "run": "Inspect",
        "quick": "Top-k only (one fast forward pass)",
        "opacity": "Heatmap opacity",
        "colormap": "Colour map",
        "stage": "Stage or block",
        "scale": "Colour scale",
        "compare": "Compare all depths",
        "family": "Network family",
        "bn": "Batch normalization",
        "flow": "Measure gradient flow",
        "race": "Start the race",
        "seconds": "Time budget (s)",
        "ablate": "Ablate",
        "ablate_mode": "Ablation",
        "graph": "Block graph",
        "cost": "Cost per stage",
        "code": "The block's PyTorch code, with the shapes it sees",
        "examples": "Examples",
        "checkpoint": "Checkpoint",
        "gradcam": "Grad-CAM",
        "guided_panel": "Guided Grad-CAM",
        "predictions": "Predictions",
        "topk_plot": "Top-k",
        "gallery": "Strongest channels",
        "stats": "Per-block statistics",
        "compare_gallery": "Grad-CAM at layer4",
        "flow_plot": "Gradient norm per block (log scale)",
        "share_plot": "Where the gradient arrives from",
        "race_plot": "Live curves",
        "saved_plot": "The longer race (saved)",
        "before": "Before",
        "after": "After",
        "cam_before": "Grad-CAM before",
        "cam_after": "Grad-CAM after",
        "anatomy": "Block anatomy",
        "options": 'Options',
        "own_weights": 'Your own weights (.safetensors or .pth)',
        "code_btn": "Show the block's code",
        "timeline_heading": "**Grad-CAM at the stem and every stage** (rows: the top classes): which layer should you pick?",
    },
    zh={
        "title": "ResNet 游乐场",
        "subtitle": "选择深度，上传图片，看看残差网络的每个阶段如何处理它。",
        "tab_arch": "网络结构",
        "tab_inspect": "检视",
        "tab_compare": "深度对比",
        "tab_lab": "为什么要残差？",
        "depth": "深度",
        "counts": "每个阶段的块数（自定义）",
        "block_type": "块类型（自定义）",
        "variant": "变体",
        "height": "输入高度",
        "width": "输入宽度",
        "level": "图的层级",
        "unfold": "展开较长的阶段",
        "block": "残差块",
        "show": "显示",
        "picture": "图片",
        "weights": "权重",
        "layer": "Grad-CAM 层",
        "target": "要解释的类别",
        "mode": "预处理",
        "size": "输入尺寸",
        "top_k": "前 k 个",
        "guided": "引导 Grad-CAM",
        "run": "检视",
        "quick": "只看 Top-k（一次快速前向）",
        "opacity": "热力图透明度",
        "colormap": "色图",
        "stage": "阶段或残差块",
        "scale": "色标",
        "compare": "对比所有深度",
        "family": "网络族",
        "bn": "批归一化",
        "flow": "测量梯度流",
        "race": "开始训练比赛",
        "seconds": "时间预算（秒）",
        "ablate": "消融",
        "ablate_mode": "消融方式",
        "graph": "残差块图",
        "cost": "各阶段的开销",
        "code": "该残差块的 PyTorch 代码及其看到的形状",
        "examples": "示例",
        "checkpoint": "检查点文件",
        "gradcam": "Grad-CAM 热力图",
        "guided_panel": "引导 Grad-CAM",
        "predictions": "预测",
        "topk_plot": "前 k 个预测",
        "gallery": "最强的通道",
        "stats": "各残差块的统计",
        "compare_gallery": "layer4 处的 Grad-CAM",
        "flow_plot": "各残差块的梯度范数（对数坐标）",
        "share_plot": "梯度从哪条路径到达",
        "race_plot": "实时曲线",
        "saved_plot": "更长的比赛（已保存）",
        "before": "消融前",
        "after": "消融后",
        "cam_before": "消融前的 Grad-CAM",
        "cam_after": "消融后的 Grad-CAM",
        "anatomy": "残差块解剖",
        "options": "选项",
        "own_weights": "你自己的权重（.safetensors 或 .pth）",
        "code_btn": "显示该残差块的代码",
        "timeline_heading": "**在 stem 和每个阶段的 Grad-CAM**（每行一个高分类别）：应该选哪一层？",
    },
)

CSS = """
#notice { border-left: 4px solid #f59e0b; background: var(--block-background-fill); padding: 6px 12px; border-radius: 6px; }
"""


INTRO = """
ResNet ([He et al., 2015](https://arxiv.org/abs/1512.03385)) adds a shortcut around every few layers,
so each block learns a *residual* F(x) and outputs F(x) + x. [Identity Mappings](https://arxiv.org/abs/1603.05027)
moves BN and ReLU before the convolutions so the shortcut path stays clean from end to end.
"""


def build_demo(settings: Settings | None = None) -> gr.Blocks:
    """The whole page: layout first, then wiring, every event with an ``api_name``."""
    settings = settings or Settings()
    app = Playground(settings)
    run_on_gpu = functools.partial(dict, concurrency_id=MODEL_EVENTS, concurrency_limit=settings.concurrency)
    examples = [str(p) for p in EXAMPLES]

    with gr.Blocks(
        title="ResNet playground", analytics_enabled=False, delete_cache=(CACHE_SWEEP_S, CACHE_MAX_AGE_S)
    ) as demo:
        gr.Markdown("# ResNet playground · ResNet 游乐场")
        gr.Markdown(I18N("subtitle"))
        notice = gr.Markdown(elem_id="notice")
        gr.Markdown(INTRO)

        # shared model picker
        with gr.Row():
            depth = gr.Dropdown(DEPTH_CHOICES, value="ResNet-50", label=I18N("depth"), elem_id="depth")
            variant = gr.Radio(list(VARIANTS), value="v1.5", label=I18N("variant"))
            weights = gr.Dropdown(WEIGHT_CHOICES, value="DEFAULT", label=I18N("weights"))
            counts = gr.Textbox("2, 2, 2, 2", label=I18N("counts"), visible=True)
            block_type = gr.Radio(list(BLOCK_TYPES), value="basic", label=I18N("block_type"))
        with gr.Accordion(I18N("own_weights"), open=False):
            user_model = gr.State(None)
            with gr.Row():
                ckpt = _unread_uploads(
                    gr.File(label=I18N("checkpoint"), file_types=[".safetensors", ".pth", ".pt"], type="filepath"),
                )
                ckpt_info = gr.Markdown()

        with gr.Tabs():
            # ---------------------------------------------------------- architecture
            with gr.Tab(I18N("tab_arch"), id="arch"):
                with gr.Row():
                    height = gr.Number(224, label=I18N("height"), precision=0, minimum=1, maximum=MAX_INPUT_SIZE)
                    width = gr.Number(224, label=I18N("width"), precision=0, minimum=1, maximum=MAX_INPUT_SIZE)
                    level = gr.Radio(list(viz.LEVELS), value="block", label=I18N("level"))
                    unfold = gr.Checkbox(False, label=I18N("unfold"))
                    show_arch = gr.Button(I18N("show"), variant="primary")
                totals = gr.Markdown()
                graph = gr.Plot(label=I18N("graph"), elem_id="graph")
                with gr.Row():
                    with gr.Column(scale=3):
                        shape_md = gr.Markdown(elem_id="shape-table")
                    with gr.Column(scale=2):
                        cost = gr.Plot(label=I18N("cost"))
                with gr.Row():
                    block_pick = gr.Dropdown([], label=I18N("block"), allow_custom_value=False)
                    code_btn = gr.Button(I18N("code_btn"), size="sm")
                code = gr.Code(language="python", label=I18N("code"))

            # ---------------------------------------------------------- inspect
            with gr.Tab(I18N("tab_inspect"), id="inspect"):
                state = gr.State(None)
                with gr.Row():
                    with gr.Column(scale=1):
                        image = _unread_uploads(
                            gr.Image(
                                type="filepath",
                                image_mode=None,
                                sources=["upload", "webcam", "clipboard"],
                                label=I18N("picture"),
                                elem_id="image",
                            )
                        )
                        gr.Examples(examples, inputs=[image], label=I18N("examples"))
                        with gr.Accordion(I18N("options"), open=False):
                            layer = gr.Dropdown(["layer4"], value="layer4", label=I18N("layer"), allow_custom_value=True)
                            target = gr.Dropdown(
                                class_choices(IMAGENET_CATEGORIES),
                                value="auto (top-1)",
                                label=I18N("target"),
                                allow_custom_value=True,
                            )
                            mode = gr.Radio(["crop", "whole"], value="crop", label=I18N("mode"))
                            size = gr.Slider(32, MAX_INPUT_SIZE, value=224, step=1, label=I18N("size"))
                            top_k = gr.Slider(1, 20, value=5, step=1, label=I18N("top_k"))
                            guided = gr.Checkbox(False, label=I18N("guided"))
                        run = gr.Button(I18N("run"), variant="primary", elem_id="run")
                        quick = gr.Button(I18N("quick"), size="sm", elem_id="quick")
                    with gr.Column(scale=2):
                        run_info = gr.Markdown()
                        with gr.Row():
                            overlay = gr.Image(label=I18N("gradcam"), format=PHOTO_FORMAT, elem_id="overlay", interactive=False)
                            guided_img = gr.Image(label=I18N("guided_panel"), format=PHOTO_FORMAT, interactive=False, visible=False)
                        cam_caption = gr.Markdown()
                        with gr.Row():
                            alpha = gr.Slider(0, 1, value=0.5, step=0.05, label=I18N("opacity"))
                            cmap = gr.Dropdown(list(viz.COLORMAPS), value="jet", label=I18N("colormap"))
                        preds = gr.Label(num_top_classes=10, label=I18N("predictions"))
                        pred_plot = gr.Plot(label=I18N("topk_plot"))
                gr.Markdown(I18N("timeline_heading"))
                timeline = gr.Image(label="Grad-CAM timeline", show_label=False, format=PHOTO_FORMAT, interactive=False, elem_id="timeline")
                with gr.Row():
                    act_name = gr.Dropdown(["layer4"], value="layer4", label=I18N("stage"), allow_custom_value=True)
                    scale = gr.Radio(list(viz.SCALES), value="per-channel", label=I18N("scale"))
                    act_cmap = gr.Dropdown(list(viz.COLORMAPS), value="viridis", label=I18N("colormap"))
                act_text = gr.Markdown()
                gallery = gr.Image(label=I18N("gallery"), format=MAP_FORMAT, elem_id="gallery", interactive=False)
                stats = gr.Plot(label=I18N("stats"))

            # ---------------------------------------------------------- compare
            with gr.Tab(I18N("tab_compare"), id="compare"):
                compare_btn = gr.Button(I18N("compare"), variant="primary")
                compare_gallery = gr.Gallery(label=I18N("compare_gallery"), format=PHOTO_FORMAT, columns=5, height="auto")
                compare_table = gr.Dataframe(
                    headers=["model", "top-5", "ms", "parameters", "GMACs", "weights"], wrap=True, interactive=False
                )

            # ---------------------------------------------------------- lab
            with gr.Tab(I18N("tab_lab"), id="lab"):
                gr.Markdown(
                    "Deep plain networks lose or blow up their gradients and **degrade**: past some depth even the "
                    "training error gets worse. Shortcuts fix both. Below, measured live on this server."
                )
                with gr.Row():
                    family = gr.Radio(["cifar", "imagenet"], value="cifar", label=I18N("family"))
                    flow_depth = gr.Dropdown([20, 32, 44, 56, 110, 18, 34, 50], value=56, label=I18N("depth"))
                    bn = gr.Radio(["on", "off", "both"], value="both", label=I18N("bn"))
                    flow_btn = gr.Button(I18N("flow"), variant="primary")
                flow_text = gr.Markdown()
                flow_plot = gr.Plot(label=I18N("flow_plot"))
                share_plot = gr.Plot(label=I18N("share_plot"))
                gr.Markdown("### Degradation: a training race")
                with gr.Row():
                    race_depth = gr.Dropdown(list(RACE_DEPTHS), value=32, label=I18N("depth"))
                    race_seconds = gr.Slider(10, RACE_MAX_SECONDS, value=60, step=5, label=I18N("seconds"))
                    race_btn = gr.Button(I18N("race"), variant="primary")
                race_text = gr.Markdown()
                race_plot = gr.Plot(label=I18N("race_plot"))
                saved_plot = gr.Plot(label=I18N("saved_plot"))
                gr.Markdown("### Shortcut ablation on the image from *Inspect*")
                with gr.Row():
                    abl_block = gr.Dropdown([], label=I18N("block"))
                    abl_mode = gr.Radio(["branch", "shortcut"], value="branch", label=I18N("ablate_mode"))
                    abl_btn = gr.Button(I18N("ablate"), variant="primary")
                with gr.Row():
                    abl_before = gr.Label(num_top_classes=5, label=I18N("before"))
                    abl_after = gr.Label(num_top_classes=5, label=I18N("after"))
                with gr.Row():
                    abl_cam_before = gr.Image(label=I18N("cam_before"), format=PHOTO_FORMAT, interactive=False)
                    abl_cam_after = gr.Image(label=I18N("cam_after"), format=PHOTO_FORMAT, interactive=False)
                gr.Markdown("### Block anatomy: v1, v1.5 and pre-activation")
                gr.Plot(value=vlab.block_anatomy_figure(), label=I18N("anatomy"))

        # ------------------------------------------------------------------ wiring
        model_in = [depth, counts, block_type, variant]
        arch_in = [*model_in, height, width, level, unfold, block_pick]
        arch_out = [graph, shape_md, cost, totals, block_pick]
        show_arch.click(app.architecture, arch_in, arch_out, api_name="architecture")
        for control in (depth, variant, level, unfold):
            control.change(app.architecture, arch_in, arch_out, api_name=False)
        block_pick.select(app.architecture, arch_in, arch_out, api_name=False).then(
            app.block_code, [*model_in, height, width, block_pick], code, api_name=False
        )
        code_btn.click(
            app.block_code, [*model_in, height, width, block_pick], code, api_name="block_code"
        )
        depth.change(app.model_layers, model_in, [layer, act_name, abl_block], api_name="layers")
        variant.change(app.model_layers, model_in, [layer, act_name, abl_block], api_name=False)

        run.click(
            gpu(app.run_inspection),
            [image, *model_in, weights, layer, target, mode, size, top_k, guided, alpha, cmap, act_name, scale, act_cmap, user_model],
            [state, notice, overlay, guided_img, cam_caption, preds, pred_plot, timeline, gallery, act_text, stats, run_info],
            api_name="inspect",
            # batched: as many requests in flight as a batch takes; the batcher runs one at a time
            **(dict(concurrency_id="inspect", concurrency_limit=MAX_BATCH) if app.batching else run_on_gpu()),
        )
        quick.click(
            gpu(app.predict),
            [image, *model_in, weights, mode, size, top_k, user_model],
            [notice, preds, run_info],
            api_name="predict",
            **run_on_gpu(),
        )
        guided.change(lambda on: gr.update(visible=bool(on)), guided, guided_img, api_name=False)
        for control in (alpha, cmap):
            control.change(app.render_cam, [state, alpha, cmap], [overlay, guided_img, cam_caption], api_name=False)
        gr.Button("Redraw Grad-CAM", size="sm", visible=False).click(
            app.render_cam, [state, alpha, cmap], [overlay, guided_img, cam_caption], api_name="render_cam"
        )
        act_name.change(app.render_activations, [state, act_name, scale, act_cmap], [gallery, act_text], api_name="render_activations")
        for control in (scale, act_cmap):
            control.change(app.render_activations, [state, act_name, scale, act_cmap], [gallery, act_text], api_name=False)

        compare_btn.click(
            gpu(app.compare_depths), [image, weights], [compare_gallery, compare_table], api_name="compare_depths", **run_on_gpu()
        )
        flow_btn.click(app.gradient_flow, [family, flow_depth, bn], [flow_plot, share_plot, flow_text], api_name="gradient_flow", **run_on_gpu())
        race_btn.click(app.race, [race_depth, race_seconds], [race_plot, race_text], api_name="race", **run_on_gpu())
        abl_btn.click(
            gpu(app.ablation),
            [image, *model_in, weights, abl_block, abl_mode, layer, user_model],
            [abl_before, abl_after, abl_cam_before, abl_cam_after],
            api_name="ablation",
            **run_on_gpu(),
        )

        # builds a network on the device and runs it once: the GPU group too
        ckpt.upload(
            app.load_checkpoint, [ckpt, *model_in], [user_model, ckpt_info, weights], api_name="load_checkpoint", **run_on_gpu()
        )
        demo.load(app.status, None, notice, api_name="status")
        demo.load(app.architecture, arch_in, arch_out, api_name=False)
        demo.load(app.model_layers, model_in, [layer, act_name, abl_block], api_name=False)
        if SAVED_RACE.exists():
            demo.load(lambda: vlab.saved_curves_figure(SAVED_RACE), None, saved_plot, api_name=False)

    demo.queue(max_size=settings.queue_size, default_concurrency_limit=settings.concurrency)
    demo.playground = app  # for tests and benchmarks: the server's handlers and model zoo
    return demo


# --------------------------------------------------------------------------- web surface

_FILE_ROUTE = re.compile(r"/(?:file=|file/|proxy=)(.*)$", re.DOTALL)  # /gradio_api/file=..., /file/...


class GuardFileRoutes:
    """ASGI middleware: Gradio's file routes serve files from this disk only, never as a page.

    * ``/gradio_api/file=<url>`` makes Gradio fetch an http(s) URL from the server. It first
      checks that the host is public, but to decide that it asks dns.google when the local
      resolver has only private addresses: a request for ``http://169.254.169.254/`` makes the
      server reach out, and any public URL turns it into a proxy. This app serves no remote
      files, so every file route asked for a URL is refused here, before Gradio sees it.
    * Every answer from a file route carries ``X-Content-Type-Options: nosniff``: an upload
      named ``.png`` that holds HTML or SVG is never sniffed into a page with script.
    * A request body longer than ``max_body`` is refused: a base64 data URL rides inside the
      JSON of an API call and so skips the upload route's size limit. With a Content-Length the
      body is refused before it is read; a chunked body (no Content-Length) is read here, at
      most ``max_body`` bytes of it, and handed on only once it is known to fit. Uploads
      themselves are limited per file by Gradio (``max_file_size``).
    """

    def __init__(self, app: Any, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        route = _FILE_ROUTE.search(path)
        if route and _NOT_A_LOCAL_PATH.match(route.group(1)):
            await _refuse(send, 403, "Only files on this server are served, not web addresses.")
            return
        if scope.get("method") in ("POST", "PUT", "PATCH") and not path.endswith("/upload"):
            too_large = f"The request is larger than {self.max_body // 2**20 or 1} MB."
            length = dict(scope.get("headers") or []).get(b"content-length")
            if length is None:
                body = await _read_at_most(receive, self.max_body)
                if body is None:
                    await _refuse(send, 413, too_large)
                    return
                receive = _replay(body, receive)
            elif not length.isdigit() or int(length) > self.max_body:
                await _refuse(send, 413, too_large)
                return
        if route is None:
            await self.app(scope, receive, send)
            return

        async def send_nosniff(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-content-type-options", b"nosniff")]
            await send(message)

        await self.app(scope, receive, send_nosniff)


async def _read_at_most(receive: Callable, limit: int) -> bytes | None:
    """The whole request body, or None once it passes ``limit`` bytes (the rest is not read)."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":  # the client left: nothing to hand on
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Callable) -> Callable:
    """A ``receive`` that gives the app ``body`` in one message, then what the client sends."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive_again() -> dict:
        return pending.pop() if pending else await receive()

    return receive_again


async def _refuse(send: Callable, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def max_request_body(settings: Settings) -> int:
    """The largest API request body: an image at the upload limit, base64-encoded, plus the rest."""
    return settings.max_file_size * 4 // 3 + 2**20


def launch_kwargs(settings: Settings) -> dict[str, Any]:
    """The safe launch options (see shared/RELIABILITY.md): only assets/ is served from disk."""
    return dict(
        server_name=settings.host,
        server_port=settings.port or None,
        share=settings.share,
        max_file_size=settings.max_file_size,
        allowed_paths=[str(ASSETS)],
        # gr.Error texts (ours, and Gradio's own for out-of-range inputs) reach the page whatever
        # this says; True would also send str() of any other exception, e.g. Gradio's preprocessing
        # errors with the input echoed back and the server's temp paths. Those stay in the log.
        show_error=False,
        enable_monitoring=False,
        ssr_mode=False,
        i18n=I18N,
        css=CSS,
        footer_links=["api"],
        app_kwargs={"middleware": [Middleware(GuardFileRoutes, max_body=max_request_body(settings))]},
    )


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = parse_settings(argv)
    if settings.offline:
        os.environ["RESNET_OFFLINE"] = "1"
    demo = build_demo(settings)
    demo.launch(**launch_kwargs(settings))


if __name__ == "__main__":
    main()
