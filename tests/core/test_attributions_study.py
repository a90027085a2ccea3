"""The Attributions tab's studies (resnet_core.attributions.study) run through a LocalBackend.

The maps must be captum's own (its classes called here directly, with the input made here by
hand); a request is refused before any forward pass when all its methods together are past one
budget; its forward batches stay within the memory bound; a checkpoint's preprocessing cannot
take the input side past the cap or the cost limit; a set cancel flag stops a study.
"""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest
import torch
from _models import checkpoint_asking_for
from captum.attr import GradientShap, IntegratedGradients, Occlusion, Saliency

from resnet_core.attributions.inputs import AttributionError, attribution_input, baseline_distribution
from resnet_core.attributions.registry import AttributionBudgetError, MethodParams
from resnet_core.attributions.study import (
    BATCH_GMACS,
    AttributionCall,
    AttributionMaps,
    FaithfulnessStudy,
    Progress,
    SanityStudy,
)
from resnet_core.backends import LocalBackend
from resnet_core.images import load_image
from resnet_core.model import ResNet
from resnet_core.preprocess import MAX_INPUT_SIZE, Prepared, Preprocess
from resnet_core.serving import BudgetError, architecture_of
from resnet_core.studies import Cancelled, registry
from resnet_core.toy import TOY_PREPROCESS, example_images, load_toy
from resnet_core.zoo import ModelKey


@pytest.fixture(scope="module")
def backend(one_thread: None, backend: LocalBackend) -> LocalBackend:
    """The shared ``backend`` (tests/conftest.py), with one torch thread while this module runs."""
    return backend


@pytest.fixture(scope="module")
def picture() -> np.ndarray:
    return np.asarray(load_image(example_images()[1]))  # (32, 32, 3) uint8, a ring


def by_hand(picture: np.ndarray) -> tuple[torch.nn.Module, torch.Tensor, int]:
    """The toy model, the picture normalised with the toy's own statistics, and its top-1 class."""
    toy = load_toy()
    assert picture.shape == (toy.preprocess.crop_size,) * 2 + (3,)  # no resize: the picture is 32x32
    mean = torch.tensor(toy.preprocess.mean).view(1, 3, 1, 1)
    std = torch.tensor(toy.preprocess.std).view(1, 3, 1, 1)
    x = (torch.from_numpy(picture).permute(2, 0, 1)[None].float() / 255 - mean) / std  # (1, 3, 32, 32)
    model = toy.model.eval()
    with torch.no_grad():
        target = int(model(x).argmax(1))
    return model, x, target


def test_the_three_studies_are_registered() -> None:
    assert {"attribute", "sanity_check", "faithfulness"} <= set(registry())


def test_attribute_gives_captums_own_maps(backend: LocalBackend, picture: np.ndarray) -> None:
    params = MethodParams(steps=8, window=8, stride=4, shap_samples=6, shap_baselines=4, batch=8)
    call = AttributionCall(picture, methods=("saliency", "integrated_gradients", "occlusion", "gradient_shap"),
                           params=params)
    records = list(backend.run("attribute", call))
    assert isinstance(records[0], Progress) and isinstance(records[-1], AttributionMaps) and records[-1].complete
    maps = {a.method: a.map for a in records[-1].attributions}
    model, x, target = by_hand(picture)
    assert records[-1].subject.target == target
    black = torch.full_like(x, (0.0 - 0.5) / 0.25)  # the black picture in the toy's input space
    # GradientShap's references: the library's (black, blur, two noises), seeded as the study seeds
    references = baseline_distribution(attribution_input(Prepared(x, picture), TOY_PREPROCESS), 4, seed=0)
    x = x.clone().requires_grad_(True)
    want = {
        "saliency": lambda: Saliency(model).attribute(x, target=target, abs=True),
        "integrated_gradients": lambda: IntegratedGradients(model).attribute(x, baselines=black, target=target,
                                                                             n_steps=8),
        "occlusion": lambda: Occlusion(model).attribute(x, sliding_window_shapes=(3, 8, 8), strides=(3, 4, 4),
                                                        baselines=black, target=target),
        "gradient_shap": lambda: GradientShap(model).attribute(x, baselines=references, n_samples=6,
                                                               stdevs=0.15 * float(x.max() - x.min()), target=target),
    }
    for method, attribution in want.items():
        torch.manual_seed(0)
        np.random.seed(0)
        ref = attribution().detach().sum(1)[0].numpy()
        np.testing.assert_allclose(maps[method], ref, rtol=1e-4, atol=1e-5 * float(np.abs(ref).max()), err_msg=method)


