"""Train the shipped toy ResNet on the lab's synthetic shapes and write it as safetensors.

Deterministic (fixed seeds, deterministic kernels, one thread by default) and a few minutes on
a CPU. Writes ``assets/models/toy_shapes_resnet18.safetensors`` (class names, spec,
preprocessing, held-out accuracy and the machine in its metadata), a JSON report next to it,
and one held-out example PNG per class under ``assets/examples/synthetic/``::

    OMP_NUM_THREADS=1 python scripts/train_toy_resnet.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import safetensors.torch  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402

from resnet_core.toy import (  # noqa: E402
    EXAMPLES_DIR,
    TOY_CLASSES,
    TOY_IMAGE_SIZE,
    TOY_NOISE,
    TOY_PATH,
    TOY_PREPROCESS,
    TOY_SPEC,
    build_toy,
    toy_data,
)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def normalize(x: torch.Tensor) -> torch.Tensor:
    mean = torch.tensor(TOY_PREPROCESS.mean).view(1, 3, 1, 1)
    std = torch.tensor(TOY_PREPROCESS.std).view(1, 3, 1, 1)
    return (x - mean) / std


@torch.no_grad()
def accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    pred = torch.cat([model(normalize(x[i : i + 500])).argmax(1) for i in range(0, len(x), 500)])
    return float((pred == y).float().mean())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", type=int, default=12000, help="training images")
    p.add_argument("--test", type=int, default=1000, help="held-out images")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=TOY_PATH)
    p.add_argument("--examples", type=Path, default=EXAMPLES_DIR, help="where the example PNGs go")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    t0, c0 = time.perf_counter(), time.process_time()
    xtr, ytr = toy_data(args.train, seed=(args.seed, 0))
    xte, yte = toy_data(args.test, seed=(args.seed, 1))
    xtr, ytr, xte, yte = map(torch.from_numpy, (xtr, ytr, xte, yte))

    model = build_toy()
    steps_per_epoch = args.train // args.batch
    total = steps_per_epoch * args.epochs
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=total, pct_start=0.2)
    gen = torch.Generator().manual_seed(args.seed)
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(args.train, generator=gen)
        for s in range(steps_per_epoch):
            idx = order[s * args.batch : (s + 1) * args.batch]
            loss = F.cross_entropy(model(normalize(xtr[idx])), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        acc = accuracy(model, xte, yte)
        print(
            f"epoch {epoch + 1}/{args.epochs}: loss {loss.item():.3f}, held-out accuracy {acc:.3f}, "
            f"{time.perf_counter() - t0:.0f} s wall, {time.process_time() - c0:.0f} s CPU",
            flush=True,
        )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    model.eval()
    acc = accuracy(model, xte, yte)

    meta = {
        "classes": json.dumps(list(TOY_CLASSES)),
        "spec": json.dumps(
            {
                "block": TOY_SPEC.block,
                "layers": TOY_SPEC.layers,
                "widths": TOY_SPEC.widths,
                "stem": TOY_SPEC.stem,
            }
        ),
        "preprocess": json.dumps(
            {"size": TOY_IMAGE_SIZE, "mean": TOY_PREPROCESS.mean, "std": TOY_PREPROCESS.std}
        ),
        "data": f"resnet_core.lab.make_shapes(image_size={TOY_IMAGE_SIZE}, noise={TOY_NOISE}), "
        f"train seed ({args.seed}, 0) n={args.train}, held-out seed ({args.seed}, 1) n={args.test}",
        "heldout_accuracy": f"{acc:.4f}",
        "training": f"SGD nesterov momentum 0.9, wd 5e-4, one-cycle lr {args.lr}, batch {args.batch}, "
        f"{args.epochs} epochs, seed {args.seed}",
        "machine": f"{cpu_name()}, {args.threads} thread(s), torch {torch.__version__}",
        "wall_s": f"{wall:.0f}",
        "cpu_s": f"{cpu:.0f}",
        "date": dt.date.today().isoformat(),
        "script": "scripts/train_toy_resnet.py",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    safetensors.torch.save_file(state, str(args.out), metadata=meta)
    args.out.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")

    # one held-out picture per class, the first the model classifies right
    args.examples.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        pred = model(normalize(xte[:500])).argmax(1)
    for k, name in enumerate(TOY_CLASSES):
        hits = ((yte[:500] == k) & (pred == k)).nonzero().flatten()
        if len(hits):
            img = (xte[int(hits[0])].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
            Image.fromarray(img).save(args.examples / f"{k}_{name.replace(' ', '_')}.png")
    print(
        f"held-out accuracy {acc:.4f}; {wall:.0f} s wall, {cpu:.0f} s CPU on {meta['machine']}; wrote {args.out}"
    )


if __name__ == "__main__":
    main()
