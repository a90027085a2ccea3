"""Attributions: captum's methods side by side, their sanity checks and their faithfulness.

Every computation is a library study (:mod:`resnet_core.attributions.study`) run through the
page's backend; this tab reads the page's choices into one :class:`AttributionCall`, hands it
to ``page.backend.run``, and draws what comes back with :mod:`viz.attributions`. The studies
hold each request to one budget across all its methods; the Stop button sets only its own
caller's cancel flag (:class:`~playground.cancels.Cancels`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr
import numpy as np

from resnet_core.attributions.registry import METHODS, MethodParams
from resnet_core.attributions.study import (
    DEFAULT_METHODS,
    MAX_SANITY_PICTURES,
    TOY,
    AttributionCall,
    AttributionMaps,
    Progress,
)
from resnet_core.errors import UserError
from resnet_core.images import load_image
from resnet_core.studies import Cancelled
from resnet_core.toy import example_images, toy_categories
from viz import attributions as vattr

from ..binding import bind
from ..cancels import Cancels
from ..choices import AUTO_TARGET, ModelChoice, parse_target
from ..context import ROOT, Page, gpu
from ..errors import friendly, said
from ..guard import unread_uploads
from ..locales import L, choices, lang_of, t
from ..sessions import Ticket

MODEL_CHOICES = ("toy", "picked")
BASELINES = ("black", "blur", "noise", "mean")
PHOTOS = sorted((ROOT / "assets" / "examples").glob("*.jpg"))
#: what a study's progress records name, besides a method's label
STAGE_WORDS = {"sanity": "attr_progress_sanity", "random": "attr_random"}


def params_from(layer: str, steps: float, baseline: str, nt_samples: float, window: float, stride: float,
                mask: str, cell: float, samples: float) -> MethodParams:
    """The methods' options from the page (each bounded by MethodParams itself)."""
    return MethodParams(
        layer=layer or "layer4", steps=int(steps), baseline=baseline, nt_samples=int(nt_samples), window=int(window),
        stride=int(stride), mask=mask, cell=int(cell), shapley_samples=int(samples),
    )


def request_call(page: Page, image: Any, which: str, target: Any, methods: list[str], options: tuple,
                 model_in: tuple, user: Ticket | None, request: Any, *, pictures: Any = 1) -> AttributionCall:
    """The request as one frozen call, checked before any work: the picture, the model (the
    session's checkpoint when asked), the class, the methods and their options, and how many
    pictures a sanity check judges over."""
    if which not in MODEL_CHOICES:
        raise ValueError(f"the model is one of {', '.join(MODEL_CHOICES)}")
    if image is None or image == "":
        raise UserError("Upload an image first (or pick one of the examples).", key="error.upload_first")
    if not methods:
        raise ValueError("pick at least one method")
    params = params_from(*options)
    if which == "toy":
        key, ref, categories = TOY, None, toy_categories()
    else:
        choice = ModelChoice.parse(*model_in)
        ref = page.checkpoint(choice, user, request)
        categories = ref.info.categories if ref is not None else page.backend.info(choice.key).categories
        key = ref.key if ref is not None else choice.key
    picture = np.asarray(load_image(image))
    return AttributionCall(picture, key, tuple(methods), parse_target(target, categories), params, checkpoint=ref,
                           pictures=parse_pictures(pictures))


def parse_pictures(value: Any) -> int:
    """The page's "pictures" choice as a whole number from 1 to MAX_SANITY_PICTURES."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not number.is_integer() or not 1 <= number <= MAX_SANITY_PICTURES:
        raise ValueError(f"the number of pictures is a whole number from 1 to {MAX_SANITY_PICTURES}, "
                         f"not {str(value)[:40]!r}")
    return int(number)


def records(page: Page, cancels: Cancels, name: str, call: AttributionCall, request: Any, progress: Any,
            lang: str) -> Iterator[Any]:
    """The study's results through the page's backend, its progress shown on the way; the
    caller's own cancel flag is set by the Stop button."""
    event = cancels.start(request)
    try:
        for record in page.backend.run(name, call, cancel=event):
            if isinstance(record, Progress):
                words = t(STAGE_WORDS[record.label], lang) if record.label in STAGE_WORDS else record.label
                progress(min(max(record.fraction, 0.0), 1.0), desc=words)
            else:
                yield record
    finally:
        cancels.finish(request, event)


