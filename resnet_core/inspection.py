"""One pass over an image: predictions, what every stage and block makes of it, and Grad-CAM.

Grad-CAM (Selvaraju et al., https://arxiv.org/abs/1610.02391) weighs each channel of a layer's
output by the spatial mean of the target's gradient there and sums over channels; the map is
rectified, because only features with a positive influence on the class are evidence for it.
The arithmetic is exactly captum's ``LayerGradCam`` (mean of gradients over H, W; sum of
weighted activations over C), and the tests hold it to captum and to pytorch-grad-cam.

Cost, which is what makes the playground feel instant:

* one forward pass serves the predictions, every activation and every Grad-CAM map;
* all targets and all Grad-CAM layers share one batched backward (``is_grads_batched``), and
  gradients flow only to the requested activations, never to parameters;
* activations are reduced on the device (statistics, the strongest channels as uint8; see
  :mod:`resnet_core.activation_stats`) and leave it once.

Concurrency: a model is shared between users. Hooks are per call and per thread
(:mod:`resnet_core.hooks`), and nothing is stored on the model, so any number of threads may
inspect the same model at once.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .activation_stats import reduce_activations
from .errors import UserError
from .hooks import HookError, capture_outputs, patch_modules, resolve_module
from .results import Activation, CamMap, CamTimeline, Inspection, class_label, predictions

#: the app caps requests to these
MAX_TOP_K = 1000
MAX_TARGETS = 10
MAX_CHANNELS = 64


class InspectionError(UserError):
    """A request that cannot be served as asked (unknown layer, bad target, ...)."""


def _module_name(name: str) -> str:
    # the stem's output is the max-pool's (an Identity in the CIFAR nets, still a module)
    return "maxpool" if name == "stem" else name


def layer_names(model: nn.Module) -> tuple[str, ...]:
    """Every layer the UI offers: "stem", each stage, each block, in network order."""
    return tuple(name for name, _ in model.layers())


def _check_layer(model: nn.Module, layer: str) -> str:
    if not isinstance(layer, str) or not layer:
        raise InspectionError("choose a layer by name, e.g. 'layer4' or 'layer3.2'", key="error.layer_name")
    try:
        resolve_module(model, _module_name(layer))
    except HookError as exc:
        raise InspectionError(f"{exc}; choose one of: {', '.join(layer_names(model))}", key="error.layer_unknown",
                              layer=repr(_module_name(layer)), choices=", ".join(layer_names(model))) from None
    return layer


def _check_targets(target: int | Sequence[int] | None, num_classes: int) -> list[int] | None:
    if target is None:
        return None
    items = [target] if isinstance(target, (int, np.integer)) else list(target)
    if not items:
        return None
    if len(items) > MAX_TARGETS:
        raise InspectionError(f"at most {MAX_TARGETS} Grad-CAM targets at once, got {len(items)}", key="error.targets_many",
                              limit=MAX_TARGETS, got=len(items))
    out = []
    for t in items:
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 0 <= int(t) < num_classes:
            raise InspectionError(f"target classes must be integers in [0, {num_classes - 1}], got {t!r}",
                                  key="error.target_range", last=num_classes - 1, got=repr(t))
        out.append(int(t))
    return list(dict.fromkeys(out))


class _GuidedGate(torch.autograd.Function):
    """Identity forward; in guided mode the backward also drops negative gradients.

    Placed after every ReLU, this turns the ReLU's backward into guided backpropagation
    (Springenberg et al.) only for the backward pass that asks for it, so one forward serves
    both plain Grad-CAM and Guided Grad-CAM.
    """

    @staticmethod
    def forward(ctx: Any, x: Tensor, switch: dict) -> Tensor:
        ctx.switch = switch
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        if ctx.switch["guided"]:
            grad = grad.clamp(min=0)
        return grad, None


def _prepare(image: Any, preprocess: Any, mode: str, size: int | None) -> Any:
    from .images import load_image
    from .preprocess import Prepared, Preprocess, prepare

    if isinstance(image, Prepared):
        return image
    pil = load_image(image)
    return prepare(pil, preprocess or Preprocess(), mode=mode, size=size)


def _cam_raw(act: Tensor, grads: Tensor) -> Tensor:
    """Unrectified Grad-CAM maps for R target rows and B samples at one layer.

    Args:
        act: (B, C, h, w) layer output.
        grads: (R, B, C, h, w) gradient of each row's target logit w.r.t. ``act``.

    Returns:
        (R, B, h, w) maps, what captum's ``LayerGradCam`` returns with ``relu_attributions=False``.
    """
    weights = grads.float().mean(dim=(3, 4), keepdim=True)  # (R, B, C, 1, 1)
    return (weights * act.detach().float()).sum(dim=2)  # (R, B, h, w)


def _cam_heat(raw: Tensor, size: tuple[int, int]) -> Tensor:
    """(M, h, w) raw maps -> (M, H, W) rectified, bilinearly upsampled, divided by their peak."""
    heat = F.interpolate(raw.clamp(min=0)[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]
    peak = heat.flatten(1).amax(dim=1)  # (M,)
    # a map that is zero (or denormal) everywhere stays zero; in place, as the maps are large
    scale = torch.where(peak > 1e-20, 1 / peak.clamp_min(1e-20), torch.zeros_like(peak))
    return heat.mul_(scale[:, None, None]).clamp_(0, 1)


@dataclass(frozen=True)
class InspectRequest:
    """One checked inspection request, its picture prepared: ready to run alone or batched.

    Made by :func:`make_request`; run by :func:`run_requests`. Requests whose inputs have the
    same size can share one forward and one backward (see :mod:`resnet_core.batching`).
    """

    prepared: Any
    layer: str
    targets: tuple[int, ...] | None
    top_k: int
    categories: tuple[str, ...] | None
    max_channels: int
    guided: bool
    timeline: bool
    timeline_layers: tuple[str, ...]
    started: float
    ready: float

    @property
    def cam_layers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.layer, *self.timeline_layers)))

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.prepared.tensor.shape)


def make_request(
    model: nn.Module,
    image: Any,
    *,
    layer: str = "layer4",
    target: int | Sequence[int] | None = None,
    top_k: int = 5,
    categories: Sequence[str] | None = None,
    preprocess: Any = None,
    mode: str = "crop",
    size: int | None = None,
    max_channels: int = 8,
    guided: bool = False,
    timeline: bool = False,
    timeline_layers: Sequence[str] | None = None,
) -> InspectRequest:
    """Check an inspection request against ``model`` and prepare its picture.

    Takes :func:`inspect`'s arguments and raises its errors, without running the network.
    """
    t0 = time.perf_counter()
    if model.training:
        raise InspectionError("the model is in training mode; call model.eval() first")
    layer = _check_layer(model, layer)
    num_classes = model.fc.out_features
    targets = _check_targets(target, num_classes)
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
        raise InspectionError(f"top_k must be a positive integer, got {top_k!r}")
    top_k = int(min(top_k, MAX_TOP_K, num_classes))
    if not 1 <= int(max_channels) <= MAX_CHANNELS:
        raise InspectionError(f"max_channels must be between 1 and {MAX_CHANNELS}")
    tl_layers: tuple[str, ...] = ()
    if timeline:
        tl_layers = tuple(_check_layer(model, n) for n in (timeline_layers or ("stem", *model.stage_names)))
    prepared = _prepare(image, preprocess, mode, size)
    return InspectRequest(
        prepared=prepared,
        layer=layer,
        targets=None if targets is None else tuple(targets),
        top_k=top_k,
        categories=None if categories is None else tuple(categories),
        max_channels=int(max_channels),
        guided=bool(guided),
        timeline=bool(timeline),
        timeline_layers=tl_layers,
        started=t0,
        ready=time.perf_counter(),
    )


def _autocast(device: torch.device, dtype: torch.dtype | None, param_dtype: torch.dtype) -> Any:
    if dtype is None or dtype == param_dtype:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


@dataclass
class _Forward:
    """What one forward pass left for the backward: the input, logits and captured outputs."""

    x: Tensor  # (B, 3, H, W)
    logits: Tensor  # (B, K) float32, in the graph
    store: dict[str, Tensor]  # module name -> output
    switch: dict[str, bool]  # turns the guided gates on for the input-gradient backward
    cam_layers: list[str]

    @property
    def size_hw(self) -> tuple[int, int]:
        return (int(self.x.shape[-2]), int(self.x.shape[-1]))

    def output(self, layer: str) -> Tensor:
        return self.store[_module_name(layer)]


@dataclass(frozen=True)
class _Plan:
    """One sample's targets: those its Grad-CAM shows, its timeline's, and every one (backward rows)."""

    targets: list[int]
    timeline: list[int]
    rows: list[int]


@dataclass(frozen=True)
class _Maps:
    """Every Grad-CAM map a batch shows, on the host, and where each one lies."""

    heat: np.ndarray  # (M, H, W)
    raw: np.ndarray  # every raw map, flattened one after another
    where: dict[tuple[str, int, int], tuple[int, tuple[int, ...]]]  # (layer, row, sample) -> (k, shape)
    offsets: np.ndarray  # (M + 1,) start of each raw map in ``raw``


def _check_batch(model: nn.Module, requests: Sequence[InspectRequest]) -> None:
    if model.training:
        raise InspectionError("the model is in training mode; call model.eval() first")
    if len({r.input_shape for r in requests}) != 1:
        raise InspectionError("requests batched together need inputs of one size")
    if len(requests) > 1 and any(r.guided for r in requests):
        raise InspectionError("Guided Grad-CAM requests run one at a time")


def _capture_forward(model: nn.Module, requests: Sequence[InspectRequest], dtype: torch.dtype | None) -> _Forward:
    """One forward of the whole batch, recording every stage and block output and the CAM layers."""
    param = next(model.parameters())
    guided = requests[0].guided
    x = requests[0].prepared.tensor if len(requests) == 1 else torch.cat([r.prepared.tensor for r in requests])
    # a model kept in bf16 (resnet_core.fast.reduced_precision) takes its input in bf16
    x = x.to(param.device, dtype=param.dtype, non_blocking=True)  # (B, 3, H, W)
    if guided:  # guided backprop ends at the input; otherwise gradients stop at the CAM layers
        x.requires_grad_(True)
    cam_layers = list(dict.fromkeys(n for r in requests for n in r.cam_layers))
    names = [_module_name(n) for n, _ in model.layers()] + [_module_name(n) for n in cam_layers]
    switch = {"guided": False}
    with contextlib.ExitStack() as stack:
        store = stack.enter_context(capture_outputs(model, names, leaves={_module_name(n) for n in cam_layers}))
        if guided:
            relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
            # prepended, so the capture hooks see the gated tensor
            stack.enter_context(patch_modules(relus, lambda out: _GuidedGate.apply(out, switch), prepend=True))
        with torch.enable_grad(), _autocast(param.device, dtype, param.dtype):
            logits = model(x)  # (B, num_classes)
    fwd = _Forward(x=x, logits=logits.float(), store=store, switch=switch, cam_layers=cam_layers)
    for name in cam_layers:
        out = store.get(_module_name(name))
        if not isinstance(out, Tensor) or out.dim() != 4:
            raise InspectionError(f"layer {name!r} did not produce a feature map in the forward pass")
    return fwd


def _plan_targets(requests: Sequence[InspectRequest], top_i: list[list[int]]) -> list[_Plan]:
    """Each sample's targets: as asked, else its top-1 (and its top five for the timeline)."""
    plans = []
    for b, r in enumerate(requests):
        explicit = r.targets is not None
        targets = list(r.targets) if explicit else [top_i[b][0]]
        # the timeline follows the asked-for classes, or else the top five
        tl_targets = targets if explicit else top_i[b][: min(5, r.top_k)]
        rows = list(dict.fromkeys(targets + (tl_targets if r.timeline else [])))
        plans.append(_Plan(targets=targets, timeline=tl_targets, rows=rows))
    return plans


