"""Measure the attribution methods on the shipped toy model: times, sanity checks, faithfulness.

Writes ``docs/bench/attributions_cpu.json`` (or ``--out``), the numbers ``docs/attributions.md``
quotes. Everything runs through :mod:`resnet_core.attributions` on held-out synthetic images
that the toy model classifies correctly::

    OMP_NUM_THREADS=1 python scripts/attribution_findings.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from resnet_core.attributions.faithfulness import captum_scores, deletion_insertion, random_map  # noqa: E402
from resnet_core.attributions.inputs import attribution_input  # noqa: E402
from resnet_core.attributions.methods import METHODS, MethodParams, attribute  # noqa: E402
from resnet_core.attributions.sanity import judge_sanity, sanity_check  # noqa: E402
from resnet_core.model import build_resnet  # noqa: E402
from resnet_core.preprocess import Prepared, Preprocess  # noqa: E402
from resnet_core.toy import load_toy, toy_data  # noqa: E402

SANITY_METHODS = [
    "gradcam",
    "guided_backprop",
    "guided_gradcam",
    "saliency",
    "input_x_gradient",
    "integrated_gradients",
    "smoothgrad",
    "deeplift",
]
R50_METHODS = [
    "gradcam",
    "saliency",
    "guided_backprop",
    "integrated_gradients",
    "deeplift",
    "lrp",
    "smoothgrad",
]


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def held_out(toy, n: int, seed: tuple[int, int]) -> list[tuple[object, int]]:
    """The first ``n`` images of a fresh held-out stream that the model gets right."""
    x, y = toy_data(4 * n, seed=seed)
    t = (torch.from_numpy(x) - 0.5) / 0.25
    with torch.no_grad():
        pred = toy.model(t).argmax(1).numpy()
    out = []
    for i in np.flatnonzero(pred == y)[:n]:
        view = (x[i].transpose(1, 2, 0) * 255).round().astype(np.uint8)
        out.append((attribution_input(Prepared(tensor=t[i : i + 1], view=view), toy.preprocess), int(y[i])))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--images", type=int, default=16)
    p.add_argument("--sanity-images", type=int, default=8)
    p.add_argument("--r50", action="store_true", help="also time a random ResNet-50 at 224x224")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "bench" / "attributions_cpu.json")
    args = p.parse_args()
    torch.set_num_threads(1)
    toy = load_toy()
    images = held_out(toy, args.images, seed=(3, 1))
    params = MethodParams()
    report: dict = {
        "machine": f"{cpu_name()}, 1 thread, torch {torch.__version__}",
        "date": dt.date.today().isoformat(),
        "model": "toy_shapes_resnet18 (32x32 inputs)",
        "params": params.__dict__,
        "images": len(images),
    }
    times, faith = {}, {m: [] for m in [*METHODS, "random", "random_4x4"]}
    for k, (inp, target) in enumerate(images):
        for m in METHODS:
            a = attribute(toy.model, inp, method=m, target=target, params=params)
            times.setdefault(m, []).append(a.time_s)
            c = deletion_insertion(toy.model, inp, a.map, target=target)
            faith[m].append((c.deletion_auc, c.insertion_auc))
        c = deletion_insertion(toy.model, inp, random_map(inp.size, seed=k), target=target)
        faith["random"].append((c.deletion_auc, c.insertion_auc))
        c = deletion_insertion(toy.model, inp, random_map(inp.size, seed=k, cells=4), target=target)
        faith["random_4x4"].append((c.deletion_auc, c.insertion_auc))
    report["median_time_s"] = {m: statistics.median(v) for m, v in times.items()}
    report["faithfulness"] = {
        m: {
            "deletion_auc": float(np.mean([d for d, _ in v])),
            "insertion_auc": float(np.mean([i for _, i in v])),
            "deletion_median": float(np.median([d for d, _ in v])),
            "deletion_beats_random": float(np.mean([d < r for (d, _), (r, _) in zip(v, faith["random"])])),
            "deletion_beats_random_4x4": float(np.mean([d < r for (d, _), (r, _) in zip(v, faith["random_4x4"])])),
        }
        for m, v in faith.items()
    }
    curves = []
    for inp, target in images[: args.sanity_images]:
        curves.append(sanity_check(toy.model, inp, methods=SANITY_METHODS, target=target, budget=20_000))
    report["sanity"] = {
        "steps": list(curves[0].steps),
        "methods": {
            m: {
                "spearman": np.mean([r.curves[i].spearman for r in curves], axis=0).round(4).tolist(),
                "ssim": np.mean([r.curves[i].ssim for r in curves], axis=0).round(4).tolist(),
                "final_spearman_each": [round(r.curves[i].final_spearman, 4) for r in curves],
            }
            for i, m in enumerate(SANITY_METHODS)
        },
        # the page's verdict: read at the top of the cascade (Adebayo et al.), over the pictures
        "verdict": {
            j.method: {"top_step": j.top_step, "mean": round(j.mean, 4), "sd": round(j.spread, 4), "passes": j.passes}
            for j in judge_sanity(curves)
        },
    }
    scores = {}
    for m in ("gradcam", "saliency", "guided_backprop", "integrated_gradients", "deeplift"):
        vals = [
            captum_scores(
                toy.model, inp, attribute(toy.model, inp, method=m, target=t, params=params), params=params
            )
            for inp, t in images[:4]
        ]
        scores[m] = {
            "infidelity": float(np.mean([s.infidelity for s in vals])),
            "sensitivity_max": float(np.mean([s.sensitivity for s in vals])),
        }
    report["captum_metrics"] = scores
    if args.r50:
        torch.manual_seed(0)
        r50 = build_resnet(50).eval()
        for q in r50.parameters():
            q.requires_grad_(False)
        g = torch.Generator().manual_seed(0)
        pix = torch.rand(1, 3, 224, 224, generator=g)
        pre = Preprocess()
        view = (pix[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8)
        inp = attribution_input(Prepared(tensor=pre_norm(pix, pre), view=view), pre)
        report["resnet50_224_time_s"] = {}
        for m in R50_METHODS:
            t0 = time.perf_counter()
            a = attribute(r50, inp, method=m, target=1, params=MethodParams(steps=16, nt_samples=4))
            report["resnet50_224_time_s"][m] = {
                "time_s": a.time_s,
                "forward_passes": a.forward_passes,
                "wall_s": time.perf_counter() - t0,
            }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({k: report[k] for k in ("median_time_s", "faithfulness")}, indent=1))
    print(json.dumps({m: v["final_spearman_each"] for m, v in report["sanity"]["methods"].items()}, indent=1))


def pre_norm(pix: torch.Tensor, pre: Preprocess) -> torch.Tensor:
    mean = torch.tensor(pre.mean).view(1, 3, 1, 1)
    std = torch.tensor(pre.std).view(1, 3, 1, 1)
    return (pix - mean) / std


if __name__ == "__main__":
    main()
