"""The shipped toy model, its examples, and what the papers found, measured on it.

The model file is made by ``scripts/train_toy_resnet.py``; its held-out accuracy is measured
here again on a fresh stream of synthetic images, not read from the file.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from resnet_core.attributions.faithfulness import deletion_insertion, random_map
from resnet_core.attributions.inputs import attribution_input
from resnet_core.attributions.methods import MethodParams, attribute
from resnet_core.attributions.sanity import ALIKE_SPEARMAN, judge_sanity, sanity_check
from resnet_core.images import load_image
from resnet_core.inspection import inspect
from resnet_core.preprocess import Prepared, prepare
from resnet_core.toy import TOY_CLASSES, TOY_PATH, example_images, load_toy, toy_data
from viz.attributions import sanity_verdict


@pytest.fixture(scope="module")
def toy():
    return load_toy()


def _held_out(toy, n: int, seed: tuple[int, int]) -> list[tuple[object, int]]:
    x, y = toy_data(3 * n, seed=seed)
    t = (torch.from_numpy(x) - 0.5) / 0.25
    with torch.no_grad():
        pred = toy.model(t).argmax(1).numpy()
    out = []
    for i in np.flatnonzero(pred == y)[:n]:
        view = (x[i].transpose(1, 2, 0) * 255).round().astype(np.uint8)
        out.append((attribution_input(Prepared(tensor=t[i : i + 1], view=view), toy.preprocess), int(y[i])))
    return out


def test_the_shipped_model_is_small_and_says_what_it_is(toy):
    assert TOY_PATH.stat().st_size < 4 * 2**20
    assert toy.categories == TOY_CLASSES
    assert {"heldout_accuracy", "machine", "script", "data"} <= set(toy.metadata)
    assert not toy.model.training


def test_the_toy_model_recognises_fresh_shapes(toy):
    x, y = toy_data(400, seed=(11, 11))  # a stream the training never saw
    with torch.no_grad():
        pred = toy.model((torch.from_numpy(x) - 0.5) / 0.25).argmax(1).numpy()
    assert (pred == y).mean() > 0.85


def test_examples_are_one_per_class_and_classified_as_named(toy):
    files = example_images()
    assert len(files) == len(TOY_CLASSES)
    for f in files:
        k = int(f.name.split("_")[0])
        prepared = prepare(load_image(f), toy.preprocess)
        with torch.no_grad():
            assert int(toy.model(prepared.tensor).argmax()) == k, f.name


@pytest.mark.parametrize("layer", ["layer4", "layer3", "layer2.1", "stem"])
def test_inspect_gradcam_equals_the_captum_gradcam_of_this_library(toy, layer):
    prepared = prepare(load_image(example_images()[2]), toy.preprocess)
    inp = attribution_input(prepared, toy.preprocess)
    for target in (2, 5):
        fast = inspect(toy.model, prepared, layer=layer, target=target).cams[0]
        ours = attribute(
            toy.model, inp, method="gradcam", target=target, params=MethodParams(layer=layer)
        ).map
        assert ours.min() >= 0
        peak = ours.max()
        expected = ours / peak if peak > 1e-20 else ours
        np.testing.assert_allclose(fast.heatmap, expected, atol=2e-5)


@pytest.mark.slow
def test_gradcam_deletes_faster_and_inserts_faster_than_random_maps(toy):
    # Petsiuk et al.: removing the pixels a faithful map ranks first drops the class fast, and
    # inserting them first restores it fast. Deletion is held against a random map as coarse
    # as Grad-CAM's (4 x 4 at layer4 here): pixel-wise random holes wreck the shapes faster
    # than any ranking (measured, docs/attributions.md). Measured on 24 images each of two
    # other streams: medians 0.168 and 0.115 against 0.316 and 0.267; Grad-CAM lower on 75%
    # and 88% of them. Insertion against a pixel-wise random map: 0.857 against 0.659 there,
    # 0.834 against 0.743 on the images below.
    images = _held_out(toy, 12, seed=(23, 1))
    cam_del, rnd_del, cam_ins, rnd_ins = [], [], [], []
    for k, (inp, target) in enumerate(images):
        a = attribute(toy.model, inp, method="gradcam", target=target).map
        cam = deletion_insertion(toy.model, inp, a, target=target, steps=16)
        cam_del.append(cam.deletion_auc)
        cam_ins.append(cam.insertion_auc)
        coarse = [random_map(inp.size, seed=10 * k + j, cells=4) for j in range(3)]
        rnd_del.append(
            np.mean(
                [deletion_insertion(toy.model, inp, r, target=target, steps=16).deletion_auc for r in coarse]
            )
        )
        rnd_ins.append(
            deletion_insertion(
                toy.model, inp, random_map(inp.size, seed=k), target=target, steps=16
            ).insertion_auc
        )
    assert np.median(cam_del) < np.median(rnd_del) - 0.05
    assert np.mean(np.array(cam_del) < np.array(rnd_del)) >= 0.6
    assert np.mean(cam_ins) > np.mean(rnd_ins) + 0.03


@pytest.mark.slow
def test_the_sanity_verdict_on_the_toy_model_is_the_papers(toy):
    # Adebayo et al. 2018, Fig. 2 and section 4: with the top layers random, the gradient and
    # Grad-CAM change and pass; Guided Backprop stays alike and fails. Measured on 8 other
    # pictures (docs/attributions.md): at layer4.0, rank correlation 0.96 for Guided Backprop,
    # 0.21 for Grad-CAM, 0.44 for the gradient. The old rule read the end of the cascade, where
    # Guided Backprop (0.29 there) passed too.
    images = _held_out(toy, 4, seed=(22, 1))
    methods = ["saliency", "gradcam", "guided_backprop", "guided_gradcam"]
    runs = [sanity_check(toy.model, inp, methods=methods, target=target) for inp, target in images]
    judged = {j.method: j for j in judge_sanity(runs)}
    assert {j.top_step for j in judged.values()} == {"layer4.0"}
    assert not judged["guided_backprop"].passes
    assert judged["saliency"].passes and judged["gradcam"].passes
    assert min(judged["guided_backprop"].spearman) > max(judged["gradcam"].spearman)
    # Guided Grad-CAM changes only through its Grad-CAM factor; the words say so, and that the
    # paper found the opposite
    words = sanity_verdict(tuple(judged.values()))
    if judged["guided_gradcam"].passes:
        assert "Guided Grad-CAM passes only through its Grad-CAM factor: Guided Backprop" in words
        assert "opposite verdict for Guided Grad-CAM" in words
    assert "Fail (the map stays alike): Guided Backprop" in words
    # at the end of the cascade every map has changed: that rule could not tell them apart
    assert all(np.mean([r.curves[i].final_spearman for r in runs]) < ALIKE_SPEARMAN for i in range(len(methods)))


def test_the_zoo_record_carries_the_toy_classes_and_preprocessing(toy):
    w = toy.weights
    assert w.pretrained and w.categories == TOY_CLASSES and w.preprocess.crop_size == 32
