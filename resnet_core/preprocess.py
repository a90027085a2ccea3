"""The preprocessing the network sees: torchvision's ``weights.transforms()``, kept exactly.

:func:`prepare` turns an RGB picture (from :func:`.images.load_image`) into the network's
input the way torchvision's ``ImageClassification`` preset, which ``weights.transforms()``
returns, does: the shorter side resized to ``resize_size`` (antialiased), the centre
``crop_size`` square cut, scaled to [0, 1] and normalised by ``mean`` and ``std``, with the same
three ``torchvision.transforms.functional`` calls, so the tensor equals the preset's output
(tests/core/test_preprocess.py compares them). :class:`Preprocess` holds those numbers, read from a
weights entry by :meth:`Preprocess.from_weights` or from an exported checkpoint's metadata. The
picture the network saw comes back next to the tensor (:class:`Prepared`), for heatmaps to be
drawn on.

Two departures, both opt-in or unreachable by ordinary pictures: ``mode="whole"`` keeps the
whole picture (longer side scaled, aspect ratio kept), and a picture thinner than about 1:60
has only its crop window resampled (:func:`_resize_and_crop`), within one grey level of the
preset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torchvision.transforms.functional as TF
from PIL import Image
from torchvision.transforms import InterpolationMode

from .images import ImageError, load_image
from .text import quote

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "MAX_INPUT_SIZE",
    "Prepared",
    "Preprocess",
    "prepare",
]

MAX_INPUT_SIZE: int = 1024
"""Largest network input side :func:`prepare` makes (the ``size`` argument)."""

IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)

# Above this many pixels, the intermediate "resize the shorter side" image of crop mode is not
# made; only its centre crop is resampled (see _resize_and_crop). Reached only by images
# thinner than about 1:60.
_MAX_RESIZED_PIXELS = 4_000_000


def _interpolation(value: str | InterpolationMode) -> InterpolationMode:
    try:
        return InterpolationMode(value)
    except ValueError as exc:
        raise ValueError(f"unknown interpolation {quote(value)}") from exc


@dataclass(frozen=True)
class Preprocess:
    """How a picture becomes the network's input: torchvision's ``ImageClassification``.

    ``resize_size``: the shorter side is resized to this; then a centre ``crop_size`` square
    is cut and normalised by ``mean`` and ``std`` (ImageNet statistics by default).
    ``interpolation`` is a torchvision ``InterpolationMode`` value (``"bilinear"``, ...).
    """

    crop_size: int = 224
    resize_size: int = 256
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    interpolation: str = "bilinear"

    def __post_init__(self) -> None:
        if not 1 <= self.crop_size <= self.resize_size:
            raise ValueError(
                f"need 1 <= crop_size <= resize_size, got crop_size={self.crop_size}, "
                f"resize_size={self.resize_size}"
            )
        if len(self.mean) != 3 or len(self.std) != 3 or min(self.std) <= 0:
            raise ValueError(f"mean and std need 3 values each, std > 0; got {self.mean}, {self.std}")
        if _interpolation(self.interpolation) not in TF.pil_modes_mapping:
            raise ValueError(f"unknown interpolation {quote(self.interpolation)}")

    @classmethod
    def from_weights(cls, weights: Any) -> Preprocess:
        """The preprocessing a torchvision weights entry was trained with.

        Args:
            weights: a ``WeightsEnum`` member, e.g. ``ResNet50_Weights.IMAGENET1K_V2`` (whose
                transforms resize to 232, not 256). Reading its transforms downloads nothing.
        """
        try:
            transforms = weights.transforms()
            crop, resize = transforms.crop_size, transforms.resize_size
            mean, std = transforms.mean, transforms.std
        except (AttributeError, TypeError) as exc:
            raise ValueError(f"{quote(weights)} carries no ImageClassification transforms") from exc
        interpolation = getattr(transforms, "interpolation", InterpolationMode.BILINEAR)
        return cls(
            crop_size=int(crop[0] if isinstance(crop, (list, tuple)) else crop),
            resize_size=int(resize[0] if isinstance(resize, (list, tuple)) else resize),
            mean=tuple(float(m) for m in mean),
            std=tuple(float(s) for s in std),
            interpolation=_interpolation(interpolation).value,
        )


@dataclass(frozen=True)
class Prepared:
    """One picture ready for the network."""

    tensor: torch.Tensor
    """``(1, 3, H, W)`` float32, normalised."""
    view: np.ndarray
    """``(H, W, 3)`` uint8: exactly the picture the network saw (after resize and crop, before
    normalisation). Heatmaps are drawn on it."""


def prepare(
    image: Image.Image,
    preprocess: Preprocess = Preprocess(),
    *,
    mode: str = "crop",
    size: int | None = None,
) -> Prepared:
    """Turn a picture into the network's input.

    Args:
        image: an RGB picture from :func:`load_image` (anything else is passed through it).
        preprocess: resize, crop and normalisation; see :meth:`Preprocess.from_weights`.
        mode: ``"crop"``: torchvision's pipeline, identical to ``weights.transforms()``: the
            shorter side resized to ``resize_size``, the centre ``crop_size`` square kept.
            ``"whole"``: the whole picture, the longer side scaled to ``size``, aspect ratio
            kept (a non-square input such as 224×149; ResNet's global pooling takes any size).
        size: network input side, 1 to :data:`MAX_INPUT_SIZE`; default ``crop_size``. In crop
            mode the resize scales with it (``resize_size * size / crop_size``).

    Raises:
        ImageError: an unknown mode or a size out of range.
    """
    if mode not in ("crop", "whole"):
        raise ImageError(f"Unknown preprocessing mode {quote(mode)}; use 'crop' or 'whole'.")
    if size is None and not 1 <= preprocess.crop_size <= MAX_INPUT_SIZE:
        # a checkpoint's metadata sets crop_size: data, never a way past the cap
        raise ImageError(
            f"These weights ask for {quote(preprocess.crop_size)}-pixel inputs; this server takes 1 to {MAX_INPUT_SIZE} pixels.",
            key="error.weights_input_size", size=quote(preprocess.crop_size), limit=MAX_INPUT_SIZE,
        )
    target = preprocess.crop_size if size is None else _check_size(size)
    if not isinstance(image, Image.Image) or image.mode != "RGB":
        image = load_image(image)
    interpolation = _interpolation(preprocess.interpolation)
    if mode == "crop":
        resize = preprocess.resize_size
        if size is not None:
            resize = max(target, round(preprocess.resize_size * target / preprocess.crop_size))
        seen = _resize_and_crop(image, resize, target, interpolation)
    else:
        width, height = image.size
        scale = target / max(width, height)
        new_size = [max(1, round(height * scale)), max(1, round(width * scale))]  # [H, W]
        seen = TF.resize(image, new_size, interpolation=interpolation, antialias=True)
    view = np.array(seen, dtype=np.uint8)  # (H, W, 3)
    # The same three calls as torchvision's ImageClassification, so results match it exactly.
    tensor = TF.convert_image_dtype(TF.pil_to_tensor(seen), torch.float32)  # (3, H, W) in [0, 1]
    tensor = TF.normalize(tensor, list(preprocess.mean), list(preprocess.std))
    return Prepared(tensor=tensor.unsqueeze(0).contiguous(), view=view)  # (1, 3, H, W)


def _resize_and_crop(
    image: Image.Image, resize: int, crop: int, interpolation: InterpolationMode
) -> Image.Image:
    """Shorter side to ``resize``, then the centre ``crop`` square: torchvision's two steps.

    For a very thin picture (1×2048) the intermediate image would be huge (256×524288), so
    there only the crop window is resampled, with Pillow's ``box``: the same filter over the
    same source pixels; it differs from resize-then-crop by at most one grey level, where
    float rounding tips a value the other way.
    """
    width, height = image.size
    short, long = min(width, height), max(width, height)
    new_short, new_long = resize, int(resize * long / short)  # torchvision's rounding
    new_w, new_h = (new_short, new_long) if width <= height else (new_long, new_short)
    if new_w * new_h <= _MAX_RESIZED_PIXELS:
        resized = TF.resize(image, [resize], interpolation=interpolation, antialias=True)
        return TF.center_crop(resized, [crop])
    top = int(round((new_h - crop) / 2.0))  # as torchvision's center_crop
    left = int(round((new_w - crop) / 2.0))
    sx, sy = width / new_w, height / new_h
    box = (left * sx, top * sy, (left + crop) * sx, (top + crop) * sy)
    return image.resize((crop, crop), Image.Resampling(TF.pil_modes_mapping[interpolation]), box=box)


def _check_size(size: Any) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, float)) or not math.isfinite(size):
        raise ImageError(f"The input size must be a whole number, got {quote(size)}.", key="error.image_size_whole",
                         got=quote(size))
    if size != int(size) or not 1 <= size <= MAX_INPUT_SIZE:
        raise ImageError(f"The input size must be a whole number from 1 to {MAX_INPUT_SIZE}, got {quote(size)}.",
                         key="error.image_size_range", limit=MAX_INPUT_SIZE, got=quote(size))
    return int(size)
