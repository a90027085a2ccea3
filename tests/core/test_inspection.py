"""The inspection engine against captum and pytorch-grad-cam, and under concurrency and faults."""

from __future__ import annotations

import gc
import threading

import numpy as np
import pytest
import torch
from _pictures import natural_image
from captum.attr import GuidedGradCam, LayerGradCam
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from resnet_core import build_resnet, describe
from resnet_core.hooks import hook_count
from resnet_core.inspection import InspectionError, inspect, layer_names
from resnet_core.preprocess import Preprocess, prepare


def _tensor(img: np.ndarray, size: int = 224) -> torch.Tensor:
    from PIL import Image

    return prepare(Image.fromarray(img), Preprocess(crop_size=size, resize_size=size)).tensor


@pytest.fixture(scope="module")
def r18() -> torch.nn.Module:
    torch.manual_seed(0)
    return build_resnet(18).eval()


def test_cams_equal_captum_layergradcam_for_any_layer_and_several_targets(r18, image):
    x = _tensor(image)
    targets = [3, 250, 999]
    for layer in ("stem", "layer1", "layer2.1", "layer3", "layer4"):
        res = inspect(r18, image, layer=layer, target=targets, preprocess=Preprocess(crop_size=224, resize_size=224))
        module = r18.maxpool if layer == "stem" else r18.get_submodule(layer)
        for t, cam in zip(targets, res.cams):
            ref = LayerGradCam(r18, module).attribute(x, target=t)[0, 0].detach().numpy()
            assert cam.target == t and cam.layer == layer
            np.testing.assert_allclose(cam.raw, ref, rtol=1e-4, atol=1e-6 * np.abs(ref).max())
            assert cam.heatmap.shape == (224, 224)
            assert 0.0 <= cam.heatmap.min() and cam.heatmap.max() <= 1.0


def test_timeline_equals_captum_at_every_stage(r18, image):
    pre = Preprocess(crop_size=224, resize_size=224)
    x = _tensor(image)
    res = inspect(r18, image, timeline=True, top_k=5, preprocess=pre)
    tl = res.timeline
    assert tl.layers == ("stem", "layer1", "layer2", "layer3", "layer4")
    assert tl.targets == tuple(p.index for p in res.predictions)  # the top five
    for i, layer in enumerate(tl.layers):
        module = r18.maxpool if layer == "stem" else r18.get_submodule(layer)
        for j, t in enumerate(tl.targets):
            ref = LayerGradCam(r18, module).attribute(x, target=t)[0, 0].detach().numpy()
            np.testing.assert_allclose(tl.maps[i][j].raw, ref, rtol=1e-4, atol=1e-6 * np.abs(ref).max())


def test_a_timeline_asked_for_its_classes_equals_the_one_pass_timeline(r18, image):
    """The app on a CPU shows the rest first and asks for the timeline in a second pass, naming
    the top five classes of the first (and the cheapest main layer, the stem); the maps must be
    those of the single pass, which the test above holds to captum."""
    pre = Preprocess(crop_size=224, resize_size=224)
    one_pass = inspect(r18, image, timeline=True, top_k=5, preprocess=pre)
    first = inspect(r18, image, top_k=5, preprocess=pre)
    assert first.timeline is None
    classes = tuple(p.index for p in first.predictions)
    second = inspect(r18, image, layer="stem", target=classes, top_k=1, max_channels=1, timeline=True, preprocess=pre)
    a, b = one_pass.timeline, second.timeline
    assert (a.layers, a.targets, a.labels) == (b.layers, b.targets, b.labels)
    assert np.array_equal(a.image, b.image)
    for row_a, row_b in zip(a.maps, b.maps):
        for m, n in zip(row_a, row_b):
            assert (m.layer, m.target) == (n.layer, n.target)
            np.testing.assert_allclose(n.raw, m.raw, rtol=1e-5, atol=1e-7 * np.abs(m.raw).max())
            np.testing.assert_allclose(n.heatmap, m.heatmap, atol=1e-5)


def test_guided_gradcam_equals_captum(r18, image):
    x = _tensor(image)
    res = inspect(r18, image, layer="layer3", target=7, guided=True, preprocess=Preprocess(crop_size=224, resize_size=224))
    ref = GuidedGradCam(r18, r18.layer3).attribute(x, target=7)[0].detach().abs().sum(0).numpy()
    ref = ref / ref.max()
    np.testing.assert_allclose(res.guided, ref, atol=1e-4)
    # the same forward served the plain Grad-CAM too: still identical to captum
    cam_ref = LayerGradCam(r18, r18.layer3).attribute(x, target=7)[0, 0].detach().numpy()
    np.testing.assert_allclose(res.cam.raw, cam_ref, rtol=1e-4, atol=1e-6 * np.abs(cam_ref).max())


