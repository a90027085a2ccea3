"""What a channel looks for: activation maximization (Olah et al. 2017, https://distill.pub/2017/feature-visualization/).

An input is optimised to raise one channel's mean activation at a stage or block, several
channels at once (one per batch element). The regularisers are the ones Olah et al. found make
the pictures readable, as Lucid implements them: the image lives in a decorrelated space (a
Fourier spectrum scaled by 1/frequency, so no frequency dominates, and colours through the square
root of ImageNet's colour correlation), and every step sees it padded, jittered, scaled and
rotated, so only patterns that survive small transformations are reinforced.

Beside each picture stand the "dataset examples" (as in OpenAI Microscope): the crops of the
person's picture and the bundled example pictures that excite the channel most, each cut to the
theoretical receptive field of the strongest position.

Activations are read before the stage's last ReLU, as Lucid's ``*_pre_relu`` layers are: a
channel that is zero on the starting grey picture would otherwise have no gradient at all.
With random weights the optimised pictures are noise: there is nothing learned to show.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .erf import Progress, _toy_pair
from .errors import UserError
from .images import load_image
from .model import ResNet
from .preprocess import Preprocess, prepare
from .receptive import features_at, receptive_fields
from .studies import StudyContext, study
from .zoo import ModelKey

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_PICTURES: tuple[Path, ...] = (
    *sorted((ROOT / "assets" / "examples").glob("*.jpg")), *sorted((ROOT / "assets" / "examples" / "synthetic").glob("*.png")),
)
#: the square root of ImageNet's colour correlation (Lucid's ``color_correlation_svd_sqrt``)
COLOR_SQRT = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], dtype=np.float32)
MAX_CHANNELS = 8
MAX_STEPS = 2048
MAX_SECONDS = 600.0
MIN_SIDE, MAX_SIDE = 32, 512
#: Lucid's standard transforms: pad 12, jitter 8, scale ±5 %, rotate ±10°, jitter 4
PAD, JITTER, SCALE, DEGREES, JITTER2 = 12, 8, 0.05, 10.0, 4


@dataclass(frozen=True, eq=False)
class FeatureVizCall:
    """One feature-visualization request.

    Attributes:
        model: "toy" (the shipped ResNet trained on shapes) or "picked" (``key``).
        key: the picked model (ignored for "toy").
        checkpoint: the session's weights for ``key``, or None.
        layer: stage or block ("layer3", "layer3.1").
        channels: 1 to :data:`MAX_CHANNELS` channel indices, optimised together in one batch.
        size: side of the optimised pictures.
        steps: most optimisation steps.
        seconds: most seconds of optimisation (whichever budget ends first).
        picture: the person's (H, W, 3) uint8 picture for the dataset examples, or None.
        examples: crops per channel.
        seed: the starting spectrum's seed.
        lr: Adam's step size.
    """

    model: str = "toy"
    key: ModelKey | None = None
    checkpoint: object = None
    layer: str = "layer3"
    channels: tuple[int, ...] = (0, 1, 2, 3)
    size: int = 64
    steps: int = 128
    seconds: float = 60.0
    picture: np.ndarray | None = None
    examples: int = 4
    seed: int = 0
    lr: float = 0.05

    def __post_init__(self) -> None:
        if self.model not in ("toy", "picked"):
            raise ValueError(f"the model is 'toy' or 'picked', not {str(self.model)[:40]!r}")
        if self.model == "picked" and not isinstance(self.key, ModelKey):
            raise ValueError("a picked model needs its ModelKey")
        ch = self.channels
        if not isinstance(ch, tuple) or not 1 <= len(ch) <= MAX_CHANNELS or not all(
            isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in ch
        ):
            raise ValueError(f"give 1 to {MAX_CHANNELS} channel numbers (0 or more), not {str(ch)[:60]}")
        _whole(self.size, MIN_SIDE, MAX_SIDE, "the picture side")
        _whole(self.steps, 1, MAX_STEPS, "the steps")
        _whole(self.examples, 0, 16, "the examples per channel")
        if not isinstance(self.seconds, (int, float)) or not 0 < float(self.seconds) <= MAX_SECONDS:
            raise ValueError(f"the time budget is more than 0 and at most {MAX_SECONDS:g} seconds, not {str(self.seconds)[:40]}")


def _whole(v: object, lo: int, hi: int, what: str) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ValueError(f"{what} is a whole number from {lo} to {hi}, not {str(v)[:40]}")


@dataclass(frozen=True)
class Example:
    """One dataset example: where in which picture the channel fired most.

    Attributes:
        source: the picture's name ("your picture", "cat.jpg").
        value: the channel's activation there.
        box: the field of that position in the picture as the network saw it (top, left, bottom, right).
        crop: that field's pixels (h, w, 3) uint8.
    """

    source: str
    value: float
    box: tuple[int, int, int, int]
    crop: np.ndarray


@dataclass(frozen=True)
class ChannelPicture:
    """One channel's optimised picture, its activation before and after, and its dataset examples."""

    channel: int
    image: np.ndarray  # (H, W, 3) uint8
    start: float
    end: float
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class FeatureVizProgress:
    """Progress of the optimisation, with the pictures as they stand ((B, H, W, 3) uint8)."""

    step: int
    steps: int
    seconds: float
    preview: np.ndarray


