"""The Attributions tab's handlers, called directly (no server): a LocalBackend and fake requests.

What a person would notice: the maps arrive method by method; Stop ends the presser's own run,
and a Stop sent by another client with the same session hash ends nothing; a request past the
budget is one plain message; the tab imports no torch.
"""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest
from _models import checkpoint_asking_for

from playground.cancels import Cancels
from playground.tabs import attributions as tab
from resnet_core.backends import LocalBackend
from resnet_core.serving import ModelService, ServiceConfig
from resnet_core.toy import example_images

ROOT = Path(__file__).resolve().parents[2]
# image, which, target, methods, layer, steps, baseline, nt_samples, window, stride, mask, cell, samples
OPTIONS = ("layer4", 8, "black", 4, 8, 4, "grid", 8, 2)


def request(host: str, session: str = "victim-session", agent: str = "Firefox") -> Any:
    """What a handler reads of a gr.Request: the session hash, the client and its headers."""
    return SimpleNamespace(session_hash=session, client=SimpleNamespace(host=host),
                           headers={"user-agent": agent}, query_params={})


def no_progress(*_: Any, **__: Any) -> None:
    return None


@pytest.fixture(scope="module")
def page(one_thread: None) -> Any:
    backend = LocalBackend(ModelService(ServiceConfig(device="cpu", offline=True, warm_up=False)))

    def checkpoint(choice: Any, user: Any, request: Any, *, size: int = 224) -> None:
        return None  # no session checkpoint in these tests

    return SimpleNamespace(backend=backend, checkpoint=checkpoint)


def attribute(page: Any, cancels: Cancels, who: Any, methods: list[str]) -> Any:
    return tab.attribute_methods(str(example_images()[0]), "toy", "auto (top-1)", methods, *OPTIONS, "signed",
                                 False, request=who, progress=no_progress, page=page, cancels=cancels)


def test_maps_arrive_method_by_method(page: Any) -> None:
    steps = list(attribute(page, Cancels(), request("10.0.0.1"), ["gradcam", "saliency", "occlusion"]))
    assert len(steps) == 3
    words, figure, applies = steps[-1]
    assert "3" in words and "Grad-CAM" in str(figure.layout.annotations)
    assert applies  # which methods do not apply (LRP and this model), or that all do


def test_a_stop_from_another_client_with_the_same_session_hash_does_not_cancel(page: Any) -> None:
    cancels = Cancels()
    victim, stranger = request("10.0.0.1"), request("10.0.0.2", agent="curl")  # same session hash
    run = attribute(page, cancels, victim, ["saliency", "occlusion", "integrated_gradients"])
    next(run)  # the first map is drawn: the run is under way
    tab.stop_run(stranger, cancels=cancels)
    rest = list(run)
    assert len(rest) == 2 and "Stopped" not in rest[-1][0]  # every map arrived
    run = attribute(page, cancels, victim, ["saliency", "occlusion", "integrated_gradients"])
    next(run)
    tab.stop_run(victim, cancels=cancels)  # the owner's own Stop does stop it
    assert [step[0] for step in run] == ["Stopped at your request."]


def test_past_the_budget_is_one_plain_message(page: Any) -> None:
    options = ("layer4", 8, "black", 4, 1, 1, "grid", 2, 16)  # Occlusion window 1, stride 1; Shapley 16 x 256
    with pytest.raises(gr.Error, match=r"would send 5,123 images through the network; the limit per request is 4,096"):
        list(tab.attribute_methods(str(example_images()[0]), "toy", "auto (top-1)", ["occlusion", "shapley"],
                                   *options, "signed", False, request=request("10.0.0.1"), progress=no_progress,
                                   page=page, cancels=Cancels()))


def test_sanity_and_faithfulness_handlers_draw_their_results(page: Any) -> None:
    args = (str(example_images()[1]), "toy", "auto (top-1)", ["gradcam", "saliency"], *OPTIONS)
    words, curves, maps = tab.sanity(*args, request=request("10.0.0.1"), progress=no_progress, page=page,
                                     cancels=Cancels())
    assert "Grad-CAM" in words and curves.data and maps.data
    words, figure, table = tab.faithfulness(*args, request=request("10.0.0.1"), progress=no_progress, page=page,
                                            cancels=Cancels())
    assert words and figure.data and len(table["data"]) == 4  # two methods and two random yardsticks


def test_the_sanity_verdict_over_two_pictures_says_so_in_both_languages(page: Any) -> None:
    args = (str(example_images()[1]), "toy", "auto (top-1)", ["gradcam", "saliency"], *OPTIONS)
    model_in = ("ResNet-50", "", "basic", "v1.5", "DEFAULT", None)
    words, curves, maps = tab.sanity(*args, *model_in, 2, request=request("10.0.0.1"), progress=no_progress,
                                     page=page, cancels=Cancels())
    assert "Over 2 pictures" in words and "Saliency ρ=" in words and "±" in words
    assert "your picture only" in words and curves.data and maps.data
    zh = SimpleNamespace(**{**vars(request("10.0.0.1")), "query_params": {"lang": "zh"}})
    words, _, _ = tab.sanity(*args, *model_in, 2, request=zh, progress=no_progress, page=page, cancels=Cancels())
    assert "共 2 张图" in words and "只画了你的图片" in words
    with pytest.raises(gr.Error, match="number of pictures is a whole number from 1 to 4"):
        tab.sanity(*args, *model_in, 5, request=request("10.0.0.1"), progress=no_progress, page=page,
                   cancels=Cancels())


def test_no_image_is_one_plain_message(page: Any) -> None:
    with pytest.raises(gr.Error, match="Upload an image first"):
        list(tab.attribute_methods(None, "toy", "auto (top-1)", ["saliency"], *OPTIONS, "signed", False,
                                   request=request("10.0.0.1"), progress=no_progress, page=page, cancels=Cancels()))


def test_the_tab_imports_no_torch_and_runs_no_model() -> None:
    tree = ast.parse((ROOT / "playground" / "tabs" / "attributions.py").read_text())
    modules = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in modules if m.split(".")[0] in ("torch", "captum")}
    running = {"resnet_core.attributions.methods", "resnet_core.attributions.sanity",
               "resnet_core.attributions.faithfulness", "resnet_core.inspection", "resnet_core.serving"}
    assert not modules & running


def test_the_cancel_table_stays_bounded_and_forgets_finished_runs() -> None:
    cancels = Cancels(max_runs=3)
    events = [cancels.start(request("10.0.0.1", session=f"s{i}")) for i in range(5)]
    assert not cancels.stop(request("10.0.0.1", session="s0"))  # the oldest went first
    assert cancels.stop(request("10.0.0.1", session="s4")) and events[4].is_set()
    cancels.finish(request("10.0.0.1", session="s3"), events[3])
    assert not cancels.stop(request("10.0.0.1", session="s3"))


def test_a_checkpoint_that_asks_for_3072_pixels_is_one_plain_message(page: Any) -> None:
    """#24 finding 2: an export's preprocess.crop_size of 3,072 set the input side past the cap."""
    huge = checkpoint_asking_for(3072)
    own = SimpleNamespace(backend=page.backend, checkpoint=lambda *_, **__: huge)
    for handler in (tab.sanity, tab.faithfulness):
        with pytest.raises(gr.Error, match="3072-pixel inputs; this server takes 1 to 1024"):
            handler(str(example_images()[0]), "picked", "auto (top-1)", ["saliency"], *OPTIONS, "ResNet-18", "",
                    "basic", "v1.5", "checkpoint", request=request("10.0.0.1"), progress=no_progress, page=own,
                    cancels=Cancels())
