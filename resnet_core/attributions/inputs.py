"""What an attribution method is given: the input, its baselines and its feature masks.

Everything here is preparation for captum's classes: a reference image (black, blurred, noise or
the data mean) in the network's normalised space, and feature masks (a grid or superpixels) for
the perturbation methods. No attribution arithmetic lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torchvision.transforms.functional as TF
from torch import Tensor

from ..errors import UserError
from ..preprocess import Prepared, Preprocess

Baseline = Literal["black", "blur", "noise", "mean"]
MaskKind = Literal["grid", "superpixels"]

BASELINES: tuple[Baseline, ...] = ("black", "blur", "noise", "mean")
MASK_KINDS: tuple[MaskKind, ...] = ("grid", "superpixels")

#: caps on the feature masks (every feature is at least one forward pass)
MAX_FEATURES = 1024
MAX_SLIC_ITERS = 10


class AttributionError(UserError):
    """An attribution request that cannot be served as asked."""


@dataclass(frozen=True)
class AttributionInput:
    """One picture ready for captum.

    Attributes:
        tensor: (1, 3, H, W) float32, normalised as the model expects.
        view: (H, W, 3) uint8, the picture the network sees (maps are drawn on it).
        mean: per-channel mean of the normalisation, in [0, 1] pixel units.
        std: per-channel standard deviation of the normalisation.
    """

    tensor: Tensor
    view: np.ndarray
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    @property
    def size(self) -> tuple[int, int]:
        return int(self.tensor.shape[-2]), int(self.tensor.shape[-1])

    def normalize(self, pixels: Tensor) -> Tensor:
        """(N, 3, H, W) pixels in [0, 1] -> the network's input space."""
        mean = torch.tensor(self.mean, dtype=pixels.dtype, device=pixels.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, dtype=pixels.dtype, device=pixels.device).view(1, 3, 1, 1)
        return (pixels - mean) / std


def attribution_input(prepared: Prepared, preprocess: Preprocess = Preprocess()) -> AttributionInput:
    """Wrap :func:`resnet_core.preprocess.prepare`'s output with the normalisation it used."""
    t = prepared.tensor
    if not isinstance(t, Tensor) or t.dim() != 4 or t.shape[0] != 1 or t.shape[1] != 3:
        raise AttributionError("the prepared input must be one RGB image of shape (1, 3, H, W)")
    return AttributionInput(
        tensor=t.detach().float(),
        view=prepared.view,
        mean=tuple(float(m) for m in preprocess.mean),
        std=tuple(float(s) for s in preprocess.std),
    )


