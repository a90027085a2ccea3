"""A finer loss landscape than the page computes live, saved for the page with its machine.

Li et al. (https://arxiv.org/abs/1712.09913): plain-N and ResNet-N, trained alike on the
synthetic data, then the training loss on a ``grid x grid`` slice along two filter-normalised
directions. The result goes to ``assets/curves/landscape.json`` (tens of KB) with the device,
date and command that made it::

    OMP_NUM_THREADS=1 python scripts/landscape.py                      # CPU: depth 20, 15x15
    OMP_NUM_THREADS=1 python scripts/landscape.py --depth 56 --grid 11 # what assets/ holds: 56 layers
    python scripts/landscape.py --device cuda --depth 56 --grid 51 --train-steps 2000
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
from resnet_core.lab._common import machine_info  # noqa: E402
from resnet_core.lab.landscape import loss_landscape_steps, save_landscape  # noqa: E402


def main(argv: list[str] | None = None) -> Path:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default=os.environ.get("RESNET_DEVICE"),
                   help="auto (default), cpu, cuda, cuda:N (default: RESNET_DEVICE, else auto)")
    p.add_argument("--depth", type=int, default=20)
    p.add_argument("--grid", type=int, default=15)
    p.add_argument("--span", type=float, default=1.0)
    p.add_argument("--train-steps", type=int, default=200)
    p.add_argument("--eval-images", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=ROOT / "assets" / "curves" / "landscape.json")
    args = p.parse_args(argv)
    device = pick_device(args.device)
    start = time.perf_counter()
    result = None
    for frac, stage, item in loss_landscape_steps(
        depth=args.depth,
        train_steps=args.train_steps,
        grid=args.grid,
        span=args.span,
        eval_images=args.eval_images,
        seed=args.seed,
        threads=args.threads,
        device=device,
    ):
        print(f"{frac:6.1%}  {time.perf_counter() - start:7.1f} s  {stage}", file=sys.stderr)
        result = item or result
    assert result is not None
    meta = {
        **machine_info(device),
        "produced_by": "scripts/landscape.py",
        "command": "python scripts/landscape.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "ours": "measured by this project on its synthetic data, not the paper's numbers",
    }
    path = save_landscape(result, args.out, meta=meta)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)", file=sys.stderr)
    return path


if __name__ == "__main__":
    main()
