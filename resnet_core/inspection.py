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
* activations are reduced on the device (statistics, the strongest channels as uint8) and
  leave it once.

Concurrency: a model is shared between users. Hooks are per call and per thread
(:mod:`resnet_core.hooks`), and nothing is stored on the model, so any number of threads may
inspect the same model at once.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .hooks import HookError, resolve_module
from .results import Activation, CamMap, CamTimeline, Inspection, class_label, predictions

#: the app caps requests to these
MAX_TOP_K = 1000
MAX_TARGETS = 10
MAX_CHANNELS = 64
#: activation maps larger than this (per side) are average-pooled down before they leave the device
MAX_MAP_SIDE = 112


class InspectionError(ValueError):
    """A request that cannot be served as asked (unknown layer, bad target, ...)."""


def _module_name(name: str) -> str:
    # the stem's output is the max-pool's (an Identity in the CIFAR nets, still a module)
    return "maxpool" if name == "stem" else name


def layer_names(model: nn.Module) -> tuple[str, ...]:
    """Every layer the UI offers: "stem", each stage, each block, in network order."""
    return tuple(name for name, _ in model.layers())


def _check_layer(model: nn.Module, layer: str) -> str:
    if not isinstance(layer, str) or not layer:
        raise InspectionError("choose a layer by name, e.g. 'layer4' or 'layer3.2'")
    try:
        resolve_module(model, _module_name(layer))
    except HookError as exc:
        raise InspectionError(f"{exc}; choose one of: {', '.join(layer_names(model))}") from None
    return layer


def _check_targets(target: int | Sequence[int] | None, num_classes: int) -> list[int] | None:
    if target is None:
        return None
    items = [target] if isinstance(target, (int, np.integer)) else list(target)
    if not items:
        return None
    if len(items) > MAX_TARGETS:
        raise InspectionError(f"at most {MAX_TARGETS} Grad-CAM targets at once, got {len(items)}")
    out = []
    for t in items:
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 0 <= int(t) < num_classes:
            raise InspectionError(f"target classes must be integers in [0, {num_classes - 1}], got {t!r}")
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
    from .images import Prepared, Preprocess, load_image, prepare

    if isinstance(image, Prepared):
        return image
    pil = load_image(image)
    return prepare(pil, preprocess or Preprocess(), mode=mode, size=size)


def _reduce_one(a: Tensor, n_max: int, rows: Tensor) -> tuple:
    """Statistics (B, 4), strongest channels as uint8 (B, n*mh*mw), their indices (B, n) and
    ranges (B, n, 2) of one (B, C, h, w) float32 output.

    Each statistic is one pass over the output with no temporary of its size, using the ops
    that are fast on a CPU as well (measured: counting non-zeros through ``sign().abs()`` is
    five times faster than ``count_nonzero`` or a boolean sum; see docs/performance.md).
    """
    b, c, h, w = a.shape
    n = min(n_max, c)
    count = c * h * w
    per_channel = a.mean(dim=(2, 3))  # (B, C)
    idx = per_channel.topk(n, dim=1).indices  # (B, n), strongest first
    sel = a[rows, idx]  # (B, n, h, w)
    if max(h, w) > MAX_MAP_SIDE:
        scale = MAX_MAP_SIDE / max(h, w)
        sel = F.adaptive_avg_pool2d(sel, (max(1, round(h * scale)), max(1, round(w * scale))))
    lo = sel.amin(dim=(2, 3))  # (B, n)
    hi = sel.amax(dim=(2, 3))
    step = (255 / (hi - lo).clamp_min(1e-12))[..., None, None]
    u8 = sel.sub(lo[..., None, None]).mul_(step).round_().to(torch.uint8)
    if not a.is_contiguous() and a.is_contiguous(memory_format=torch.channels_last):
        a_mem = a.permute(0, 2, 3, 1)  # NHWC in memory: read it in memory order, no copy
    else:
        a_mem = a
    flat = a_mem.reshape(b, count)  # the sums below do not depend on the order
    mean = per_channel.mean(dim=1)
    # var = E[x^2] - E[x]^2: the outputs are mostly >= 0, so no catastrophic cancellation
    sq = torch.dot(flat[0], flat[0])[None] if b == 1 else torch.linalg.vecdot(flat, flat)  # (B,)
    std = (sq / count - mean.square()).clamp_min(0).sqrt()
    zeros = 1 - torch.sign(flat).abs_().sum(dim=1) / count  # sign is 0 exactly at 0
    stats = torch.stack([mean, std, a.amax(dim=(2, 3)).amax(dim=1), zeros], dim=1)  # (B, 4)
    return stats, u8.flatten(1), idx, torch.stack([lo, hi], dim=2), n, tuple(sel.shape[2:])