def test_deeplift_shap_in_chunks_is_the_mean_over_every_baseline(backend: LocalBackend, picture: np.ndarray) -> None:
    whole = AttributionCall(picture, methods=("deeplift_shap",), params=MethodParams(shap_baselines=5, batch=32))
    chunked = dataclasses.replace(whole, params=MethodParams(shap_baselines=5, batch=4))  # 2 + 3 baselines
    (*_, one), (*_, two) = backend.run("attribute", whole), backend.run("attribute", chunked)
    assert two.subject.batch == 4
    a, b = one.attributions[0].map, two.attributions[0].map
    np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6 * float(np.abs(a).max()))


def test_one_budget_for_the_whole_request_refused_before_any_pass(backend, picture, monkeypatch) -> None:
    passes: list[int] = []
    forward = ResNet.forward
    monkeypatch.setattr(ResNet, "forward", lambda self, x: passes.append(x.shape[0]) or forward(self, x))
    # on the 32x32 toy: Shapley 1 + 12 x 256 cells = 3,073 images, Occlusion 1 + 32 x 32 windows = 1,025;
    # each fits the request's 4,096 alone (a budget per method let both run), together with the
    # top-1 pass they need 4,099
    shapley = MethodParams(mask="grid", cell=2, shapley_samples=12, window=1, stride=1)
    both = AttributionCall(picture, methods=("shapley", "occlusion"), params=shapley)
    with pytest.raises(AttributionBudgetError, match=r"would send 4,099 images .* the limit per request is 4,096"):
        list(backend.run("attribute", both))
    with pytest.raises(AttributionBudgetError, match="limit per request"):
        list(backend.run("faithfulness", dataclasses.replace(both, methods=("shapley",))))
    assert passes == []  # refused before the first forward pass, not after 14 s of work


