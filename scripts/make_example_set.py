"""Make the bundled example set for "Train on your images": four textures, no network.

The classes differ in shape and texture, never in colour: each picture is filled with stripes,
dots or checkers of a random scale, angle, phase and pair of colours, plus a little noise (dots
at random places). Each class has its own range of scales, which gives a network trained from
random weights on a few dozen pictures a cue it can learn within a CPU budget (docs/transfer.md).
Everything is drawn from one seeded generator and written as JPEG, so the same command always
writes the same bytes with the same Pillow build.

Usage::

    python scripts/make_example_set.py            # writes assets/datasets/textures/<class>/*.jpg
    python scripts/make_example_set.py --out /tmp/x --per-class 60 --size 64
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

CLASSES: tuple[str, ...] = ("stripes", "dots", "checkers")
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "assets" / "datasets" / "textures"


_FREQUENCIES = {"stripes": (3.0, 4.5), "checkers": (4.0, 6.0), "dots": (0.0, 1.0)}


def _pattern(kind: str, rng: np.random.Generator, size: int) -> np.ndarray:
    """A boolean (size, size) texture of one class, its frequency and angle drawn from ``rng``."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / size  # (H, W) in [0, 1)
    theta = rng.uniform(0, np.pi)
    u = xx * np.cos(theta) + yy * np.sin(theta)
    v = -xx * np.sin(theta) + yy * np.cos(theta)
    # Each class has its own scale as well as its own shape, so a network trained from random
    # weights on a few dozen pictures has a cue it can learn quickly.
    freq = rng.uniform(*_FREQUENCIES[kind])  # periods per picture side
    phase = rng.uniform(0, 2 * np.pi)
    if kind == "stripes":
        return np.sin(2 * np.pi * freq * u + phase) > 0
    if kind == "checkers":
        return (np.sin(2 * np.pi * freq * u + phase) > 0) ^ (np.sin(2 * np.pi * freq * v) > 0)
    if kind == "dots":
        out = np.zeros((size, size), dtype=bool)
        radius = rng.uniform(0.05, 0.07)
        for _ in range(int(rng.integers(20, 30))):
            cy, cx = rng.uniform(0, 1, size=2)
            out |= np.hypot(yy - cy, xx - cx) < radius
        return out
    raise ValueError(f"unknown class {kind!r}")


def _colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Foreground and background colours, far enough apart to be seen."""
    while True:
        fg, bg = rng.uniform(0, 255, size=(2, 3))
        if np.abs(fg - bg).sum() > 200:
            return fg, bg


def draw(kind: str, rng: np.random.Generator, size: int) -> np.ndarray:
    """One (size, size, 3) uint8 picture of class ``kind``."""
    texture = _pattern(kind, rng, size)
    fg, bg = _colours(rng)
    img = np.where(texture[..., None], fg, bg)
    img = img + rng.normal(0, 8, size=img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def make_example_set(out: Path, *, per_class: int = 60, size: int = 64, seed: int = 0, quality: int = 85) -> list[Path]:
    """Write ``per_class`` JPEGs per class under ``out/<class>/`` (the folder is replaced)."""
    if out.exists():
        shutil.rmtree(out)
    rng = np.random.default_rng(seed)
    written = []
    for kind in CLASSES:
        folder = out / kind
        folder.mkdir(parents=True)
        for i in range(per_class):
            path = folder / f"{kind}_{i:02d}.jpg"
            Image.fromarray(draw(kind, rng, size)).save(path, format="JPEG", quality=quality, optimize=True)
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--per-class", type=int, default=60)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    paths = make_example_set(args.out, per_class=args.per_class, size=args.size, seed=args.seed)
    total = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} images, {total / 1024:.0f} KB, to {args.out}")


if __name__ == "__main__":
    main()