def _batched_backward(fwd: _Forward, plans: Sequence[_Plan], *, retain: bool) -> dict[str, Tensor]:
    """Raw Grad-CAM maps (R, B, h, w) of every CAM layer from one backward.

    Row j holds each sample's j-th target (zero where a sample has fewer); gradients flow only
    to the CAM layers' outputs, batched over rows with ``is_grads_batched``.
    """
    logits = fwd.logits
    batch, num_classes = logits.shape
    rows = max(len(p.rows) for p in plans)
    cam_inputs = [fwd.output(n) for n in fwd.cam_layers]
    if batch == 1 and rows == 1:
        grads = [g[None] for g in torch.autograd.grad(logits[0, plans[0].rows[0]], cam_inputs, retain_graph=retain)]
    else:
        onehot = torch.zeros(rows, batch, num_classes)
        for b, p in enumerate(plans):
            for j, t in enumerate(p.rows):
                onehot[j, b, t] = 1
        onehot = onehot.to(device=logits.device, dtype=logits.dtype, non_blocking=True)
        if rows == 1:
            grads = [
                g[None] for g in torch.autograd.grad(logits, cam_inputs, grad_outputs=onehot[0], retain_graph=retain)
            ]
        else:
            grads = list(
                torch.autograd.grad(logits, cam_inputs, grad_outputs=onehot, is_grads_batched=True, retain_graph=retain)
            )
    return {n: _cam_raw(fwd.output(n), g) for n, g in zip(fwd.cam_layers, grads)}


