"""Veit et al.'s lesion study on the race's deeper networks, several seeds, saved for the page.

Trains the race's ResNet-N and plain-N (CPU preset: five shapes at 12x12, width 8, 450 steps)
for each seed, then deletes every single block and k random blocks
(:func:`resnet_core.lab.lesion.lesion`), and writes ``assets/curves/lesion.json`` (a few KB)
labelled with the machine. ResNet-56 has 27 blocks, past the 20 where Veit's robustness shows::

    OMP_NUM_THREADS=1 python scripts/lesion.py                 # depth 56, seeds 0 1 2 (about 8 min)
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from resnet_core.lab._common import machine_info  # noqa: E402
from resnet_core.lab.lesion import LesionCall, LesionResult, lesion, save_lesions  # noqa: E402
from resnet_core.studies import StudyContext  # noqa: E402


def main(argv: list[str] | None = None) -> Path:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--depth", type=int, default=56)
    p.add_argument("--steps", type=int, default=450)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--k-max", type=int, default=12)
    p.add_argument("--samples", type=int, default=8)
    p.add_argument("--out", type=Path, default=ROOT / "assets" / "curves" / "lesion.json")
    args = p.parse_args(argv)
    ctx = StudyContext(service=None, resolve=None, cancel=threading.Event())  # type: ignore[arg-type]
    start = time.perf_counter()
    runs = []
    for seed in args.seeds:
        call = LesionCall(network="race", depth=args.depth, steps=args.steps, k_max=args.k_max,
                          samples=args.samples, seed=seed, max_seconds=3600.0)
        for record in lesion(ctx, call):
            if isinstance(record, LesionResult):
                runs.append(record)
                print(f"seed {seed}: " + "; ".join(f"{c.name} intact {c.intact:.3f}, robust {c.robust}"
                                                   for c in record.curves), file=sys.stderr)
    meta = {
        **machine_info(torch.device("cpu")),
        "produced_by": "scripts/lesion.py",
        "command": "python scripts/lesion.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "wall_s": round(time.perf_counter() - start, 1),
        "ours": "measured by this project on its synthetic data, not the paper's numbers",
    }
    path = save_lesions(runs, args.seeds, args.out, meta=meta)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)", file=sys.stderr)
    return path


if __name__ == "__main__":
    main()
