"""Inspect: top-k, Grad-CAM at any layer, the Grad-CAM timeline, activations and their statistics."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr
import numpy as np

import viz
from resnet_core.backends import Backend, CheckpointRef, InspectCall, ModelInfo, PredictCall
from resnet_core.errors import UserError
from resnet_core.images import load_image
from resnet_core.memory import release_free_memory
from resnet_core.preprocess import MAX_INPUT_SIZE
from resnet_core.results import Inspection
from resnet_core.serving import skeleton
from resnet_core.weights import IMAGENET_CATEGORIES
from viz.activations import stats_verdict

from ..binding import bind
from ..choices import AUTO_TARGET, ModelChoice, class_choices, parse_depth, parse_side, parse_target
from ..choices import top_k as parse_top_k
from ..context import ROOT, Page, gpu
from ..errors import friendly
from ..guard import served_picture
from ..locales import L, choices, lang_of, t
from ..sessions import Expired, SessionStore, Ticket
from . import receptive

EXAMPLES = sorted((ROOT / "assets" / "examples").glob("*.jpg"))
# How pictures leave the server (measured in docs/performance.md, "Payload"): JPEG for the
# photo-like ones, PNG for the activation gallery (blocky maps, where JPEG rings).
PHOTO_FORMAT = "jpeg"
MAP_FORMAT = "png"


def image_path(image: Any) -> Any:
    """The uploaded picture's path, or a message that says where to upload one."""
    if image is None or image == "":
        raise UserError("Upload an image in the Inspect tab first (or pick one of its examples).",
                        key="error.upload_first_inspect")
    return image


def model_and_picture(
    backend: Backend, checkpoint_of: Callable, image: Any, choice: ModelChoice, mode: str, size: Any,
    user: Ticket | None, request: Any,
) -> tuple[ModelInfo, CheckpointRef | None, np.ndarray, int | None]:
    """What a request names, checked before any work: the model (within the budget), the
    session's checkpoint when asked, the decoded picture and the input side."""
    side = parse_side(size, default=224) if size else None
    if mode not in ("crop", "whole"):
        raise ValueError("preprocessing is “crop” or “whole”")
    ref = checkpoint_of(choice, user, request, size=side or 224)
    info = ref.info if ref is not None else backend.info(choice.key, size=side or 224)
    picture = np.asarray(load_image(image_path(image)))
    return info, ref, picture, side


def kept(result: Inspection) -> Inspection:
    """What a session keeps for redrawing: the first Grad-CAM map and the activations, no timeline."""
    return dataclasses.replace(result, timeline=None, cams=result.cams[:1])


def cam_view(state: Inspection | None, alpha: float, cmap: str, lang: str) -> tuple:
    """Grad-CAM overlay, guided map and caption from an inspection (no model run)."""
    if state is None:
        raise UserError("Run an inspection first.", key="error.run_first")
    cam = state.cam
    overlay = served_picture(viz.cam_overlay(state.image, cam.heatmap, alpha=float(alpha), cmap=cmap))
    guided = None if state.guided is None else served_picture(viz.colormap(state.guided, "gray"))
    caption = t("cam_caption", lang, layer=cam.layer, label=cam.label, target=cam.target, score=cam.score)
    return overlay, guided, caption


def activation_view(state: Inspection | None, name: str, scale: str, cmap: str, lang: str) -> tuple:
    """The activation gallery of a stage or block and its statistics (no model run)."""
    if state is None:
        raise UserError("Run an inspection first.", key="error.run_first")
    act = state.activation(name or "layer4")
    grid = served_picture(viz.activation_grid(act, scale=scale, cmap=cmap))
    c, h, w = act.shape
    text = t("act_text", lang, name=act.name, c=c, h=h, w=w, mean=act.mean, std=act.std, max=act.max,
             zeros=act.zero_fraction, channels=", ".join(map(str, act.channels)))
    return grid, text


def mark_predictions(random: bool, request: gr.Request = None) -> Any:
    """The top-k panel's title, which says so when its predictions come from random weights."""
    lang = lang_of(request)
    label = t("predictions", lang)
    return gr.update(label=f"{label} ({t('random_mark', lang)})" if random else label)


def last_inspection(store: SessionStore, ticket: Ticket | None, request: Any) -> Inspection:
    """This session's last inspection, kept in the store for redrawing."""
    if ticket is None:
        raise UserError("Run an inspection first.", key="error.run_first")
    try:
        return store.get(ticket, request=request)
    except Expired:
        raise UserError("Your last inspection has expired; run it again.", key="error.inspection_expired") from None