def _gather_maps(
    requests: Sequence[InspectRequest], plans: Sequence[_Plan], raw_by_layer: dict[str, Tensor], size_hw: tuple[int, int]
) -> _Maps:
    """The maps each request shows, gathered per layer and sent to the host in two transfers."""
    wanted: dict[str, list[tuple[int, int]]] = {n: [] for n in raw_by_layer}
    for b, (r, p) in enumerate(zip(requests, plans)):
        pairs = [(r.layer, t) for t in p.targets]
        if r.timeline:
            pairs += [(n, t) for n in r.timeline_layers for t in p.timeline]
        for n, t in dict.fromkeys(pairs):
            wanted[n].append((p.rows.index(t), b))
    heat_parts, raw_parts, where = [], [], {}
    offset = 0
    for n, pairs in wanted.items():
        if not pairs:
            continue
        js, bs = zip(*pairs)
        raw_sel = raw_by_layer[n][list(js), list(bs)]  # (M, h, w)
        heat_parts.append(_cam_heat(raw_sel, size_hw))
        raw_parts.append(raw_sel.flatten())
        for k, (j, b) in enumerate(pairs):
            where[(n, j, b)] = (offset + k, tuple(raw_sel.shape[1:]))
        offset += len(pairs)
    return _Maps(
        heat=torch.cat(heat_parts).cpu().numpy(),
        raw=torch.cat(raw_parts).cpu().numpy(),
        where=where,
        offsets=np.cumsum([0] + [int(np.prod(s)) for _, s in where.values()]),
    )


