"""What a served model is and how one is built: :class:`ModelKey`, :class:`ServedModel`, :class:`ModelBuilder`.

The builder hands out :class:`ServedModel` records that every user shares: in eval mode, with
no parameter requiring a gradient (inspection needs gradients with respect to activations,
never to weights), so nothing a request does can change a served model. It keeps nothing:
:class:`~resnet_core.serving.ModelService` is the one cache (each model built once, the
least recently used dropped).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch

from .device import pick_device
from .model import ResNet, build_resnet
from .specs import BLOCK_TYPES, VARIANTS, resolve_spec
from .text import quote, shorten
from .weights import (
    MAX_CHECKPOINT_PARAMS,
    PRETRAINED_NAMES,
    LoadedWeights,
    WeightsError,
    apply_checkpoint,
    checkpoint_metadata,
    random_weights,
    read_checkpoint,
    try_pretrained,
)

#: what a :class:`ModelKey` may ask for: torchvision's weights, the random init, or (only for
#: :meth:`ModelBuilder.add_checkpoint` results) a user's checkpoint
WEIGHT_CHOICES: tuple[str, ...] = (*PRETRAINED_NAMES, "random", "checkpoint")

#: input side of the warm-up forward: big enough to run every layer, small enough to be instant
WARMUP_SIDE = 64


@dataclass(frozen=True)
class ModelKey:
    """Which model to serve.

    Attributes:
        depth: 18, 34, 50, 101, 152 (also 10, 200), or a custom ``("basic"|"bottleneck",
            (a, b, c, d))`` pair (lists are turned into tuples, so a key is always hashable).
        variant: "v1.5", "v1" or "preact".
        weights: "DEFAULT", "IMAGENET1K_V1", "IMAGENET1K_V2" or "random" ("checkpoint" marks a
            model made by :meth:`ModelBuilder.add_checkpoint`).
    """

    depth: int | tuple
    variant: str = "v1.5"
    weights: str = "DEFAULT"

    def __post_init__(self) -> None:
        depth = self.depth
        if isinstance(depth, (list, tuple)):
            if len(depth) != 2 or depth[0] not in BLOCK_TYPES or not isinstance(depth[1], (list, tuple)):
                raise ValueError(f"a custom depth is ('basic' or 'bottleneck', (a, b, c, d)), not {quote(depth)}")
            object.__setattr__(self, "depth", (depth[0], tuple(depth[1])))
        elif not isinstance(depth, int) or isinstance(depth, bool):
            raise ValueError(f"depth must be an int or ('basic'|'bottleneck', counts), not {quote(depth)}")
        resolve_spec(self.depth)  # an impossible architecture fails here, before any build
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, not {quote(self.variant)}")
        if not isinstance(self.weights, str):
            raise ValueError(f"weights must be one of {WEIGHT_CHOICES}, not {quote(self.weights)}")
        w = self.weights.strip()
        w = w.upper() if w.upper() in PRETRAINED_NAMES else w.lower()
        if w not in WEIGHT_CHOICES:
            raise ValueError(f"weights must be one of {WEIGHT_CHOICES}, not {quote(self.weights)}")
        object.__setattr__(self, "weights", w)


@dataclass(frozen=True)
class ServedModel:
    """A model ready to serve, shared by every user who asks for the same key.

    Attributes:
        key: what was asked for.
        model: the network, in eval mode, parameters frozen, on ``device``.
        weights: where the weights came from, the categories and the preprocessing.
        device: where the model lives.
    """

    key: ModelKey
    model: ResNet
    weights: LoadedWeights
    device: torch.device

    @property
    def nbytes(self) -> int:
        """Bytes held by the model's parameters and buffers (each storage counted once).

        A checkpoint model is kept per session; the web layer sums this to bound the memory
        of all sessions together.
        """
        return model_nbytes(self.model)


def model_nbytes(model: torch.nn.Module) -> int:
    """Bytes of the distinct storages behind a module's parameters and buffers."""
    seen: dict[int, int] = {}
    for t in (*model.parameters(), *model.buffers()):
        storage = t.untyped_storage()
        seen[storage.data_ptr() or id(storage)] = storage.nbytes()
    return sum(seen.values())