def inspection_view(result: Inspection, info: ModelInfo, view: tuple, lang: str, notice: str, *,
                    pending: bool = False) -> tuple:
    """Everything the tab shows of a result, in the order of :data:`SHOWN` (no model run)."""
    alpha_v, cmap_v, stage_v, scale_v, act_cmap_v = view
    timing = t("run_info", lang, model=result.model_name, h=result.input_size[0], w=result.input_size[1],
               ms=result.timings["total"] * 1000)
    if pending:
        timing += t("run_pending", lang)
    elif "timeline" in result.timings:
        timing += t("run_timeline", lang, ms=result.timings["timeline"] * 1000)
    top = result.predictions[: min(10, len(result.predictions))]
    names = {a.name for a in result.activations}
    over, guide, caption = cam_view(result, alpha_v, cmap_v, lang)
    grid, text = activation_view(result, stage_v if stage_v in names else "layer4", scale_v, act_cmap_v, lang)
    timeline = None if result.timeline is None else served_picture(
        viz.cam_timeline_image(result.timeline, cmap=cmap_v, lang=lang))
    return (notice, over, guide, caption, viz.predictions_label(top),
            viz.predictions_figure(top, random_weights=info.random, lang=lang), timeline, grid, text,
            viz.stats_figure(result.activations, lang=lang), timing, info.random)


#: what :func:`inspect_image` yields after the session's ticket, by component name
SHOWN = ("notice", "overlay", "guided_img", "cam_caption", "preds", "pred_plot", "timeline", "gallery", "act_text",
         "stats", "run_info", "random_flag")


@friendly
def inspect_image(
    image: Any, depth: str, counts: str, block: str, variant: str, weights: str, layer: str, target: Any,
    mode: str, size: float, top_k: float, guided: bool, alpha: float = 0.5, cmap: str = "jet",
    stage: str = "layer4", scale: str = "per-channel", act_cmap: str = "viridis", user: Ticket | None = None,
    old: Ticket | None = None, request: gr.Request = None,
    progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's way to ask for progress
    *, backend: Backend, store: SessionStore, checkpoint_of: Callable, notice_for: Callable,
) -> Iterator[tuple]:
    """Where a ResNet looks in a picture: its top-k classes, Grad-CAM at a chosen layer (a heatmap
    over the picture), the Grad-CAM timeline (stem and every stage), the strongest channels of a
    stage and per-block statistics. On a CPU the timeline follows the rest; the last update is
    the whole result.

    Args:
        image: the picture (PNG, JPEG, WebP, GIF, BMP or TIFF).
        depth: "ResNet-18", "ResNet-34", "ResNet-50", "ResNet-101", "ResNet-152", or "custom".
        counts: for "custom" only, four block counts, e.g. "2, 2, 2, 2".
        block: for "custom" only, "basic" or "bottleneck".
        variant: "v1.5", "v1" or "preact".
        weights: "DEFAULT" (ImageNet, where the server has them), "IMAGENET1K_V1", "IMAGENET1K_V2" or "random".
        layer: the Grad-CAM layer: "stem", a stage ("layer4") or a block ("layer3.1").
        target: the class to explain: "auto (top-1)", an ImageNet index such as 281, or a name such as "tabby".
        mode: "crop" (the centre, as the network was trained) or "whole" (the whole picture).
        size: the input side in pixels (32 to 1024).
        top_k: how many classes to list (1 to 20).
        guided: also compute Guided Grad-CAM.
        alpha: heatmap opacity, 0 to 1.
        cmap: heatmap colour map: "jet", "viridis", "inferno", "turbo" or "gray".
        stage: the stage or block whose strongest channels are shown.
        scale: "per-channel" or "shared" colour scale for the channels.
        act_cmap: the channels' colour map.
    """
    lang = lang_of(request)
    progress(0.05, desc=t("progress_load", lang))
    choice = ModelChoice.parse(depth, counts, block, variant, weights)
    info, ref, picture, side = model_and_picture(backend, checkpoint_of, image, choice, mode, size, user, request)
    asked = parse_target(target, info.categories)
    view = (alpha, viz.cam.check_cmap(cmap), stage, scale, viz.cam.check_cmap(act_cmap))
    progress(0.5, desc=t("progress_pass", lang))
    call = InspectCall(ref.key if ref else choice.key, picture, mode=mode, size=side, top_k=parse_top_k(top_k),
                       layer=layer or "layer4", target=asked, guided=bool(guided), checkpoint=ref)
    try:
        for result, pending in backend.inspect(call):
            progress(0.7 if pending else 0.9, desc=t("progress_timeline" if pending else "progress_draw", lang))
            # kept for redrawing, in the bounded store (the state holds its ticket); unchanged until complete
            ticket = old if pending else store.put(kept(result), request=request, kind="inspection", replaces=old)
            yield (ticket, *inspection_view(result, info, view, lang, notice_for(info, lang), pending=pending))
    finally:
        release_free_memory()  # a large input's activations go back to the OS, not to an arena