def _guided_map(fwd: _Forward, request: InspectRequest, plan: _Plan, raw_by_layer: dict[str, Tensor]) -> np.ndarray:
    """Guided Grad-CAM of the first target, as captum's ``GuidedGradCam``: guided backprop to the
    input times the rectified map, nearest-upsampled (Selvaraju et al., Sec. 3.1)."""
    target = plan.targets[0]
    fwd.switch["guided"] = True
    (gx,) = torch.autograd.grad(fwd.logits[0, target], fwd.x)  # (1, 3, H, W)
    raw = raw_by_layer[request.layer][plan.rows.index(target), 0]
    up = F.interpolate(raw.clamp(min=0)[None, None], size=fwd.size_hw, mode="nearest")[0]
    g = (gx[0] * up).abs().sum(dim=0)
    return (g / g.max().clamp_min(1e-20)).cpu().numpy().astype(np.float32)


def _assemble(
    model: nn.Module,
    requests: Sequence[InspectRequest],
    plans: Sequence[_Plan],
    *,
    maps: _Maps,
    scores: np.ndarray,
    top: tuple[list[list[float]], list[list[int]]],
    activations: list[tuple[Activation, ...]],
    guided: np.ndarray | None,
    size_hw: tuple[int, int],
) -> list[Inspection]:
    """One :class:`Inspection` per request from the batch's host-side arrays."""
    batch = len(requests)
    slots = {key: i for i, key in enumerate(maps.where)}
    top_p, top_i = top
    results = []
    for b, (r, p) in enumerate(zip(requests, plans)):

        def cam(name: str, t: int, b: int = b, p: _Plan = p, r: InspectRequest = r) -> CamMap:
            key = (name, p.rows.index(t), b)
            k, shape = maps.where[key]
            s = slots[key]
            return CamMap(
                layer=name,
                target=t,
                label=class_label(t, r.categories),
                score=float(scores[b, t]),
                heatmap=maps.heat[k].copy() if batch > 1 else maps.heat[k],
                raw=maps.raw[maps.offsets[s] : maps.offsets[s + 1]].reshape(shape).copy(),
            )

        tl = None
        if r.timeline:
            tl = CamTimeline(
                image=r.prepared.view,
                layers=r.timeline_layers,
                targets=tuple(p.timeline),
                labels=tuple(class_label(t, r.categories) for t in p.timeline),
                maps=tuple(tuple(cam(n, t) for t in p.timeline) for n in r.timeline_layers),
            )
        results.append(
            Inspection(
                model_name=getattr(model, "name", type(model).__name__),
                image=r.prepared.view,
                input_size=size_hw,
                predictions=predictions(top_p[b][: r.top_k], top_i[b][: r.top_k], r.categories),
                activations=activations[b],
                cams=tuple(cam(r.layer, t) for t in p.targets),
                layer=r.layer,
                guided=guided,
                timeline=tl,
                timings={},
            )
        )
    return results


