"""Why residual? Gradient flow at initialization, a live training race, saved curves, ablations."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import gradio as gr

import viz
from resnet_core import lab
from resnet_core.images import load_image, prepare
from resnet_core.inspection import inspect
from viz import lab as vlab

from ..choices import ModelChoice
from ..errors import friendly
from ..guard import served_picture
from ..locales import L, choices, lang_of, t
from ..page import ROOT, Page, gpu
from ..sessions import Ticket
from .inspect import PHOTO_FORMAT, image_path

SAVED_RACE = ROOT / "assets" / "curves" / "race.json"
RACE_DEPTHS = (20, 32, 44, 56)
RACE_MAX_SECONDS = 120.0
RACE_NORMS = {"on": (True,), "off": (False,), "both": (True, False)}


def race_text(update: lab.RaceUpdate, lang: str) -> str:
    """Where the race stands, in one line per network."""
    head = t("race_status", lang, step=update.step, steps=update.steps, elapsed=update.elapsed, device=update.device)
    if update.stopped:
        head += t("race_stopped", lang, why=update.stopped)
    lines = [head]
    for c in update.curves:
        if len(c.loss):
            line = t("race_line", lang, name=c.name, loss=c.loss[-1])
            if len(c.eval_accuracy):
                line += t("race_heldout", lang, acc=c.eval_accuracy[-1])
            lines.append(line)
    return "\n".join(lines)


def create(page: Page) -> dict[str, Any]:
    """Lay out the tab and wire its events; returns its components by name."""
    gr.Markdown(L("lab_intro"))
    with gr.Row():
        family = gr.Radio(["cifar", "imagenet"], value="cifar", label=L("family"))
        flow_depth = gr.Dropdown([20, 32, 44, 56, 110, 18, 34, 50], value=56, label=L("depth"))
        bn = gr.Radio(list(RACE_NORMS), value="both", label=L("bn"))
        flow_btn = gr.Button(L("flow"), variant="primary", elem_id="lab-run")
    flow_text = gr.Markdown(elem_id="flow-text")
    flow_plot = gr.Plot(label=L("flow_plot"))
    share_plot = gr.Plot(label=L("share_plot"))
    gr.Markdown(L("race_heading"))
    with gr.Row():
        race_depth = gr.Dropdown(list(RACE_DEPTHS), value=32, label=L("depth"))
        race_seconds = gr.Slider(10, RACE_MAX_SECONDS, value=60, step=5, label=L("seconds"))
        race_btn = gr.Button(L("race"), variant="primary")
    race_md = gr.Markdown()
    race_plot = gr.Plot(label=L("race_plot"))
    saved_plot = gr.Plot(label=L("saved_plot"))
    gr.Markdown(L("ablation_heading"))
    with gr.Row():
        abl_block = gr.Dropdown([], label=L("block"))
        abl_mode = gr.Radio(["branch", "shortcut"], value="branch", label=L("ablate_mode"))
        abl_btn = gr.Button(L("ablate"), variant="primary")
    with gr.Row():
        abl_before = gr.Label(num_top_classes=5, label=L("before"))
        abl_after = gr.Label(num_top_classes=5, label=L("after"))
    with gr.Row():
        abl_cam_before = gr.Image(label=L("cam_before"), format=PHOTO_FORMAT, interactive=False)
        abl_cam_after = gr.Image(label=L("cam_after"), format=PHOTO_FORMAT, interactive=False)
    gr.Markdown(L("anatomy_heading"))
    gr.Plot(value=vlab.block_anatomy_figure(), label=L("anatomy"))

    @friendly
    def gradient_flow(family: str, depth: float, norm: str, request: gr.Request = None,
                      progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
        """Gradient norm per block at initialization: residual, plain twin, pre-activation."""
        if norm not in RACE_NORMS:
            raise ValueError(f"batch normalization is one of {', '.join(RACE_NORMS)}")
        flows = []
        for i, on in enumerate(RACE_NORMS[norm]):
            progress(i / len(RACE_NORMS[norm]), desc="BN " + ("on" if on else "off"))
            flows.append(lab.gradient_flow(family=family, depth=int(depth), norm=on))
        text = "\n".join(f"* {net.summary}" for flow in flows for net in flow.networks)
        return vlab.gradient_flow_figure(flows), vlab.shortcut_share_figure(flows[0]), text

    @friendly
    def race(depth: float, seconds: float, request: gr.Request = None) -> Iterator[tuple]:
        """Train plain-N and ResNet-N side by side on generated pictures and stream the curves."""
        lang = lang_of(request)
        depth = int(depth)
        if depth not in RACE_DEPTHS:
            raise ValueError(f"the race runs at depth {', '.join(map(str, RACE_DEPTHS))}")
        budget = min(max(float(seconds), 5.0), RACE_MAX_SECONDS)  # the server decides how long
        last = 0.0
        for update in lab.race(depth=depth, max_seconds=budget):
            now = time.perf_counter()
            if now - last > 0.5 or update.done:
                last = now
                yield vlab.race_figure(update), race_text(update, lang)

    @friendly
    def ablation(image: Any, depth: str, counts: str, block: str, variant: str, weights: str, name: str, mode: str,
                 layer: str, user: Ticket | None = None, request: gr.Request = None) -> tuple:
        """Zero one block's residual branch or cut its shortcut: top-5 and Grad-CAM, before and after."""
        served = page.served(ModelChoice.parse(depth, counts, block, variant, weights), user, request)
        prepared = prepare(load_image(image_path(image)), served.weights.preprocess)
        cats = served.weights.categories
        before = inspect(served.model, prepared, layer=layer or "layer4", categories=cats)
        with lab.ablate(served.model, name, mode):
            after = inspect(served.model, prepared, layer=layer or "layer4", target=before.cam.target, categories=cats)
        return (
            viz.predictions_label(before.predictions),
            viz.predictions_label(after.predictions),
            served_picture(viz.cam_overlay(before.image, before.cam.heatmap)),
            served_picture(viz.cam_overlay(after.image, after.cam.heatmap)),
        )

    flow_btn.click(gradient_flow, [family, flow_depth, bn], [flow_plot, share_plot, flow_text], api_name="gradient_flow",
                   **page.model_event(long=True))
    race_btn.click(race, [race_depth, race_seconds], [race_plot, race_md], api_name="race",
                   **page.model_event(long=True))
    assert page.image is not None and page.layer is not None, "the Inspect tab comes first"
    abl_btn.click(
        gpu(ablation),
        [page.image, *page.model_in, page.weights, abl_block, abl_mode, page.layer, page.user_model],
        [abl_before, abl_after, abl_cam_before, abl_cam_after],
        api_name="ablation",
        **page.model_event(),
    )
    if SAVED_RACE.exists():
        page.on_load(lambda: vlab.saved_curves_figure(SAVED_RACE), [], [saved_plot])
    page.localize(bn, lambda lang: gr.update(choices=choices("bn_", list(RACE_NORMS), lang)))
    page.localize(abl_mode, lambda lang: gr.update(choices=choices("ablate_", ["branch", "shortcut"], lang)))
    page.localize(family, lambda lang: gr.update(choices=choices("family_", ["cifar", "imagenet"], lang)))
    return dict(abl_block=abl_block)