def applicability_text(maps: AttributionMaps, lang: str) -> str:
    """Which methods do not apply to this model, and why."""
    rows = [f"* **{label}**: {said(why, lang)}" for label, why in maps.not_applicable]
    return t("attr_all_apply", lang) if not rows else t("attr_not_apply", lang) + "\n" + "\n".join(rows)


@friendly
def attribute_methods(
    image: Any, which: str, target: Any, methods: list[str], layer: str, steps: float, baseline: str,
    nt_samples: float, window: float, stride: float, mask: str, cell: float, samples: float, signed: str,
    shared: bool, depth: str = "ResNet-50", counts: str = "", block: str = "basic", variant: str = "v1.5",
    weights: str = "DEFAULT", user: Ticket | None = None, request: gr.Request = None,
    progress: gr.Progress = gr.Progress(),  # noqa: B008
    *, page: Page, cancels: Cancels,
) -> Iterator[tuple]:
    """Attribution maps of captum's methods side by side for one picture and class: which pixels
    each method says the class rests on, with the time each took.

    Args:
        image: the picture.
        which: "toy" (the shipped ResNet trained on synthetic shapes) or "picked" (the model picked above).
        target: the class: "auto (top-1)", an index, or a name.
        methods: method keys, e.g. ["gradcam", "saliency", "integrated_gradients", "occlusion"].
        layer: Grad-CAM's layer, e.g. "layer4".
        steps: Integrated Gradients' steps.
        baseline: "black", "blur", "noise" or "mean".
        nt_samples: NoiseTunnel's samples.
        window: Occlusion's window side.
        stride: Occlusion's stride.
        mask: "grid" or "superpixels" for Feature Ablation and Shapley sampling.
        cell: grid cell side.
        samples: Shapley permutations.
        signed: "signed" or "absolute".
        shared: one colour range for every map.
    """
    lang = lang_of(request)
    options = (layer, steps, baseline, nt_samples, window, stride, mask, cell, samples)
    call = request_call(page, image, which, target, methods, options, (depth, counts, block, variant, weights),
                        user, request)
    try:
        for maps in records(page, cancels, "attribute", call, request, progress, lang):
            about, done = maps.subject, list(maps.attributions)
            figure = vattr.attribution_grid_figure(about.view, done, class_label=about.class_label,
                                                   signed=signed != "absolute", shared=bool(shared), lang=lang)
            words = vattr.attribution_verdict(done, class_label=about.class_label, lang=lang)
            yield words, figure, applicability_text(maps, lang)
    except Cancelled:
        yield t("attr_stopped", lang), gr.update(), gr.update()


@friendly
def sanity(
    image: Any, which: str, target: Any, methods: list[str], layer: str, steps: float, baseline: str,
    nt_samples: float, window: float, stride: float, mask: str, cell: float, samples: float,
    depth: str = "ResNet-50", counts: str = "", block: str = "basic", variant: str = "v1.5",
    weights: str = "DEFAULT", user: Ticket | None = None, pictures: float = 1, request: gr.Request = None,
    progress: gr.Progress = gr.Progress(),  # noqa: B008
    *, page: Page, cancels: Cancels,
) -> tuple:
    """Sanity check (Adebayo et al. 2018): randomise the network from the logits down, block by block,
    and see whether each method's map changes (it should) — rank correlation and SSIM per step.

    Args:
        pictures: how many pictures the verdict is judged over, 1 to 4: yours, then the bundled toy
            examples in name order; the curves and maps drawn are of your picture.
    """
    lang = lang_of(request)
    options = (layer, steps, baseline, nt_samples, window, stride, mask, cell, samples)
    call = request_call(page, image, which, target, methods, options, (depth, counts, block, variant, weights),
                        user, request, pictures=pictures)
    try:
        (study,) = records(page, cancels, "sanity_check", call, request, progress, lang)
    except Cancelled:
        return t("attr_stopped", lang), gr.update(), gr.update()
    result = study.result
    if len(study.results) > 1:  # judged over every picture; the figures show the first (the user's own)
        words = vattr.sanity_verdict(study.judgements, lang=lang) + " " + t("attr_sanity_first", lang)
    else:
        words = vattr.sanity_verdict(result, lang=lang)
    return words, vattr.sanity_figure(result, lang=lang), vattr.sanity_maps_figure(result, lang=lang)