@pytest.mark.slow
def test_forward_batches_stay_within_the_memory_bound(backend, picture, monkeypatch) -> None:
    key = ModelKey(50, weights="random")
    macs = architecture_of(50, "v1.5", (224, 224)).macs
    limit = int(BATCH_GMACS["cpu"] * 1e9 // macs)  # 11 images of a ResNet-50 at 224
    assert 1 < limit < 32
    backend.info(key)  # built (and checked once) before the batches are counted
    batches: list[int] = []
    forward = ResNet.forward
    monkeypatch.setattr(ResNet, "forward", lambda self, x: batches.append(x.shape[0]) or forward(self, x))
    call = AttributionCall(picture, model=key, methods=("integrated_gradients",), target=3,
                           params=MethodParams(steps=limit + 2, batch=32))
    (*_, maps) = backend.run("attribute", call)
    assert maps.subject.batch == limit and max(batches) == limit and sum(batches) == limit + 2


def test_a_checkpoints_crop_size_is_no_way_past_the_cap_or_the_cost(backend, picture, monkeypatch) -> None:
    passes: list[int] = []
    forward = ResNet.forward
    monkeypatch.setattr(ResNet, "forward", lambda self, x: passes.append(1) or forward(self, x))
    huge = checkpoint_asking_for(3072)
    call = AttributionCall(picture, model=huge.key, methods=("saliency",), checkpoint=huge)
    for name in ("attribute", "sanity_check", "faithfulness"):
        with pytest.raises(AttributionError, match=f"3072-pixel inputs; this server takes 1 to {MAX_INPUT_SIZE}"):
            list(backend.run(name, call))
    # within the cap but past the cost of one pass: a ResNet-34 at 1024 is 76 GMACs, the limit 50
    big = checkpoint_asking_for(1024, depth=34)
    with pytest.raises(BudgetError, match="1024×1024"):
        list(backend.run("attribute", AttributionCall(picture, model=big.key, methods=("saliency",), checkpoint=big)))
    assert passes == []


def test_the_shared_prepare_checks_the_weights_own_size(picture) -> None:
    """What the ablation and Compare depths use too: a checkpoint's crop size is held to the cap."""
    from resnet_core.images import ImageError
    from resnet_core.preprocess import prepare

    with pytest.raises(ImageError, match=f"ask for 3072-pixel inputs; this server takes 1 to {MAX_INPUT_SIZE}"):
        prepare(picture, Preprocess(crop_size=3072, resize_size=3072))


def test_sanity_and_faithfulness_give_progress_then_their_result(backend, picture) -> None:
    call = AttributionCall(picture, methods=("gradcam", "saliency"), params=MethodParams(layer="layer4"))
    records = list(backend.run("sanity_check", call))
    fractions = [r.fraction for r in records if isinstance(r, Progress)]
    assert fractions and fractions == sorted(fractions) and isinstance(records[-1], SanityStudy)
    assert [c.method for c in records[-1].result.curves] == ["gradcam", "saliency"]
    records = list(backend.run("faithfulness", call))
    final = records[-1]
    assert isinstance(final, FaithfulnessStudy)
    assert [c.method for c in final.curves] == ["gradcam", "saliency", "random", "random"]
    assert len(final.scores) == 2


def test_a_set_cancel_flag_stops_a_study_between_methods(backend, picture) -> None:
    stop = threading.Event()
    run = backend.run("attribute", AttributionCall(picture, methods=("saliency", "occlusion")), cancel=stop)
    assert isinstance(next(run), Progress)
    assert isinstance(next(run), AttributionMaps)  # saliency done
    stop.set()
    with pytest.raises(Cancelled):
        next(run)
    sanity = backend.run("sanity_check", AttributionCall(picture, methods=("occlusion",)), cancel=stop)
    with pytest.raises(Cancelled):
        list(sanity)


def test_bad_calls_get_one_plain_error(picture) -> None:
    with pytest.raises(ValueError, match="at least one method"):
        AttributionCall(picture, methods=())
    with pytest.raises(ValueError, match="unknown method"):
        AttributionCall(picture, methods=("nope",))
    with pytest.raises(ValueError, match="picture"):
        AttributionCall(picture.astype(np.float32))
    with pytest.raises(ValueError, match="input size"):
        AttributionCall(picture, size=MAX_INPUT_SIZE + 1)


def test_the_sanity_budget_counts_every_picture_before_any_pass(backend, picture, monkeypatch) -> None:
    passes: list[int] = []
    forward = ResNet.forward
    monkeypatch.setattr(ResNet, "forward", lambda self, x: passes.append(x.shape[0]) or forward(self, x))
    # the toy's cascade has 11 steps (trained, fc, 8 blocks, the stem); Integrated Gradients with 125
    # steps sends 125 images a step: 1,375 a picture (one picture fits the 4,096 of a request), three
    # pictures 4,125 and their three top-1 passes 4,128
    call = AttributionCall(picture, methods=("integrated_gradients",), params=MethodParams(steps=125), pictures=3)
    with pytest.raises(AttributionBudgetError, match=r"would send 4,128 images .* the limit per request is 4,096"):
        list(backend.run("sanity_check", call))
    assert passes == []  # refused before the first picture's first forward pass
    with pytest.raises(ValueError, match="number of pictures is a whole number from 1 to 4"):
        AttributionCall(picture, pictures=5)


@pytest.mark.slow
def test_the_sanity_check_over_three_pictures_judges_as_adebayo_et_al(backend, picture) -> None:
    """Adebayo et al. (2018, Fig. 2 and section 4): with the top layers random, Guided Backprop's map
    stays alike (it fails), the gradient's and Grad-CAM's change (they pass); here over three pictures
    of the shipped toy model, the request's ring and then the toy examples in name order."""
    call = AttributionCall(picture, methods=("guided_backprop", "gradcam", "saliency"),
                           params=MethodParams(layer="layer4"), pictures=3)
    records = list(backend.run("sanity_check", call))
    fractions = [r.fraction for r in records if isinstance(r, Progress)]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    study = records[-1]
    assert isinstance(study, SanityStudy) and len(study.results) == 3 and study.results[0] is study.result
    verdict = {j.method: j for j in study.judgements}
    assert all(len(j.spearman) == 3 and j.top_step == "layer4.0" for j in verdict.values())
    assert not verdict["guided_backprop"].passes
    assert verdict["gradcam"].passes and verdict["saliency"].passes
    # each picture's own cascade, read at the top by hand: the mean the verdict reports is theirs
    top = study.result.steps.index("layer4.0")
    by_hand = np.mean([r.curves[0].spearman[top] for r in study.results])
    assert verdict["guided_backprop"].mean == pytest.approx(by_hand)
    # the extra pictures are the toy examples after the ring, not the ring again
    views = [r.curves[0].maps[0] for r in study.results]
    assert not np.allclose(views[0], views[1]) and not np.allclose(views[1], views[2])
