"""Training without BN, the longer version: the default ResNet, zero-init, SkipInit and Fixup on
the race's data, several seeds, saved to ``assets/curves/no_bn.json`` with the machine::

    OMP_NUM_THREADS=1 python scripts/no_bn.py                 # depth 44, 300 steps, seeds 0 1 2
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
from resnet_core.lab.no_bn import NoBNCall, NoBNRace, no_bn_race, save_no_bn  # noqa: E402
from resnet_core.studies import StudyContext  # noqa: E402


def main(argv: list[str] | None = None) -> Path:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--depth", type=int, default=44)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--out", type=Path, default=ROOT / "assets" / "curves" / "no_bn.json")
    args = p.parse_args(argv)
    ctx = StudyContext(service=None, resolve=None, cancel=threading.Event())  # type: ignore[arg-type]
    start = time.perf_counter()
    races = []
    for seed in args.seeds:
        call = NoBNCall(depth=args.depth, steps=args.steps, seed=seed, max_seconds=3600.0)
        for record in no_bn_race(ctx, call):
            if isinstance(record, NoBNRace):
                races.append(record)
                print(f"seed {seed}: " + "; ".join(f"{r.method} acc {r.heldout_accuracy:.3f} diverged {r.diverged}"
                                                   for r in record.runs), file=sys.stderr)
    meta = {
        **machine_info(torch.device("cpu")),
        "produced_by": "scripts/no_bn.py",
        "command": "python scripts/no_bn.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "wall_s": round(time.perf_counter() - start, 1),
        "seeds": args.seeds,
        "ours": "measured by this project on its synthetic data, not a paper's numbers",
    }
    path = save_no_bn(races, args.out, meta=meta)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)", file=sys.stderr)
    return path


if __name__ == "__main__":
    main()