class ModelBuilder:
    """Builds served models; keeps none (the one cache is :class:`~resnet_core.serving.ModelService`).

    Args:
        device: "cpu", "cuda", a torch.device, or None for :func:`pick_device`'s choice.
        offline: never download weights, use only the hub cache.
    """

    def __init__(self, *, device: str | torch.device | None = None, offline: bool = False) -> None:
        self.device = device if isinstance(device, torch.device) else pick_device(device)
        self.offline = bool(offline)

    def build(self, key: ModelKey) -> ServedModel:
        """A new served model for ``key`` (in eval mode, frozen, warmed up on the device).

        Pretrained weights that cannot be had (no network, non-standard depth or variant) fall
        back to random weights; ``served.weights.notice`` then says so.

        Raises:
            ValueError: the key asks for "checkpoint" weights (see :meth:`add_checkpoint`).
        """
        if key.weights == "checkpoint":
            raise WeightsError(
                "the weights “checkpoint” are your own file: load a checkpoint for this architecture "
                "first (it is kept for your session only), or choose other weights",
                key="error.checkpoint_not_loaded",
            )
        model = build_resnet(key.depth, variant=key.variant)
        if key.weights == "random":
            loaded = random_weights(model)
        else:
            loaded = try_pretrained(model, key.weights, offline=self.offline)
        return self._serve(key, model, loaded)

    def add_checkpoint(
        self,
        key: ModelKey,
        source: Any,
        *,
        filename: str | None = None,
        num_classes: int | None = None,
        max_params: int = MAX_CHECKPOINT_PARAMS,
    ) -> ServedModel:
        """A new served model with a user's checkpoint (never cached: a session keeps it).

        The model holds only its own parameters (the checkpoint's tensors, views included, are
        copied in and dropped); :attr:`ServedModel.nbytes` says how much that is.

        Args:
            key: the architecture (depth and variant); its ``weights`` field is ignored.
            source: a path to a ``.safetensors``/``.pth`` file or its bytes.
            filename: the name the user gave the file.
            num_classes: the classifier's size; None takes it from the checkpoint's ``fc.weight``.
            max_params: most parameters of the checkpoint and of the model built for it, both
                counted before anything is materialised or built.

        Raises:
            WeightsError: the checkpoint is unsafe, unreadable, holds too much or does not fit
                the architecture.
        """
        state = read_checkpoint(source, filename=filename, max_params=max_params)
        if num_classes is None:
            fc = state.get("fc.weight")
            num_classes = int(fc.shape[0]) if fc is not None and fc.dim() == 2 and fc.shape[0] >= 1 else 1000
        # The classifier's size comes from the file: count the network it asks for on the meta
        # device (no memory) before building it for real.
        with torch.device("meta"):
            params = sum(p.numel() for p in build_resnet(key.depth, variant=key.variant, num_classes=num_classes).parameters())
        if params > max_params:
            raise WeightsError(
                f"{shorten(filename or 'upload')} makes a network of {params / 1e6:.1f}M parameters "
                f"({num_classes} classes); this server runs networks of up to {max_params / 1e6:.1f}M",
                key="error.checkpoint_network_params", name=shorten(filename or "upload"), value=params / 1e6,
                classes=num_classes, limit=max_params / 1e6,
            )
        model = build_resnet(key.depth, variant=key.variant, num_classes=num_classes)
        # an export of the Train tab names its classes and says how to feed it (read from the header)
        meta = checkpoint_metadata(source, filename=filename)
        loaded = apply_checkpoint(model, state, name=filename or "upload", metadata=meta)
        del state  # the file's tensors (and any views into them) go; the model has its own copies
        return self._serve(replace(key, weights="checkpoint"), model, loaded)

    def _serve(self, key: ModelKey, model: ResNet, loaded: LoadedWeights) -> ServedModel:
        model.eval()
        model.requires_grad_(False)
        model.to(self.device)
        with torch.inference_mode():  # first-call allocations and kernel choices happen here
            model(torch.zeros(1, 3, WARMUP_SIDE, WARMUP_SIDE, device=self.device))
        return ServedModel(key=key, model=model, weights=loaded, device=self.device)


__all__ = ["WEIGHT_CHOICES", "ModelBuilder", "ModelKey", "ServedModel", "model_nbytes"]
