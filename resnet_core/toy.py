"""The shipped toy model: a small ResNet trained on the lab's synthetic shapes.

It makes the attribution pages meaningful with no network: the classes are shapes drawn at a
known place, so a map that looks at the shape is right and one that looks elsewhere is not.
``scripts/train_toy_resnet.py`` trains it deterministically and writes
``assets/models/toy_shapes_resnet18.safetensors``; the class names, the spec, the
preprocessing and the held-out accuracy ride in the file's safetensors metadata.

The synthetic data is imported here and nowhere else in the attribution code, so a rename of
the lab's data module touches one line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import safetensors

from .lab import SHAPE_CLASSES, make_shapes
from .model import ResNet
from .preprocess import Preprocess
from .specs import ResNetSpec
from .weights import LoadedWeights, WeightsError, apply_checkpoint, read_checkpoint

ROOT = Path(__file__).resolve().parents[1]
TOY_PATH = ROOT / "assets" / "models" / "toy_shapes_resnet18.safetensors"
EXAMPLES_DIR = ROOT / "assets" / "examples" / "synthetic"

#: a ResNet-18 layout (two basic blocks per stage) at a quarter of the width, CIFAR stem:
#: 32x32 inputs give 4x4 maps at layer4, enough for Grad-CAM to point somewhere
TOY_SPEC = ResNetSpec(block="basic", layers=(2, 2, 2, 2), widths=(16, 32, 64, 128), stem="cifar")
TOY_IMAGE_SIZE = 32
TOY_NOISE = 0.1
#: the images are in [0, 1]; this centres them as ImageNet's statistics centre photos
TOY_PREPROCESS = Preprocess(
    crop_size=TOY_IMAGE_SIZE, resize_size=TOY_IMAGE_SIZE, mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25)
)
TOY_CLASSES: tuple[str, ...] = SHAPE_CLASSES


@dataclass(frozen=True)
class ToyModel:
    """The loaded toy model and what it needs.

    Attributes:
        model: the ResNet in eval mode on the CPU.
        categories: class names, from the file's metadata.
        preprocess: the preprocessing it was trained with.
        metadata: the file's metadata as written by the training script (accuracy, machine, ...).
    """

    model: ResNet
    categories: tuple[str, ...]
    preprocess: Preprocess
    metadata: dict[str, str]

    @property
    def weights(self) -> LoadedWeights:
        """The record the model zoo keeps next to a served model (source, classes, preprocessing)."""
        return LoadedWeights(
            source=f"toy:{TOY_PATH.name}", pretrained=True, categories=self.categories, preprocess=self.preprocess
        )


def build_toy(num_classes: int = len(TOY_CLASSES)) -> ResNet:
    """The untrained toy architecture (what the training script fills)."""
    return ResNet(TOY_SPEC, variant="v1.5", num_classes=num_classes)


def toy_data(n: int, *, seed: int | tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``n`` synthetic images (n, 3, 32, 32) float32 in [0, 1] and their labels (n,) int64."""
    return make_shapes(n, image_size=TOY_IMAGE_SIZE, noise=TOY_NOISE, seed=seed)


def read_metadata(path: str | Path = TOY_PATH) -> dict[str, str]:
    """The safetensors metadata of a toy checkpoint (header only; no tensor is read)."""
    try:
        with safetensors.safe_open(str(path), framework="pt") as f:
            return dict(f.metadata() or {})
    except (OSError, safetensors.SafetensorError) as exc:
        raise WeightsError(f"cannot read the toy model's metadata: {exc}") from exc


def _categories(meta: dict[str, str]) -> tuple[str, ...]:
    return tuple(json.loads(meta.get("classes", "[]"))) or TOY_CLASSES


def toy_categories(path: str | Path = TOY_PATH) -> tuple[str, ...]:
    """The toy model's class names, from its file's metadata (no tensor is read)."""
    return _categories(read_metadata(path))


def load_toy(path: str | Path = TOY_PATH) -> ToyModel:
    """Load the shipped toy model through the safe checkpoint path of :mod:`resnet_core.weights`.

    Raises:
        WeightsError: the file is missing, unsafe or does not fit the architecture.
    """
    meta = read_metadata(path)
    categories = _categories(meta)
    model = build_toy(len(categories))
    apply_checkpoint(model, read_checkpoint(path), name=Path(path).name)
    return ToyModel(model=model.eval(), categories=categories, preprocess=TOY_PREPROCESS, metadata=meta)


def example_images() -> tuple[Path, ...]:
    """The shipped example PNGs (one per class, from the held-out split), sorted by name."""
    return tuple(sorted(EXAMPLES_DIR.glob("*.png")))


__all__ = [
    "TOY_CLASSES",
    "TOY_PATH",
    "TOY_PREPROCESS",
    "TOY_SPEC",
    "ToyModel",
    "build_toy",
    "example_images",
    "load_toy",
    "read_metadata",
    "toy_categories",
    "toy_data",
]
