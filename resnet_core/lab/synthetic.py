"""A generated image data set for the lab: ten shapes and textures, seeded, nothing downloaded.

Each image shows one of ten shapes or textures (:data:`SYNTHETIC_CLASSES`) at a random position
and size, in a random colour on a random background, plus Gaussian pixel noise. Colour carries
no information, so a network has to learn shape. The same seed always gives the same images.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._common import LabError, check_float, check_int, check_seed, shown

#: the ten classes of :func:`make_synthetic`; colours are random, so only shape and texture tell
SYNTHETIC_CLASSES: tuple[str, ...] = (
    "disk",
    "ring",
    "square",
    "frame",
    "plus",
    "cross",
    "horizontal stripes",
    "vertical stripes",
    "triangle",
    "checkerboard",
)


#: images x pixels one split may have: 2**25 is 130k images at 16x16 (400 MB of float32)
MAX_SYNTHETIC_PIXELS = 2**25


@dataclass(frozen=True)
class SyntheticData:
    """The lab's synthetic data set (train and held-out splits), deterministic for a seed.

    A small convnet learns it in a few hundred steps, which is what makes a race visible live.

    Attributes:
        image_size: side of the square images.
        train_size: training images.
        test_size: held-out images (a separate random stream of the same seed).
        noise: standard deviation of the pixel noise, images being in [0, 1].
        seed: seed of both splits.
        classes: which of :data:`SYNTHETIC_CLASSES` to draw (all ten by default); label ``i``
            is ``classes[i]``.
    """

    image_size: int = 16
    train_size: int = 5000
    test_size: int = 500
    noise: float = 0.15
    seed: int = 0
    classes: tuple[str, ...] = SYNTHETIC_CLASSES

    def __post_init__(self) -> None:
        _check_classes(self.classes)
        check_int("image_size", self.image_size, 8, 64)
        most = MAX_SYNTHETIC_PIXELS // self.image_size**2
        check_int("train_size", self.train_size, 10, most)
        check_int("test_size", self.test_size, 10, most)
        check_float("noise", self.noise, 0.0, 1.0)
        check_seed(self.seed)

    @property
    def description(self) -> str:
        return (
            f"synthetic shapes: {len(self.classes)} classes ({', '.join(self.classes)}), "
            f"{self.image_size}x{self.image_size} RGB, random colours and positions, "
            f"pixel noise sigma={self.noise}; {self.train_size} train / {self.test_size} held-out "
            f"images, seed {self.seed}"
        )

    def splits(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(train_images, train_labels, test_images, test_labels)`` as from :func:`make_synthetic`."""
        common = {"image_size": self.image_size, "noise": self.noise, "classes": self.classes}
        x, y = make_synthetic(self.train_size, seed=(self.seed, 0), **common)
        xt, yt = make_synthetic(self.test_size, seed=(self.seed, 1), **common)
        return x, y, xt, yt


def _check_classes(classes: object) -> tuple[str, ...]:
    names = tuple(classes) if isinstance(classes, (tuple, list)) else ()
    if len(names) < 2 or len(set(names)) != len(names) or not set(names) <= set(SYNTHETIC_CLASSES):
        raise LabError(f"classes must be two or more distinct names of {SYNTHETIC_CLASSES}, got {shown(classes)}")
    return names


def make_synthetic(
    n: int,
    *,
    image_size: int = 16,
    noise: float = 0.15,
    seed: int | Sequence[int] = 0,
    classes: Sequence[str] = SYNTHETIC_CLASSES,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` images of the shapes data set (see :class:`SyntheticData`).

    Args:
        n: number of images.
        image_size: side of the square images.
        noise: standard deviation of the Gaussian pixel noise.
        seed: seed (or seed sequence) of numpy's generator; no global state is touched.
        classes: the classes to draw, by name; label ``i`` is ``classes[i]``.

    Returns:
        ``images`` (n, 3, H, W) float32 in [0, 1] and ``labels`` (n,) int64 in
        ``[0, len(classes))``.
    """
    index = np.array([SYNTHETIC_CLASSES.index(c) for c in _check_classes(classes)])
    check_int("image_size", image_size, 8, 64)
    check_int("n", n, 1, MAX_SYNTHETIC_PIXELS // image_size**2)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(index), n)
    # in chunks, so that the float64 temporaries stay small whatever n is
    images = np.concatenate([_draw(rng, index[labels[i : i + 1024]], image_size, noise) for i in range(0, n, 1024)])
    return images, labels.astype(np.int64)


def _draw(rng: np.random.Generator, labels: np.ndarray, size: int, noise: float) -> np.ndarray:
    n = len(labels)
    yy, xx = (np.mgrid[0:size, 0:size].astype(np.float32) + 0.5)[:, None]  # (1, H, W) each
    cy = rng.uniform(0.35, 0.65, (n, 1, 1)) * size
    cx = rng.uniform(0.35, 0.65, (n, 1, 1)) * size
    r = rng.uniform(0.22, 0.34, (n, 1, 1)) * size  # half-size of the shape
    period = rng.uniform(3.0, 5.0, (n, 1, 1))  # stripes, in pixels
    phase = rng.uniform(0.0, 2 * np.pi, (n, 1, 1))
    dy, dx = yy - cy, xx - cx  # (n, H, W)
    ady, adx = np.abs(dy), np.abs(dx)
    dist = np.hypot(dy, dx)
    box = np.maximum(ady, adx)  # Chebyshev distance: squares
    line = np.maximum(1.0, 0.3 * r) * 0.6  # half line width
    cell = np.maximum(2.0, r / 2)

    masks = (
        dist <= r,
        np.abs(dist - r) <= line,
        box <= 0.9 * r,
        np.abs(box - 0.9 * r) <= line,
        ((ady <= line) | (adx <= line)) & (box <= r),
        (np.abs(ady - adx) <= 1.2 * line) & (box <= r),
        (np.sin(2 * np.pi * yy / period + phase) > 0) & (box <= 1.2 * r),
        (np.sin(2 * np.pi * xx / period + phase) > 0) & (box <= 1.2 * r),
        (ady <= r) & (adx <= (dy + r) * 0.5),
        ((np.floor(dy / cell) + np.floor(dx / cell)) % 2 == 0) & (box <= r),
    )
    shape = np.zeros((n, size, size), dtype=bool)
    for k, mask in enumerate(masks):
        chosen = labels == k
        shape[chosen] = mask[chosen]

    fg = rng.uniform(0.0, 1.0, (n, 3, 1, 1))
    bg = rng.uniform(0.0, 1.0, (n, 3, 1, 1))
    # at least 0.3 apart in brightness, so every shape is visible through the noise
    gap = fg.mean(1, keepdims=True) - bg.mean(1, keepdims=True)
    fg = np.clip(fg + np.where(gap >= 0, 1.0, -1.0) * np.maximum(0.0, 0.3 - np.abs(gap)), 0.0, 1.0)
    images = np.where(shape[:, None], fg, bg) + rng.normal(0.0, noise, (n, 3, size, size))
    return np.clip(images, 0.0, 1.0).astype(np.float32)  # (n, 3, H, W)


#: the names this data set had before it moved into its own module
SHAPE_CLASSES = SYNTHETIC_CLASSES
ShapesData = SyntheticData
make_shapes = make_synthetic