@friendly
def faithfulness(
    image: Any, which: str, target: Any, methods: list[str], layer: str, steps: float, baseline: str,
    nt_samples: float, window: float, stride: float, mask: str, cell: float, samples: float,
    depth: str = "ResNet-50", counts: str = "", block: str = "basic", variant: str = "v1.5",
    weights: str = "DEFAULT", user: Ticket | None = None, request: gr.Request = None,
    progress: gr.Progress = gr.Progress(),  # noqa: B008
    *, page: Page, cancels: Cancels,
) -> tuple:
    """Faithfulness (Petsiuk et al. 2018): delete the pixels each map ranks highest (and insert them
    into a blurred picture) and watch the class probability; smaller deletion area, larger insertion
    area = more faithful. Random maps are the yardstick; captum's infidelity and max-sensitivity too."""
    lang = lang_of(request)
    options = (layer, steps, baseline, nt_samples, window, stride, mask, cell, samples)
    call = request_call(page, image, which, target, methods, options, (depth, counts, block, variant, weights),
                        user, request)
    try:
        (study,) = records(page, cancels, "faithfulness", call, request, progress, lang)
    except Cancelled:
        return t("attr_stopped", lang), gr.update(), gr.update()
    return (vattr.faithfulness_verdict(study.curves, lang=lang), vattr.faithfulness_figure(study.curves, lang=lang),
            vattr.faithfulness_table(study.curves, study.scores, lang=lang))


def stop_run(request: gr.Request = None, *, cancels: Cancels) -> None:
    """Stop the caller's own running attribution before its next chunk (nobody else's)."""
    cancels.stop(request)


def _inputs() -> dict[str, Any]:
    """The left column: picture, model, class, methods and their options, the buttons."""
    c: dict[str, Any] = {}
    c["image"] = unread_uploads(gr.Image(type="filepath", image_mode=None, sources=["upload", "clipboard"],
                                         label=L("picture"), elem_id="attr-image"))
    gr.Examples([str(p) for p in example_images()] + [str(p) for p in PHOTOS], inputs=[c["image"]],
                label=L("examples"), examples_per_page=14)
    c["which"] = gr.Radio(list(MODEL_CHOICES), value="toy", label=L("attr_model"), elem_id="attr-model")
    c["target"] = gr.Dropdown([AUTO_TARGET], value=AUTO_TARGET, label=L("target"), allow_custom_value=True)
    c["methods"] = gr.CheckboxGroup([(info.label, key) for key, info in METHODS.items()], value=list(DEFAULT_METHODS),
                                    label=L("attr_methods"), elem_id="attr-methods")
    with gr.Accordion(L("attr_params"), open=False):
        c["layer"] = gr.Dropdown(["layer1", "layer2", "layer3", "layer4"], value="layer4", label=L("layer"),
                                 allow_custom_value=True)
        c["steps"] = gr.Slider(2, 128, value=16, step=1, label=L("attr_steps"))
        c["baseline"] = gr.Radio(list(BASELINES), value="black", label=L("attr_baseline"))
        c["nt_samples"] = gr.Slider(1, 32, value=8, step=1, label=L("attr_nt_samples"))
        c["window"] = gr.Slider(1, 64, value=8, step=1, label=L("attr_window"))
        c["stride"] = gr.Slider(1, 64, value=4, step=1, label=L("attr_stride"))
        c["mask"] = gr.Radio(["grid", "superpixels"], value="grid", label=L("attr_mask"))
        c["cell"] = gr.Slider(2, 64, value=8, step=1, label=L("attr_cell"))
        c["samples"] = gr.Slider(1, 16, value=2, step=1, label=L("attr_samples"))
    c["signed"] = gr.Radio(["signed", "absolute"], value="signed", label=L("attr_scale"))
    c["shared"] = gr.Checkbox(False, label=L("attr_shared"))
    with gr.Row():
        c["run"] = gr.Button(L("attr_run"), variant="primary", elem_id="attr-run")
        c["stop"] = gr.Button(L("attr_stop"), variant="stop", elem_id="attr-stop")
    c["pictures"] = gr.Slider(1, MAX_SANITY_PICTURES, value=1, step=1, label=L("attr_sanity_pictures"),
                              elem_id="attr-sanity-pictures")
    with gr.Row():
        c["sanity_btn"] = gr.Button(L("attr_sanity"), elem_id="attr-sanity")
        c["faith_btn"] = gr.Button(L("attr_faith"), elem_id="attr-faith")
    return c


