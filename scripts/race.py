"""The longer training race: plain-20/56 against ResNet-20/56, saved as curves for the page.

The degradation problem of He et al. (https://arxiv.org/abs/1512.03385, section 4.1 and
Fig. 6 left): the deeper plain net trains *worse* than the shallower one, while the residual
nets of the same depths do not. All four networks train on the same batches of the synthetic
shapes data set (:class:`resnet_core.lab.ShapesData`, generated, nothing downloaded).

On a GPU the defaults follow the paper's CIFAR recipe more closely (16/32/64 filters, batch
128, lr 0.1, 32x32 images, 4000 steps, about 3 minutes on one H100-class GPU by estimate);
on a CPU they shrink to a few minutes' work (8/16/32 filters, batch 64, lr 0.05, 16x16, 300
steps). Every option can be set by hand. The curves and how they were made (device, torch,
date, settings, data set, wall time) are written as JSON to ``assets/curves/race.json``, which
the page shows with that label (a GPU run replaces the committed CPU one)::

    python scripts/race.py                       # GPU if present, else CPU
    python scripts/race.py --device cpu --steps 300 --threads 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from resnet_core.device import pick_device  # noqa: E402
from resnet_core.lab import SyntheticData, race, save_race  # noqa: E402

#: (steps, width, batch, lr, image size) per device type
DEFAULTS: dict[str, dict[str, float | int]] = {
    "cuda": {"steps": 4000, "width": 16, "batch": 128, "lr": 0.1, "image_size": 32, "eval_every": 200},
    "cpu": {"steps": 300, "width": 8, "batch": 64, "lr": 0.05, "image_size": 16, "eval_every": 50},
}


def device_name(device: torch.device) -> str:
    """The GPU's name, or the CPU model with its core and thread counts."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"CPU: {model}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default=os.environ.get("RESNET_DEVICE"),
                   help="auto (default), cpu, cuda, cuda:N (default: RESNET_DEVICE, else auto)")
    p.add_argument("--depths", type=int, nargs="+", default=[20, 56], help="6n+2 depths (default 20 56)")
    p.add_argument("--steps", type=int, default=None, help="training steps (GPU 4000, CPU 300)")
    p.add_argument("--width", type=int, default=None, help="filters of the first stage (GPU 16, CPU 8)")
    p.add_argument("--batch", type=int, default=None, help="batch size (GPU 128, CPU 64)")
    p.add_argument("--lr", type=float, default=None, help="SGD learning rate (GPU 0.1, CPU 0.05)")
    p.add_argument("--image-size", type=int, default=None, help="side of the images (GPU 32, CPU 16)")
    p.add_argument(
        "--train-size", type=int, default=None, help="training images (default 20000 GPU, 5000 CPU)"
    )
    p.add_argument("--eval-every", type=int, default=None, help="held-out scoring interval in steps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-seconds", type=float, default=None, help="stop cleanly after this long")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (1 is fastest on a busy CPU)")
    p.add_argument("--max-points", type=int, default=500, help="training points kept per curve")
    p.add_argument("--out", type=Path, default=None, help="JSON file (default assets/curves/race.json)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    base = DEFAULTS["cuda" if device.type == "cuda" else "cpu"]
    steps = args.steps or int(base["steps"])
    image_size = args.image_size or int(base["image_size"])
    train_size = args.train_size or (20_000 if device.type == "cuda" else 5000)
    data = SyntheticData(image_size=image_size, train_size=train_size, test_size=1000, seed=args.seed)
    out = args.out or ROOT / "assets" / "curves" / "race.json"

    start = time.perf_counter()
    last = None
    for update in race(
        depth=tuple(args.depths),
        steps=steps,
        batch=args.batch or int(base["batch"]),
        seed=args.seed,
        data=data,
        width=args.width or int(base["width"]),
        lr=args.lr or float(base["lr"]),
        eval_every=args.eval_every or int(base["eval_every"]),
        every=max(1, steps // 20),
        max_seconds=args.max_seconds,
        device=device,
    ):
        last = update
        scores = "  ".join(f"{c.name} {c.eval_accuracy[-1]:.3f}" for c in update.curves)
        print(f"step {update.step:>6}/{steps}  {update.elapsed:7.1f} s  held-out: {scores}", file=sys.stderr)
    assert last is not None
    wall = time.perf_counter() - start
    meta = {
        "produced_by": "scripts/race.py",
        "command": "python scripts/race.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "device": device.type,
        "device_name": device_name(device),
        "torch": torch.__version__,
        "cuda": torch.version.cuda if device.type == "cuda" else None,
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_s": round(wall, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }
    path = save_race(last, out, meta=meta, max_points=args.max_points)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB) in {wall:.0f} s", file=sys.stderr)
    return path


if __name__ == "__main__":
    main()
