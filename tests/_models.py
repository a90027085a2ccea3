"""Small networks and checkpoints the tests build themselves (random weights, CPU, no network)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from resnet_core.zoo import ModelKey

#: the cheapest network the app serves: ResNet-10-like basic blocks (1, 1, 1, 1), random weights
TINY_KEY = ModelKey(("basic", (1, 1, 1, 1)), "v1.5", "random")


def randomize_bn(module: nn.Module, seed: int = 1) -> None:
    """Running statistics and affine terms far from the identity, as after training."""
    g = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(m.num_features, generator=g) * 0.4 - 0.2)


def checkpoint_asking_for(crop: int, depth: int = 18) -> Any:
    """A person's checkpoint (a ``CheckpointRef``, random weights) whose file says its inputs are
    ``crop`` pixels, as an export's metadata would."""
    from resnet_core.backends import CheckpointRef, ModelInfo
    from resnet_core.model import ResNet
    from resnet_core.preprocess import Preprocess
    from resnet_core.specs import resolve_spec
    from resnet_core.weights import LoadedWeights
    from resnet_core.zoo import ServedModel

    key = ModelKey(depth, weights="checkpoint")
    model = ResNet(resolve_spec(depth)).eval().requires_grad_(False)
    weights = LoadedWeights(source="checkpoint:mine.safetensors", pretrained=True, categories=("a",) * 1000,
                            preprocess=Preprocess(crop_size=crop, resize_size=crop))
    served = ServedModel(key, model, weights, torch.device("cpu"))
    return CheckpointRef(key, "0" * 64, "mine.safetensors", ModelInfo.of(served), served)
