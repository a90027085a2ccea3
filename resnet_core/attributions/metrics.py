"""Map comparisons in numpy: Spearman rank correlation and SSIM.

SSIM follows Wang et al. (https://doi.org/10.1109/TIP.2003.819861) with the settings their
paper and scikit-image's ``structural_similarity(gaussian_weights=True)`` use: an 11-tap
Gaussian window of sigma 1.5, K1 = 0.01, K2 = 0.03, population covariances, the mean taken
away from the border where the window does not fit.
"""

from __future__ import annotations

import numpy as np


def rankdata(a: np.ndarray) -> np.ndarray:
    """Ranks 1..n of the flattened ``a``, ties given their average rank."""
    a = np.asarray(a, dtype=np.float64).ravel()
    order = np.argsort(a, kind="mergesort")
    s = a[order]
    first = np.r_[True, s[1:] != s[:-1]]
    group = np.cumsum(first) - 1  # (n,) tie group of each sorted element
    starts = np.r_[np.flatnonzero(first), len(a)]
    avg = (starts[:-1] + starts[1:] - 1) / 2.0 + 1.0  # average rank of each group
    ranks = np.empty(len(a))
    ranks[order] = avg[group]
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two maps of the same shape (0 when either is constant)."""
    if np.shape(a) != np.shape(b):
        raise ValueError(f"maps of different shapes: {np.shape(a)} and {np.shape(b)}")
    ra, rb = rankdata(a), rankdata(b)
    ra -= ra.mean()
    rb -= rb.mean()
    den = np.sqrt((ra**2).sum() * (rb**2).sum())
    return float((ra * rb).sum() / den) if den > 0 else 0.0


def _gaussian_filter(a: np.ndarray, sigma: float, radius: int) -> np.ndarray:
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    k /= k.sum()
    out = a
    for axis in (0, 1):
        # "symmetric" repeats the edge sample, as scipy.ndimage's default "reflect" mode
        pad = [(0, 0), (0, 0)]
        pad[axis] = (radius, radius)
        p = np.pad(out, pad, mode="symmetric")
        n = out.shape[axis]
        out = sum(k[i] * np.take(p, np.arange(i, i + n), axis=axis) for i in range(len(k)))
    return out


def ssim(a: np.ndarray, b: np.ndarray, *, data_range: float = 1.0, sigma: float = 1.5) -> float:
    """Mean structural similarity of two 2-D maps (1 for identical maps)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"need two 2-D maps of one shape, got {a.shape} and {b.shape}")
    radius = int(3.5 * sigma + 0.5)  # scikit-image's truncate=3.5: an 11-tap window at sigma 1.5
    f = lambda t: _gaussian_filter(t, sigma, radius)  # noqa: E731
    ux, uy = f(a), f(b)
    vx = f(a * a) - ux * ux
    vy = f(b * b) - uy * uy
    vxy = f(a * b) - ux * uy
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux**2 + uy**2 + c1) * (vx + vy + c2))
    pad = radius
    inner = s[pad:-pad, pad:-pad] if min(s.shape) > 2 * pad else s
    return float(inner.mean())