@dataclass(frozen=True)
class FeatureVizResult:
    """The finished study.

    Attributes:
        model_name: the network.
        source: its weights ("toy:...", "IMAGENET1K_V2", "random").
        random: whether the weights are random (the pictures are then noise).
        layer: the stage or block; channels: its channel count.
        pictures: one per asked channel.
        steps: steps taken; seconds: time spent optimising; stopped_by: "steps" or "time".
    """

    model_name: str
    source: str
    random: bool
    layer: str
    layer_channels: int
    pictures: tuple[ChannelPicture, ...]
    steps: int
    seconds: float
    stopped_by: str


class FourierImage:
    """A batch of pictures as a decorrelated Fourier spectrum (Lucid's ``fft_image`` and ``to_valid_rgb``).

    Args:
        batch, size: pictures and their side.
        generator: the starting spectrum's random source (standard deviation 0.01, as Lucid).
        device: where the spectrum lives.
        decay: the 1/frequency^decay scaling (1 in Lucid).
    """

    def __init__(self, batch: int, size: int, *, generator: torch.Generator, device: torch.device, decay: float = 1.0) -> None:
        self.size = size
        fy = torch.fft.fftfreq(size)[:, None]
        fx = torch.fft.rfftfreq(size)[None, :]
        freqs = torch.sqrt(fy * fy + fx * fx)  # (S, S//2+1)
        self.scale = (1.0 / torch.clamp(freqs, min=1.0 / size) ** decay * size).to(device)
        init = torch.randn(batch, 3, size, size // 2 + 1, 2, generator=generator) * 0.01
        self.spectrum = init.to(device).requires_grad_(True)
        color = torch.from_numpy(COLOR_SQRT / np.max(np.linalg.norm(COLOR_SQRT, axis=0)))
        self.color = color.to(device)

    def rgb(self) -> Tensor:
        """The pictures in [0, 1], (B, 3, S, S)."""
        spec = torch.view_as_complex(self.spectrum) * self.scale
        img = torch.fft.irfft2(spec, s=(self.size, self.size)) / 4.0  # (B, 3, S, S), decorrelated
        img = torch.einsum("bchw,dc->bdhw", img, self.color)  # into correlated RGB
        return torch.sigmoid(img)


def robust_view(img: Tensor, generator: torch.Generator) -> Tensor:
    """Pad, jitter, scale, rotate and jitter again, independently for each picture (Olah et al., "Transformation robustness")."""
    b = img.shape[0]
    x = F.pad(img, (PAD,) * 4, value=0.5)  # (B, 3, S+24, S+24)
    side = x.shape[-1]
    r = lambda *shape: torch.rand(*shape, generator=generator)  # noqa: E731 - a local shorthand
    scale = 1 + SCALE * (2 * r(b) - 1)
    angle = math.radians(DEGREES) * (2 * r(b) - 1)
    shift = (2 * r(b, 2) - 1) * JITTER * 2 / side  # grid units: 2 over the side
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta.to(img), list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    dy, dx = (int(v) for v in torch.randint(0, JITTER2 + 1, (2,), generator=generator))
    return x[:, :, dy : side - JITTER2 + dy, dx : side - JITTER2 + dx]


def _normalize(img: Tensor, pre: Preprocess) -> Tensor:
    mean = torch.tensor(pre.mean, device=img.device).view(1, 3, 1, 1)
    std = torch.tensor(pre.std, device=img.device).view(1, 3, 1, 1)
    return (img - mean) / std


def _objective(model: ResNet, layer: str, x: Tensor, channels: Tensor) -> Tensor:
    """Each batch element's own channel's mean activation before the last ReLU, (B,)."""
    act = features_at(model, layer, x, pre_relu=True)  # (B, C, h, w)
    return act[torch.arange(act.shape[0], device=act.device), channels].mean((-2, -1))


def _uint8(img: Tensor) -> np.ndarray:
    return (img.detach().clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy() * 255).round().astype(np.uint8)


def optimise(
    model: ResNet, layer: str, channels: tuple[int, ...], pre: Preprocess, *, size: int, steps: int, seconds: float,
    seed: int = 0, lr: float = 0.05, check: Callable[[], None] = lambda: None, every: int = 8,
) -> Iterator[FeatureVizProgress | tuple[np.ndarray, np.ndarray, np.ndarray, int, float, str]]:
    """Maximise each channel's mean activation; yields progress, then ``(pictures, start, end, steps, seconds, stopped_by)``.

    ``start`` and ``end`` are each channel's mean activation on the untransformed picture
    before the first step and after the last.
    """
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(int(seed))
    image = FourierImage(len(channels), size, generator=gen, device=device)
    idx = torch.tensor(channels, device=device)
    with torch.no_grad():
        start = _objective(model, layer, _normalize(image.rgb(), pre), idx).cpu().numpy()
    opt = torch.optim.Adam([image.spectrum], lr=lr)
    began, done, stopped_by = time.perf_counter(), 0, "steps"
    with torch.enable_grad():
        for done in range(1, steps + 1):
            check()
            opt.zero_grad(set_to_none=True)
            loss = -_objective(model, layer, _normalize(robust_view(image.rgb(), gen), pre), idx).sum()
            loss.backward()
            opt.step()
            spent = time.perf_counter() - began
            if done % every == 0 and done < steps:
                yield FeatureVizProgress(done, steps, spent, _uint8(image.rgb()))
            if spent >= seconds and done < steps:
                stopped_by = "time"
                break
    seconds_spent = time.perf_counter() - began
    with torch.no_grad():
        final = image.rgb()
        end = _objective(model, layer, _normalize(final, pre), idx).cpu().numpy()
    yield _uint8(final), start, end, done, seconds_spent, stopped_by


def dataset_examples(
    model: ResNet, layer: str, channels: tuple[int, ...], pre: Preprocess, pictures: list[tuple[str, np.ndarray]], *,
    size: int, per_channel: int,
) -> list[tuple[Example, ...]]:
    """For each channel, the pictures' fields where it fires most (one, the strongest, per picture)."""
    if not pictures or per_channel == 0:
        return [() for _ in channels]
    prepared = [prepare(p, pre, mode="crop", size=size) for _, p in pictures]
    device = next(model.parameters()).device
    with torch.no_grad():
        x = torch.cat([p.tensor for p in prepared]).to(device)  # (N, 3, S, S)
        act = features_at(model, layer, x, pre_relu=True)[:, list(channels)].float().cpu().numpy()  # (N, K, h, w)
    field = receptive_fields(model, (size, size)).field(layer)
    out = []
    for k in range(len(channels)):
        maps = act[:, k].reshape(len(pictures), -1)
        best = maps.argmax(1)
        ranked = np.argsort(-maps.max(1))[:per_channel]
        items = []
        for n in ranked:
            row, col = divmod(int(best[n]), act.shape[-1])
            top, left, bottom, right = field.box(row, col, (size, size))
            crop = prepared[n].view[top : bottom + 1, left : right + 1].copy()
            items.append(Example(pictures[n][0], float(maps[n].max()), (top, left, bottom, right), crop))
        out.append(tuple(items))
    return out


def _model_for(ctx: StudyContext, call: FeatureVizCall) -> tuple[ResNet, str, bool, Preprocess]:
    if call.model == "toy":
        trained, _, source, pre = _toy_pair(str(ctx.service.device))
        return trained, source, False, pre
    served = ctx.resolve(call.key, call.checkpoint, call.size)
    random = not served.weights.pretrained and call.checkpoint is None
    return served.model, served.weights.source, random, served.weights.preprocess


def _example_pictures(picture: np.ndarray | None) -> list[tuple[str, np.ndarray]]:
    out = [("your picture", picture)] if picture is not None else []
    out += [(p.name, np.asarray(load_image(p))) for p in EXAMPLE_PICTURES]
    return out


@study("feature_visualization", call_type=FeatureVizCall)
def feature_visualization(ctx: StudyContext, call: FeatureVizCall) -> Iterator[Progress | FeatureVizProgress | FeatureVizResult]:
    """Optimised pictures for a few channels of a layer, with their dataset examples."""
    model, source, random, pre = _model_for(ctx, call)
    channels_in_layer = _layer_channels(model, call.layer)
    if max(call.channels) >= channels_in_layer:
        raise UserError(f"{call.layer} has channels 0 to {channels_in_layer - 1}; {max(call.channels)} is not one of them",
                        key="error.channel_range", layer=call.layer, last=channels_in_layer - 1, got=max(call.channels))
    yield Progress(0, call.steps, "optimising")
    run = optimise(model, call.layer, call.channels, pre, size=call.size, steps=call.steps, seconds=float(call.seconds),
                   seed=call.seed, lr=call.lr, check=ctx.check)
    for record in run:
        if isinstance(record, FeatureVizProgress):
            yield record
        else:
            images, start, end, steps, seconds, stopped_by = record
    ctx.check()
    yield Progress(steps, call.steps, "dataset examples")
    examples = dataset_examples(model, call.layer, call.channels, pre, _example_pictures(call.picture),
                                size=call.size, per_channel=call.examples)
    pictures = tuple(
        ChannelPicture(c, images[i], float(start[i]), float(end[i]), examples[i]) for i, c in enumerate(call.channels)
    )
    yield FeatureVizResult(model.name, source, random, call.layer, channels_in_layer, pictures, steps, seconds, stopped_by)


def _layer_channels(model: ResNet, layer: str) -> int:
    """Output channels of a stage or block, read from the model's recorded stage metadata."""
    if layer == "stem":
        return model.conv1.out_channels
    for info in model.feature_info:
        if layer == info.module:
            return info.channels
        for i, block in enumerate(getattr(model, info.module)):
            if layer == f"{info.module}.{i}":
                return block.out_channels
    raise UserError(f"no stage or block named {str(layer)[:64]!r} in {model.name}", key="error.no_layer",
                    layer=repr(str(layer)[:64]), model=model.name)


__all__ = [
    "EXAMPLE_PICTURES",
    "ChannelPicture",
    "Example",
    "FeatureVizCall",
    "FeatureVizProgress",
    "FeatureVizResult",
    "FourierImage",
    "dataset_examples",
    "feature_visualization",
    "optimise",
    "robust_view",
]
