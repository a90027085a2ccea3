"""The fast paths give the answers of the plain float32 model: predictions and Grad-CAM."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from _models import randomize_bn
from _pictures import natural_image
from PIL import Image

from resnet_core import build_resnet
from resnet_core.fast import FastPredictor, bf16_supported, fold_batchnorm, private_copy, reduced_precision
from resnet_core.hooks import capture_outputs, hook_count
from resnet_core.inspection import inspect
from resnet_core.preprocess import prepare

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _images(n: int = 3) -> list[np.ndarray]:
    return [natural_image(seed=s) for s in range(n)]


def _batch(images: list[np.ndarray]) -> torch.Tensor:
    return torch.cat([prepare(Image.fromarray(i)).tensor for i in images])  # (B, 3, 224, 224)


def confident_model(depth: int | tuple, images: list[np.ndarray], *, seed: int = 0) -> torch.nn.Module:
    """A random backbone with a classifier that tells the given images apart by a wide margin.

    Random weights put every class within a hair of the others, so any rounding would flip
    the top-1; a trained network does not. Class ``100 * i + 7`` is made to point at image
    ``i``'s (centred) features, the way a trained classifier's rows point at their class.
    """
    torch.manual_seed(seed)
    model = build_resnet(depth).eval()
    randomize_bn(model)
    with torch.no_grad():
        feats = torch.flatten(model.avgpool(model.features(_batch(images))), 1)  # (N, C)
        mu = feats.mean(0)
        dirs = feats - mu
        dirs = dirs / dirs.norm(dim=1, keepdim=True)
        model.fc.weight.mul_(0.1)
        model.fc.bias.zero_()
        for i, d in enumerate(dirs):
            model.fc.weight[100 * i + 7] = 50 * d
            model.fc.bias[100 * i + 7] = -(50 * d) @ mu
    return model


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if a.max() == 0 and b.max() == 0:  # both blank: the same picture
        return 1.0
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


# --------------------------------------------------------------------------- folding BN


@pytest.mark.parametrize("depth", [18, 50, ("basic", (1, 1, 1, 1))])
def test_folding_batchnorm_keeps_the_logits(depth):
    model = build_resnet(depth).eval()
    randomize_bn(model)
    twin = private_copy(model)
    folded = fold_batchnorm(twin)
    assert folded == sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in twin.modules())
    assert [n for n, _ in twin.named_modules()] == [n for n, _ in model.named_modules()]
    x = _batch(_images(2))
    with torch.no_grad():
        ref, out = model(x), twin(x)
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4 * ref.abs().max().item())


@pytest.mark.parametrize("depth", [18, ("bottleneck", (1, 1, 1, 1))])
def test_pre_activation_blocks_fold_the_bns_that_follow_a_conv_and_keep_the_first(depth):
    model = build_resnet(depth, variant="preact").eval()
    randomize_bn(model)
    twin = private_copy(model)
    folded = fold_batchnorm(twin)
    # BN -> ReLU -> conv -> BN ...: only a block's first BN follows no conv of its own (it reads the
    # previous sum), and bn_final reads the last sum; every other BN follows a conv and is folded
    kept = sorted(n for n, m in twin.named_modules() if isinstance(m, torch.nn.BatchNorm2d))
    assert kept == sorted([f"{b}.bn1" for b in model.block_names()] + ["bn_final"])
    assert folded == sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()) - len(kept)
    x = _batch(_images(1))
    with torch.no_grad():
        ref = model(x)
        torch.testing.assert_close(twin(x), ref, rtol=1e-4, atol=1e-4 * ref.abs().max().item())


def test_folding_refuses_a_training_model():
    with pytest.raises(ValueError, match="eval"):
        fold_batchnorm(build_resnet(18).train())


# --------------------------------------------------------------------------- forward-only


def test_fast_predictor_matches_eager_and_leaves_the_served_model_alone():
    images = _images(3)
    model = confident_model(18, images)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = _batch(images)
    fast = FastPredictor(model)
    assert fast.describe()["cuda_graphs"] is False  # no graphs on a CPU
    preds = fast.predict(x, top_k=5, categories=[f"c{i}" for i in range(1000)])
    with torch.no_grad():
        ref = model(x).softmax(1)
    for p, r in zip(preds, ref):
        assert [q.index for q in p] == r.topk(5).indices.tolist()
        assert p[0].probability == pytest.approx(r.max().item(), rel=1e-4)
        assert p[0].label == f"c{p[0].index}"
    assert [p[0].index for p in preds] == [7, 107, 207]
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    assert hook_count(model) == 0 and model.fc.weight.requires_grad


def test_fast_predictor_ignores_hooks_that_were_on_the_model_when_it_was_copied():
    model = build_resnet(("basic", (1, 1, 1, 1))).eval()
    with capture_outputs(model, ["layer1"]):  # another request is running right now
        fast = FastPredictor(model)
    assert hook_count(fast.model) == 0


def test_channels_last_gives_the_same_logits():
    images = _images(2)
    model = confident_model(50, images)
    x = _batch(images)
    plain = FastPredictor(model, channels_last=False, fold_bn=False).logits(x)
    nhwc = FastPredictor(model, channels_last=True).logits(x)
    torch.testing.assert_close(nhwc, plain, rtol=1e-4, atol=1e-4 * plain.abs().max().item())
    assert nhwc.argmax(1).tolist() == [7, 107]


def test_fast_predictor_is_safe_under_threads():
    images = _images(4)
    model = confident_model(18, images)
    fast = FastPredictor(model)
    xs = [_batch([img]) for img in images]
    want = [fast.predict(x)[0][0].index for x in xs]
    got: list = [None] * 8
    barrier = threading.Barrier(8)

    def work(i: int) -> None:
        barrier.wait()
        got[i] = fast.predict(xs[i % 4])[0][0].index

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == want * 2


@pytest.mark.skipif(not bf16_supported(torch.device("cpu")), reason="no bf16 on this CPU")
def test_bf16_forward_keeps_the_top1():
    images = _images(3)
    model = confident_model(50, images)
    x = _batch(images)
    fp32 = FastPredictor(model, dtype=torch.float32).predict(x)
    bf16 = FastPredictor(model, dtype=torch.bfloat16).predict(x)
    assert [p[0].index for p in bf16] == [p[0].index for p in fp32] == [7, 107, 207]


# --------------------------------------------------------------------------- reduced-precision inspection


@pytest.mark.parametrize("depth", [18, 50])
def test_bf16_inspection_keeps_top1_and_gradcam(depth):
    images = _images(3)
    model = confident_model(depth, images)
    low = reduced_precision(model, channels_last=True)
    assert low.model is not model and low.dtype == torch.bfloat16
    for img in images:
        ref = inspect(model, img)
        got = inspect(low.model, img)
        assert got.predictions[0].index == ref.predictions[0].index
        r = _corr(ref.cam.heatmap, got.cam.heatmap)
        assert r >= 0.98, f"ResNet-{depth}: Grad-CAM correlation {r:.4f} in bf16"
        assert got.cam.heatmap.dtype == np.float32 and got.activations[0].maps.dtype == np.uint8


def test_bf16_autocast_of_a_float32_model_keeps_top1_and_gradcam():
    images = _images(2)
    model = confident_model(50, images)
    for img in images:
        ref = inspect(model, img)
        got = inspect(model, img, dtype=torch.bfloat16)
        assert got.predictions[0].index == ref.predictions[0].index
        assert _corr(ref.cam.heatmap, got.cam.heatmap) >= 0.98
    assert model.fc.weight.dtype == torch.float32  # autocast leaves the model alone


def test_bf16_batched_inspection_agrees_with_float32():
    from resnet_core.inspection import make_request, run_requests

    images = _images(3)
    model = confident_model(18, images)
    low = reduced_precision(model)
    refs = [inspect(model, img, timeline=True) for img in images]
    got = run_requests(low.model, [make_request(low.model, img, timeline=True) for img in images])
    for ref, res in zip(refs, got):
        assert res.predictions[0].index == ref.predictions[0].index
        assert _corr(ref.cam.heatmap, res.cam.heatmap) >= 0.98
        assert res.timeline.targets[0] == ref.timeline.targets[0]


def test_bf16_inspection_of_a_random_network_keeps_its_layer4_map():
    # no margin at all between classes: hold the map for the same (fp32 top-1) class
    torch.manual_seed(3)
    model = build_resnet(18).eval()
    low = reduced_precision(model)
    img = natural_image(seed=3)
    ref = inspect(model, img)
    got = inspect(low.model, img, target=ref.cam.target)
    assert _corr(ref.cam.heatmap, got.cam.heatmap) >= 0.98


# --------------------------------------------------------------------------- CUDA only


@cuda
def test_cuda_graph_replays_equal_eager_bf16():
    images = _images(3)
    model = confident_model(50, images).cuda()
    x = _batch(images).cuda()
    graphed = FastPredictor(model)
    eager = FastPredictor(model, cuda_graphs=False)
    assert graphed.describe()["cuda_graphs"] and graphed.dtype == torch.bfloat16
    a, b = graphed.logits(x), eager.logits(x)
    torch.testing.assert_close(a, b, rtol=1e-2, atol=1e-2 * b.abs().max().item())  # same kernels, replayed
    assert graphed.captures == 1
    for i in range(3):  # another shape, then back: one capture per shape
        one = graphed.logits(x[i : i + 1])
        ref_one = eager.logits(x[i : i + 1])
        torch.testing.assert_close(one, ref_one, rtol=1e-2, atol=1e-2 * ref_one.abs().max().item())
    graphed.logits(x)
    assert graphed.captures == 2
    with torch.no_grad():
        ref = model(x)
    assert a.argmax(1).tolist() == ref.argmax(1).tolist() == [7, 107, 207]


@cuda
def test_cuda_graph_outputs_are_not_overwritten_by_the_next_replay():
    images = _images(2)
    model = confident_model(18, images).cuda()
    fast = FastPredictor(model)
    xs = [_batch([i]).cuda() for i in images]
    first = fast.logits(xs[0])
    fast.logits(xs[1])
    assert first.argmax(1).item() == 7


@cuda
@pytest.mark.parametrize("depth", [18, 50, 152])
def test_bf16_channels_last_inspection_on_cuda_keeps_top1_and_gradcam(depth):
    images = _images(3)
    model = confident_model(depth, images).cuda()
    low = reduced_precision(model)
    for img in images:
        ref = inspect(model, img, timeline=True)
        got = inspect(low.model, img, timeline=True)
        assert got.predictions[0].index == ref.predictions[0].index
        assert _corr(ref.cam.heatmap, got.cam.heatmap) >= 0.98
        assert _corr(ref.timeline.maps[-1][0].heatmap, got.timeline.maps[-1][0].heatmap) >= 0.98