def _reduce_activations(
    acts: list[tuple[str, str, Tensor]], max_channels: Sequence[int]
) -> list[tuple[Activation, ...]]:
    """Statistics and the strongest channels of each output, per sample, computed on the device.

    Args:
        acts: (name, kind, output) with outputs of shape (B, C, h, w).
        max_channels: channels to keep, one count per sample.

    Returns:
        One tuple of :class:`Activation` per sample. Every reduction runs over the whole batch
        at once, and all results leave the device in four transfers, whatever B and the depth.
    """
    batch = len(max_channels)
    n_max = max(max_channels)
    stats, maps, idxs, ranges, meta = [], [], [], [], []
    rows = torch.arange(batch, device=acts[0][2].device)[:, None]  # (B, 1)
    done: dict[tuple, tuple] = {}  # a stage's output is its last block's: reduce it once
    for name, kind, t in acts:
        key = (t.data_ptr(), t.dtype, tuple(t.shape), t.stride())
        if key not in done:
            done[key] = _reduce_one(t.detach().float(), n_max, rows)
        st, u8, idx, rng, n, mshape = done[key]
        stats.append(st)
        maps.append(u8)
        idxs.append(idx)
        ranges.append(rng)
        meta.append((name, kind, tuple(t.shape[1:]), n, mshape))
    # one transfer each for statistics, maps, channel indices and ranges
    stats_np = torch.stack(stats, dim=1).cpu().numpy()  # (B, L, 4)
    maps_np = torch.cat(maps, dim=1).cpu().numpy()  # (B, sum n*mh*mw)
    idx_np = torch.cat(idxs, dim=1).cpu().numpy()  # (B, sum n)
    ranges_np = torch.cat(ranges, dim=1).float().cpu().numpy()  # (B, sum n, 2)
    if batch > 1:  # each sample owns its arrays, so one user's result never pins the batch's
        maps_np, ranges_np = [m.copy() for m in maps_np], [r.copy() for r in ranges_np]
    out = []
    for b in range(batch):
        acts_b, off, ioff = [], 0, 0
        for (name, kind, shape, n, (mh, mw)), st in zip(meta, stats_np[b]):
            keep = min(int(max_channels[b]), n)
            acts_b.append(
                Activation(
                    name=name,
                    kind=kind,
                    shape=shape,
                    mean=float(st[0]),
                    std=float(st[1]),
                    max=float(st[2]),
                    zero_fraction=float(st[3]),
                    channels=tuple(int(i) for i in idx_np[b, ioff : ioff + keep]),
                    maps=maps_np[b][off : off + keep * mh * mw].reshape(keep, mh, mw),
                    ranges=ranges_np[b][ioff : ioff + keep],
                )
            )
            off += n * mh * mw
            ioff += n
        out.append(tuple(acts_b))
    return out


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
    if model.training:
        raise InspectionError("the model is in training mode; call model.eval() first")
    if len({r.input_shape for r in requests}) != 1:
        raise InspectionError("requests batched together need inputs of one size")
    guided = any(r.guided for r in requests)
    if guided and len(requests) > 1:
        raise InspectionError("Guided Grad-CAM requests run one at a time")
    batch = len(requests)
    t_start = time.perf_counter()
    param = next(model.parameters())
    device = param.device
    x = requests[0].prepared.tensor if batch == 1 else torch.cat([r.prepared.tensor for r in requests])
    # a model kept in bf16 (resnet_core.fast.reduced_precision) takes its input in bf16
    x = x.to(device, dtype=param.dtype, non_blocking=True)  # (B, 3, H, W)
    if guided:  # guided backprop ends at the input; otherwise gradients stop at the CAM layers
        x.requires_grad_(True)
    size_hw = tuple(x.shape[-2:])

    owner = threading.get_ident()
    act_layers = model.layers()
    cam_layers = list(dict.fromkeys(n for r in requests for n in r.cam_layers))
    cam_set = set(cam_layers)
    wanted = {n: _module_name(n) for n, _ in act_layers}
    wanted.update({n: _module_name(n) for n in cam_layers})
    store: dict[str, Tensor] = {}
    switch = {"guided": False}
    handles = []
    try:
        for name, mod_name in wanted.items():
            module = resolve_module(model, mod_name)

            def keep(_m: nn.Module, _a: tuple, out: Tensor, name: str = name, cam: bool = name in cam_set) -> Tensor | None:
                if threading.get_ident() != owner:
                    return None
                if cam and isinstance(out, Tensor) and not out.requires_grad:
                    # a frozen model records no graph before the first CAM layer: its output
                    # becomes the leaf the gradients stop at (captum's layer-gradient trick)
                    out = out.detach().requires_grad_(True)
                    store[name] = out
                    return out
                store[name] = out
                return None

            handles.append(module.register_forward_hook(keep))
        if guided:
            for m in model.modules():
                if isinstance(m, nn.ReLU):

                    def gate(_m: nn.Module, _a: tuple, out: Tensor) -> Tensor | None:
                        return _GuidedGate.apply(out, switch) if threading.get_ident() == owner else None

                    # registered first so the capture hooks see the gated tensor
                    handles.append(m.register_forward_hook(gate, prepend=True))
        with torch.enable_grad(), _autocast(device, dtype, param.dtype):
            logits = model(x)  # (B, num_classes)
    finally:
        for h in handles:
            h.remove()
    for name in cam_layers:
        if name not in store or not isinstance(store[name], Tensor) or store[name].dim() != 4:
            raise InspectionError(f"layer {name!r} did not produce a feature map in the forward pass")
    logits = logits.float()
    t_fwd = time.perf_counter()

    # predictions on the host: one small transfer, then every target is known
    host_logits = logits.detach().cpu()  # (B, K)
    probs = host_logits.softmax(dim=1)
    num_classes = host_logits.shape[1]
    k_max = max(r.top_k for r in requests)
    top_p, top_i = (v.tolist() for v in probs.topk(k_max, dim=1))
    plan = []  # per sample: (targets, timeline targets, all targets)
    for b, r in enumerate(requests):
        explicit = r.targets is not None
        targets = list(r.targets) if explicit else [top_i[b][0]]
        # the timeline follows the asked-for classes, or else the top five
        tl_targets = targets if explicit else top_i[b][: min(5, r.top_k)]
        plan.append((targets, tl_targets, list(dict.fromkeys(targets + (tl_targets if r.timeline else [])))))

    # one backward for every sample, target and Grad-CAM layer: row j holds each sample's
    # j-th target (zero where a sample has fewer)
    rows = max(len(p[2]) for p in plan)
    cam_inputs = [store[n] for n in cam_layers]
    retain = guided
    if batch == 1 and rows == 1:
        grads = [g[None] for g in torch.autograd.grad(logits[0, plan[0][2][0]], cam_inputs, retain_graph=retain)]
    else:
        onehot = torch.zeros(rows, batch, num_classes)
        for b, p in enumerate(plan):
            for j, t in enumerate(p[2]):
                onehot[j, b, t] = 1
        onehot = onehot.to(device=device, dtype=logits.dtype, non_blocking=True)
        if rows == 1:
            grads = [g[None] for g in torch.autograd.grad(logits, cam_inputs, grad_outputs=onehot[0], retain_graph=retain)]
        else:
            grads = list(
                torch.autograd.grad(logits, cam_inputs, grad_outputs=onehot, is_grads_batched=True, retain_graph=retain)
            )
    raw_by_layer = {n: _cam_raw(store[n], g) for n, g in zip(cam_layers, grads)}  # (R, B, h, w)

    # every map a request shows, gathered per layer, sent to the host in two transfers
    wanted_maps: dict[str, list[tuple[int, int]]] = {n: [] for n in cam_layers}
    for b, (r, p) in enumerate(zip(requests, plan)):
        pairs = [(r.layer, t) for t in p[0]]
        if r.timeline:
            pairs += [(n, t) for n in r.timeline_layers for t in p[1]]
        for n, t in dict.fromkeys(pairs):
            wanted_maps[n].append((p[2].index(t), b))
    heat_parts, raw_parts, where = [], [], {}
    offset = 0
    for n, pairs in wanted_maps.items():
        if not pairs:
            continue
        js, bs = zip(*pairs)
        raw_sel = raw_by_layer[n][list(js), list(bs)]  # (M, h, w)
        heat_parts.append(_cam_heat(raw_sel, size_hw))
        raw_parts.append(raw_sel.flatten())
        for k, (j, b) in enumerate(pairs):
            where[(n, j, b)] = (offset + k, raw_sel.shape[1:])
        offset += len(pairs)
    heat_np = torch.cat(heat_parts).cpu().numpy()  # (M, H, W)
    raw_np = torch.cat(raw_parts).cpu().numpy()
    raw_offsets = np.cumsum([0] + [int(np.prod(s)) for _, s in where.values()])

    guided_map = None
    if guided:
        r, (targets, _, all_t) = requests[0], plan[0]
        switch["guided"] = True
        (gx,) = torch.autograd.grad(logits[0, targets[0]], x)  # (1, 3, H, W)
        raw = raw_by_layer[r.layer][all_t.index(targets[0]), 0]
        # as captum's GuidedGradCam: guided backprop times the rectified map, nearest-upsampled
        up = F.interpolate(raw.clamp(min=0)[None, None], size=size_hw, mode="nearest")[0]
        g = (gx[0] * up).abs().sum(dim=0)
        guided_map = (g / g.max().clamp_min(1e-20)).cpu().numpy().astype(np.float32)
    t_bwd = time.perf_counter()

    activations = _reduce_activations(
        [(n, k, store[n]) for n, k in act_layers], [r.max_channels for r in requests]
    )
    host_scores = host_logits.numpy()
    slots = {key: i for i, key in enumerate(where)}
    results = []
    for b, (r, (targets, tl_targets, all_t)) in enumerate(zip(requests, plan)):

        def cam(name: str, t: int, b: int = b, all_t: list[int] = all_t, r: InspectRequest = r) -> CamMap:
            key = (name, all_t.index(t), b)
            k, shape = where[key]
            s = slots[key]
            return CamMap(
                layer=name,
                target=t,
                label=class_label(t, r.categories),
                score=float(host_scores[b, t]),
                heatmap=heat_np[k].copy() if batch > 1 else heat_np[k],
                raw=raw_np[raw_offsets[s] : raw_offsets[s + 1]].reshape(shape).copy(),
            )

        preds = predictions(top_p[b][: r.top_k], top_i[b][: r.top_k], r.categories)
        view = r.prepared.view
        tl = None
        if r.timeline:
            tl = CamTimeline(
                image=view,
                layers=r.timeline_layers,
                targets=tuple(tl_targets),
                labels=tuple(class_label(t, r.categories) for t in tl_targets),
                maps=tuple(tuple(cam(n, t) for t in tl_targets) for n in r.timeline_layers),
            )
        results.append(
            Inspection(
                model_name=getattr(model, "name", type(model).__name__),
                image=view,
                input_size=(int(size_hw[0]), int(size_hw[1])),
                predictions=preds,
                activations=activations[b],
                cams=tuple(cam(r.layer, t) for t in targets),
                layer=r.layer,
                guided=guided_map,
                timeline=tl,
                timings={},
            )
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
