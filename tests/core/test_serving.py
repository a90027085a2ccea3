"""resnet_core.serving: one bounded cache for every model copy, the budget, the progressive inspection."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
import torch
from _pictures import natural_image

from resnet_core.inspection import inspect
from resnet_core.preprocess import prepare
from resnet_core.serving import BudgetError, ModelService, ServiceConfig
from resnet_core.zoo import ModelKey


def tiny_keys(n: int) -> list[ModelKey]:
    """``n`` different small architectures (custom basic-block counts), random weights."""
    counts = [(a, b, 1, 1) for a in (1, 2, 3) for b in (1, 2, 3)]
    return [ModelKey(("basic", c), "v1.5", "random") for c in counts[:n]]


@pytest.mark.slow
def test_cycling_past_the_bound_keeps_at_most_the_bound_of_model_copies() -> None:
    """Every model copy counts: the served model and the fast path's folded copy. Copies the
    cache has let go are really gone (nothing else holds them)."""
    bound = 3
    service = ModelService(ServiceConfig(device="cpu", offline=True, max_models=bound, warm_up=False))
    picture = natural_image(64, 64)
    keys = tiny_keys(6)
    copies: list[weakref.ref] = []
    for key in keys + keys[:2]:
        served = service.get(key, size=64)
        prepared = prepare(picture, served.weights.preprocess, size=64)
        predictor = service.predictor(served)
        predictor.predict(prepared.tensor, top_k=3)
        for _ in service.inspect(served, prepared, layer="layer4"):
            pass
        copies += [weakref.ref(served.model), weakref.ref(predictor.model)]
        del served, prepared, predictor
        gc.collect()
        assert service.live_copies() <= bound
        alive = sum(ref() is not None for ref in copies)
        assert alive <= bound, f"{alive} model copies alive, the bound is {bound}"
    assert keys[1] in service  # the most recent one stays


def test_the_budget_is_checked_before_anything_is_built() -> None:
    service = ModelService(ServiceConfig(device="cpu", offline=True, max_gmacs=1.0, max_params=30_000_000, warm_up=False))
    with pytest.raises(BudgetError, match="GMACs per pass") as caught:
        service.get(ModelKey(50, "v1.5", "random"), size=224)
    assert caught.value.kind == "macs" and caught.value.fits in (96, 128, 160)
    # ResNet-50 at 224 is 4.1 GMACs: the largest 32-multiple that fits 1 GMAC is 96 (4.1*(96/224)^2=0.75)
    assert caught.value.fits == 96
    with pytest.raises(BudgetError, match="parameters"):
        service.get(ModelKey(101, "v1.5", "random"), size=32)
    assert service.builds == 0


def test_the_progressive_inspection_ends_with_the_one_pass_result() -> None:
    """timeline_after: first the result without its timeline, then the whole one, equal to one pass."""
    service = ModelService(ServiceConfig(device="cpu", offline=True, timeline_after=True, warm_up=False))
    served = service.get(ModelKey(("basic", (1, 1, 1, 1)), "v1.5", "random"), size=64)
    prepared = prepare(natural_image(80, 96, seed=2), served.weights.preprocess, size=64)
    updates = list(service.inspect(served, prepared, layer="layer3", top_k=5))
    assert [pending for _, pending in updates] == [True, False]
    assert updates[0][0].timeline is None
    final = updates[-1][0]
    one_pass = inspect(served.model, prepared, layer="layer3", top_k=5, categories=served.weights.categories, timeline=True)
    assert [p.index for p in final.predictions] == [p.index for p in one_pass.predictions]
    assert final.timeline.targets == one_pass.timeline.targets
    for got_row, want_row in zip(final.timeline.maps, one_pass.timeline.maps):
        for got, want in zip(got_row, want_row):
            np.testing.assert_allclose(got.heatmap, want.heatmap, atol=1e-5)


def test_a_user_checkpoint_gets_engines_of_its_own(tmp_path) -> None:
    import safetensors.torch

    from resnet_core.model import build_resnet

    service = ModelService(ServiceConfig(device="cpu", offline=True, warm_up=False))
    key = ModelKey(("basic", (1, 1, 1, 1)), "v1.5", "random")
    model = build_resnet(key.depth, num_classes=7)
    path = tmp_path / "mine.safetensors"
    safetensors.torch.save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    mine = service.add_checkpoint(key, path, filename="mine.safetensors")
    assert service.engine(mine) is not service.engine(mine)  # never cached: nobody else can reach it
    assert service.live_copies() == 0
    x = torch.zeros(1, 3, 64, 64)
    assert service.predictor(mine).logits(x).shape == (1, 7)


def test_a_checkpoints_crop_size_is_held_to_the_budget_in_inspect_and_predict() -> None:
    """#24 finding 2: without an explicit size the weights' crop_size sets the side; a checkpoint's
    metadata must not step past the budget that an explicit size would meet."""
    import dataclasses

    from resnet_core.backends import CheckpointRef, InspectCall, LocalBackend, ModelInfo, PredictCall
    from resnet_core.serving import architecture_of

    key = ModelKey(("basic", (1, 1, 1, 1)), "v1.5", "checkpoint")
    # a budget that the default side meets and a 1,024-pixel side (under the side cap) does not
    limit = architecture_of(key.depth, key.variant, (1024, 1024)).macs / 1e9 / 2
    assert architecture_of(key.depth, key.variant, (224, 224)).macs / 1e9 < limit
    service = ModelService(ServiceConfig(device="cpu", warm_up=False, max_gmacs=limit))
    served = service.get(ModelKey(key.depth, "v1.5", "random"))
    big = dataclasses.replace(served.weights, preprocess=dataclasses.replace(served.weights.preprocess, crop_size=1024,
                                                                              resize_size=1100))
    served = dataclasses.replace(served, key=key, weights=big)
    ref = CheckpointRef(key, "0" * 64, "big.safetensors", ModelInfo.of(served), served)
    backend = LocalBackend(service)
    picture = natural_image(64, 64)
    with pytest.raises(BudgetError):
        list(backend.inspect(InspectCall(key=key, picture=picture, checkpoint=ref)))
    with pytest.raises(BudgetError):
        backend.predict(PredictCall(key=key, picture=picture, checkpoint=ref))
    # an explicit side inside the budget is served
    assert backend.predict(PredictCall(key=key, picture=picture, checkpoint=ref, size=224)).input_size == (224, 224)


def test_the_ablation_holds_a_checkpoints_crop_size_to_the_budget() -> None:
    """#24 finding 2: /ablation with "checkpoint" weights took the file's crop_size as its side."""
    import dataclasses

    from resnet_core.backends import CheckpointRef, LocalBackend, ModelInfo
    from resnet_core.lab.studies import AblationCall
    from resnet_core.serving import architecture_of

    key = ModelKey(("basic", (1, 1, 1, 1)), "v1.5", "checkpoint")
    limit = architecture_of(key.depth, key.variant, (1024, 1024)).macs / 1e9 / 2
    service = ModelService(ServiceConfig(device="cpu", warm_up=False, max_gmacs=limit))
    served = service.get(ModelKey(key.depth, "v1.5", "random"))
    pre = dataclasses.replace(served.weights.preprocess, crop_size=1024, resize_size=1100)
    served = dataclasses.replace(served, key=key, weights=dataclasses.replace(served.weights, preprocess=pre))
    ref = CheckpointRef(key, "0" * 64, "big.safetensors", ModelInfo.of(served), served)
    call = AblationCall(key=key, picture=natural_image(64, 64), block="layer1.0", mode="branch", layer="layer4",
                        checkpoint=ref)
    with pytest.raises(BudgetError):
        list(LocalBackend(service).run("ablation", call))