def create(page: Page) -> dict[str, Any]:
    """Lay out the tab and wire its events; returns its components by name."""
    gr.Markdown(L("attr_intro"))
    with gr.Row():
        with gr.Column(scale=1):
            c = _inputs()
        with gr.Column(scale=2):
            verdict = gr.Markdown(elem_id="attr-verdict")
            grid = gr.Plot(label=L("attr_grid"), elem_id="attr-grid")
            applies = gr.Markdown(elem_id="attr-applies")
            sanity_md = gr.Markdown(elem_id="attr-sanity-verdict")
            sanity_plot = gr.Plot(label=L("attr_sanity_plot"))
            sanity_maps = gr.Plot(label=L("attr_sanity_maps"))
            faith_md = gr.Markdown(elem_id="attr-faith-verdict")
            faith_plot = gr.Plot(label=L("attr_faith_plot"))
            faith_table = gr.Dataframe(interactive=False, wrap=True, elem_id="attr-faith-table")

    cancels = Cancels()
    deps = dict(page=page, cancels=cancels)
    common = [c[k] for k in ("image", "which", "target", "methods", "layer", "steps", "baseline", "nt_samples",
                             "window", "stride", "mask", "cell", "samples")]
    model_in = [*page.model_in, page.weights, page.user_model]
    long = page.model_event(long=True)
    c["run"].click(gpu(bind(attribute_methods, **deps)), [*common, c["signed"], c["shared"], *model_in],
                   [verdict, grid, applies], api_name="attribute", **long)
    c["sanity_btn"].click(gpu(bind(sanity, **deps)), [*common, *model_in, c["pictures"]],
                          [sanity_md, sanity_plot, sanity_maps],
                          api_name="sanity_check", **long)
    c["faith_btn"].click(gpu(bind(faithfulness, **deps)), [*common, *model_in], [faith_md, faith_plot, faith_table],
                         api_name="faithfulness", **long)
    # queued, in a group that never waits: never callable through POST /run/<name>
    c["stop"].click(bind(stop_run, cancels=cancels), None, None, api_name=False, concurrency_id="stop",
                    concurrency_limit=None)
    page.localize(c["which"], lambda lang: gr.update(choices=choices("attr_model_", list(MODEL_CHOICES), lang)))
    page.localize(c["signed"], lambda lang: gr.update(choices=choices("attr_scale_", ["signed", "absolute"], lang)))
    page.localize(c["mask"], lambda lang: gr.update(choices=choices("attr_mask_", ["grid", "superpixels"], lang)))
    page.localize(c["baseline"], lambda lang: gr.update(choices=choices("attr_baseline_", list(BASELINES), lang)))
    page.localize(c["target"], lambda lang: gr.update(choices=[(t("auto_target", lang), AUTO_TARGET)]))
    page.localize(faith_table, lambda lang: vattr.faithfulness_table([], lang=lang))
    return dict(image=c["image"], which=c["which"], grid=grid)
