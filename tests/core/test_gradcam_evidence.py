"""Grad-CAM points at the evidence: a trained network's map peaks on the object that decides the class.

The data set is generated: 48x48 noise, one class object (square, diamond or plus) and one
distractor (a ring, in every image) at random, non-overlapping positions. Only the object
decides the class, so a faithful Grad-CAM must peak inside the object's box, not on the ring.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from resnet_core import build_cifar_resnet
from resnet_core.inspection import inspect
from resnet_core.preprocess import Prepared

SIZE, OBJ = 48, 14


def _shape(kind: int) -> np.ndarray:
    yy, xx = np.mgrid[0:OBJ, 0:OBJ] - (OBJ - 1) / 2
    r = OBJ / 2
    if kind == 0:  # square
        return (np.abs(yy) < r * 0.9) & (np.abs(xx) < r * 0.9)
    if kind == 1:  # diamond
        return (np.abs(yy) + np.abs(xx)) < r * 0.95
    if kind == 2:  # plus
        return (np.abs(yy) < r * 0.3) | (np.abs(xx) < r * 0.3)
    rr = yy**2 + xx**2  # ring: the distractor
    return (rr < r * r) & (rr > (0.5 * r) ** 2)


def make_data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, list[tuple[int, int, int, int]]]:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.35, (n, 3, SIZE, SIZE)).astype(np.float32)
    y = rng.integers(0, 3, n)
    boxes = []
    for i in range(n):
        while True:
            a, b = rng.integers(0, SIZE - OBJ, 2), rng.integers(0, SIZE - OBJ, 2)
            if abs(a[0] - b[0]) >= OBJ or abs(a[1] - b[1]) >= OBJ:
                break
        for (top, left), kind in ((a, y[i]), (b, 3)):
            colour = rng.uniform(0.6, 1.5, 3) * rng.choice([-1, 1])
            x[i][:, top : top + OBJ, left : left + OBJ][:, _shape(kind)] = colour[:, None]
        boxes.append((int(a[0]), int(a[1]), int(a[0]) + OBJ, int(a[1]) + OBJ))
    return torch.from_numpy(x), torch.from_numpy(y), boxes


@pytest.mark.slow
def test_gradcam_peak_falls_inside_the_deciding_object():
    torch.manual_seed(0)
    model = build_cifar_resnet(8, num_classes=3)  # ResNet-8: stages of 16/32/64, one block each
    x, y, _ = make_data(2048, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(0)
    model.train()
    for _ in range(250):
        idx = torch.randint(0, len(x), (48,), generator=gen)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()

    xt, yt, boxes = make_data(200, seed=1)
    with torch.no_grad():
        accuracy = (model(xt).argmax(1) == yt).float().mean().item()
    assert accuracy >= 0.9, f"the small ResNet did not learn the task (accuracy {accuracy:.2f})"

    blank = np.zeros((SIZE, SIZE, 3), np.uint8)
    hits = 0
    for i in range(len(xt)):
        cam = inspect(model, Prepared(xt[i : i + 1], blank), layer="layer3", target=int(yt[i])).cam
        py, px = np.unravel_index(cam.heatmap.argmax(), cam.heatmap.shape)
        top, left, bottom, right = boxes[i]
        hits += top <= py < bottom and left <= px < right
    assert hits / len(xt) >= 0.9, f"Grad-CAM peak inside the object box in only {hits}/{len(xt)} images"
