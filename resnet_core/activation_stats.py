"""What every stage and block makes of the image, reduced on the device before it leaves.

Each output gets four statistics (mean, std, max, fraction of exact zeros) and its strongest
channels as uint8 maps with their ranges, computed for the whole batch at once; everything
leaves the device in four transfers, whatever the batch size and the depth.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from .results import Activation

#: activation maps larger than this (per side) are average-pooled down before they leave the device
MAX_MAP_SIDE = 112


def _reduce_one(a: Tensor, n_max: int, rows: Tensor) -> tuple:
    """Statistics (B, 4), strongest channels as uint8 (B, n*mh*mw), their indices (B, n) and
    ranges (B, n, 2) of one (B, C, h, w) float32 output.

    Each statistic is one pass over the output with no temporary of its size, using the ops
    that are fast on a CPU as well (docs/performance.md, "Why the code looks as it does").
    """
    b, c, h, w = a.shape
    n = min(n_max, c)
    count = c * h * w
    per_channel = a.mean(dim=(2, 3))  # (B, C)
    idx = per_channel.topk(n, dim=1).indices  # (B, n), strongest first
    sel = a[rows, idx]  # (B, n, h, w)
    if max(h, w) > MAX_MAP_SIDE:
        scale = MAX_MAP_SIDE / max(h, w)
        sel = F.adaptive_avg_pool2d(sel, (max(1, round(h * scale)), max(1, round(w * scale))))
    lo = sel.amin(dim=(2, 3))  # (B, n)
    hi = sel.amax(dim=(2, 3))
    step = (255 / (hi - lo).clamp_min(1e-12))[..., None, None]
    u8 = sel.sub(lo[..., None, None]).mul_(step).round_().to(torch.uint8)
    if not a.is_contiguous() and a.is_contiguous(memory_format=torch.channels_last):
        a_mem = a.permute(0, 2, 3, 1)  # NHWC in memory: read it in memory order, no copy
    else:
        a_mem = a
    flat = a_mem.reshape(b, count)  # the sums below do not depend on the order
    mean = per_channel.mean(dim=1)
    # var = E[x^2] - E[x]^2: the outputs are mostly >= 0, so no catastrophic cancellation
    sq = torch.dot(flat[0], flat[0])[None] if b == 1 else torch.linalg.vecdot(flat, flat)  # (B,)
    std = (sq / count - mean.square()).clamp_min(0).sqrt()
    zeros = 1 - torch.sign(flat).abs_().sum(dim=1) / count  # sign is 0 exactly at 0
    stats = torch.stack([mean, std, a.amax(dim=(2, 3)).amax(dim=1), zeros], dim=1)  # (B, 4)
    return stats, u8.flatten(1), idx, torch.stack([lo, hi], dim=2), n, tuple(sel.shape[2:])


def reduce_activations(
    acts: list[tuple[str, str, Tensor]], max_channels: Sequence[int]
) -> list[tuple[Activation, ...]]:
    """Statistics and the strongest channels of each output, per sample, computed on the device.

    Args:
        acts: (name, kind, output) with outputs of shape (B, C, h, w).
        max_channels: channels to keep, one count per sample.

    Returns:
        One tuple of :class:`Activation` per sample. Every reduction runs over the whole batch
        at once, and all results leave the device in four transfers, whatever B and the depth.
    """
    batch = len(max_channels)
    n_max = max(max_channels)
    stats, maps, idxs, ranges, meta = [], [], [], [], []
    rows = torch.arange(batch, device=acts[0][2].device)[:, None]  # (B, 1)
    done: dict[tuple, tuple] = {}  # a stage's output is its last block's: reduce it once
    for name, kind, t in acts:
        key = (t.data_ptr(), t.dtype, tuple(t.shape), t.stride())
        if key not in done:
            done[key] = _reduce_one(t.detach().float(), n_max, rows)
        st, u8, idx, rng, n, mshape = done[key]
        stats.append(st)
        maps.append(u8)
        idxs.append(idx)
        ranges.append(rng)
        meta.append((name, kind, tuple(t.shape[1:]), n, mshape))
    # one transfer each for statistics, maps, channel indices and ranges
    stats_np = torch.stack(stats, dim=1).cpu().numpy()  # (B, L, 4)
    maps_np = torch.cat(maps, dim=1).cpu().numpy()  # (B, sum n*mh*mw)
    idx_np = torch.cat(idxs, dim=1).cpu().numpy()  # (B, sum n)
    ranges_np = torch.cat(ranges, dim=1).float().cpu().numpy()  # (B, sum n, 2)
    if batch > 1:  # each sample owns its arrays, so one user's result never pins the batch's
        maps_np, ranges_np = [m.copy() for m in maps_np], [r.copy() for r in ranges_np]
    out = []
    for b in range(batch):
        acts_b, off, ioff = [], 0, 0
        for (name, kind, shape, n, (mh, mw)), st in zip(meta, stats_np[b]):
            keep = min(int(max_channels[b]), n)
            acts_b.append(
                Activation(
                    name=name,
                    kind=kind,
                    shape=shape,
                    mean=float(st[0]),
                    std=float(st[1]),
                    max=float(st[2]),
                    zero_fraction=float(st[3]),
                    channels=tuple(int(i) for i in idx_np[b, ioff : ioff + keep]),
                    maps=maps_np[b][off : off + keep * mh * mw].reshape(keep, mh, mw),
                    ranges=ranges_np[b][ioff : ioff + keep],
                )
            )
            off += n * mh * mw
            ioff += n
        out.append(tuple(acts_b))
    return out
