"""The captum attributions library on a small ResNet with weights made here (no files needed)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from captum.attr import IntegratedGradients, Occlusion

from resnet_core.attributions.faithfulness import captum_scores, deletion_insertion, random_map
from resnet_core.attributions.inputs import (
    AttributionError,
    AttributionInput,
    attribution_input,
    feature_mask,
    grid_mask,
    make_baseline,
    superpixel_mask,
)
from resnet_core.attributions.methods import (
    METHODS,
    AttributionBudgetError,
    AttributionCancelled,
    MethodParams,
    applicability,
    attribute,
    forward_passes,
)
from resnet_core.attributions.metrics import spearman, ssim
from resnet_core.attributions.sanity import cascade_groups, sanity_check
from resnet_core.hooks import hook_count
from resnet_core.model import build_cifar_resnet
from resnet_core.preprocess import Prepared
from resnet_core.toy import TOY_PREPROCESS, build_toy, toy_data

FAST = MethodParams(
    steps=4,
    nt_samples=2,
    shap_samples=4,
    shap_baselines=2,
    window=8,
    stride=8,
    cell=8,
    n_segments=8,
    shapley_samples=1,
)


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    torch.manual_seed(0)
    m = build_toy().eval()
    for p in m.parameters():
        p.requires_grad_(False)  # as the app's zoo serves models
    return m


@pytest.fixture(scope="module")
def image() -> tuple[AttributionInput, int]:
    x, y = toy_data(1, seed=(9, 9))
    t = (torch.from_numpy(x) - 0.5) / 0.25
    view = (x[0].transpose(1, 2, 0) * 255).round().astype(np.uint8)
    return attribution_input(Prepared(tensor=t, view=view), TOY_PREPROCESS), int(y[0])


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_gives_a_map_and_counts_its_passes_beforehand(model, image, method):
    inp, target = image
    a = attribute(model, inp, method=method, target=target, params=FAST)
    assert a.map.shape == inp.size and a.map.dtype == np.float32
    assert np.isfinite(a.map).all() and np.abs(a.map).max() > 0
    assert a.forward_passes == forward_passes(method, FAST, inp)
    assert set(a.params) == set(METHODS[method].params)
    assert hook_count(model) == 0
    assert not any(p.requires_grad for p in model.parameters())


def test_saliency_and_input_x_gradient_match_autograd(model, image):
    inp, target = image
    x = inp.tensor.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(x)[0, target], x)
    sal = attribute(model, inp, method="saliency", target=target).map
    ixg = attribute(model, inp, method="input_x_gradient", target=target).map
    np.testing.assert_allclose(sal, g.abs().sum(1)[0].numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ixg, (g * inp.tensor).sum(1)[0].numpy(), rtol=1e-5, atol=1e-7)


def test_integrated_gradients_is_captums_and_completes(model, image):
    inp, target = image
    p = MethodParams(steps=64, baseline="black")
    ours = attribute(model, inp, method="integrated_gradients", target=target, params=p).map
    base = make_baseline(inp, "black")
    ref, delta = IntegratedGradients(model).attribute(
        inp.tensor, baselines=base, target=target, n_steps=64, return_convergence_delta=True
    )
    np.testing.assert_allclose(ours, ref.sum(1)[0].numpy(), rtol=1e-4, atol=1e-6)
    # completeness (Sundararajan et al.): the attributions sum to f(x) - f(baseline)
    with torch.no_grad():
        gap = float(model(inp.tensor)[0, target] - model(base)[0, target])
    assert abs(float(ours.sum()) - gap) <= 0.05 * abs(gap) + abs(float(delta))


def test_occlusion_matches_a_hand_made_occlusion(model, image):
    inp, target = image
    p = MethodParams(window=16, stride=16, baseline="black", batch=3)
    ours = attribute(model, inp, method="occlusion", target=target, params=p).map
    black = make_baseline(inp, "black")
    with torch.no_grad():
        full = float(model(inp.tensor)[0, target])
        for i in range(2):
            for j in range(2):
                x = inp.tensor.clone()
                x[..., 16 * i : 16 * i + 16, 16 * j : 16 * j + 16] = black[..., :16, :16]
                drop = full - float(model(x)[0, target])
                # captum spreads the drop over the window's 3 channels, the map sums them back
                np.testing.assert_allclose(
                    ours[16 * i : 16 * i + 16, 16 * j : 16 * j + 16], 3 * drop, rtol=1e-4, atol=1e-5
                )
    ref = Occlusion(model).attribute(
        inp.tensor, sliding_window_shapes=(3, 16, 16), strides=(3, 16, 16), baselines=black, target=target
    )
    np.testing.assert_allclose(ours, ref.sum(1)[0].numpy(), rtol=1e-5, atol=1e-6)


def test_guided_backprop_hooks_stay_on_a_private_copy_and_are_removed(model, image):
    inp, target = image
    seen: list[int] = []
    attribute(
        model, inp, method="guided_backprop", target=target, progress=lambda f: seen.append(hook_count(model))
    )
    assert seen and max(seen) == 0  # isolated: the served model never carried a hook
    seen.clear()
    attribute(
        model,
        inp,
        method="guided_backprop",
        target=target,
        isolate=False,
        progress=lambda f: seen.append(hook_count(model)),
    )
    assert max(seen) > 0  # captum does hook every ReLU while it runs
    assert hook_count(model) == 0
    seen.clear()
    p = MethodParams(nt_base="guided_backprop", nt_samples=2)
    attribute(
        model,
        inp,
        method="smoothgrad",
        target=target,
        params=p,
        progress=lambda f: seen.append(hook_count(model)),
    )
    assert seen and max(seen) == 0  # NoiseTunnel over guided backprop is isolated too


@pytest.mark.parametrize(
    "method", ["guided_backprop", "deconvolution", "deeplift", "gradcam", "guided_gradcam"]
)
def test_an_error_inside_a_method_leaves_no_hook_and_restores_the_model(image, method):
    inp, target = image
    torch.manual_seed(1)
    m = build_toy()
    m.train()
    m.layer1.requires_grad_(False)
    flags = [p.requires_grad for p in m.parameters()]
    before = {k: v.clone() for k, v in m.state_dict().items()}

    def boom(*_args: object) -> None:
        raise RuntimeError("injected failure")

    m.layer3[0].conv2.forward = boom  # fails mid-forward, after captum's hooks are registered
    with pytest.raises(RuntimeError, match="injected"):
        attribute(m, inp, method=method, target=target, isolate=False)
    assert hook_count(m) == 0
    assert m.training
    assert [p.requires_grad for p in m.parameters()] == flags
    assert all(torch.equal(v, m.state_dict()[k]) for k, v in before.items())


def test_budget_is_checked_before_any_forward(image):
    inp, target = image
    m = build_toy().eval()
    calls = []
    m.register_forward_pre_hook(lambda *_: calls.append(1))
    p = MethodParams(window=2, stride=1)
    assert forward_passes("occlusion", p, inp) == 1 + 31 * 31
    with pytest.raises(AttributionBudgetError, match="limit per request"):
        attribute(m, inp, method="occlusion", target=target, params=p, budget=500)
    assert not calls


def test_cancel_stops_between_chunks(model, image):
    inp, target = image
    stop = threading.Event()
    fractions: list[float] = []

    def progress(f: float) -> None:
        fractions.append(f)
        stop.set()

    p = MethodParams(window=4, stride=4, batch=8)  # 64 windows: 8 chunks after the first forward
    with pytest.raises(AttributionCancelled):
        attribute(model, inp, method="occlusion", target=target, params=p, progress=progress, cancel=stop)
    assert len(fractions) == 1 and fractions[0] < 0.1
    assert hook_count(model) == 0


def test_progress_reaches_one(model, image):
    inp, target = image
    fractions: list[float] = []
    attribute(model, inp, method="feature_ablation", target=target, params=FAST, progress=fractions.append)
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


def test_random_draws_are_seeded_and_leave_the_global_generator_alone(model, image):
    inp, target = image
    state, np_state = torch.get_rng_state(), np.random.get_state()[1].copy()
    g1 = attribute(model, inp, method="gradient_shap", target=target, params=FAST).map
    g2 = attribute(model, inp, method="gradient_shap", target=target, params=FAST).map
    np.testing.assert_array_equal(g1, g2)  # captum draws GradientShap's path points from numpy
    a = attribute(model, inp, method="smoothgrad", target=target, params=FAST).map
    b = attribute(model, inp, method="smoothgrad", target=target, params=FAST).map
    c = attribute(
        model, inp, method="smoothgrad", target=target, params=MethodParams(nt_samples=2, seed=7)
    ).map
    assert torch.equal(state, torch.get_rng_state())
    np.testing.assert_array_equal(np_state, np.random.get_state()[1])
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"steps": 0},
        {"steps": 10_000},
        {"baseline": "white" * 50},
        {"nt_base": "lime"},
        {"batch": 2.5},
        {"stdev": float("nan")},
        {"mask": "slic"},
        {"layer": ""},
        {"seed": -1},
        {"window": True},
    ],
)
def test_bad_params_get_one_plain_error(kwargs):
    with pytest.raises(AttributionError) as e:
        MethodParams(**kwargs)
    assert isinstance(e.value, ValueError) and len(str(e.value)) < 200


def test_bad_requests_get_one_plain_error(model, image):
    inp, target = image
    for kwargs in (
        {"method": "lime" * 40},
        {"method": "gradcam", "params": MethodParams(layer="layer9")},
        {"method": "saliency", "target": 10},
        {"method": "saliency", "budget": 0},
    ):
        kw = {"method": "saliency", "target": target, **kwargs}
        with pytest.raises(AttributionError) as e:
            attribute(model, inp, **kw)
        assert len(str(e.value)) < 300


def test_lrp_covers_our_resnet_but_not_the_zero_padding_shortcut(model, image):
    inp, target = image
    assert applicability(model, "lrp") is None
    cifar = build_cifar_resnet(8).eval()
    why = applicability(cifar, "lrp")
    assert why is not None and "PadShortcut" in why and why.key == "error.lrp_no_rule" and "PadShortcut" in why.fields["names"]
    with pytest.raises(AttributionError, match="does not apply"):
        attribute(cifar, inp, method="lrp", target=0)
    attribute(model, inp, method="lrp", target=target)
    assert not any(hasattr(m, "rule") or hasattr(m, "activations") for m in model.modules())


def test_baselines(image):
    inp, _ = image
    black = make_baseline(inp, "black")
    np.testing.assert_allclose(black[0, :, 0, 0].numpy(), [(0 - 0.5) / 0.25] * 3)
    assert torch.equal(make_baseline(inp, "mean"), torch.zeros_like(inp.tensor))
    blur = make_baseline(inp, "blur")
    assert blur.shape == inp.tensor.shape and blur.std() < inp.tensor.std()
    assert torch.equal(make_baseline(inp, "noise", seed=3), make_baseline(inp, "noise", seed=3))
    with pytest.raises(AttributionError):
        make_baseline(inp, "white")


def test_feature_masks():
    g = grid_mask((32, 20), 8)
    assert g.shape == (1, 1, 32, 20) and int(g.max()) + 1 == 4 * 3
    # two flat halves of different colours: no superpixel straddles the border
    view = np.zeros((32, 32, 3), np.uint8)
    view[:, 16:] = (250, 20, 20)
    sp = superpixel_mask(view, 16)[0, 0].numpy()
    assert set(np.unique(sp)) == set(range(int(sp.max()) + 1)) and 4 <= sp.max() + 1 <= 32
    left, right = set(np.unique(sp[:, :16])), set(np.unique(sp[:, 16:]))
    assert not left & right
    inp = AttributionInput(torch.zeros(1, 3, 64, 64), np.zeros((64, 64, 3), np.uint8), (0.0,) * 3, (1.0,) * 3)
    with pytest.raises(AttributionError, match="features"):
        feature_mask(inp, "grid", cell=1, n_segments=8)


def test_spearman_and_ssim_against_closed_forms_and_references():
    rng = np.random.default_rng(0)
    a = rng.random((24, 24))
    b = a + 0.3 * rng.random((24, 24))
    assert spearman(a, a) == pytest.approx(1.0) and spearman(a, -a) == pytest.approx(-1.0)
    assert ssim(a, a) == pytest.approx(1.0)
    # constant maps: SSIM = (2 c1 c2 + C1) / (c1^2 + c2^2 + C1), the structure terms being C2 / C2
    c1, c2 = 0.2, 0.6
    C1 = 0.01**2
    assert ssim(np.full((20, 20), c1), np.full((20, 20), c2)) == pytest.approx(
        (2 * c1 * c2 + C1) / (c1**2 + c2**2 + C1)
    )
    stats = pytest.importorskip("scipy.stats")
    ties = np.round(a * 4), np.round(b * 4)
    assert spearman(*ties) == pytest.approx(stats.spearmanr(ties[0].ravel(), ties[1].ravel())[0])


def test_ssim_matches_scikit_image():
    metrics = pytest.importorskip("skimage.metrics")
    rng = np.random.default_rng(1)
    a = rng.random((32, 32))
    b = np.clip(a + 0.2 * rng.standard_normal((32, 32)), 0, 1)
    ref = metrics.structural_similarity(
        a, b, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    assert ssim(a, b, data_range=1.0) == pytest.approx(ref, abs=1e-10)


def test_sanity_check_runs_on_a_copy(model, image):
    inp, target = image
    groups = cascade_groups(model)
    assert [g for g, _ in groups] == [
        "fc",
        "layer4.1",
        "layer4.0",
        "layer3.1",
        "layer3.0",
        "layer2.1",
        "layer2.0",
        "layer1.1",
        "layer1.0",
        "stem",
    ]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    r = sanity_check(model, inp, methods=["saliency", "gradcam"], target=target)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    assert r.steps[0] == "trained" and len(r.steps) == len(groups) + 1
    for c in r.curves:
        assert c.maps.shape == (len(r.steps), *inp.size)
        assert c.spearman[0] == pytest.approx(1.0) and c.ssim[0] == pytest.approx(1.0)
    with pytest.raises(AttributionBudgetError):
        sanity_check(
            model,
            inp,
            methods=["occlusion"],
            target=target,
            params=MethodParams(window=2, stride=1),
            budget=1000,
        )


def test_deletion_and_insertion_end_where_the_paper_says(model, image):
    inp, target = image
    curve = deletion_insertion(model, inp, random_map(inp.size, seed=1), target=target, steps=4)
    with torch.no_grad():
        prob = lambda x: float(model(x).softmax(1)[0, target])  # noqa: E731
        full = prob(inp.tensor)
        black = prob(make_baseline(inp, "black"))
        blur = prob(make_baseline(inp, "blur"))
    np.testing.assert_allclose(curve.fractions, [0, 0.25, 0.5, 0.75, 1])
    assert curve.deletion[0] == pytest.approx(full, abs=1e-5) and curve.deletion[-1] == pytest.approx(
        black, abs=1e-5
    )
    assert curve.insertion[0] == pytest.approx(blur, abs=1e-5) and curve.insertion[-1] == pytest.approx(
        full, abs=1e-5
    )
    assert curve.deletion_auc == pytest.approx(np.trapezoid(curve.deletion, curve.fractions))


def test_captum_metrics_are_finite_seeded_and_budgeted(model, image):
    inp, target = image
    a = attribute(model, inp, method="saliency", target=target)
    s1 = captum_scores(model, inp, a, n_perturb=4)
    s2 = captum_scores(model, inp, a, n_perturb=4)
    assert s1 == s2 and s1.infidelity >= 0 and s1.sensitivity >= 0
    assert np.isfinite([s1.infidelity, s1.sensitivity]).all()
    g = attribute(model, inp, method="guided_backprop", target=target)
    captum_scores(model, inp, g, n_perturb=2)
    assert hook_count(model) == 0
    with pytest.raises(AttributionBudgetError):
        captum_scores(model, inp, a, n_perturb=4, budget=5)


def test_random_maps_fine_and_coarse():
    fine = random_map((32, 24), seed=0)
    assert fine.shape == (32, 24) and 0 <= fine.min() and fine.max() < 1
    np.testing.assert_array_equal(fine, random_map((32, 24), seed=0))
    coarse = random_map((32, 32), seed=0, cells=4)
    # bilinear upsampling of a 4 x 4 grid: neighbouring pixels differ far less than in the fine map
    assert np.abs(np.diff(coarse, axis=1)).mean() < 0.2 * np.abs(np.diff(random_map((32, 32)), axis=1)).mean()
    with pytest.raises(AttributionError):
        random_map((8, 8), cells=0)


def test_concurrent_attributions_and_inspections_do_not_mix(model, image):
    from resnet_core.inspection import inspect

    inp, target = image
    prepared = Prepared(tensor=inp.tensor, view=inp.view)
    alone_cam = inspect(model, prepared, layer="layer3", target=target).cams[0].heatmap
    alone_gbp = attribute(model, inp, method="guided_backprop", target=target).map
    alone_occ = attribute(model, inp, method="occlusion", target=target, params=FAST).map
    errors: list[BaseException] = []

    def worker(fn) -> None:
        try:
            for _ in range(3):
                fn()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    def gbp() -> None:
        np.testing.assert_array_equal(attribute(model, inp, method="guided_backprop", target=target).map, alone_gbp)

    def occ() -> None:
        got = attribute(model, inp, method="occlusion", target=target, params=FAST).map
        np.testing.assert_allclose(got, alone_occ, rtol=1e-5, atol=1e-6)

    def cam() -> None:
        got = inspect(model, prepared, layer="layer3", target=target).cams[0].heatmap
        np.testing.assert_allclose(got, alone_cam, atol=1e-6)

    threads = [threading.Thread(target=worker, args=(f,)) for f in (gbp, occ, cam, cam)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert hook_count(model) == 0
