"""ResNet, laid open: models, shapes and costs, weights, image intake and inspection.

At the top level: the builders and blocks, :func:`describe` (shapes and costs), image intake,
:func:`inspect` (predictions, activations, Grad-CAM), weights and checkpoints, and the records
they return. The larger parts are subpackages, imported on first use (``resnet_core.lab`` works
after a plain ``import resnet_core``):

* :mod:`resnet_core.lab`: the "why residual?" experiments (flow, race, landscape, ablation, ...).
* :mod:`resnet_core.serving`: the model cache, engines and compute budgets of a server.
* :mod:`resnet_core.backends`: where a request runs (this process, or Ray Serve replicas).
* :mod:`resnet_core.attributions`: captum's attribution methods, sanity checks, faithfulness.
* :mod:`resnet_core.transfer`: fine-tuning on a person's own classes, and the export.

Everything here is torch and numpy; nothing knows about gradio, and nothing reads the environment.
"""

import importlib
from types import ModuleType

from .blocks import BasicBlock, Bottleneck, PreActBasicBlock, PreActBottleneck, ResidualAdd
from .images import ALLOWED_FORMATS, BACKGROUND, MAX_BYTES, MAX_PIXELS, MAX_SIDE, ImageError, load_image
from .inspection import InspectionError, gradcam_timeline, inspect, layer_names
from .model import FeatureInfo, ResNet, build_cifar_resnet, build_resnet
from .preprocess import IMAGENET_MEAN, IMAGENET_STD, MAX_INPUT_SIZE, Prepared, Preprocess, prepare
from .results import Activation, CamMap, CamTimeline, Inspection, Prediction, class_label, predictions
from .shapes import Architecture, BlockInfo, LayerInfo, ShapeStep, StageInfo, conv_out, describe
from .specs import (
    CIFAR_DEPTHS,
    IMAGENET_DEPTHS,
    STANDARD_DEPTHS,
    VARIANTS,
    ResNetSpec,
    cifar_spec,
    resolve_spec,
)
from .weights import (
    IMAGENET_CATEGORIES,
    LoadedWeights,
    WeightsError,
    load_checkpoint,
    load_weights,
    try_pretrained,
    weight_names,
)
from .zoo import ModelBuilder, ModelKey, ServedModel

__all__ = [
    "CIFAR_DEPTHS",
    "IMAGENET_DEPTHS",
    "STANDARD_DEPTHS",
    "VARIANTS",
    "Architecture",
    "BasicBlock",
    "BlockInfo",
    "Bottleneck",
    "PreActBasicBlock",
    "PreActBottleneck",
    "FeatureInfo",
    "LayerInfo",
    "ResNet",
    "ResNetSpec",
    "ResidualAdd",
    "ShapeStep",
    "StageInfo",
    "build_cifar_resnet",
    "build_resnet",
    "cifar_spec",
    "conv_out",
    "describe",
    "resolve_spec",
    # inspection
    "Activation",
    "CamMap",
    "CamTimeline",
    "Inspection",
    "InspectionError",
    "Prediction",
    "class_label",
    "predictions",
    "gradcam_timeline",
    "inspect",
    "layer_names",
    # images
    "ALLOWED_FORMATS",
    "BACKGROUND",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "MAX_BYTES",
    "MAX_INPUT_SIZE",
    "MAX_PIXELS",
    "MAX_SIDE",
    "ImageError",
    "Prepared",
    "Preprocess",
    "load_image",
    "prepare",
    # weights and the model cache
    "IMAGENET_CATEGORIES",
    "LoadedWeights",
    "ModelBuilder",
    "ModelKey",
    "ServedModel",
    "WeightsError",
    "load_checkpoint",
    "load_weights",
    "try_pretrained",
    "weight_names",
]

#: the subpackages, imported on first attribute access (``resnet_core.lab``)
SUBPACKAGES: tuple[str, ...] = ("attributions", "backends", "lab", "serving", "transfer")


def __getattr__(name: str) -> ModuleType:
    # PEP 562: a plain ``import resnet_core`` stays as light as the top level (captum, the
    # lab's experiments and the transfer code load when first used)
    if name in SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *SUBPACKAGES})
