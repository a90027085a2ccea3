"""Why residual? The competing claims measured: gradient flow, shattered gradients, the loss
surface, degradation, a live training race, shortcut ablations and the blocks' anatomy.

Every figure comes with a verdict computed from its own numbers (``viz.lab``), in the page's
language; the long runs stream their progress and queue apart from quick requests.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from typing import Any

import gradio as gr
import numpy as np

import viz
from resnet_core import lab
from resnet_core.backends import Backend, CheckpointRef
from resnet_core.images import load_image
from resnet_core.lab.degradation import load_degradation
from resnet_core.lab.landscape import load_landscape
from resnet_core.lab.studies import AblationCall, FlowCall, LandscapeCall, RaceCall, ShatterCall
from resnet_core.shapes import block_anatomy
from viz import lab as vlab

from ..choices import ModelChoice
from ..context import ROOT, Page, gpu
from ..errors import friendly
from ..guard import served_picture
from ..locales import TABLES, L, choices, lang_of, t
from ..sessions import Ticket
from . import argument
from .inspect import PHOTO_FORMAT, image_path

CURVES = ROOT / "assets" / "curves"
SAVED_RACE, SAVED_LANDSCAPE, SAVED_DEGRADATION = CURVES / "race.json", CURVES / "landscape.json", CURVES / "degradation.json"
RACE_DEPTHS = (20, 32, 44, 56)
RACE_MAX_SECONDS = 180.0
RACE_NORMS = {"on": (True,), "off": (False,), "both": (True, False)}
FLOW_DEPTHS = (20, 32, 44, 56, 110, 18, 34, 50)
LANDSCAPE_DEPTHS = (8, 14, 20, 32)


def race_text(update: lab.RaceUpdate, lang: str) -> str:
    """Where the race stands, in one line per network, then what it shows so far."""
    head = t("race_status", lang, step=update.step, steps=update.steps, elapsed=update.elapsed, device=update.device)
    if update.stopped:
        why = f"stop_{update.stopped.replace(' ', '_')}"  # the library's reason, said in the page's language
        head += t("race_stopped", lang, why=t(why, lang) if why in TABLES["en"] else update.stopped)
    lines = [head]
    for c in update.curves:
        if len(c.loss):
            line = t("race_line", lang, name=c.name, loss=c.loss[-1])
            if len(c.eval_accuracy):
                line += t("race_heldout", lang, acc=c.eval_accuracy[-1])
            lines.append(line)
    return "\n".join(lines) + "\n\n" + vlab.race_verdict(update, lang)


@functools.lru_cache(maxsize=8)
def saved_figures(lang: str) -> tuple[Any, Any, str, Any, str, Any]:
    """The saved runs (race, degradation, landscape) and the anatomy, drawn once per language."""
    race = vlab.saved_curves_figure(lab.load_race(SAVED_RACE), lang=lang) if SAVED_RACE.exists() else None
    degradation_fig, degradation_words = None, ""
    if SAVED_DEGRADATION.exists():
        record = load_degradation(SAVED_DEGRADATION)
        degradation_fig, degradation_words = vlab.degradation_figure(record, lang=lang), vlab.degradation_verdict(record, lang)
    landscape_fig, landscape_words = None, ""
    if SAVED_LANDSCAPE.exists():
        result, meta = load_landscape(SAVED_LANDSCAPE)
        landscape_fig = vlab.landscape_figure(result, lang=lang, source=meta)
        landscape_words = vlab.landscape_verdict(result, lang)
    return race, degradation_fig, degradation_words, landscape_fig, landscape_words, vlab.block_anatomy_figure(block_anatomy(), lang=lang)


def gradient_flow(backend: Backend, family: str, depth: float, norm: str, zero_init: bool, lang: str,
                  progress: Any = None) -> tuple:
    """The gradient-flow figures and verdicts (the study runs on ``backend``)."""
    if norm not in RACE_NORMS:
        raise ValueError(f"batch normalization is one of {', '.join(RACE_NORMS)}")
    call = FlowCall(family=family, depth=int(depth), norms=RACE_NORMS[norm], zero_init=zero_init)
    for run in backend.run("gradient_flow", call):
        if progress is not None and len(run.flows) < run.total:
            on = call.norms[len(run.flows)]
            progress(len(run.flows) / run.total, desc=t("bn", lang) + ": " + t("bn_on" if on else "bn_off", lang))
    flows = run.flows
    words = [vlab.flow_explainer(flow, lang) for flow in flows]
    words += [f"* {vlab.flow_verdict(net, lang)}" for flow in flows for net in flow.networks]
    return vlab.gradient_flow_figure(flows, lang=lang), vlab.shortcut_share_figure(flows[0], lang=lang), "\n".join(words)


def shattering(backend: Backend, norm: bool, lang: str, progress: Any = None) -> Iterator[tuple]:
    """The shattering verdict and figure after each network (the study runs on ``backend``)."""
    for step in backend.run("shattering", ShatterCall(norm=norm)):
        if progress is not None:
            progress(step.fraction, desc=t("shatter", lang))
        yield vlab.shatter_verdict(step.result, lang), vlab.shattering_figure(step.result, lang=lang)


def landscape(backend: Backend, depth: float, grid: float, lang: str, progress: Any = None) -> tuple:
    """The loss-landscape verdict and figure (the study runs on ``backend``)."""
    if int(depth) not in LANDSCAPE_DEPTHS:
        raise ValueError(f"the landscape runs at depth {', '.join(map(str, LANDSCAPE_DEPTHS))}")
    final = None
    for step in backend.run("landscape", LandscapeCall(depth=int(depth), grid=int(grid))):
        word, _, name = step.stage.partition(" ")  # "training ResNet-20", "slicing plain-20", "done"
        if progress is not None:
            progress(step.fraction, desc=t(f"landscape_{word}", lang, name=name) if word in ("training", "slicing", "done") else "")
        final = step.result if step.result is not None else final
    return vlab.landscape_verdict(final, lang), vlab.landscape_figure(final, lang=lang)


def race(backend: Backend, depth: float, seconds: float, lang: str) -> Iterator[tuple]:
    """The race's figure and words, at most twice a second (the study runs on ``backend``)."""
    depth = int(depth)
    if depth not in RACE_DEPTHS:
        raise ValueError(f"the race runs at depth {', '.join(map(str, RACE_DEPTHS))}")
    budget = min(max(float(seconds), 5.0), RACE_MAX_SECONDS)  # the server decides how long
    last = 0.0
    for update in backend.run("race", RaceCall(depth=depth, max_seconds=budget)):
        now = time.perf_counter()
        if now - last > 0.5 or update.done:
            last = now
            yield vlab.race_figure(update, lang=lang), race_text(update, lang)


