"""Fast paths: forward-only predictions, and reduced precision for the inspection engine.

At batch size 1 a GPU is limited by kernel launches, not arithmetic (docs/performance.md,
"Fast paths"). So the forward-only path (top-k predictions, no hooks, no gradients) runs a private copy of the model:

* BatchNorm folded into the convolution before it (eval mode only; exact up to rounding), which
  removes a third of the kernels;
* on CUDA: bf16 weights and activations, channels_last (NHWC, what tensor cores want), and one
  CUDA graph per input shape, captured on first use and replayed after (an LRU of a few);
* on a CPU: plain eager float32 (bf16 without hardware support is slower, and there are no
  launches to save).

``torch.compile`` is available (``compile=True``) but off by default: hooks added after
compilation are ignored, its first call is slow to compile, and with a CUDA graph the
launch overhead it would remove is already gone.

The inspection engine needs hooks and a backward pass, so it cannot use a CUDA graph;
:func:`reduced_precision` gives it a copy with BatchNorm folded, bf16 weights and (on CUDA)
channels_last, which tests hold to the float32 result (same top-1, Grad-CAM correlation
>= 0.98, also through the batched engine).
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from .blocks import ResidualBlock
from .model import ResNet
from .results import Prediction, predictions

#: CUDA graphs kept per predictor (one per input shape); each holds its own activations
MAX_GRAPHS = 8


def _clear_hooks(model: nn.Module) -> None:
    # a deepcopy also copies hooks that another request had registered at that moment
    for m in model.modules():
        for hooks in (m._forward_hooks, m._forward_pre_hooks, m._backward_hooks, m._backward_pre_hooks):
            hooks.clear()
        for name in ("_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_forward_pre_hooks_with_kwargs"):
            getattr(m, name, {}).clear()


def private_copy(model: nn.Module) -> nn.Module:
    """A copy of ``model`` for a fast path: same weights, eval mode, frozen, without hooks."""
    twin = copy.deepcopy(model)
    _clear_hooks(twin)
    twin.eval()
    twin.requires_grad_(False)
    return twin


def _chains(model: nn.Module) -> list[tuple[nn.Module, tuple[str, ...]]]:
    """Every run of layers where each one's output feeds only the next, as the modules declare it:
    a block's ``branch_order``, the network's ``stem_order``, and the children of an ``nn.Sequential``
    (a projection shortcut: conv, BN)."""
    chains: list[tuple[nn.Module, tuple[str, ...]]] = []
    for parent in model.modules():
        if isinstance(parent, ResidualBlock):
            chains.append((parent, parent.branch_order))
        elif isinstance(parent, ResNet):
            chains.append((parent, parent.stem_order))
        elif isinstance(parent, nn.Sequential):
            chains.append((parent, tuple(name for name, _ in parent.named_children())))
    return chains


def fold_batchnorm(model: nn.Module) -> int:
    """Fold every BatchNorm that directly follows a convolution into it, in place.

    Which BN follows which conv is read from the layer order each module declares (see
    :func:`_chains`), so the pairs are the same whatever the variant: conv -> BN in a
    post-activation block, the stem and a projection; conv1 -> bn2 (and conv2 -> bn3) inside a
    pre-activation block, whose first BN follows the previous block's sum and stays. The BN
    modules become ``nn.Identity``, so module names (and the forward) are unchanged. Only valid
    in eval mode (running statistics).

    Returns:
        How many BatchNorms were folded.
    """
    if model.training:
        raise ValueError("fold BatchNorm only into a model in eval mode")
    pairs: list[tuple[nn.Module, str, str]] = []
    for parent, order in _chains(model):
        for conv_name, bn_name in zip(order, order[1:]):
            conv, bn = getattr(parent, conv_name), getattr(parent, bn_name)
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d) and conv.out_channels == bn.num_features:
                pairs.append((parent, conv_name, bn_name))
    for parent, conv_name, bn_name in pairs:
        conv, bn = getattr(parent, conv_name), getattr(parent, bn_name)
        setattr(parent, conv_name, fuse_conv_bn_eval(conv, bn).requires_grad_(False))
        setattr(parent, bn_name, nn.Identity())
    return len(pairs)


@dataclass
class _Graph:
    graph: Any
    x: Tensor
    y: Tensor
    lock: threading.Lock = field(default_factory=threading.Lock)


class FastPredictor:
    """Forward-only logits and top-k predictions from a private, optimized copy of a model.

    Thread-safe: CUDA graphs are captured under a lock, and each replay (copy in, replay, copy
    out) holds its graph's lock, so concurrent callers never see each other's outputs.

    Args:
        model: the served model (not modified; a copy is made).
        dtype: compute dtype; None: bf16 on CUDA, float32 on a CPU.
        channels_last: NHWC memory format; None: on CUDA only.
        cuda_graphs: capture a CUDA graph per input shape; None: on CUDA only.
        fold_bn: fold BatchNorm into the convolutions.
        compile: wrap the copy in ``torch.compile`` (off by default, see the module docstring).
        max_graphs: CUDA graphs kept (least recently used dropped).
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        dtype: torch.dtype | None = None,
        channels_last: bool | None = None,
        cuda_graphs: bool | None = None,
        fold_bn: bool = True,
        compile: bool = False,
        max_graphs: int = MAX_GRAPHS,
    ) -> None:
        self.device = next(model.parameters()).device
        cuda = self.device.type == "cuda"
        self.dtype = dtype or (torch.bfloat16 if cuda else torch.float32)
        self.channels_last = cuda if channels_last is None else bool(channels_last)
        self.cuda_graphs = (cuda if cuda_graphs is None else bool(cuda_graphs)) and cuda and not compile
        self.num_classes = int(model.fc.out_features)
        twin = private_copy(model)
        self.folded = fold_batchnorm(twin) if fold_bn else 0
        twin = twin.to(dtype=self.dtype)
        if self.channels_last:
            twin = twin.to(memory_format=torch.channels_last)
        self.compiled = bool(compile)
        self.model: Any = torch.compile(twin, dynamic=False) if compile else twin
        self.max_graphs = max(1, int(max_graphs))
        self._graphs: OrderedDict[tuple, _Graph] = OrderedDict()
        self._lock = threading.Lock()
        self.captures = 0  # graphs captured so far (for tests and monitoring)

    def describe(self) -> dict[str, Any]:
        """The configuration, for benchmark reports."""
        return {
            "device": str(self.device),
            "dtype": str(self.dtype).removeprefix("torch."),
            "channels_last": self.channels_last,
            "cuda_graphs": self.cuda_graphs,
            "folded_batchnorms": self.folded,
            "compiled": self.compiled,
        }

    def _input(self, x: Tensor) -> Tensor:
        x = x.to(self.device, dtype=self.dtype, non_blocking=True)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def _graph(self, x: Tensor) -> _Graph:
        key = (tuple(x.shape), x.dtype)
        with self._lock:
            entry = self._graphs.get(key)
            if entry is not None:
                self._graphs.move_to_end(key)
                return entry
            static_x = torch.zeros_like(x)
            side = torch.cuda.Stream(self.device)
            side.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(side), torch.inference_mode():
                for _ in range(3):  # cuDNN picks its algorithms before capture, not during
                    self.model(static_x)
            torch.cuda.current_stream(self.device).wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            # thread_local: other threads may serve other requests while this one captures
            with torch.inference_mode(), torch.cuda.graph(graph, capture_error_mode="thread_local"):
                static_y = self.model(static_x).float()
            entry = _Graph(graph, static_x, static_y)
            self._graphs[key] = entry
            self.captures += 1
            while len(self._graphs) > self.max_graphs:
                self._graphs.popitem(last=False)
            return entry

    def logits(self, x: Tensor) -> Tensor:
        """Float32 logits ``(B, num_classes)`` on the model's device for input ``(B, 3, H, W)``."""
        x = self._input(x)
        if self.cuda_graphs:
            entry = self._graph(x)
            with entry.lock:
                entry.x.copy_(x)
                entry.graph.replay()
                return entry.y.clone()
        with torch.inference_mode():
            return self.model(x).float()

    def predict(
        self, x: Tensor, *, top_k: int = 5, categories: Sequence[str] | None = None
    ) -> list[tuple[Prediction, ...]]:
        """Top-k predictions for each image of the batch, most probable first."""
        k = max(1, min(int(top_k), self.num_classes))
        probs = self.logits(x).softmax(dim=1)
        top_p, top_i = (v.cpu().tolist() for v in probs.topk(k, dim=1))
        return [predictions(ps, is_, categories) for ps, is_ in zip(top_p, top_i)]

    def warm_up(self, shape: tuple[int, ...] = (1, 3, 224, 224)) -> None:
        """Run (and on CUDA capture) the given input shape once, so a first user does not wait."""
        self.logits(torch.zeros(shape))