def run_requests(
    model: nn.Module, requests: Sequence[InspectRequest], *, dtype: torch.dtype | None = None
) -> list[Inspection]:
    """Run checked requests through ``model`` in one forward and one backward.

    Each result equals what the request gets alone: in eval mode the samples of a batch do
    not interact, so the gradient of the sum of each sample's own target logit, taken at that
    sample's activations, is that target's gradient alone (one backward row per target slot,
    batched with ``is_grads_batched``).

    Args:
        model: the model the requests were made for, in eval mode.
        requests: from :func:`make_request`, all with inputs of one size; Guided Grad-CAM
            only in a batch of one.
        dtype: None (the model's own precision: a model whose weights are bf16 runs in
            bf16) or a reduced precision (``torch.bfloat16``) for the forward of a float32
            model, under autocast; maps and statistics are computed in float32.

    Raises:
        InspectionError: mixed input sizes, or guided requests in a batch.
    """
    if not requests:
        return []
    _check_batch(model, requests)
    t_start = time.perf_counter()
    fwd = _capture_forward(model, requests, dtype)
    t_fwd = time.perf_counter()

    # predictions on the host: one small transfer, then every target is known
    host_logits = fwd.logits.detach().cpu()  # (B, K)
    k_max = max(r.top_k for r in requests)
    top_p, top_i = (v.tolist() for v in host_logits.softmax(dim=1).topk(k_max, dim=1))
    plans = _plan_targets(requests, top_i)
    guided = requests[0].guided
    raw_by_layer = _batched_backward(fwd, plans, retain=guided)  # (R, B, h, w) per layer
    maps = _gather_maps(requests, plans, raw_by_layer, fwd.size_hw)
    guided_map = _guided_map(fwd, requests[0], plans[0], raw_by_layer) if guided else None
    t_bwd = time.perf_counter()

    activations = reduce_activations(
        [(n, k, fwd.output(n)) for n, k in model.layers()], [r.max_channels for r in requests]
    )
    results = _assemble(
        model, requests, plans, maps=maps, scores=host_logits.numpy(), top=(top_p, top_i),
        activations=activations, guided=guided_map, size_hw=fwd.size_hw,
    )
    t_end = time.perf_counter()
    for r, res in zip(requests, results):
        res.timings.update(
            prepare=r.ready - r.started,
            forward=t_fwd - t_start,
            backward=t_bwd - t_fwd,
            postprocess=t_end - t_bwd,
            total=t_end - r.started,
        )
    return results


