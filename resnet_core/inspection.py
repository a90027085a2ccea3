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

import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .blocks import is_block
from .hooks import HookError, resolve_module
from .results import Activation, CamMap, CamTimeline, Inspection, Prediction

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
    """Every layer the UI offers: "stem", each stage, each block, in network order.

    Read from the model's recorded ``feature_info``, never hard-coded.
    """
    names = ["stem"]
    for info in model.feature_info:
        names.append(info.module)
        stage = getattr(model, info.module)
        names.extend(f"{info.module}.{i}" for i, b in enumerate(stage) if is_block(b))
    return tuple(names)


def _activation_layers(model: nn.Module) -> list[tuple[str, str]]:
    out = [("stem", "stem")]
    for info in model.feature_info:
        out.append((info.module, "stage"))
        out.extend((f"{info.module}.{i}", "block") for i in range(info.num_blocks))
    return out


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


def _reduce_activations(
    acts: list[tuple[str, str, Tensor]], max_channels: int
) -> tuple[Activation, ...]:
    """Statistics and the strongest channels of each output, computed on its device."""
    stats, maps, meta = [], [], []
    for name, kind, t in acts:
        a = t[0].detach().float()  # (C, h, w)
        c, h, w = a.shape
        n = min(max_channels, c)
        per_channel = a.mean(dim=(1, 2))
        idx = per_channel.topk(n).indices  # strongest first
        sel = a[idx]  # (n, h, w)
        if max(h, w) > MAX_MAP_SIDE:
            scale = MAX_MAP_SIDE / max(h, w)
            size = (max(1, round(h * scale)), max(1, round(w * scale)))
            sel = F.adaptive_avg_pool2d(sel[None], size)[0]
        lo = sel.amin(dim=(1, 2))
        hi = sel.amax(dim=(1, 2))
        u8 = ((sel - lo[:, None, None]) / (hi - lo).clamp_min(1e-12)[:, None, None] * 255).round()
        stats.append(torch.stack([a.mean(), a.std(unbiased=False), a.amax(), (a == 0).float().mean()]))
        maps.append(u8.to(torch.uint8).flatten())
        meta.append((name, kind, (c, h, w), idx, torch.stack([lo, hi], dim=1), tuple(sel.shape)))
    # one transfer each for statistics, maps, channel indices and ranges
    stats_np = torch.stack(stats).cpu().numpy()
    maps_np = torch.cat(maps).cpu().numpy()
    idx_np = torch.cat([m[3] for m in meta]).cpu().numpy()
    ranges_np = torch.cat([m[4] for m in meta]).float().cpu().numpy()
    out, off, ioff = [], 0, 0
    for (name, kind, shape, _, _, mshape), st in zip(meta, stats_np):
        n, mh, mw = mshape
        out.append(
            Activation(
                name=name,
                kind=kind,
                shape=shape,
                mean=float(st[0]),
                std=float(st[1]),
                max=float(st[2]),
                zero_fraction=float(st[3]),
                channels=tuple(int(i) for i in idx_np[ioff : ioff + n]),
                maps=maps_np[off : off + n * mh * mw].reshape(n, mh, mw),
                ranges=ranges_np[ioff : ioff + n],
            )
        )
        off += n * mh * mw
        ioff += n
    return tuple(out)


