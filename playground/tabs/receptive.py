"""What each stage sees: the theoretical field (Architecture tab), the effective field and what
each channel looks for (Inspect tab). Every computation is a study run through ``page.backend``.

Two sections, each called by one line from its tab:
:func:`create_architecture_section` and :func:`create_inspect_section`.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr
import numpy as np

from resnet_core.erf import MAX_NOISE_IMAGES, ErfCall, ErfResult
from resnet_core.errors import UserError
from resnet_core.featureviz import MAX_CHANNELS, FeatureVizCall, FeatureVizProgress, FeatureVizResult
from resnet_core.images import load_image
from resnet_core.preprocess import MAX_INPUT_SIZE
from resnet_core.receptive import FieldCall, FieldResult
from resnet_core.serving import skeleton
from resnet_core.text import parse_int, quote
from viz import receptive as vr

from ..choices import DEFAULT_DEPTH, ModelChoice, parse_depth, parse_size
from ..context import ROOT, Page, gpu
from ..errors import friendly
from ..guard import served_picture, unread_uploads
from ..locales import L, choices, lang_of, t

DEFAULT_PICTURE = ROOT / "assets" / "examples" / "cat.jpg"
MODELS = ("toy", "picked")
#: the most a person may ask of one visualization here (the library allows more)
MAX_FV_SECONDS, MAX_FV_STEPS, MAX_FV_SIDE = 120, 512, 256
#: the effective field's work bound, in largest forward passes the server allows (``--max-gmacs``)
ERF_WORK = 8


def _picture(image: Any) -> np.ndarray | None:
    """The decoded picture, or None when none was given (the studies then use noise or the bundled pictures)."""
    if image is None or image == "":
        return None
    return np.asarray(load_image(image))


def parse_position(text: Any) -> tuple[int, int] | None:
    """"7, 7" -> (7, 7); empty -> None (the centre)."""
    raw = str(text if text is not None else "").strip()
    if not raw:
        return None
    parts = [p for p in raw.replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        numbers = tuple(parse_int(p) for p in parts)
    except ValueError:
        numbers = ()
    if len(numbers) != 2 or min(numbers) < 0:
        raise UserError(f"a position is a row and a column such as 7, 7 (or empty for the centre), not {quote(text)}",
                        key="error.position", got=quote(text))
    return numbers  # type: ignore[return-value]


def parse_channels(text: Any) -> tuple[int, ...]:
    """"0, 1, 2, 3" -> (0, 1, 2, 3), 1 to MAX_CHANNELS whole numbers."""
    parts = [p for p in str(text if text is not None else "").replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        numbers = tuple(parse_int(p) for p in parts)
    except ValueError:
        numbers = ()
    if not 1 <= len(numbers) <= MAX_CHANNELS or min(numbers) < 0:
        raise UserError(f"channels are 1 to {MAX_CHANNELS} whole numbers such as 0, 1, 2, 3; got {quote(text)}",
                        key="error.channels", high=MAX_CHANNELS, got=quote(text))
    return numbers


def field_json(result: FieldResult) -> dict[str, Any]:
    """What an API client gets: every field and jump by name, the boxes and the arithmetic."""
    f = result.fields
    return {
        "model": f.model_name, "variant": f.variant, "input_size": list(f.input_size), "layer": result.layer,
        "position": list(result.position), "theoretical": f.theoretical, "jumps": f.jumps,
        "boxes": {name: list(box) for name, box in result.boxes},
        "other_variant": result.other_variant, "other_theoretical": result.other, "arithmetic": f.arithmetic(),
    }


def layer_update(depth: str, counts: str, block: str, variant: str, current: str | None = None) -> Any:
    """The layer picker for a network: its stages and blocks, read from the model (the pick kept if it exists)."""
    model = skeleton(parse_depth(depth, counts, block), variant)
    names = [n for n, kind in model.layers() if kind != "stem"]
    return gr.update(choices=names, value=current if current in names else model.stage_names[-1])


def create_architecture_section(page: Page, *, height: gr.Number, width: gr.Number) -> dict[str, Any]:
    """The theoretical field beside the shape table: a table with the arithmetic, boxes on a picture, JSON."""
    with gr.Accordion(L("rf_heading"), open=True):
        gr.Markdown(L("rf_help"))
        with gr.Row():
            layer = gr.Dropdown(["layer1", "layer2", "layer3", "layer4"], value="layer4", label=L("rf_layer"),
                                allow_custom_value=True, elem_id="rf-layer")
            position = gr.Textbox("", label=L("rf_position"), info=L("rf_position_info"), elem_id="rf-position")
            show = gr.Button(L("rf_show"), variant="secondary")
        with gr.Row():
            with gr.Column(scale=1):
                picture = unread_uploads(gr.Image(str(DEFAULT_PICTURE), type="filepath", image_mode=None,
                                                  sources=["upload", "clipboard"], label=L("rf_picture")))
                boxes = gr.Image(label=L("rf_boxes"), format="png", interactive=False, elem_id="rf-boxes")
            with gr.Column(scale=2):
                words = gr.Markdown(elem_id="rf-words")
        # the page's full width: beside the pictures its arithmetic column went into a sideways scroll
        table = gr.Markdown(elem_id="rf-table", elem_classes=["shape-table"])
        data = gr.JSON(label=L("rf_json"), visible=False)  # for API clients; the page shows words

    @friendly
    def receptive_field(depth: str, counts: str, block: str, variant: str, height: float, width: float,
                        layer: str = "layer4", position: str = "", picture: Any = None,
                        request: gr.Request = None) -> tuple:
        """The theoretical receptive field of every stage and block of a ResNet: its size and jump in input
        pixels with the arithmetic (r_out = r_in + (k − 1)·j_in, j_out = j_in·s), and the boxes one position
        sees, drawn on a picture.

        Args:
            depth: "ResNet-18", "ResNet-34", "ResNet-50", "ResNet-101", "ResNet-152", or "custom".
            counts: for "custom" only, four block counts, e.g. "2, 2, 2, 2".
            block: for "custom" only, "basic" or "bottleneck".
            variant: "v1.5", "v1" or "preact".
            height: input height in pixels, e.g. 224.
            width: input width in pixels, e.g. 224.
            layer: the stage or block whose position is chosen, e.g. "layer4" or "layer3.1".
            position: its output position as "row, col"; empty for the centre.
            picture: a picture to draw the boxes on (optional).
        """
        lang = lang_of(request)
        call = FieldCall(parse_depth(depth, counts, block), variant, parse_size(height, width), layer or "layer4",
                         parse_position(position))
        *_, result = page.backend.run("receptive_field", call)
        sentence = vr.variant_sentence(result, lang=lang)
        table_md = vr.field_table_markdown(result, lang=lang)
        pixels = vr.field_picture(result, _picture(picture))
        return sentence, served_picture(pixels), table_md, field_json(result)

    inputs = [*page.model_in, height, width, layer, position, picture]
    outputs = [words, boxes, table, data]
    show.click(receptive_field, inputs, outputs, api_name="receptive_field")
    def follow(depth: str, counts: str, block: str, variant: str, height: float, width: float,
               layer: str = "layer4", position: str = "", picture: Any = None, request: gr.Request = None) -> tuple:
        # counts being typed that do not parse leave the section as it is: the totals above say
        # what is wrong, once, instead of a second toast from here
        try:
            ModelChoice.parse(depth, counts, block, variant)
        except ValueError:
            return gr.update(), gr.update(), gr.update(), gr.update(), gr.update()
        return (layer_update(depth, counts, block, variant, layer),
                *receptive_field(depth, counts, block, variant, height, width, layer, position, picture, request=request))

    for event in page.architecture_events():  # another network: its layers, then its fields
        event(friendly(follow), inputs, [layer, *outputs], api_name=False)
    # the page's defaults filled with the words of its language, in the page's one load event (a
    # load event of our own would announce its completion on the page, where the words are checked)
    default = functools.cache(lambda: _last(page.backend.run(
        "receptive_field", FieldCall(parse_depth(DEFAULT_DEPTH), "v1.5", (224, 224), "layer4")), FieldResult))
    page.localize(words, lambda lang: vr.variant_sentence(default(), lang=lang))
    page.localize(table, lambda lang: vr.field_table_markdown(default(), lang=lang))
    page.localize(boxes, lambda lang: served_picture(vr.field_picture(default(), _picture(str(DEFAULT_PICTURE)))))
    page.localize(data, lambda lang: field_json(default()))
    return dict(rf_layer=layer, rf_words=words, rf_boxes=boxes, rf_table=table, rf_json=data)


def bounded_noise(page: Page, key: Any, side: int, noise: int) -> int:
    """Noise pictures within the server's budget: at most :data:`ERF_WORK` largest passes in all
    (each picture costs a forward and a backward pass, for two networks), so the largest network at
    the largest input averages fewer pictures instead of running for minutes. The toy is always cheap."""
    if key is None:
        return noise
    gmacs = page.backend.check_cost(key.depth, key.variant, side).macs / 1e9
    return max(1, min(noise, int(ERF_WORK * page.settings.service.max_gmacs / max(gmacs, 1e-3))))


def _choice_call(page: Page, which: str, model_in: tuple, user: Any, request: Any, size: int) -> tuple[Any, Any]:
    """(key, checkpoint) for the picked model, or (None, None) for the toy."""
    if which not in MODELS:
        raise ValueError(f"the model is one of {', '.join(MODELS)}, not {quote(which)}")
    if which == "toy":
        return None, None
    choice = ModelChoice.parse(*model_in)
    ref = page.checkpoint(choice, user, request, size=size)
    return (ref.key if ref else choice.key), ref


def erf_handler(page: Page) -> Callable[..., tuple]:
    """The /effective_receptive_field handler for ``page``."""

    @friendly
    def effective_receptive_field(image: Any = None, which: str = "toy", depth: str = "ResNet-50", counts: str = "",
                                  block: str = "basic", variant: str = "v1.5", weights: str = "DEFAULT",
                                  layer: str = "layer3", size: float = 0, noise: float = 8, user: Any = None,
                                  request: gr.Request = None) -> tuple:
        """The effective receptive field (Luo et al. 2016) of a stage's centre unit: the input gradient,
        averaged over noise pictures and on your picture, for trained and random weights; the side of the
        square holding 95 % of it as a fraction of the theoretical field, and what that says.

        Args:
            image: your picture (optional; without one, noise only).
            which: "toy" (the shipped ResNet trained on shapes) or "picked" (the model picked above).
            depth: for "picked": "ResNet-18" ... "ResNet-152" or "custom".
            counts: for "custom" only, four block counts.
            block: for "custom" only, "basic" or "bottleneck".
            variant: "v1.5", "v1" or "preact".
            weights: "DEFAULT", "IMAGENET1K_V1", "IMAGENET1K_V2", "random" or "checkpoint".
            layer: the stage or block, e.g. "layer3".
            size: the input side; 0 for the model's own (64 for the toy).
            noise: noise pictures to average over (1 to 64; fewer for the largest networks and inputs).
        """
        lang = lang_of(request)
        side = int(size) if size else None
        key, ref = _choice_call(page, which, (depth, counts, block, variant, weights), user, request, side or 224)
        noise = bounded_noise(page, key, side or 224, int(noise))
        call = ErfCall(which, key, ref, layer or "layer3", side, _picture(image), noise=noise)
        result = _last(page.backend.run("effective_receptive_field", call), ErfResult)
        numbers = {
            "model": result.model_name, "trained_source": result.trained_source, "layer": result.layer,
            "input_size": list(result.input_size), "verdict": vars(result.verdict),
            "maps": [{"weights": m.weights, "source": m.source, "images": m.images, "theoretical": m.theoretical,
                      "radius95": m.radius, "fraction": m.fraction, "area": m.area, "kurtosis": list(m.kurtosis),
                      "box": list(m.box)} for m in result.maps],
        }
        return (vr.erf_verdict(result, lang=lang), vr.erf_figure(result, lang=lang), served_picture(vr.erf_overlay(result)),
                numbers)

    return effective_receptive_field


def fv_handler(page: Page) -> Callable[..., Iterator[tuple]]:
    """The /feature_visualization handler for ``page`` (a generator: progress, then the result)."""

    @friendly
    def feature_visualization(image: Any = None, which: str = "toy", depth: str = "ResNet-50", counts: str = "",
                              block: str = "basic", variant: str = "v1.5", weights: str = "DEFAULT",
                              layer: str = "layer3", channels: str = "0, 1, 2, 3", size: float = 64, steps: float = 64,
                              seconds: float = 30, user: Any = None, request: gr.Request = None) -> Iterator[tuple]:
        """What channels of a stage look for (Olah et al. 2017): pictures optimised to excite each channel,
        a few channels in one batch, beside the crops of your picture and the bundled ones that excite it
        most. Progress comes as pictures; the last update is the result. Random weights give noise.

        Args:
            image: your picture for the dataset examples (optional).
            which: "toy" (the shipped ResNet trained on shapes) or "picked" (the model picked above).
            depth: for "picked": "ResNet-18" ... "ResNet-152" or "custom".
            counts: for "custom" only, four block counts.
            block: for "custom" only, "basic" or "bottleneck".
            variant: "v1.5", "v1" or "preact".
            weights: "DEFAULT", "IMAGENET1K_V1", "IMAGENET1K_V2", "random" or "checkpoint".
            layer: the stage or block, e.g. "layer3".
            channels: up to 8 channel numbers, e.g. "0, 1, 2, 3".
            size: side of the optimised pictures (32 to 256).
            steps: most optimisation steps (1 to 512).
            seconds: most seconds of optimisation (1 to 120).
        """
        lang = lang_of(request)
        side = int(min(max(float(size), 32), MAX_FV_SIDE))
        key, ref = _choice_call(page, which, (depth, counts, block, variant, weights), user, request, side)
        call = FeatureVizCall(which, key, ref, layer or "layer3", parse_channels(channels), side,
                              int(min(max(float(steps), 1), MAX_FV_STEPS)), float(min(max(float(seconds), 1), MAX_FV_SECONDS)),
                              _picture(image))
        cancel = threading.Event()
        try:
            for record in page.backend.run("feature_visualization", call, cancel=cancel):
                if isinstance(record, FeatureVizProgress):
                    text = t("rf_fv_progress", lang, step=record.step, steps=record.steps, s=record.seconds)
                    yield text, served_picture(vr.feature_preview(record)), None
                elif isinstance(record, FeatureVizResult):
                    yield vr.feature_verdict(record, lang=lang), served_picture(vr.feature_grid(record, lang=lang)), {
                        "model": record.model_name, "source": record.source, "random": record.random,
                        "layer": record.layer, "steps": record.steps, "seconds": record.seconds,
                        "stopped_by": record.stopped_by,
                        "channels": [{"channel": p.channel, "start": p.start, "end": p.end,
                                      "examples": [{"source": e.source, "value": e.value, "box": list(e.box)}
                                                   for e in p.examples]} for p in record.pictures],
                    }
        finally:
            cancel.set()  # a client that left stops the optimisation at its next step

    return feature_visualization


def create_inspect_section(page: Page) -> dict[str, Any]:
    """The effective field and the channels' pictures on the Inspect tab's picture."""
    with gr.Accordion(L("rf_inspect_heading"), open=False):
        gr.Markdown(L("rf_inspect_help"))
        with gr.Row():
            which = gr.Radio(list(MODELS), value="toy", label=L("rf_model"), elem_id="rf-model")
            layer = gr.Dropdown(["layer1", "layer2", "layer3", "layer4"], value="layer3", label=L("rf_layer"),
                                allow_custom_value=True)
            size = gr.Slider(0, MAX_INPUT_SIZE, value=0, step=1, label=L("rf_size"), info=L("rf_size_info"))
        gr.Markdown(L("rf_erf_heading"))
        with gr.Row():
            noise = gr.Slider(1, MAX_NOISE_IMAGES, value=8, step=1, label=L("rf_noise"))
            erf_btn = gr.Button(L("rf_erf_run"), variant="secondary", elem_id="rf-erf-run")
        erf_words = gr.Markdown(elem_id="rf-erf-words")
        with gr.Row():
            erf_plot = gr.Plot(label=L("rf_erf_plot"))
            erf_pic = gr.Image(label=L("rf_erf_picture"), format="png", interactive=False)
        erf_data = gr.JSON(label=L("rf_json"), visible=False)  # for API clients; the page shows words
        gr.Markdown(L("rf_fv_heading"))
        with gr.Row():
            channels = gr.Textbox("0, 1, 2, 3", label=L("rf_channels"), info=L("rf_channels_info"))
            fv_side = gr.Slider(32, MAX_FV_SIDE, value=64, step=1, label=L("rf_fv_size"))
            steps = gr.Slider(1, MAX_FV_STEPS, value=64, step=1, label=L("rf_steps"))
            seconds = gr.Slider(1, MAX_FV_SECONDS, value=30, step=1, label=L("rf_seconds"))
        fv_btn = gr.Button(L("rf_fv_run"), variant="secondary", elem_id="rf-fv-run")
        fv_words = gr.Markdown(elem_id="rf-fv-words")
        fv_pic = gr.Image(label=L("rf_fv_grid"), format="png", interactive=False, elem_id="rf-fv-grid")
        fv_data = gr.JSON(label=L("rf_json"), visible=False)  # for API clients; the page shows words
    image = page.image if page.image is not None else gr.State(None)

    model_in = [*page.model_in, page.weights]
    erf_btn.click(gpu(erf_handler(page)), [image, which, *model_in, layer, size, noise, page.user_model],
                  [erf_words, erf_plot, erf_pic, erf_data], api_name="effective_receptive_field", **page.model_event(long=True))
    fv_btn.click(gpu(fv_handler(page)),
                 [image, which, *model_in, layer, channels, fv_side, steps, seconds, page.user_model],
                 [fv_words, fv_pic, fv_data], api_name="feature_visualization", **page.model_event(long=True))
    page.localize(which, lambda lang: gr.update(choices=choices("rf_model_", list(MODELS), lang)))
    return dict(rf_which=which, rf_erf_words=erf_words, rf_fv_words=fv_words)


def _last(records: Iterator[Any], kind: type) -> Any:
    """The study's final record (progress records before it are dropped)."""
    last = None
    for record in records:
        last = record
    if not isinstance(last, kind):
        raise RuntimeError(f"the study ended without a {kind.__name__}")
    return last


__all__ = ["create_architecture_section", "create_inspect_section", "field_json", "parse_channels", "parse_position"]