@pytest.mark.slow
@pytest.mark.parametrize("depth", [18, 34, 50, 101, 152])
def test_layer4_map_agrees_with_pytorch_grad_cam(depth):
    torch.manual_seed(depth)
    model = build_resnet(depth).eval()
    img = natural_image(seed=depth)
    pre = Preprocess(crop_size=224, resize_size=224)
    res = inspect(model, img, preprocess=pre)  # top-1 class
    x = _tensor(img)
    with GradCAM(model=model, target_layers=[model.layer4]) as ref_cam:
        ref = ref_cam(input_tensor=x, targets=[ClassifierOutputTarget(res.cam.target)])[0]
    assert ref.shape == res.cam.heatmap.shape
    if ref.max() == 0:  # nothing positive: both must be blank
        assert res.cam.heatmap.max() == 0
        return
    r = np.corrcoef(ref.ravel(), res.cam.heatmap.ravel())[0, 1]
    assert r >= 0.99, f"ResNet-{depth}: Pearson {r:.4f} against pytorch-grad-cam"


def test_predictions_activations_and_shapes_follow_the_input(r18):
    img = natural_image(300, 471)
    res = inspect(r18, img, mode="whole", size=257, top_k=1000, categories=[f"c{i}" for i in range(1000)])
    h, w = res.input_size
    assert max(h, w) == 257 and h < w  # whole picture, aspect kept
    assert res.image.shape == (h, w, 3) and res.image.dtype == np.uint8
    assert len(res.predictions) == 1000
    probs = [p.probability for p in res.predictions]
    assert probs == sorted(probs, reverse=True) and abs(sum(probs) - 1) < 1e-4
    # the ranking is a plain forward's softmax of the same tensor
    from PIL import Image

    with torch.no_grad():
        ref = r18(prepare(Image.fromarray(img), mode="whole", size=257).tensor)[0].softmax(0)
    assert [p.index for p in res.predictions[:5]] == ref.topk(5).indices.tolist()
    assert res.predictions[0].probability == pytest.approx(ref.max().item(), rel=1e-4)
    arch = describe(r18, (h, w))
    names = [a.name for a in res.activations]
    assert names == list(layer_names(r18))
    for a in res.activations:
        assert a.shape == arch.output_shape(a.name)
        assert a.maps.dtype == np.uint8 and a.maps.shape[0] == len(a.channels) == 8
        assert 0.0 <= a.zero_fraction <= 1.0
    assert res.cam.heatmap.shape == (h, w)
    assert res.predictions[0].label == f"c{res.predictions[0].index}"


def test_activation_statistics_match_the_real_feature_map(r18, image):
    pre = Preprocess(crop_size=224, resize_size=224)
    res = inspect(r18, image, preprocess=pre, max_channels=4)
    with torch.no_grad():
        feat = r18.layer2(r18.layer1(r18.stem(_tensor(image))))[0]
    a = res.activation("layer2")
    assert a.mean == pytest.approx(feat.mean().item(), rel=1e-4)
    assert a.zero_fraction == pytest.approx((feat == 0).float().mean().item(), abs=1e-6)
    strongest = feat.mean(dim=(1, 2)).topk(4).indices.tolist()
    assert list(a.channels) == strongest
    np.testing.assert_allclose(a.values()[0], feat[strongest[0]].numpy(), atol=(a.ranges[0, 1] - a.ranges[0, 0]) / 255)


def test_bad_requests_give_clear_errors(r18, image):
    with pytest.raises(InspectionError, match="no layer called"):
        inspect(r18, image, layer="layer9")
    with pytest.raises(InspectionError, match="target"):
        inspect(r18, image, target=1000)
    with pytest.raises(InspectionError, match="target"):
        inspect(r18, image, target=[-1])
    with pytest.raises(InspectionError, match="top_k"):
        inspect(r18, image, top_k=0)
    model = build_resnet(18).train()
    with pytest.raises(InspectionError, match="training mode"):
        inspect(model, image)
    assert hook_count(r18) == 0


