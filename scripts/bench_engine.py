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
* ``inspect_bf16``, ``inspect_app_bf16`` (CUDA only): the full inspection and the app's request
  on :func:`resnet_core.fast.reduced_precision`'s copy (BatchNorm folded, bf16, channels_last),
  which is what the app serves on a GPU.

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
from typing import Any

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
    from resnet_core.inspection import gradcam_timeline, inspect
    from resnet_core.preprocess import Preprocess, prepare
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

        def app_bf16() -> object:
            return inspect(low.model, prepared, top_k=5, categories=cats, timeline=True)

        methods["inspect_bf16"] = full_bf16
        methods["inspect_app_bf16"] = app_bf16  # what the app runs on CUDA
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
        ratios["inspect_app_bf16/captum"] = med["inspect_app_bf16"] / med["captum"]
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


def _example_inputs(n: int, side: int) -> list:
    """n different prepared pictures: the examples, flipped and shifted crops of them."""
    from PIL import Image

    from resnet_core.preprocess import Preprocess, prepare

    pictures = [Image.open(p).convert("RGB") for p in sorted((ROOT / "assets" / "examples").glob("*.jpg"))]
    if not pictures:
        pictures = [Image.fromarray(natural_image(seed=s)) for s in range(4)]
    out = []
    for i in range(n):
        pic = pictures[i % len(pictures)]
        if (i // len(pictures)) % 2:
            pic = pic.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        resize = round(side * 256 / 224) + 8 * (i // (2 * len(pictures)))
        out.append(prepare(pic, Preprocess(crop_size=side, resize_size=resize)))
    return out


def bench_batching(
    depth: int, *, device: torch.device, clients: int, per_client: int, side: int, precision: str, budget_s: float
) -> dict:
    """Throughput of 1 caller against ``clients`` concurrent callers, with and without batching.

    The app's request (timeline on, top-5); the model as the app serves it (bf16 copy on CUDA).
    """
    import threading

    from resnet_core import build_resnet
    from resnet_core.batching import InspectBatcher
    from resnet_core.fast import reduced_precision

    torch.manual_seed(depth)
    model = build_resnet(depth).eval().requires_grad_(False).to(device)
    if precision == "bf16":
        model = reduced_precision(model).model
    inputs = _example_inputs(clients, side)

    def call(engine: InspectBatcher, i: int) -> None:
        engine.inspect(inputs[i % len(inputs)], top_k=5, timeline=True)
        sync(device)

    direct = InspectBatcher(model, enabled=False)
    for i in range(3):
        call(direct, i)
    n_single = max(3, per_client * 2)
    t0 = time.perf_counter()
    for i in range(n_single):
        call(direct, i)
    single = n_single / (time.perf_counter() - t0)
    out: dict = {"depth": depth, "precision": precision, "clients": clients, "one_caller_rps": round(single, 3)}
    for enabled in (False, True):
        engine = InspectBatcher(model, enabled=enabled)
        call(engine, 0)
        barrier = threading.Barrier(clients)
        deadline = time.perf_counter() + budget_s
        done = [0] * clients

        def work(
            c: int, engine: InspectBatcher = engine, deadline: float = deadline, done: list = done, barrier: Any = barrier
        ) -> None:
            barrier.wait()
            for k in range(per_client):
                if time.perf_counter() > deadline:
                    return
                call(engine, c + k)
                done[c] += 1

        threads = [threading.Thread(target=work, args=(c,)) for c in range(clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        rps = sum(done) / wall
        key = "batched" if enabled else "unbatched"
        out[key] = {
            "rps": round(rps, 3),
            "vs_one_caller": round(rps / single, 2),
            "requests": sum(done),
            "wall_s": round(wall, 2),
            "batches": engine.batches - 1,
            "largest_batch": engine.largest,
        }
    return out


def bench_fast(depth: int, *, device: torch.device, n: int, side: int, compile: bool, budget_s: float) -> dict:
    """Forward-only paths: eager fp32, the fast predictor eager, with CUDA graphs, compiled."""
    from resnet_core import build_resnet
    from resnet_core.fast import FastPredictor

    torch.manual_seed(depth)
    model = build_resnet(depth).eval().requires_grad_(False).to(device)
    x = _example_inputs(1, side)[0].tensor.to(device)
    eager = FastPredictor(model, dtype=torch.float32, channels_last=False, cuda_graphs=False, fold_bn=False)
    fast_e = FastPredictor(model, cuda_graphs=False)
    methods: dict[str, Callable[[], object]] = {
        "eager_fp32": lambda: eager.logits(x),
        "fast_eager": lambda: fast_e.logits(x),
    }
    configs = {"eager_fp32": eager.describe(), "fast_eager": fast_e.describe()}
    if device.type == "cuda":
        graphed = FastPredictor(model)
        methods["fast_graph"] = lambda: graphed.logits(x)
        configs["fast_graph"] = graphed.describe()
        fp32_graph = FastPredictor(model, dtype=torch.float32, channels_last=False)
        methods["fp32_graph"] = lambda: fp32_graph.logits(x)
        configs["fp32_graph"] = fp32_graph.describe()
        if compile:
            t0 = time.perf_counter()
            try:
                compiled = FastPredictor(model, compile=True)
                compiled.logits(x)
                methods["fast_compiled"] = lambda: compiled.logits(x)
                configs["fast_compiled"] = {**compiled.describe(), "first_call_s": round(time.perf_counter() - t0, 1)}
            except Exception as exc:  # noqa: BLE001 - reported, not fatal
                configs["fast_compiled"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    times = interleaved(methods, n=n, warmup=5, device=device, budget_s=budget_s)
    res = summarize(times)
    base = res["eager_fp32"]["median_ms"]
    return {
        "depth": depth,
        "methods": res,
        "configs": configs,
        "speedup_vs_eager_fp32": {k: round(base / v["median_ms"], 2) for k, v in res.items()},
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
    p.add_argument("--sections", nargs="+", default=["engine", "batching", "fast"], choices=["engine", "batching", "fast"])
    p.add_argument("--batch-depth", type=int, default=0, help="depth for the batching section (0: 50 on CUDA, 18 on CPU)")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--per-client", type=int, default=0, help="calls per client (0: 8 on CUDA, 2 on CPU)")
    p.add_argument("--compile", action="store_true", help="also time torch.compile in the fast section (slow first call)")
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

    def save() -> None:  # after every part, so a run cut short still leaves its numbers
        if a.out:
            a.out.parent.mkdir(parents=True, exist_ok=True)
            report["load_after"] = load_average()
            a.out.write_text(json.dumps(report, indent=1))

    for depth in a.depths if "engine" in a.sections else []:
        n = a.n or DEFAULT_N.get(depth, 10)
        r = bench_depth(depth, device=device, n=n, warmup=a.warmup, side=a.side, budget_s=a.budget_s)
        report["depths"].append(r)
        meds = "  ".join(f"{k} {v['median_ms']:.2f}" for k, v in r["methods"].items())
        ratios = "  ".join(f"{k} {v:.2f}" for k, v in r["ratios"].items())
        print(f"ResNet-{depth} (median ms, n={r['methods']['inspect']['n']}): {meds}", flush=True)
        print(f"ResNet-{depth} ratios: {ratios}", flush=True)
        save()
    if "batching" in a.sections:
        cuda = device.type == "cuda"
        r = bench_batching(
            a.batch_depth or (50 if cuda else 18),
            device=device,
            clients=a.clients,
            per_client=a.per_client or (8 if cuda else 2),
            side=a.side,
            precision="bf16" if cuda else "fp32",
            budget_s=a.budget_s,
        )
        report["batching"] = r
        print(f"batching: {json.dumps(r)}", flush=True)
        save()
    if "fast" in a.sections:
        report["fast"] = []
        for depth in a.depths:
            r = bench_fast(depth, device=device, n=max(a.n or 20, 10), side=a.side, compile=a.compile and depth == 50, budget_s=a.budget_s)
            report["fast"].append(r)
            meds = "  ".join(f"{k} {v['median_ms']:.2f}" for k, v in r["methods"].items())
            print(f"fast ResNet-{depth} (median ms): {meds}; speed-up {r['speedup_vs_eager_fp32']}", flush=True)
            save()
    save()
    if a.out:
        print(f"wrote {a.out}")
    return report


if __name__ == "__main__":
    main()
