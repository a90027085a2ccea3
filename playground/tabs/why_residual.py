"""Why residual? The competing claims measured: gradient flow, shattered gradients, the loss
surface, degradation, a live training race, shortcut ablations and the blocks' anatomy.

Every figure comes with a verdict computed from its own numbers (``viz.lab``), in the page's
language; the long runs stream their progress and queue apart from quick requests.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr
import numpy as np

import viz
from resnet_core import lab
from resnet_core.backends import Backend
from resnet_core.images import load_image
from resnet_core.lab.degradation import load_degradation
from resnet_core.lab.landscape import load_landscape
from resnet_core.lab.studies import AblationCall, FlowCall, LandscapeCall, RaceCall, ShatterCall
from resnet_core.shapes import block_anatomy
from viz import lab as vlab

from ..binding import bind
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


@friendly
def gradient_flow(family: str, depth: float, norm: str, zero_init: bool = False, request: gr.Request = None,
                  progress: gr.Progress = gr.Progress(), *, backend: Backend) -> tuple:  # noqa: B008
    """Gradient norm per block at initialization for a ResNet, its plain twin (no shortcuts) and the
    pre-activation ResNet, with a verdict per network: does the gradient vanish, explode or stay steady?

    Args:
        family: "cifar" (6n+2 layers, 32x32) or "imagenet" (ResNet-18/34/50 layout).
        depth: e.g. 20, 56 or 110 for "cifar"; 18, 34 or 50 for "imagenet".
        norm: batch normalization "on", "off" or "both".
        zero_init: zero-initialise each block's last BN (torchvision's zero_init_residual).
    """
    lang = lang_of(request)
    if norm not in RACE_NORMS:
        raise ValueError(f"batch normalization is one of {', '.join(RACE_NORMS)}")
    call = FlowCall(family=family, depth=int(depth), norms=RACE_NORMS[norm], zero_init=bool(zero_init))
    for run in backend.run("gradient_flow", call):  # the study runs on the backend
        if len(run.flows) < run.total:
            on = call.norms[len(run.flows)]
            progress(len(run.flows) / run.total, desc=t("bn", lang) + ": " + t("bn_on" if on else "bn_off", lang))
    flows = run.flows
    words = vlab.flow_explainers(flows, lang)
    words += [f"* {vlab.flow_verdict(net, lang)}" for flow in flows for net in flow.networks]
    return vlab.gradient_flow_figure(flows, lang=lang), vlab.shortcut_share_figure(flows[0], lang=lang), "\n".join(words)


@friendly
def shattering(norm: bool = True, request: gr.Request = None, progress: gr.Progress = gr.Progress(),  # noqa: B008
               *, backend: Backend) -> Iterator[tuple]:
    """Shattered gradients (Balduzzi et al. 2017): the gradient of the output along a line of inputs,
    and how correlated it stays between neighbours, for plain, ResNet and pre-activation networks.
    Each depth is shown as soon as it is measured; the last update holds them all."""
    lang = lang_of(request)
    for step in backend.run("shattering", ShatterCall(norm=bool(norm))):
        progress(step.fraction, desc=t("shatter", lang))
        yield vlab.shatter_verdict(step.result, lang), vlab.shattering_figure(step.result, lang=lang)


@friendly
def landscape(depth: float, grid: float, request: gr.Request = None, progress: gr.Progress = gr.Progress(),  # noqa: B008
              *, backend: Backend) -> tuple:
    """A 2-D slice of the training loss around a briefly trained plain-N and ResNet-N along two
    filter-normalised random directions (Li et al. 2018)."""
    lang = lang_of(request)
    if int(depth) not in LANDSCAPE_DEPTHS:
        raise ValueError(f"the landscape runs at depth {', '.join(map(str, LANDSCAPE_DEPTHS))}")
    final = None
    for step in backend.run("landscape", LandscapeCall(depth=int(depth), grid=int(grid))):
        word, _, name = step.stage.partition(" ")  # "training ResNet-20", "slicing plain-20", "done"
        progress(step.fraction, desc=t(f"landscape_{word}", lang, name=name) if word in ("training", "slicing", "done") else "")
        final = step.result if step.result is not None else final
    return vlab.landscape_verdict(final, lang), vlab.landscape_figure(final, lang=lang)


@friendly
def race(depth: float, seconds: float, request: gr.Request = None, *, backend: Backend) -> Iterator[tuple]:
    """Train plain-N and ResNet-N side by side on generated pictures and stream the curves."""
    lang = lang_of(request)
    depth = int(depth)
    if depth not in RACE_DEPTHS:
        raise ValueError(f"the race runs at depth {', '.join(map(str, RACE_DEPTHS))}")
    budget = min(max(float(seconds), 5.0), RACE_MAX_SECONDS)  # the server decides how long
    last = 0.0
    for update in backend.run("race", RaceCall(depth=depth, max_seconds=budget)):
        now = time.perf_counter()
        if now - last > 0.5 or update.done:  # at most twice a second
            last = now
            yield vlab.race_figure(update, lang=lang), race_text(update, lang)


@friendly
def ablation(image: Any, depth: str, counts: str, block: str, variant: str, weights: str, name: str, mode: str,
             layer: str, user: Ticket | None = None, request: gr.Request = None, *, backend: Backend,
             checkpoint_of: Callable) -> tuple:
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
    ref = checkpoint_of(choice, user, request)  # the session's checkpoint, when the choice asks for it
    call = AblationCall(ref.key if ref is not None else choice.key, np.asarray(load_image(image_path(image))),
                        block=str(name or ""), mode=mode, layer=layer or "layer4", checkpoint=ref)
    *_, view = backend.run("ablation", call)
    return (
        viz.predictions_label(view.before),
        viz.predictions_label(view.after),
        served_picture(viz.cam_overlay(view.image, view.cam_before)),
        served_picture(viz.cam_overlay(view.image, view.cam_after)),
        vlab.ablation_verdict(view.before, view.after, block=view.block, mode=view.mode, pretrained=view.pretrained,
                              lang=lang_of(request)),
    )


def layout() -> dict[str, Any]:  # noqa: PLR0915 - the tab, top to bottom
    """The tab's components by name (no events)."""
    c: dict[str, Any] = {}
    gr.Markdown(L("lab_intro"))
    gr.Markdown(L("flow_heading"))  # ----------------------------------- 1. gradient flow
    with gr.Row():
        c["family"] = gr.Radio(list(lab.FAMILIES), value="cifar", label=L("family"))
        c["flow_depth"] = gr.Dropdown(list(FLOW_DEPTHS), value=56, label=L("depth"))
        c["bn"] = gr.Radio(list(RACE_NORMS), value="both", label=L("bn"))
        c["zero_init"] = gr.Checkbox(False, label=L("zero_init"))
        c["flow_btn"] = gr.Button(L("flow"), variant="primary", elem_id="lab-run")
    c["flow_text"] = gr.Markdown(elem_id="flow-text")
    c["flow_plot"] = gr.Plot(label=L("flow_plot"))
    c["share_plot"] = gr.Plot(label=L("share_plot"))
    gr.Markdown(L("shatter_heading"))  # ----------------------------------- 2. shattered gradients
    with gr.Row():
        c["shatter_bn"] = gr.Checkbox(True, label=L("bn"))
        c["shatter_btn"] = gr.Button(L("shatter"), variant="primary", elem_id="shatter-run")
    c["shatter_text"] = gr.Markdown(elem_id="shatter-text")
    c["shatter_plot"] = gr.Plot(label=L("shatter_plot"))
    gr.Markdown(L("landscape_heading"))  # ----------------------------------- 3. loss landscape
    with gr.Row():
        c["land_depth"] = gr.Dropdown(list(LANDSCAPE_DEPTHS), value=20, label=L("depth"))
        c["land_grid"] = gr.Slider(5, 13, value=9, step=2, label=L("landscape_grid"))
        c["land_btn"] = gr.Button(L("landscape"), variant="primary", elem_id="landscape-run")
    c["land_text"] = gr.Markdown(elem_id="landscape-text")
    c["land_plot"] = gr.Plot(label=L("landscape_plot"))
    c["saved_land_text"] = gr.Markdown()
    c["saved_land_plot"] = gr.Plot(label=L("landscape_saved"))
    gr.Markdown(L("degradation_heading"))  # ----------------------------------- 4. degradation
    c["degradation_text"] = gr.Markdown(elem_id="degradation-text")
    c["degradation_plot"] = gr.Plot(label=L("degradation_plot"))
    gr.Markdown(L("race_heading"))  # ----------------------------------- 5. the race
    with gr.Row():
        c["race_depth"] = gr.Dropdown(list(RACE_DEPTHS), value=lab.RACE_PRESETS["cpu"]["depth"], label=L("depth"))
        c["race_seconds"] = gr.Slider(10, RACE_MAX_SECONDS, value=120, step=5, label=L("seconds"))
        c["race_btn"] = gr.Button(L("race"), variant="primary", elem_id="race-run")
    c["race_md"] = gr.Markdown(elem_id="race-text")
    c["race_plot"] = gr.Plot(label=L("race_plot"))
    c["saved_plot"] = gr.Plot(label=L("saved_plot"))
    gr.Markdown(L("ablation_heading"))  # ----------------------------------- 6. ablation
    with gr.Row():
        # any value is accepted (API clients type one); the study checks it against the model
        c["abl_block"] = gr.Dropdown([], label=L("block"), allow_custom_value=True)
        c["abl_mode"] = gr.Radio(["branch", "shortcut"], value="branch", label=L("ablate_mode"))
        c["abl_btn"] = gr.Button(L("ablate"), variant="primary", elem_id="abl-run")
    with gr.Row():
        c["abl_before"] = gr.Label(num_top_classes=5, label=L("before"), elem_classes=["data-en"])
        c["abl_after"] = gr.Label(num_top_classes=5, label=L("after"), elem_classes=["data-en"])
    with gr.Row():
        c["abl_cam_before"] = gr.Image(label=L("cam_before"), format=PHOTO_FORMAT, interactive=False)
        c["abl_cam_after"] = gr.Image(label=L("cam_after"), format=PHOTO_FORMAT, interactive=False)
    c["abl_text"] = gr.Markdown(elem_id="abl-text")
    gr.Markdown(L("anatomy_heading"))  # ----------------------------------- 7. anatomy
    c["anatomy"] = gr.Plot(label=L("anatomy"))
    return c