@friendly
def predict(image: Any, depth: str, counts: str, block: str, variant: str, weights: str, mode: str, size: float,
            top_k: float, user: Ticket | None = None, request: gr.Request = None, *, backend: Backend,
            checkpoint_of: Callable, notice_for: Callable) -> tuple:
    """What a ResNet predicts for a picture: the top-k classes from one fast forward pass (no Grad-CAM).

    Args:
        image: the picture (PNG, JPEG, WebP, GIF, BMP or TIFF).
        depth: "ResNet-18", "ResNet-34", "ResNet-50", "ResNet-101", "ResNet-152", or "custom".
        counts: for "custom" only, four block counts, e.g. "2, 2, 2, 2".
        block: for "custom" only, "basic" or "bottleneck".
        variant: "v1.5", "v1" or "preact".
        weights: "DEFAULT", "IMAGENET1K_V1", "IMAGENET1K_V2" or "random".
        mode: "crop" or "whole".
        size: the input side in pixels (32 to 1024).
        top_k: how many classes to list (1 to 20).
    """
    lang = lang_of(request)
    choice = ModelChoice.parse(depth, counts, block, variant, weights)
    info, ref, picture, side = model_and_picture(backend, checkpoint_of, image, choice, mode, size, user, request)
    n = parse_top_k(top_k)
    got = backend.predict(PredictCall(ref.key if ref else choice.key, picture, mode=mode, size=side, top_k=n,
                                      checkpoint=ref))
    (h, w), name = got.input_size, got.info.name
    text = t("predict_info", lang, model=name, h=h, w=w, k=n, ms=got.seconds * 1000)
    return notice_for(got.info, lang), viz.predictions_label(got.predictions), text, got.info.random


@friendly
def render_cam(state: Ticket | None, alpha: float, cmap: str, request: gr.Request = None, *,
               store: SessionStore) -> tuple:
    """Redraw the Grad-CAM overlay from this session's last inspection (no model involved)."""
    return cam_view(last_inspection(store, state, request), alpha, cmap, lang_of(request))


@friendly
def render_activations(state: Ticket | None, name: str, scale: str, cmap: str, request: gr.Request = None, *,
                       store: SessionStore) -> tuple:
    """Redraw the activation gallery for a stage or block (no model involved)."""
    return activation_view(last_inspection(store, state, request), name, scale, cmap, lang_of(request))


def stats_words(state: Ticket | None, request: gr.Request = None, *, store: SessionStore) -> str:
    """What the per-block statistics say, in words computed from them (UI only)."""
    try:
        result = last_inspection(store, state, request)
    except ValueError:
        return ""
    return stats_verdict(result.activations, lang=lang_of(request))


def layout(page: Page) -> dict[str, Any]:
    """The tab's components by name (no events); places the page's shared picture and layer."""
    c: dict[str, Any] = {"state": gr.State(None, **page.store.state_options()),
                         "random_flag": gr.State(False)}  # whether the predictions shown come from random weights
    with gr.Row():
        with gr.Column(scale=1):
            c["image"] = page.image.render()
            gr.Examples([str(p) for p in EXAMPLES], inputs=[c["image"]], label=L("examples"))
            with gr.Accordion(L("options"), open=False):
                c["layer"] = page.layer.render()
                c["target"] = gr.Dropdown(class_choices(IMAGENET_CATEGORIES), value=AUTO_TARGET, label=L("target"),
                                          allow_custom_value=True)
                c["mode"] = gr.Radio(["crop", "whole"], value="crop", label=L("mode"))
                c["size"] = gr.Slider(32, MAX_INPUT_SIZE, value=224, step=1, label=L("size"))
                c["k"] = gr.Slider(1, 20, value=5, step=1, label=L("top_k"))
                c["guided"] = gr.Checkbox(False, label=L("guided"))
            c["run"] = gr.Button(L("run"), variant="primary", elem_id="run")
            c["quick"] = gr.Button(L("quick"), size="sm", elem_id="quick")
        with gr.Column(scale=2):
            c["run_info"] = gr.Markdown(elem_id="run-info")
            with gr.Row():
                c["overlay"] = gr.Image(label=L("gradcam"), format=PHOTO_FORMAT, elem_id="overlay", interactive=False)
                c["guided_img"] = gr.Image(label=L("guided_panel"), format=PHOTO_FORMAT, interactive=False, visible=False)
            c["cam_caption"] = gr.Markdown(elem_id="cam-caption")
            with gr.Row():
                c["alpha"] = gr.Slider(0, 1, value=0.5, step=0.05, label=L("opacity"))
                c["cmap"] = gr.Dropdown(list(viz.COLORMAPS), value="jet", label=L("colormap"))
            c["preds"] = gr.Label(num_top_classes=10, label=L("predictions"), elem_id="preds")
            # class names are the data set's
            c["pred_plot"] = gr.Plot(label=L("topk_plot"), elem_classes=["data-en"])
    gr.Markdown(L("timeline_heading"))
    c["timeline"] = gr.Image(label=L("timeline"), show_label=False, format=PHOTO_FORMAT, interactive=False,
                             elem_id="timeline")
    with gr.Row():
        c["act_name"] = gr.Dropdown(["layer4"], value="layer4", label=L("stage"), allow_custom_value=True)
        c["scale"] = gr.Radio(list(viz.SCALES), value="per-channel", label=L("scale"))
        c["act_cmap"] = gr.Dropdown(list(viz.COLORMAPS), value="viridis", label=L("colormap"))
    c["act_text"] = gr.Markdown()
    c["gallery"] = gr.Image(label=L("gallery"), format=MAP_FORMAT, elem_id="gallery", interactive=False)
    c["stats"] = gr.Plot(label=L("stats"), elem_id="stats")
    c["stats_md"] = gr.Markdown(elem_id="stats-verdict")
    return c