def _cam_maps(act: Tensor, grads: Tensor, size: tuple[int, int]) -> tuple[Tensor, Tensor]:
    """Grad-CAM for T targets at one layer.

    Args:
        act: (1, C, h, w) layer output.
        grads: (T, 1, C, h, w) gradient of each target's logit w.r.t. ``act``.
        size: (H, W) of the input.

    Returns:
        raw (T, h, w) unrectified maps, and heat (T, H, W) rectified, upsampled, in [0, 1].
    """
    weights = grads[:, 0].mean(dim=(2, 3), keepdim=True)  # (T, C, 1, 1)
    raw = (weights * act[0].detach()).sum(dim=1)  # (T, h, w)
    heat = F.interpolate(raw.clamp(min=0)[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]
    peak = heat.flatten(1).amax(dim=1).clamp_min(1e-20)[:, None, None]
    heat = torch.where(peak > 1e-20, heat / peak, torch.zeros_like(heat)).clamp(0, 1)
    return raw, heat


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

    Raises:
        InspectionError: bad layer, target, top-k or channel count.
        resnet_core.images.ImageError: the image cannot be read.
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
    cam_layers = [layer]
    tl_layers: list[str] = []
    if timeline:
        tl_layers = [_check_layer(model, n) for n in (timeline_layers or ("stem", *model.stage_names))]
        cam_layers = list(dict.fromkeys(cam_layers + tl_layers))

    prepared = _prepare(image, preprocess, mode, size)
    device = next(model.parameters()).device
    x = prepared.tensor.to(device, non_blocking=True).requires_grad_(True)  # (1, 3, H, W)
    size_hw = tuple(x.shape[-2:])
    t_prep = time.perf_counter()

    owner = threading.get_ident()
    act_layers = _activation_layers(model)
    wanted = {n: _module_name(n) for n, _ in act_layers}
    wanted.update({n: _module_name(n) for n in cam_layers})
    store: dict[str, Tensor] = {}
    switch = {"guided": False}
    handles = []
    try:
        for name, mod_name in wanted.items():
            module = resolve_module(model, mod_name)

            def keep(_m: nn.Module, _a: tuple, out: Tensor, name: str = name) -> None:
                if threading.get_ident() == owner:
                    store[name] = out

            handles.append(module.register_forward_hook(keep))
        if guided:
            for m in model.modules():
                if isinstance(m, nn.ReLU):

                    def gate(_m: nn.Module, _a: tuple, out: Tensor) -> Tensor | None:
                        return _GuidedGate.apply(out, switch) if threading.get_ident() == owner else None

                    # registered first so the capture hooks see the gated tensor
                    handles.append(m.register_forward_hook(gate, prepend=True))
        with torch.enable_grad():
            logits = model(x)  # (1, num_classes)
    finally:
        for h in handles:
            h.remove()
    for name in cam_layers:
        if name not in store or not isinstance(store[name], Tensor) or store[name].dim() != 4:
            raise InspectionError(f"layer {name!r} did not produce a feature map in the forward pass")
    t_fwd = time.perf_counter()

    probs = logits.detach()[0].float().softmax(dim=0)
    top_p, top_i = probs.topk(top_k)
    explicit = targets is not None
    if targets is None:
        targets = [int(top_i[0])]
    # the timeline follows the asked-for classes, or else the top five
    timeline_targets = targets if explicit else [int(i) for i in top_i[: min(5, top_k)]]
    all_targets = list(dict.fromkeys(targets + (timeline_targets if timeline else [])))

    # one backward for every target and every Grad-CAM layer
    t_count = len(all_targets)
    selected = logits[0, all_targets]  # (T,)
    cam_inputs = [store[n] for n in cam_layers]
    if t_count == 1:
        grads = [g[None] for g in torch.autograd.grad(selected, cam_inputs, retain_graph=guided)]
    else:
        eye = torch.eye(t_count, device=device, dtype=selected.dtype)
        grads = list(torch.autograd.grad(selected, cam_inputs, grad_outputs=eye, is_grads_batched=True, retain_graph=guided))
    cams_by_layer = {n: _cam_maps(store[n], g, size_hw) for n, g in zip(cam_layers, grads)}

    guided_map = None
    if guided:
        switch["guided"] = True
        (gx,) = torch.autograd.grad(logits[0, targets[0]], x)  # (1, 3, H, W)
        raw, _ = cams_by_layer[layer]
        t_idx = all_targets.index(targets[0])
        # as captum's GuidedGradCam: guided backprop times the rectified map, nearest-upsampled
        up = F.interpolate(raw[t_idx].clamp(min=0)[None, None], size=size_hw, mode="nearest")[0]
        g = (gx[0] * up).abs().sum(dim=0)
        guided_map = (g / g.max().clamp_min(1e-20)).cpu().numpy().astype(np.float32)
    t_bwd = time.perf_counter()

    names = list(categories) if categories is not None else None

    def label(i: int) -> str:
        return names[i] if names is not None and i < len(names) else f"class {i}"

    scores = logits.detach()[0, all_targets].float().cpu().numpy()

    def cam(name: str, t: int) -> CamMap:
        raw, heat = cams_by_layer[name]
        j = all_targets.index(t)
        return CamMap(
            layer=name,
            target=t,
            label=label(t),
            score=float(scores[j]),
            heatmap=heat[j].float().cpu().numpy(),
            raw=raw[j].float().cpu().numpy(),
        )

    activations = _reduce_activations([(n, k, store[n]) for n, k in act_layers], int(max_channels))
    preds = tuple(
        Prediction(index=int(i), label=label(int(i)), probability=float(p))
        for p, i in zip(top_p.cpu().tolist(), top_i.cpu().tolist())
    )
    tl = None
    if timeline:
        tl = CamTimeline(
            image=prepared.view,
            layers=tuple(tl_layers),
            targets=tuple(timeline_targets),
            labels=tuple(label(t) for t in timeline_targets),
            maps=tuple(tuple(cam(n, t) for t in timeline_targets) for n in tl_layers),
        )
    result = Inspection(
        model_name=getattr(model, "name", type(model).__name__),
        image=prepared.view,
        input_size=(int(size_hw[0]), int(size_hw[1])),
        predictions=preds,
        activations=activations,
        cams=tuple(cam(layer, t) for t in targets),
        layer=layer,
        guided=guided_map,
        timeline=tl,
        timings={},
    )
    t_end = time.perf_counter()
    result.timings.update(
        prepare=t_prep - t0, forward=t_fwd - t_prep, backward=t_bwd - t_fwd, postprocess=t_end - t_bwd, total=t_end - t0
    )
    return result


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