def test_an_exception_in_forward_leaves_no_hook_and_flags_as_they_were(image):
    model = build_resnet(18).eval()
    model.layer1.requires_grad_(False)
    flags = [p.requires_grad for p in model.parameters()]
    good = inspect(model, image, layer="layer3", target=5)
    original = model.layer2[1].forward

    def boom(x):
        raise RuntimeError("simulated failure inside forward")

    model.layer2[1].forward = boom
    with pytest.raises(RuntimeError, match="simulated"):
        inspect(model, image, layer="layer3", target=5, guided=True)
    model.layer2[1].forward = original
    assert hook_count(model) == 0
    assert not model.training
    assert [p.requires_grad for p in model.parameters()] == flags
    again = inspect(model, image, layer="layer3", target=5)
    np.testing.assert_array_equal(again.cam.heatmap, good.cam.heatmap)


def test_no_parameter_gradients_are_computed(image):
    model = build_resnet(18).eval()
    inspect(model, image, target=[1, 2], guided=True, timeline=True)
    assert all(p.grad is None for p in model.parameters())


def _signature(res):
    return (
        [p.index for p in res.predictions],
        [c.heatmap for c in res.cams],
        [a.maps for a in res.activations],
        [a.channels for a in res.activations],
    )


def test_concurrent_users_each_get_their_single_user_result(r18):
    jobs = [
        dict(image=natural_image(seed=s), layer=layer, target=t)
        for s, layer, t in [
            (1, "layer4", None),
            (2, "layer3", 17),
            (3, "layer2.1", [5, 9]),
            (4, "stem", 300),
            (5, "layer1.0", None),
            (6, "layer4.1", 999),
            (7, "layer3.0", [1, 2, 3]),
            (8, "layer2", 42),
        ]
    ]
    alone = [_signature(inspect(r18, **job)) for job in jobs]
    results: list = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def work(i: int) -> None:
        barrier.wait()
        for _ in range(2):
            results[i] = _signature(inspect(r18, **jobs[i]))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for single, together in zip(alone, results):
        assert single[0] == together[0]
        for a, b in zip(single[1], together[1]):
            np.testing.assert_allclose(a, b, atol=1e-5)
        assert single[3] == together[3]
        for a, b in zip(single[2], together[2]):
            assert np.abs(a.astype(int) - b.astype(int)).max() <= 1
    assert hook_count(r18) == 0


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


@pytest.mark.slow
def test_200_inspections_leave_no_hook_and_no_memory_growth():
    model = build_resnet(("basic", (1, 1, 1, 1))).eval()
    img = natural_image(96, 96)
    for _ in range(20):
        inspect(model, img, size=64, target=[1, 2], timeline=True)
    gc.collect()
    before = _rss_mb()
    for i in range(200):
        inspect(model, img, size=64, target=[i % 1000, 7], timeline=i % 2 == 0, guided=i % 3 == 0)
        assert hook_count(model) == 0
    gc.collect()
    grown = _rss_mb() - before
    assert grown < 25, f"resident memory grew by {grown:.1f} MB over 200 inspections"


def test_leaf_capture_and_patches_hold_for_one_thread_and_one_call() -> None:
    # the engine's hooks: a frozen model's layer output becomes a leaf whose gradient is the
    # one autograd gives through an unfrozen copy; a patch seen by this thread only; none left
    from resnet_core.hooks import capture_outputs, patch_modules

    torch.manual_seed(1)
    frozen = build_resnet(18).eval().requires_grad_(False)
    x = torch.randn(1, 3, 64, 64)
    with capture_outputs(frozen, ["layer3", "layer4"], leaves={"layer3"}) as store:
        logits = frozen(x)
    assert store["layer3"].is_leaf and store["layer3"].requires_grad
    assert not store["layer4"].requires_grad or not store["layer4"].is_leaf
    (g,) = torch.autograd.grad(logits[0, 7], store["layer3"])
    live = build_resnet(18).eval()
    live.load_state_dict(frozen.state_dict())
    out = {}
    handle = live.layer3.register_forward_hook(lambda m, a, o: out.setdefault("layer3", o.retain_grad() or o))
    try:
        live(x)[0, 7].backward()
    finally:
        handle.remove()
    torch.testing.assert_close(g, out["layer3"].grad)

    other: dict[str, torch.Tensor] = {}
    with patch_modules([frozen.layer4], lambda o: o * 0, prepend=True):
        with capture_outputs(frozen, ["layer4"]) as mine:
            frozen(x)
        thread = threading.Thread(target=lambda: other.setdefault("y", frozen(x)))
        thread.start()
        thread.join()
    assert torch.count_nonzero(mine["layer4"]) == 0  # the patch ran before the capture
    torch.testing.assert_close(other["y"], frozen(x))  # another thread never saw the patch
    assert hook_count(frozen) == 0