def create(page: Page) -> dict[str, Any]:
    """Lay out the tab and wire its events; returns its components by name."""
    c = layout(page)
    receptive.create_inspect_section(page)  # its own layout and events, below the tab's
    c["notice"] = page.notice
    model_in = [*page.model_in, page.weights]
    view_in = [c[n] for n in ("layer", "target", "mode", "size", "k", "guided", "alpha", "cmap", "act_name", "scale",
                               "act_cmap")]
    c["run"].click(
        gpu(bind(inspect_image, backend=page.backend, store=page.store, checkpoint_of=page.checkpoint,
                 notice_for=page.notice_for)),
        [c["image"], *model_in, *view_in, page.user_model, c["state"]],
        [c["state"], *(c[n] for n in SHOWN)],
        api_name="inspect",
        # batched: as many requests in flight as a batch takes; the batcher runs one at a time
        **(dict(concurrency_id="inspect", concurrency_limit=16) if page.service.batching else page.model_event()),
    ).then(mark_predictions, c["random_flag"], c["preds"], api_name=False).then(
        bind(stats_words, store=page.store), c["state"], c["stats_md"], api_name=False)
    c["quick"].click(
        gpu(bind(predict, backend=page.backend, checkpoint_of=page.checkpoint, notice_for=page.notice_for)),
        [c["image"], *model_in, c["mode"], c["size"], c["k"], page.user_model],
        [page.notice, c["preds"], c["run_info"], c["random_flag"]], api_name="predict", **page.model_event(),
    ).then(mark_predictions, c["random_flag"], c["preds"], api_name=False)
    c["guided"].change(lambda on: gr.update(visible=bool(on)), c["guided"], c["guided_img"], api_name=False)
    cam, cam_in = bind(render_cam, store=page.store), [c["state"], c["alpha"], c["cmap"]]
    cam_out = [c["overlay"], c["guided_img"], c["cam_caption"]]
    for control in (c["alpha"], c["cmap"]):
        control.change(cam, cam_in, cam_out, api_name=False)
    gr.Button("Redraw Grad-CAM", size="sm", visible=False).click(cam, cam_in, cam_out, api_name="render_cam")
    acts, act_in = bind(render_activations, store=page.store), [c["state"], c["act_name"], c["scale"], c["act_cmap"]]
    c["act_name"].change(acts, act_in, [c["gallery"], c["act_text"]], api_name="render_activations")
    for control in (c["scale"], c["act_cmap"]):
        control.change(acts, act_in, [c["gallery"], c["act_text"]], api_name=False)
    page.localize(c["mode"], lambda lang: gr.update(choices=choices("mode_", ["crop", "whole"], lang)))
    page.localize(c["scale"], lambda lang: gr.update(choices=choices("scale_", list(viz.SCALES), lang)))
    page.localize(c["target"], lambda lang: gr.update(
        choices=[(t("auto_target", lang), AUTO_TARGET), *class_choices(IMAGENET_CATEGORIES)[1:]]))
    return c


def layer_choices(depth: str, counts: str, block: str, variant: str) -> tuple:
    """Layer pickers for a model (stem, stages, blocks), read from the model itself."""
    model = skeleton(parse_depth(depth, counts, block), variant)
    names = [name for name, _ in model.layers()]
    last_stage = model.stage_names[-1]
    blocks = list(model.block_names())
    return (
        gr.update(choices=names, value=last_stage),
        gr.update(choices=names, value=last_stage),
        gr.update(choices=blocks, value=blocks[-1] if blocks else None),
    )


__all__ = ["EXAMPLES", "MAP_FORMAT", "PHOTO_FORMAT", "create", "layer_choices"]