def create(page: Page) -> dict[str, Any]:
    """Lay out the tab and wire its events; returns its components by name."""
    argument.create(page)  # the spine: hypothesis -> evidence -> equation -> ensembles
    c = layout()
    long = page.model_event(long=True)
    c["flow_btn"].click(bind(gradient_flow, backend=page.backend), [c["family"], c["flow_depth"], c["bn"], c["zero_init"]],
                        [c["flow_plot"], c["share_plot"], c["flow_text"]], api_name="gradient_flow", **long)
    c["shatter_btn"].click(bind(shattering, backend=page.backend), [c["shatter_bn"]], [c["shatter_text"], c["shatter_plot"]],
                           api_name="shattering", **long)
    c["land_btn"].click(bind(landscape, backend=page.backend), [c["land_depth"], c["land_grid"]], [c["land_text"], c["land_plot"]],
                        api_name="landscape", **long)
    c["race_btn"].click(bind(race, backend=page.backend), [c["race_depth"], c["race_seconds"]], [c["race_plot"], c["race_md"]],
                        api_name="race", **long)
    c["abl_btn"].click(
        gpu(bind(ablation, backend=page.backend, checkpoint_of=page.checkpoint)),
        [page.image, *page.model_in, page.weights, c["abl_block"], c["abl_mode"], page.layer, page.user_model],
        [c["abl_before"], c["abl_after"], c["abl_cam_before"], c["abl_cam_after"], c["abl_text"]],
        api_name="ablation", **page.model_event(),
    )
    saved = ("saved_plot", "degradation_plot", "degradation_text", "saved_land_plot", "saved_land_text", "anatomy")
    for i, name in enumerate(saved):
        page.localize(c[name], lambda lang, i=i: saved_figures(lang)[i])
    page.localize(c["bn"], lambda lang: gr.update(choices=choices("bn_", list(RACE_NORMS), lang)))
    page.localize(c["abl_mode"], lambda lang: gr.update(choices=choices("ablate_", ["branch", "shortcut"], lang)))
    page.localize(c["family"], lambda lang: gr.update(choices=choices("family_", list(lab.FAMILIES), lang)))
    return c
