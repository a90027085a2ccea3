"""Drawing benchmark: the ``viz`` calls the Inspect tab makes for every request, on CPU.

Realistic inputs come from the real engine: a ResNet (random weights, seeded) inspects
``assets/examples/cat.jpg`` as the app does (``top_k=5``, ``timeline=True``), and the viz
functions draw its result:

* ``predictions_figure``: the top-5 bars;
* ``stats_figure``: mean and zero fraction of the stem, every stage and every block;
* ``cam_timeline_image``: Grad-CAM of the top-5 at stem..layer4, one picture (timed twice: with
  the rendered labels cached, as when a user redraws, and without, as for a new image);
* ``cam_overlay``: the layer4 Grad-CAM over the image;
* ``activation_grid``: the channel mosaic of ``layer4`` (the default) and of ``stem``.

Every function is warmed up, then timed in interleaved rounds (one call of each per round), so
a burst of load from other processes hits all alike; medians are printed. With
``--against REF`` the ``viz`` package at git revision REF is timed in the same rounds (and its
output checked equal to the working tree's), which is the only fair before/after on a shared
machine.

Run ``python scripts/bench_viz.py --help``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RESNET_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import viz  # noqa: E402


def inspection(depth: int, image: str) -> Any:
    """The Inspect tab's result for one picture, from a seeded random-weight ResNet."""
    from resnet_core import IMAGENET_CATEGORIES, build_resnet, inspect, load_image, prepare

    torch.manual_seed(0)
    model = build_resnet(depth).eval()
    prepared = prepare(load_image(ROOT / "assets" / "examples" / image))
    return inspect(model, prepared, top_k=5, timeline=True, categories=IMAGENET_CATEGORIES)


def uncached(v: ModuleType, fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` with the rendered-label cache emptied first: a request whose class names are new."""
    cache = getattr(v._draw, "_centered_ink", None)

    def call() -> Any:
        if cache is not None:
            cache.cache_clear()
        return fn()

    return call


def calls(v: ModuleType, result: Any) -> dict[str, Callable[[], Any]]:
    """The drawing calls of one request, as the app makes them."""
    return {
        "predictions_figure": lambda: v.predictions_figure(result.predictions),
        "stats_figure": lambda: v.stats_figure(result.activations),
        "cam_timeline_image": lambda: v.cam_timeline_image(result.timeline, cmap="jet"),
        "  (labels not cached)": uncached(v, lambda: v.cam_timeline_image(result.timeline, cmap="jet")),
        "cam_overlay": lambda: v.cam_overlay(result.image, result.cam.heatmap, alpha=0.5, cmap="jet"),
        "activation_grid(layer4)": lambda: v.activation_grid(result.activation("layer4")),
        "activation_grid(stem)": lambda: v.activation_grid(result.activation("stem")),
    }


def same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b)
    # the browser reads the JSON as objects: key order is not part of a figure
    return a.to_plotly_json() == b.to_plotly_json()


def reference_viz(ref: str) -> ModuleType:
    """The ``viz`` package as it was at git revision ``ref``, imported as ``viz_ref``."""
    tmp = Path(tempfile.mkdtemp(prefix="viz_ref_"))
    pkg = tmp / "viz_ref"
    pkg.mkdir()
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", ref, "viz/"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in names:
        if name.endswith(".py"):
            src = subprocess.run(["git", "show", f"{ref}:{name}"], cwd=ROOT, capture_output=True, text=True, check=True)
            (pkg / Path(name).name).write_text(src.stdout)
    sys.path.insert(0, str(tmp))
    return importlib.import_module("viz_ref")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depths", type=int, nargs="+", default=[18, 152])
    parser.add_argument("--image", default="cat.jpg", help="a file in assets/examples")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--against", metavar="REF", help="also time viz/ at this git revision")
    parser.add_argument("--json", type=Path, help="write the medians here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    versions = {"viz": viz}
    if args.against:
        versions = {args.against: reference_viz(args.against), "viz": viz}
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {args.threads} torch thread(s)")
    report: dict[str, dict[str, dict[str, float]]] = {}
    for depth in args.depths:
        result = inspection(depth, args.image)
        jobs = {(ver, name): fn for ver, v in versions.items() for name, fn in calls(v, result).items()}
        if args.against:
            for name in calls(viz, result):
                if not same(jobs[(args.against, name)](), jobs[("viz", name)]()):
                    print(f"  ! {name}: output differs from {args.against}")
        for fn in jobs.values():  # warm-up: plotly's validators, fonts, colour maps
            fn()
            fn()
        times: dict[tuple[str, str], list[float]] = {k: [] for k in jobs}
        keys = list(jobs)
        for r in range(args.rounds):
            for k in keys[r % len(keys):] + keys[: r % len(keys)]:
                t0 = time.perf_counter()
                jobs[k]()
                times[k].append(time.perf_counter() - t0)
        print(f"\nResNet-{depth} ({args.image}), median of {args.rounds} interleaved rounds, ms")
        print(f"  {'function':26s}" + "".join(f"{ver:>12s}" for ver in versions))
        report[f"resnet{depth}"] = {}
        for name in calls(viz, result):
            medians = {ver: float(np.median(times[(ver, name)])) * 1e3 for ver in versions}
            report[f"resnet{depth}"][name] = medians
            print(f"  {name:26s}" + "".join(f"{m:12.2f}" for m in medians.values()))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
