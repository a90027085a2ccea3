"""Engine benchmark: full inspection against a bare forward, captum and pytorch-grad-cam.

Same model object (same weights), same input tensor, same device, same layer (``layer4``),
eval mode, same thread count. Every method is warmed up, then the methods are timed in
interleaved rounds (one call of each per round, in rotating order), so a burst of load from
other processes hits all of them alike; the medians and their ratios are printed and written
as JSON.

Methods:

* ``forward_tv``: a bare torchvision ``resnetN`` forward under ``inference_mode`` (same state dict);
* ``forward``: the playground's own model, same, to show the hook-friendly blocks cost nothing;
* ``captum``: ``captum.attr.LayerGradCam(model, model.layer4).attribute(x, target=t)``;
* ``gradcam``: ``pytorch_grad_cam.GradCAM(model, [model.layer4])`` (built per call as a user
  does, within ``with``, so its hooks never leak into the other methods), given an input that
  requires grad, because the served model's parameters are frozen;
* ``inspect``: the full inspection as the Compare tab calls it (``inspect(model, prepared)``:
  top-5, the layer4 Grad-CAM, activations of the stem, every stage and every block);
* ``inspect_app``: as the Inspect tab calls it (also the Grad-CAM timeline: stem and every
  stage, for the top-5 classes);
* ``timeline_only``: the same timeline on its own through ``gradcam_timeline``;
* ``fast``: :class:`resnet_core.fast.FastPredictor` (forward only; on CUDA bf16, channels_last,
  CUDA graph);
* ``inspect_bf16`` (CUDA only): the full inspection on :func:`resnet_core.fast.reduced_precision`'s
  copy (BatchNorm folded, bf16, channels_last).

Run ``python scripts/bench_engine.py --help``. Numbers are only comparable within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RESNET_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

DEFAULT_N = {18: 20, 34: 15, 50: 20, 101: 8, 152: 6}


# --------------------------------------------------------------------------- shared helpers


def device_string(device: torch.device) -> str:
    """What produced a number: the GPU's name, or the CPU model, core count and threads."""
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return f"{props.name} ({props.total_memory / 2**30:.0f} GiB), CUDA {torch.version.cuda}, torch {torch.__version__}"
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads, torch {torch.__version__}"


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def interleaved(
    methods: dict[str, Callable[[], object]], *, n: int, warmup: int, device: torch.device, budget_s: float = 1e9
) -> dict[str, list[float]]:
    """Seconds per call of each method: ``warmup`` calls each, then ``n`` interleaved rounds.

    Stops early (with at least 3 rounds) when ``budget_s`` is spent.
    """
    for fn in methods.values():
        for _ in range(warmup):
            fn()
        sync(device)
    times: dict[str, list[float]] = {k: [] for k in methods}
    names = list(methods)
    start = time.perf_counter()
    for r in range(n):
        order = names[r % len(names) :] + names[: r % len(names)]
        for k in order:
            sync(device)
            t0 = time.perf_counter()
            methods[k]()
            sync(device)
            times[k].append(time.perf_counter() - t0)
        if r >= 2 and time.perf_counter() - start > budget_s:
            break
    return times


def summarize(times: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    out = {}
    for k, v in times.items():
        a = np.asarray(v) * 1e3
        out[k] = {
            "median_ms": round(float(np.median(a)), 3),
            "p10_ms": round(float(np.percentile(a, 10)), 3),
            "p90_ms": round(float(np.percentile(a, 90)), 3),
            "n": len(v),
        }
    return out


def natural_image(h: int = 240, w: int = 320, seed: int = 0) -> np.ndarray:
    """A smooth, structured picture (the tests' generator), or the first example image."""
    examples = sorted((ROOT / "assets" / "examples").glob("*.jpg"))
    if examples:
        from PIL import Image

        return np.asarray(Image.open(examples[0]).convert("RGB"))
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for _ in range(6):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(15, 60)
        img += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))[..., None] * rng.uniform(0, 1, 3)
    return ((img - img.min()) / (img.max() - img.min()) * 255).astype(np.uint8)


# --------------------------------------------------------------------------- the benchmark