def make_baseline(x: AttributionInput, kind: str, *, seed: int = 0) -> Tensor:
    """A (1, 3, H, W) reference input for the baseline-based methods.

    Args:
        x: the input.
        kind: "black" (all pixels 0), "blur" (a Gaussian blur of the image, sigma a tenth of
            its side, as the blurred reference of Fong & Vedaldi, https://arxiv.org/abs/1704.03296),
            "noise" (uniform random pixels) or "mean" (the normalisation's mean: all zeros
            in the network's space).
        seed: seed of the noise.
    """
    h, w = x.size
    if kind == "black":
        return x.normalize(torch.zeros(1, 3, h, w))
    if kind == "mean":
        return torch.zeros_like(x.tensor)
    if kind == "blur":
        sigma = max(h, w) / 10
        k = int(2 * round(3 * sigma) + 1)
        k = min(k, 2 * (min(h, w) // 2) - 1) if min(h, w) > 2 else 1
        return TF.gaussian_blur(x.tensor, [k, k], [sigma, sigma]) if k >= 3 else x.tensor.clone()
    if kind == "noise":
        g = torch.Generator().manual_seed(seed)
        return x.normalize(torch.rand(1, 3, h, w, generator=g))
    raise AttributionError(f"unknown baseline {kind[:40]!r}; use one of {', '.join(BASELINES)}")


def baseline_distribution(x: AttributionInput, n: int, *, seed: int = 0) -> Tensor:
    """(n, 3, H, W) references for GradientShap and DeepLiftShap: black, blur, then noise."""
    parts = [make_baseline(x, "black"), make_baseline(x, "blur")]
    parts += [make_baseline(x, "noise", seed=seed + i) for i in range(max(0, n - 2))]
    return torch.cat(parts[:n])


def grid_mask(size: tuple[int, int], cell: int) -> Tensor:
    """(1, 1, H, W) int64 feature ids: square cells of ``cell`` pixels, row by row."""
    h, w = size
    rows = torch.arange(h) // cell
    cols = torch.arange(w) // cell
    ncols = (w + cell - 1) // cell
    return (rows[:, None] * ncols + cols[None, :])[None, None]


def superpixel_mask(
    view: np.ndarray, n_segments: int, *, compactness: float = 10.0, iters: int = 6
) -> Tensor:
    """(1, 1, H, W) int64 superpixel ids from a small SLIC-style k-means on colour and position.

    A plain version of SLIC (Achanta et al., https://doi.org/10.1109/TPAMI.2012.120): centres
    start on a grid and move to the mean of their pixels under a distance that mixes colour and
    position; ids are renumbered to 0..K-1. It only groups pixels for the perturbation methods,
    so exact SLIC is not needed.
    """
    h, w = view.shape[:2]
    n_segments = max(1, min(int(n_segments), MAX_FEATURES, h * w))
    step = max(1.0, float(np.sqrt(h * w / n_segments)))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    colour = view.astype(np.float32) / 255.0 * 100.0  # (H, W, 3), on the scale of compactness
    feats = np.concatenate([colour, (compactness / step * np.stack([yy, xx], -1))], -1).reshape(-1, 5)
    cy = np.arange(step / 2, h, step)
    cx = np.arange(step / 2, w, step)
    cyy, cxx = np.meshgrid(cy, cx, indexing="ij")
    idx = (np.clip(cyy.astype(int), 0, h - 1) * w + np.clip(cxx.astype(int), 0, w - 1)).ravel()
    centres = feats[idx]  # (K, 5)
    labels = np.zeros(h * w, dtype=np.int64)
    for _ in range(min(iters, MAX_SLIC_ITERS)):
        # squared distances via the expansion |a|^2 - 2ab + |b|^2, in chunks of pixels
        for i in range(0, len(feats), 16384):
            f = feats[i : i + 16384]
            d = (f**2).sum(1, keepdims=True) - 2 * f @ centres.T + (centres**2).sum(1)[None]
            labels[i : i + 16384] = d.argmin(1)
        counts = np.bincount(labels, minlength=len(centres)).astype(np.float32)
        sums = np.stack(
            [np.bincount(labels, weights=feats[:, j], minlength=len(centres)) for j in range(5)], 1
        )
        keep = counts > 0
        centres = np.where(keep[:, None], sums / np.maximum(counts, 1)[:, None], centres).astype(np.float32)
    _, ids = np.unique(labels, return_inverse=True)
    return torch.from_numpy(ids.reshape(1, 1, h, w).astype(np.int64))


def feature_mask(x: AttributionInput, kind: str, *, cell: int, n_segments: int) -> Tensor:
    """The feature mask of FeatureAblation / ShapleyValueSampling, shared by the 3 channels.

    Raises:
        AttributionError: an unknown kind, or more than :data:`MAX_FEATURES` features.
    """
    if kind == "grid":
        mask = grid_mask(x.size, cell)
    elif kind == "superpixels":
        mask = superpixel_mask(x.view, n_segments)
    else:
        raise AttributionError(f"unknown feature mask {kind[:40]!r}; use one of {', '.join(MASK_KINDS)}")
    n = int(mask.max()) + 1
    if n > MAX_FEATURES:
        raise AttributionError(f"the mask has {n} features; at most {MAX_FEATURES}: use larger cells",
                               key="error.mask_features", n=n, most=MAX_FEATURES)
    return mask
