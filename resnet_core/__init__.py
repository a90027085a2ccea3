"""ResNet, laid open: models, shapes and costs, weights, image intake and inspection.

Everything here is torch and numpy; nothing knows about gradio.
"""

from .blocks import BasicBlock, Bottleneck, ResidualAdd
from .images import (
    ALLOWED_FORMATS,
    BACKGROUND,
    IMAGENET_MEAN,
    IMAGENET_STD,
    MAX_BYTES,
    MAX_INPUT_SIZE,
    MAX_PIXELS,
    MAX_SIDE,
    ImageError,
    Prepared,
    Preprocess,
    load_image,
    prepare,
)
from .inspection import InspectionError, gradcam_timeline, inspect, layer_names
from .lab import (
    Ablation,
    GradientFlow,
    NetworkFlow,
    RaceCurve,
    RaceUpdate,
    SavedRace,
    ShapesData,
    ablate,
    ablation_study,
    gradient_flow,
    load_race,
    race,
)
from .model import FeatureInfo, ResNet, build_cifar_resnet, build_resnet
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
    # the "why residual?" lab
    "Ablation",
    "GradientFlow",
    "NetworkFlow",
    "RaceCurve",
    "RaceUpdate",
    "SavedRace",
    "ShapesData",
    "ablate",
    "ablation_study",
    "gradient_flow",
    "load_race",
    "race",
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