def ablation(backend: Backend, image: Any, choice: ModelChoice, checkpoint: CheckpointRef | None, name: str, mode: str,
             layer: str, lang: str) -> tuple:
    """Top-5 and Grad-CAM before and after the ablation, and what changed (the study runs on ``backend``)."""
    key = checkpoint.key if checkpoint is not None else choice.key
    call = AblationCall(key, np.asarray(load_image(image_path(image))), block=str(name or ""), mode=mode,
                        layer=layer or "layer4", checkpoint=checkpoint)
    *_, view = backend.run("ablation", call)
    return (
        viz.predictions_label(view.before),
        viz.predictions_label(view.after),
        served_picture(viz.cam_overlay(view.image, view.cam_before)),
        served_picture(viz.cam_overlay(view.image, view.cam_after)),
        vlab.ablation_verdict(view.before, view.after, block=view.block, mode=view.mode, pretrained=view.pretrained,
                              lang=lang),
    )


def create(page: Page) -> dict[str, Any]:  # noqa: PLR0915 - layout reads top to bottom
    """Lay out the tab and wire its events; returns its components by name."""
    argument.create(page)  # the spine: hypothesis -> evidence -> equation -> ensembles
    gr.Markdown(L("lab_intro"))
    # ------------------------------------------------------------------ 1. gradient flow
    gr.Markdown(L("flow_heading"))
    with gr.Row():
        family = gr.Radio(list(lab.FAMILIES), value="cifar", label=L("family"))
        flow_depth = gr.Dropdown(list(FLOW_DEPTHS), value=56, label=L("depth"))
        bn = gr.Radio(list(RACE_NORMS), value="both", label=L("bn"))
        zero_init = gr.Checkbox(False, label=L("zero_init"))
        flow_btn = gr.Button(L("flow"), variant="primary", elem_id="lab-run")
    flow_text = gr.Markdown(elem_id="flow-text")
    flow_plot = gr.Plot(label=L("flow_plot"))
    share_plot = gr.Plot(label=L("share_plot"))
    # ------------------------------------------------------------------ 2. shattered gradients
    gr.Markdown(L("shatter_heading"))
    with gr.Row():
        shatter_bn = gr.Checkbox(True, label=L("bn"))
        shatter_btn = gr.Button(L("shatter"), variant="primary", elem_id="shatter-run")
    shatter_text = gr.Markdown(elem_id="shatter-text")
    shatter_plot = gr.Plot(label=L("shatter_plot"))
    # ------------------------------------------------------------------ 3. loss landscape
    gr.Markdown(L("landscape_heading"))
    with gr.Row():
        land_depth = gr.Dropdown(list(LANDSCAPE_DEPTHS), value=20, label=L("depth"))
        land_grid = gr.Slider(5, 13, value=9, step=2, label=L("landscape_grid"))
        land_btn = gr.Button(L("landscape"), variant="primary", elem_id="landscape-run")
    land_text = gr.Markdown(elem_id="landscape-text")
    land_plot = gr.Plot(label=L("landscape_plot"))
    saved_land_text = gr.Markdown()
    saved_land_plot = gr.Plot(label=L("landscape_saved"))
    # ------------------------------------------------------------------ 4. degradation
    gr.Markdown(L("degradation_heading"))
    degradation_text = gr.Markdown(elem_id="degradation-text")
    degradation_plot = gr.Plot(label=L("degradation_plot"))
    # ------------------------------------------------------------------ 5. the race
    gr.Markdown(L("race_heading"))
    with gr.Row():
        race_depth = gr.Dropdown(list(RACE_DEPTHS), value=lab.RACE_PRESETS["cpu"]["depth"], label=L("depth"))
        race_seconds = gr.Slider(10, RACE_MAX_SECONDS, value=120, step=5, label=L("seconds"))
        race_btn = gr.Button(L("race"), variant="primary", elem_id="race-run")
    race_md = gr.Markdown(elem_id="race-text")
    race_plot = gr.Plot(label=L("race_plot"))
    saved_plot = gr.Plot(label=L("saved_plot"))
    # ------------------------------------------------------------------ 6. ablation, 7. anatomy
    gr.Markdown(L("ablation_heading"))
    with gr.Row():
        # any value is accepted (API clients type one); the study checks it against the model
        abl_block = gr.Dropdown([], label=L("block"), allow_custom_value=True)
        abl_mode = gr.Radio(["branch", "shortcut"], value="branch", label=L("ablate_mode"))
        abl_btn = gr.Button(L("ablate"), variant="primary", elem_id="abl-run")
    with gr.Row():
        abl_before = gr.Label(num_top_classes=5, label=L("before"), elem_classes=["data-en"])
        abl_after = gr.Label(num_top_classes=5, label=L("after"), elem_classes=["data-en"])
    with gr.Row():
        abl_cam_before = gr.Image(label=L("cam_before"), format=PHOTO_FORMAT, interactive=False)
        abl_cam_after = gr.Image(label=L("cam_after"), format=PHOTO_FORMAT, interactive=False)
    abl_text = gr.Markdown(elem_id="abl-text")
    gr.Markdown(L("anatomy_heading"))
    anatomy = gr.Plot(label=L("anatomy"))

    @friendly
    def on_flow(family: str, depth: float, norm: str, zero_init: bool = False, request: gr.Request = None,
                progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
        """Gradient norm per block at initialization for a ResNet, its plain twin (no shortcuts) and the
        pre-activation ResNet, with a verdict per network: does the gradient vanish, explode or stay steady?

        Args:
            family: "cifar" (6n+2 layers, 32x32) or "imagenet" (ResNet-18/34/50 layout).
            depth: e.g. 20, 56 or 110 for "cifar"; 18, 34 or 50 for "imagenet".
            norm: batch normalization "on", "off" or "both".
            zero_init: zero-initialise each block's last BN (torchvision's zero_init_residual).
        """
        return gradient_flow(page.backend, family, depth, norm, bool(zero_init), lang_of(request), progress)

    @friendly
    def on_shatter(norm: bool = True, request: gr.Request = None,
                   progress: gr.Progress = gr.Progress()) -> Iterator[tuple]:  # noqa: B008
        """Shattered gradients (Balduzzi et al. 2017): the gradient of the output along a line of inputs,
        and how correlated it stays between neighbours, for plain, ResNet and pre-activation networks.
        Each depth is shown as soon as it is measured; the last update holds them all."""
        yield from shattering(page.backend, bool(norm), lang_of(request), progress)

    @friendly
    def on_landscape(depth: float, grid: float, request: gr.Request = None,
                     progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
        """A 2-D slice of the training loss around a briefly trained plain-N and ResNet-N along two
        filter-normalised random directions (Li et al. 2018)."""
        return landscape(page.backend, depth, grid, lang_of(request), progress)

    @friendly
    def on_race(depth: float, seconds: float, request: gr.Request = None) -> Iterator[tuple]:
        """Train plain-N and ResNet-N side by side on generated pictures and stream the curves."""
        yield from race(page.backend, depth, seconds, lang_of(request))

    @friendly
    def on_ablation(image: Any, depth: str, counts: str, block: str, variant: str, weights: str, name: str, mode: str,
                    layer: str, user: Ticket | None = None, request: gr.Request = None) -> tuple:
        """Zero one block's residual branch or cut its shortcut: top-5 and Grad-CAM, before and after,
        and what changed on this picture.

        Args:
            image: the picture.
            depth, counts, block, variant, weights: the model, as in /inspect.
            name: the residual block to ablate, e.g. "layer3.1" (see /layers).
            mode: "branch" (zero the residual branch) or "shortcut" (cut the shortcut).
            layer: the Grad-CAM layer, e.g. "layer4".
        """
        choice = ModelChoice.parse(depth, counts, block, variant, weights)
        return ablation(page.backend, image, choice, page.checkpoint(choice, user, request), name, mode, layer,
                        lang_of(request))

    long = page.model_event(long=True)
    flow_btn.click(on_flow, [family, flow_depth, bn, zero_init], [flow_plot, share_plot, flow_text],
                   api_name="gradient_flow", **long)
    shatter_btn.click(on_shatter, [shatter_bn], [shatter_text, shatter_plot], api_name="shattering", **long)
    land_btn.click(on_landscape, [land_depth, land_grid], [land_text, land_plot], api_name="landscape", **long)
    race_btn.click(on_race, [race_depth, race_seconds], [race_plot, race_md], api_name="race", **long)
    abl_btn.click(
        gpu(on_ablation),
        [page.image, *page.model_in, page.weights, abl_block, abl_mode, page.layer, page.user_model],
        [abl_before, abl_after, abl_cam_before, abl_cam_after, abl_text],
        api_name="ablation",
        **page.model_event(),
    )
    saved = (saved_plot, degradation_plot, degradation_text, saved_land_plot, saved_land_text, anatomy)
    for i, component in enumerate(saved):
        page.localize(component, lambda lang, i=i: saved_figures(lang)[i])
    page.localize(bn, lambda lang: gr.update(choices=choices("bn_", list(RACE_NORMS), lang)))
    page.localize(abl_mode, lambda lang: gr.update(choices=choices("ablate_", ["branch", "shortcut"], lang)))
    page.localize(family, lambda lang: gr.update(choices=choices("family_", list(lab.FAMILIES), lang)))
    return dict(abl_block=abl_block)