def inspect(
    model: nn.Module,
    image: Any,
    *,
    layer: str = "layer4",
    target: int | Sequence[int] | None = None,
    top_k: int = 5,
    categories: Sequence[str] | None = None,
    preprocess: Any = None,
    mode: str = "crop",
    size: int | None = None,
    max_channels: int = 8,
    guided: bool = False,
    timeline: bool = False,
    timeline_layers: Sequence[str] | None = None,
    dtype: torch.dtype | None = None,
) -> Inspection:
    """Predictions, activations of the stem, every stage and block, and Grad-CAM, in one pass.

    Args:
        model: a :class:`~resnet_core.model.ResNet` in eval mode (it is not modified).
        image: anything :func:`resnet_core.images.load_image` accepts, or a ``Prepared``.
        layer: Grad-CAM layer by dotted name: "stem", "layer3", "layer3.2", or any submodule.
        target: class index or list of indices (default: the top-1 class).
        top_k: how many predictions to return (1..1000, capped at the number of classes).
        categories: class names (default "class N").
        preprocess: a ``Preprocess`` (the weights' transforms); ImageNet defaults otherwise.
        mode: "crop" (the weights' resize + center crop) or "whole" (keep the whole picture).
        size: input side for "whole" mode, or crop size for "crop".
        max_channels: strongest channels kept per activation (1..64).
        guided: also compute Guided Grad-CAM for the first target.
        timeline: also compute Grad-CAM at the stem and every stage for every target
            (in the same backward pass); returned as ``Inspection.timeline``.
        timeline_layers: override the timeline's layers.
        dtype: None runs the model in its own precision (bf16 weights: in bf16, see
            :func:`resnet_core.fast.reduced_precision`); ``torch.bfloat16`` runs the forward
            of a float32 model under autocast. Maps and statistics are computed in float32.

    Raises:
        InspectionError: bad layer, target, top-k or channel count.
        resnet_core.images.ImageError: the image cannot be read.
    """
    request = make_request(
        model,
        image,
        layer=layer,
        target=target,
        top_k=top_k,
        categories=categories,
        preprocess=preprocess,
        mode=mode,
        size=size,
        max_channels=max_channels,
        guided=guided,
        timeline=timeline,
        timeline_layers=timeline_layers,
    )
    return run_requests(model, [request], dtype=dtype)[0]


def gradcam_timeline(
    model: nn.Module,
    image: Any,
    *,
    targets: int | Sequence[int] | None = None,
    top_k: int = 5,
    **kwargs: Any,
) -> CamTimeline:
    """Grad-CAM at the stem and every stage for the top-k (or given) classes, in one pass.

    One forward and one batched backward to every stage output; calling captum once per stage
    and class gives the same maps at many times the cost.
    """
    return inspect(model, image, target=targets, top_k=top_k, timeline=True, **kwargs).timeline
