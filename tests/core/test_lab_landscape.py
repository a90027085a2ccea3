"""Loss landscape: a linear model's slice is an exact quadratic, filter normalisation scales
each filter, weights come back, and the saved format round-trips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from resnet_core.lab._common import LabError
from resnet_core.lab.landscape import (
    MAX_RECENTRE,
    LossSurface,
    filter_normalized_direction,
    load_landscape,
    loss_landscape,
    loss_surface,
    save_landscape,
)
from viz.lab import landscape_figure, landscape_verdict

SAVED = Path(__file__).resolve().parents[2] / "assets" / "curves" / "landscape.json"


pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: a second thread only stalls


def _linear_problem() -> tuple[nn.Linear, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Linear(5, 3).double()
    x = torch.randn(40, 5, dtype=torch.float64)
    y = torch.randn(40, 3, dtype=torch.float64)
    return model, x, y


def test_a_linear_models_landscape_is_the_closed_form_quadratic() -> None:
    model, x, y = _linear_problem()
    gen = torch.Generator().manual_seed(1)
    d1, d2 = filter_normalized_direction(model, gen), filter_normalized_direction(model, gen)
    coords = np.linspace(-1, 1, 7)
    surface = loss_surface(model, lambda m: float(((m(x) - y) ** 2).mean()), (d1, d2), coords, coords)

    # by hand: W(a, b) = W + a D1 + b D2 (the bias has no direction), L = mean((X W^T + c - Y)^2)
    W, c = model.weight.detach().numpy(), model.bias.detach().numpy()
    D1, D2 = d1[0].numpy(), d2[0].numpy()
    X, Y = x.numpy(), y.numpy()
    expected = np.array([[np.mean((X @ (W + a * D1 + b * D2).T + c - Y) ** 2) for a in coords] for b in coords])
    np.testing.assert_allclose(surface, expected, rtol=1e-12)

    # and it is a quadratic in (a, b): six coefficients fit it exactly
    A, B = np.meshgrid(coords, coords)
    basis = np.stack([np.ones_like(A), A, B, A * A, A * B, B * B], -1).reshape(-1, 6)
    coef, *_ = np.linalg.lstsq(basis, surface.ravel(), rcond=None)
    np.testing.assert_allclose(basis @ coef, surface.ravel(), rtol=1e-10)


def test_filter_normalised_directions_match_each_filters_norm() -> None:
    model = nn.Sequential(nn.Conv2d(3, 6, 3), nn.BatchNorm2d(6), nn.Flatten(), nn.LazyLinear(4))
    model(torch.randn(2, 3, 8, 8))
    d = filter_normalized_direction(model, torch.Generator().manual_seed(0))
    for p, u in zip(model.parameters(), d):
        if p.dim() <= 1:
            assert not u.any()  # BN and biases stay put (Li et al., section 4)
        else:
            torch.testing.assert_close(u.flatten(1).norm(dim=1), p.detach().flatten(1).norm(dim=1))


def test_weights_are_restored_even_when_the_loss_raises() -> None:
    model, x, y = _linear_problem()
    before = [p.detach().clone() for p in model.parameters()]
    gen = torch.Generator().manual_seed(1)
    dirs = (filter_normalized_direction(model, gen), filter_normalized_direction(model, gen))
    calls = []

    def boom(m: nn.Module) -> float:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return 0.0

    with pytest.raises(RuntimeError):
        loss_surface(model, boom, dirs, np.linspace(-1, 1, 3), np.linspace(-1, 1, 3))
    for p, b in zip(model.parameters(), before):
        assert torch.equal(p, b)


def test_local_minima_count_bowls_and_wells() -> None:
    a = np.linspace(-1, 1, 21)
    A, B = np.meshgrid(a, a)
    bowl = LossSurface(kind="residual", name="bowl", alphas=a, betas=a, loss=A**2 + B**2)
    wells = LossSurface(kind="plain", name="wells", alphas=a, betas=a, loss=(A**2 - 0.5) ** 2 + B**2)
    assert bowl.local_minima == 1 and wells.local_minima == 2
    assert bowl.center_loss == 0 and bowl.outward_dips == 0.0
    # between the two wells the loss falls on the way out from the centre's hump
    assert wells.outward_dips > 0.1


def test_small_landscape_runs_and_round_trips(tmp_path: Path) -> None:
    result = loss_landscape(depth=8, train_steps=3, grid=3, width=4, batch=8, eval_images=16)
    assert [s.kind for s in result.surfaces] == ["plain", "residual"]
    for s in result.surfaces:
        assert s.loss.shape == (3, 3) and np.all(np.isfinite(s.loss))
    path = save_landscape(result, tmp_path / "l.json", meta={"device_name": "test CPU", "date": "2026-01-01"})
    again, meta = load_landscape(path)
    assert meta["device_name"] == "test CPU"
    np.testing.assert_allclose(again.surfaces[1].loss, result.surfaces[1].loss, rtol=1e-3)
    fig = landscape_figure(again, source=meta, lang="zh")
    assert "test CPU" in fig.layout.title.text and "训练" in fig.layout.title.text
    assert again.surfaces[0].name in landscape_verdict(again)
    assert [(x.shift, x.recentred) for x in again.surfaces] == [
        (pytest.approx(x.shift), x.recentred) for x in result.surfaces
    ]


def test_slices_are_centred_where_the_loss_is_lowest() -> None:
    # Li et al. slice at a minimum; a briefly trained net is moved to its slice's lowest point
    # (the centre of each new slice is the lowest point of the one before)
    result = loss_landscape(depth=8, train_steps=2, grid=5, width=4, batch=8, eval_images=16)
    for s in result.surfaces:
        assert s.centred or s.recentred == MAX_RECENTRE
        assert (s.recentred > 0) == (s.shift != (0.0, 0.0))
        i, j = np.unravel_index(int(np.argmin(s.loss)), s.loss.shape)
        assert s.centred == (i == j == 2)


@pytest.mark.skipif(not SAVED.exists(), reason="made by scripts/landscape.py")
def test_the_saved_slices_are_at_56_layers_centred_at_their_minimum() -> None:
    # Li et al. compare 20 and 56 layers; the page's live slice goes to 32, the saved one is 56
    result, meta = load_landscape(SAVED)
    assert result.depth == 56 and meta["device_name"] and "not the paper" in meta["ours"]
    assert all(s.centred for s in result.surfaces)
    assert "56 layers" in landscape_verdict(result) and "20 layers on" not in landscape_verdict(result)


def test_landscape_rejects_a_grid_too_big_for_a_cpu() -> None:
    with pytest.raises(LabError, match="grid"):
        next(iter(__import__("resnet_core.lab.landscape", fromlist=["x"]).loss_landscape_steps(depth=56, grid=51, device="cpu")))


def test_malformed_landscape_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    with pytest.raises(LabError):
        load_landscape(bad)