@dataclass(frozen=True)
class LowPrecision:
    """A copy of a served model for :func:`resnet_core.inspection.inspect` in reduced precision.

    Attributes:
        model: the copy: BatchNorm folded, weights in ``dtype``, channels_last on CUDA; the
            module names (and every stage's and block's output) are the original's, so hooks,
            layer names and Grad-CAM work on it unchanged. ``inspect(model, ...)`` runs it in
            ``dtype`` (its input is cast to its weights' dtype).
        dtype: the weights' dtype.
    """

    model: nn.Module
    dtype: torch.dtype


def bf16_supported(device: torch.device) -> bool:
    """Whether bf16 convolutions run on this device."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu"


def reduced_precision(
    model: nn.Module,
    *,
    dtype: torch.dtype = torch.bfloat16,
    channels_last: bool | None = None,
    fold_bn: bool = True,
) -> LowPrecision:
    """A copy of ``model`` for the inspection engine in reduced precision.

    Weights are stored in ``dtype`` rather than cast under autocast, because autocast casts
    frozen weights again on every call (its cache keeps only leaves that require grad): on a
    GPU at batch 1 those casts are dozens of extra kernels. Folding BatchNorm removes one
    kernel per convolution in the forward and one in the backward.

    Args:
        model: the served model (not modified).
        dtype: bf16 (float32's range, so gradients need no loss scaling).
        channels_last: NHWC copy; None: on CUDA only.
        fold_bn: fold BatchNorm into the convolutions.

    Raises:
        ValueError: the device cannot run ``dtype`` convolutions.
    """
    device = next(model.parameters()).device
    if dtype == torch.bfloat16 and not bf16_supported(device):
        raise ValueError(f"{device} does not support bf16")
    twin = private_copy(model)
    if fold_bn:
        fold_batchnorm(twin)
    twin = twin.to(dtype=dtype)
    if channels_last is None:
        channels_last = device.type == "cuda"
    if channels_last:
        twin = twin.to(memory_format=torch.channels_last)
    return LowPrecision(model=twin, dtype=dtype)


__all__ = [
    "MAX_GRAPHS",
    "FastPredictor",
    "LowPrecision",
    "bf16_supported",
    "fold_batchnorm",
    "private_copy",
    "reduced_precision",
]
