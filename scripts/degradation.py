"""Degradation on the synthetic data: plain-20/56 and ResNet-20/56, several seeds, saved for the page.

He et al. (https://arxiv.org/abs/1512.03385), Fig. 1 and Fig. 6: the deeper plain net trains, to
the higher training error; the deeper ResNet to the lower. Short CPU runs do not show that: in
150 steps plain-56 never leaves chance (docs/lab.md), and the page's verdict says so. Each seed is one four-network race
(:func:`resnet_core.lab.race`); the curves and their spread across seeds go to
``assets/curves/degradation.json`` (tens of KB), labelled with the machine. On a CPU the defaults
finish in under ten minutes with one thread on a shared 2-core CPU: the CPU race's data (five
classes at 12x12), batch 32, 200 steps (docs/lab.md says what was committed)::

    OMP_NUM_THREADS=1 python scripts/degradation.py                # CPU defaults, seeds 0 1 2
    python scripts/degradation.py --device cuda --steps 4000 --width 16 --batch 128 --lr 0.1
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from resnet_core.device import pick_device  # noqa: E402
from resnet_core.lab import RACE_PRESETS, SyntheticData, race  # noqa: E402
from resnet_core.lab._common import machine_info  # noqa: E402
from resnet_core.lab.degradation import save_degradation, summarize_races  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default=os.environ.get("RESNET_DEVICE"),
                   help="auto (default), cpu, cuda, cuda:N (default: RESNET_DEVICE, else auto)")
    p.add_argument("--depths", type=int, nargs=2, default=[20, 56])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--width", type=int, default=8)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--image-size", type=int, default=None, help="default: the CPU race's 12")
    p.add_argument("--all-classes", action="store_true", help="all ten classes, not the CPU race's five")
    p.add_argument("--eval-every", type=int, default=50)
    p.add_argument("--bins", type=int, default=60, help="training-error points kept per curve")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=ROOT / "assets" / "curves" / "degradation.json")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    device = pick_device(args.device)
    start = time.perf_counter()
    runs = []
    for seed in args.seeds:
        base = dict(RACE_PRESETS["cpu"]["data"])
        if args.all_classes:
            base.pop("classes")
        if args.image_size:
            base["image_size"] = args.image_size
        data = SyntheticData(**base, seed=seed)
        last = None
        for update in race(
            depth=tuple(args.depths),
            steps=args.steps,
            batch=args.batch,
            seed=seed,
            data=data,
            width=args.width,
            lr=args.lr,
            eval_every=args.eval_every,
            every=args.eval_every,
            max_seconds=None,
            threads=args.threads,
            device=device,
        ):
            last = update
            scores = "  ".join(f"{c.name} {c.eval_accuracy[-1]:.3f}" for c in update.curves)
            print(f"seed {seed} step {update.step:>5}  {update.elapsed:6.1f} s  held-out: {scores}", file=sys.stderr)
        runs.append(last)
    meta = {
        **machine_info(device),
        "classes": len(data.classes),  # chance error is 1 - 1/classes
        "produced_by": "scripts/degradation.py",
        "command": "python scripts/degradation.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "wall_s": round(time.perf_counter() - start, 1),
        "ours": "measured by this project on its synthetic data, not the paper's numbers",
    }
    result = summarize_races(runs, seeds=args.seeds, bins=args.bins, meta=meta)
    path = save_degradation(result, args.out)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)", file=sys.stderr)
    return path


if __name__ == "__main__":
    main()
