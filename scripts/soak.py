"""Soak: many mixed-depth inspections through the app's own handler; memory before and after.

Calls ``Playground.run_inspection`` (what /inspect runs, drawing included, without HTTP) from
``--workers`` threads, cycling through depths, layers, targets, Guided Grad-CAM and input
sizes, ``--count`` times (default 1000). Measures the process's resident memory and, on CUDA,
allocated/reserved GPU memory: at start, after a warm-up round (every depth, every variant of
request, twice), and after the soak; the target is growth after the soak within 5% of the
after-warm-up figure, and no hook left on any model.

Run ``python scripts/soak.py --help``. On a small CPU use small models, e.g.
``--depths custom:basic:1,1,1,1 18 --size 96 --count 300``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("RESNET_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from bench_engine import device_string, load_average  # noqa: E402

EXAMPLES = sorted((ROOT / "assets" / "examples").glob("*.jpg"))


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory(device: Any) -> dict[str, float]:
    import torch

    gc.collect()
    out = {"rss_mb": round(rss_mb(), 1)}
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        out["cuda_allocated_mb"] = round(torch.cuda.memory_allocated(device) / 2**20, 1)
        out["cuda_reserved_mb"] = round(torch.cuda.memory_reserved(device) / 2**20, 1)
        out["cuda_peak_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
    return out


def parse_depth(text: str) -> tuple[str, str, str]:
    """"50" -> ("ResNet-50", "", ""); "custom:basic:1,1,1,1" -> ("custom", "1,1,1,1", "basic")."""
    if text.startswith("custom:"):
        _, block, counts = text.split(":", 2)
        return "custom", counts, block
    return f"ResNet-{int(text)}", "2, 2, 2, 2", "basic"


def requests_for(depth: tuple[str, str, str], size: int) -> list[dict[str, Any]]:
    """A handful of different requests for one depth (layer, target, guided, size)."""
    return [
        dict(layer="layer4", target="auto (top-1)", guided=False, size=size, top_k=5),
        dict(layer="layer3", target="17", guided=False, size=size, top_k=10),
        dict(layer="stem", target="auto (top-1)", guided=True, size=size, top_k=3),
        dict(layer="layer2", target="999", guided=False, size=max(32, size - 32), top_k=5),
    ]


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--depths", nargs="+", default=["18", "34", "50", "101", "152"])
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--device", default="auto")
    p.add_argument("--batch", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: leave as is)")
    p.add_argument("--time-limit", type=float, default=3600.0)
    p.add_argument("--out", type=Path, default=None)
    a = p.parse_args(argv)
    import torch

    if a.threads:
        torch.set_num_threads(a.threads)
    import numpy as np

    from playground.settings import with_options
    from resnet_core.backends import InspectCall, LocalBackend
    from resnet_core.hooks import hook_count
    from resnet_core.images import load_image
    from resnet_core.serving import ModelService
    from resnet_core.zoo import ModelKey

    settings = with_options(device=a.device, offline=True, batch=a.batch, max_models=2 * len(a.depths) + 2)
    play = ModelService(settings.service)
    play.wait_warm()
    backend = LocalBackend(play)
    device = play.device
    depths = [parse_depth(d) for d in a.depths]
    jobs = [(d, r) for d in depths for r in requests_for(d, a.size)]
    images = [str(p) for p in EXAMPLES]

    pictures = [np.asarray(load_image(path)) for path in images]

    def run(i: int) -> None:
        (depth, counts, block), req = jobs[i % len(jobs)]
        key = ModelKey(int(depth.removeprefix("ResNet-")) if depth != "custom" else (block, tuple(
            int(c) for c in counts.split(","))), "v1.5", "random")
        target = None if str(req["target"]).startswith("auto") else int(str(req["target"]).split(":")[0])
        call = InspectCall(key, pictures[i % len(pictures)], mode="crop", size=int(req["size"]), top_k=int(req["top_k"]),
                           layer=req["layer"], target=target, guided=bool(req["guided"]))
        for _ in backend.inspect(call):  # a generator: the last update is the whole result
            pass

    report: dict[str, Any] = {
        "benchmark": "soak",
        "device": device_string(device),
        "batching": play.batching,
        "precision": play.precision,
        "depths": a.depths,
        "size": a.size,
        "workers": a.workers,
        "load_before": load_average(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    print(f"# soak on {report['device']}; load {report['load_before']}", flush=True)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    report["memory_start"] = memory(device)
    t0 = time.perf_counter()
    for i in range(2 * len(jobs)):  # every model built, every kind of request seen twice
        run(i)
    report["warmup_s"] = round(time.perf_counter() - t0, 1)
    report["memory_after_warmup"] = memory(device)
    print(f"after warm-up ({len(jobs) * 2} calls): {report['memory_after_warmup']}", flush=True)

    done = 0
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + a.time_limit
    t0 = time.perf_counter()

    def worker(w: int) -> None:
        nonlocal done
        while True:
            with lock:
                if done >= a.count or time.perf_counter() > deadline:
                    return
                i = done
                done += 1
            try:
                run(i + w)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
            if (i + 1) % 100 == 0:
                print(f"  {i + 1} inspections, {time.perf_counter() - t0:.0f} s, rss {rss_mb():.0f} MB", flush=True)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(a.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report["inspections"] = done
    report["soak_s"] = round(time.perf_counter() - t0, 1)
    report["errors"] = errors[:10]
    report["error_count"] = len(errors)
    report["memory_after_soak"] = memory(device)
    before, after = report["memory_after_warmup"], report["memory_after_soak"]
    report["growth_pct"] = {
        k: round(100 * (after[k] - before[k]) / max(before[k], 1e-9), 2) for k in before if k != "cuda_peak_mb"
    }
    report["hooks_left"] = sum(hook_count(s.model) for s in (play.get(k) for k in play.keys()))
    report["batches"] = {
        str(k.depth): [e.engine.batches, e.engine.requests, e.engine.largest] for k, e in play._entries.items() if e.engine
    }
    report["load_after"] = load_average()
    report["target_met"] = all(abs(v) <= 5 for v in report["growth_pct"].values()) and report["hooks_left"] == 0
    print(json.dumps({k: report[k] for k in ("inspections", "soak_s", "memory_after_warmup", "memory_after_soak", "growth_pct", "hooks_left", "error_count", "target_met")}), flush=True)
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(report, indent=1))
        print(f"wrote {a.out}")
    return report


if __name__ == "__main__":
    main()