def bench_depth(depth: int, *, device: torch.device, n: int, warmup: int, side: int, budget_s: float) -> dict:
    import torchvision
    from captum.attr import LayerGradCam
    from PIL import Image
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    from resnet_core import build_resnet
    from resnet_core.fast import FastPredictor
    from resnet_core.images import Preprocess, prepare
    from resnet_core.inspection import gradcam_timeline, inspect
    from resnet_core.weights import IMAGENET_CATEGORIES

    torch.manual_seed(depth)
    model = build_resnet(depth).eval()
    tv = getattr(torchvision.models, f"resnet{depth}")()
    tv.load_state_dict(model.state_dict(), strict=True)  # the very same weights
    for m in (model, tv):
        m.requires_grad_(False)  # as the app's zoo serves models: gradients to activations only
        m.to(device).eval()
    prepared = prepare(Image.fromarray(natural_image()), Preprocess(crop_size=side, resize_size=round(side * 256 / 224)))
    x = prepared.tensor.to(device)
    with torch.inference_mode():
        target = int(model(x).argmax())
    fast = FastPredictor(model)
    cats = IMAGENET_CATEGORIES

    def forward_tv() -> object:
        with torch.inference_mode():
            return tv(x)

    def forward() -> object:
        with torch.inference_mode():
            return model(x)

    def captum() -> object:
        return LayerGradCam(model, model.layer4).attribute(x, target=target)

    x_grad = x.clone().requires_grad_(True)

    def gradcam() -> object:
        # the model is frozen as served, so pytorch-grad-cam's backward needs an input that
        # requires grad (its cheapest correct setting: no parameter gradients)
        with GradCAM(model=model, target_layers=[model.layer4]) as cam:
            return cam(input_tensor=x_grad, targets=[ClassifierOutputTarget(target)])

    def full() -> object:
        return inspect(model, prepared, top_k=5, categories=cats)

    def app() -> object:
        return inspect(model, prepared, top_k=5, categories=cats, timeline=True)

    def timeline() -> object:
        return gradcam_timeline(model, prepared, categories=cats)

    def fast_fwd() -> object:
        return fast.predict(x, top_k=5)

    methods: dict[str, Callable[[], object]] = {
        "forward_tv": forward_tv,
        "forward": forward,
        "captum": captum,
        "gradcam": gradcam,
        "inspect": full,
        "inspect_app": app,
        "timeline_only": timeline,
        "fast": fast_fwd,
    }
    if device.type == "cuda":
        from resnet_core.fast import reduced_precision

        low = reduced_precision(model)

        def full_bf16() -> object:
            return inspect(low.model, prepared, top_k=5, categories=cats)

        methods["inspect_bf16"] = full_bf16
    times = interleaved(methods, n=n, warmup=warmup, device=device, budget_s=budget_s)
    res = summarize(times)
    med = {k: v["median_ms"] for k, v in res.items()}
    ratios = {
        "inspect/captum": med["inspect"] / med["captum"],
        "inspect/forward_tv": med["inspect"] / med["forward_tv"],
        "inspect/gradcam": med["inspect"] / med["gradcam"],
        "captum/forward_tv": med["captum"] / med["forward_tv"],
        "gradcam/captum": med["gradcam"] / med["captum"],
        "inspect_app/captum": med["inspect_app"] / med["captum"],
        "timeline_only/captum": med["timeline_only"] / med["captum"],
        "fast/forward_tv": med["fast"] / med["forward_tv"],
    }
    if "inspect_bf16" in med:
        ratios["inspect_bf16/captum"] = med["inspect_bf16"] / med["captum"]
    last = app()
    return {
        "depth": depth,
        "input": list(x.shape),
        "target": target,
        "fast_path": fast.describe(),
        "methods": res,
        "ratios": {k: round(v, 3) for k, v in ratios.items()},
        "engine_phases_ms_app": {k: round(v * 1e3, 2) for k, v in last.timings.items()},
    }


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--depths", type=int, nargs="+", default=[18, 50, 152])
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--n", type=int, default=0, help="timed rounds per depth (0: 20 for 18/50, 6 for 152, ...)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--side", type=int, default=224)
    p.add_argument("--budget-s", type=float, default=120.0, help="stop a depth's rounds after this long (>= 3 rounds)")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: leave as is)")
    p.add_argument("--out", type=Path, default=None, help="JSON file to write")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    from resnet_core.device import pick_device

    device = pick_device(a.device)
    report = {
        "benchmark": "engine",
        "device": device_string(device),
        "device_type": device.type,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "load_before": load_average(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "depths": [],
    }
    print(f"# engine benchmark on {report['device']}; load {report['load_before']}", flush=True)
    for depth in a.depths:
        n = a.n or DEFAULT_N.get(depth, 10)
        r = bench_depth(depth, device=device, n=n, warmup=a.warmup, side=a.side, budget_s=a.budget_s)
        report["depths"].append(r)
        meds = "  ".join(f"{k} {v['median_ms']:.2f}" for k, v in r["methods"].items())
        ratios = "  ".join(f"{k} {v:.2f}" for k, v in r["ratios"].items())
        print(f"ResNet-{depth} (median ms, n={r['methods']['inspect']['n']}): {meds}", flush=True)
        print(f"ResNet-{depth} ratios: {ratios}", flush=True)
    report["load_after"] = load_average()
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(report, indent=1))
        print(f"wrote {a.out}")
    return report


if __name__ == "__main__":
    main()
