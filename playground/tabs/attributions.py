"""Attributions: captum's methods side by side, their sanity checks and their faithfulness.

Every map comes from captum's own classes (``resnet_core.attributions``); this tab only reads
the page's choices, holds each request to the compute budget, and draws the records.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from typing import Any

import gradio as gr
import torch

from resnet_core.attributions import inputs as attr_inputs
from resnet_core.attributions.faithfulness import captum_scores, deletion_insertion, random_map
from resnet_core.attributions.methods import attribute
from resnet_core.attributions.registry import METHODS, MethodParams, method_table
from resnet_core.attributions.sanity import sanity_check
from resnet_core.images import load_image, prepare
from resnet_core.serving import architecture_of
from resnet_core.toy import example_images, load_toy
from resnet_core.weights import LoadedWeights
from viz import attributions as vattr

from ..choices import AUTO_TARGET, ModelChoice, parse_target
from ..errors import friendly
from ..guard import unread_uploads
from ..locales import L, choices, lang_of, t
from ..page import ROOT, Page, gpu
from ..sessions import Ticket

DEFAULT_METHODS = ("gradcam", "saliency", "integrated_gradients", "occlusion")
#: compute a request may spend, in billions of multiply-accumulates (forward passes x cost of one)
BUDGET_GMACS = {"cpu": 400.0, "cuda": 20_000.0}
MODEL_CHOICES = ("toy", "picked")
PHOTOS = sorted((ROOT / "assets" / "examples").glob("*.jpg"))


@functools.lru_cache(maxsize=1)
def _toy(device: str) -> tuple[Any, LoadedWeights]:
    """The shipped toy ResNet (trained on the lab's synthetic shapes), loaded once, read-only."""
    toy = load_toy()
    model = toy.model.to(device).eval().requires_grad_(False)
    return model, toy.weights


class Run:
    """One request's model, picture, class and budget, read from the page once."""

    def __init__(self, page: Page, image: Any, which: str, target: Any, user: Ticket | None, request: Any,
                 model_in: tuple) -> None:
        if which not in MODEL_CHOICES:
            raise ValueError(f"the model is one of {', '.join(MODEL_CHOICES)}")
        if image is None or image == "":
            raise ValueError("Upload an image first (or pick one of the examples).")
        device = page.service.device
        if which == "toy":
            self.model, weights = _toy(str(device))
        else:
            choice = ModelChoice.parse(*model_in)
            served = page.served(choice, user, request)
            self.model, weights = served.model, served.weights
        prepared = prepare(load_image(image), weights.preprocess)
        self.inp = attr_inputs.attribution_input(prepared, weights.preprocess)
        if which == "toy":
            per_pass = toy_macs()
        else:
            per_pass = architecture_of(choice.depth, choice.variant, self.inp.size).macs
        self.categories = weights.categories
        self.target = parse_target(target, self.categories)
        if self.target is None:
            with torch.inference_mode():
                logits = self.model(self.inp.tensor.to(device))
            self.target = int(logits.argmax(1))
        self.label = self.categories[self.target] if self.target < len(self.categories) else f"class {self.target}"
        # the most images through the network that fit the server's compute budget for one request
        self.budget = int(max(16, min(4096, BUDGET_GMACS.get(device.type, 400.0) * 1e9 / max(per_pass, 1))))


@functools.lru_cache(maxsize=1)
def toy_macs() -> int:
    """Multiply-accumulates of one toy forward pass at its 32x32 input."""
    from resnet_core.shapes import describe
    from resnet_core.toy import build_toy

    with torch.device("meta"):
        model = build_toy()
    return describe(model, (32, 32)).macs


def params_from(layer: str, steps: float, baseline: str, nt_samples: float, window: float, stride: float,
                mask: str, cell: float, samples: float) -> MethodParams:
    """The methods' options from the page (each bounded by MethodParams itself)."""
    return MethodParams(
        layer=layer or "layer4", steps=int(steps), baseline=baseline, nt_samples=int(nt_samples), window=int(window),
        stride=int(stride), mask=mask, cell=int(cell), shapley_samples=int(samples),
    )


def begin(page: Page, methods: list[str], image: Any, which: str, target: Any, user: Ticket | None, request: Any,
          model_in: tuple, option_values: tuple) -> tuple[Run, MethodParams]:
    """What every attribution request starts with: at least one method, the run, the options."""
    if not methods:
        raise ValueError("pick at least one method")
    return Run(page, image, which, target, user, request, model_in), params_from(*option_values)


def applicability_text(model: Any, lang: str) -> str:
    """Which methods do not apply to this model, and why."""
    rows = [f"* **{info.label}**: {why.get(lang, why['en'])}" for info, why in method_table(model) if why]
    return t("attr_all_apply", lang) if not rows else t("attr_not_apply", lang) + "\n" + "\n".join(rows)


def create(page: Page) -> dict[str, Any]:  # noqa: PLR0915 - layout reads top to bottom
    """Lay out the tab and wire its events; returns its components by name."""
    gr.Markdown(L("attr_intro"))
    with gr.Row():
        with gr.Column(scale=1):
            image = unread_uploads(gr.Image(type="filepath", image_mode=None, sources=["upload", "clipboard"],
                                            label=L("picture"), elem_id="attr-image"))
            gr.Examples([str(p) for p in example_images()] + [str(p) for p in PHOTOS], inputs=[image],
                        label=L("examples"), examples_per_page=14)
            which = gr.Radio(list(MODEL_CHOICES), value="toy", label=L("attr_model"), elem_id="attr-model")
            target = gr.Dropdown([AUTO_TARGET], value=AUTO_TARGET, label=L("target"), allow_custom_value=True)
            methods = gr.CheckboxGroup([(info.label, key) for key, info in METHODS.items()], value=list(DEFAULT_METHODS),
                                       label=L("attr_methods"), elem_id="attr-methods")
            with gr.Accordion(L("attr_params"), open=False):
                layer = gr.Dropdown(["layer1", "layer2", "layer3", "layer4"], value="layer4", label=L("layer"),
                                    allow_custom_value=True)
                steps = gr.Slider(2, 128, value=16, step=1, label=L("attr_steps"))
                baseline = gr.Radio(["black", "blur", "noise", "mean"], value="black", label=L("attr_baseline"))
                nt_samples = gr.Slider(1, 32, value=8, step=1, label=L("attr_nt_samples"))
                window = gr.Slider(1, 64, value=8, step=1, label=L("attr_window"))
                stride = gr.Slider(1, 64, value=4, step=1, label=L("attr_stride"))
                mask = gr.Radio(["grid", "superpixels"], value="grid", label=L("attr_mask"))
                cell = gr.Slider(2, 64, value=8, step=1, label=L("attr_cell"))
                samples = gr.Slider(1, 16, value=2, step=1, label=L("attr_samples"))
            signed = gr.Radio(["signed", "absolute"], value="signed", label=L("attr_scale"))
            shared = gr.Checkbox(False, label=L("attr_shared"))
            with gr.Row():
                run = gr.Button(L("attr_run"), variant="primary", elem_id="attr-run")
                stop = gr.Button(L("attr_stop"), variant="stop", elem_id="attr-stop")
            with gr.Row():
                sanity_btn = gr.Button(L("attr_sanity"), elem_id="attr-sanity")
                faith_btn = gr.Button(L("attr_faith"), elem_id="attr-faith")
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

    cancels: dict[str, threading.Event] = {}
    model_in = [*page.model_in, page.weights]

    def cancel_event(request: Any) -> threading.Event:
        key = getattr(request, "session_hash", None) or "anonymous"
        event = threading.Event()
        cancels[key] = event
        if len(cancels) > 1000:  # sessions that left: keep the newest
            for old in list(cancels)[:-1000]:
                cancels.pop(old, None)
        return event

    def progress_of(progress: Any, lang: str, what: str) -> Any:
        return lambda fraction: progress(min(max(float(fraction), 0.0), 1.0), desc=t(what, lang))

    @friendly
    def attribute_methods(
        image: Any, which: str, target: Any, methods: list[str], layer: str, steps: float, baseline: str,
        nt_samples: float, window: float, stride: float, mask: str, cell: float, samples: float, signed: str,
        shared: bool, depth: str = "ResNet-50", counts: str = "", block: str = "basic", variant: str = "v1.5",
        weights: str = "DEFAULT", user: Ticket | None = None, request: gr.Request = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
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
        if len(methods) > 8:
            raise ValueError("at most 8 methods at once")
        run_, params = begin(page, methods, image, which, target, user, request, (depth, counts, block, variant, weights),
                             (layer, steps, baseline, nt_samples, window, stride, mask, cell, samples))
        cancel = cancel_event(request)
        done = []
        for i, method in enumerate(methods):
            progress(i / len(methods), desc=METHODS[method].label if method in METHODS else method)
            done.append(attribute(run_.model, run_.inp, method=method, target=run_.target, params=params,
                                  budget=run_.budget, cancel=cancel))
            figure = vattr.attribution_grid_figure(run_.inp.view, done, class_label=run_.label,
                                                   signed=signed != "absolute", shared=bool(shared), lang=lang)
            words = vattr.attribution_verdict(done, class_label=run_.label, lang=lang)
            yield words, figure, applicability_text(run_.model, lang)

    @friendly
    def sanity(
        image: Any, which: str, target: Any, methods: list[str], layer: str, steps: float, baseline: str,
        nt_samples: float, window: float, stride: float, mask: str, cell: float, samples: float,
        depth: str = "ResNet-50", counts: str = "", block: str = "basic", variant: str = "v1.5",
        weights: str = "DEFAULT", user: Ticket | None = None, request: gr.Request = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple:
        """Sanity check (Adebayo et al. 2018): randomise the network from the logits down, block by block,
        and see whether each method's map changes (it should) — rank correlation and SSIM per step."""
        lang = lang_of(request)
        run_, params = begin(page, methods, image, which, target, user, request, (depth, counts, block, variant, weights),
                             (layer, steps, baseline, nt_samples, window, stride, mask, cell, samples))
        result = sanity_check(run_.model, run_.inp, methods=methods[:4], target=run_.target, params=params,
                              budget=run_.budget * 4, progress=progress_of(progress, lang, "attr_progress_sanity"),
                              cancel=cancel_event(request))
        return (vattr.sanity_verdict(result, lang=lang), vattr.sanity_figure(result, lang=lang),
                vattr.sanity_maps_figure(result, lang=lang))

    @friendly
    def faithfulness(
        image: Any, which: str, target: Any, methods: list[str], layer: str, steps: float, baseline: str,
        nt_samples: float, window: float, stride: float, mask: str, cell: float, samples: float,
        depth: str = "ResNet-50", counts: str = "", block: str = "basic", variant: str = "v1.5",
        weights: str = "DEFAULT", user: Ticket | None = None, request: gr.Request = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple:
        """Faithfulness (Petsiuk et al. 2018): delete the pixels each map ranks highest (and insert them
        into a blurred picture) and watch the class probability; smaller deletion area, larger insertion
        area = more faithful. Random maps are the yardstick; captum's infidelity and max-sensitivity too."""
        lang = lang_of(request)
        run_, params = begin(page, methods, image, which, target, user, request, (depth, counts, block, variant, weights),
                             (layer, steps, baseline, nt_samples, window, stride, mask, cell, samples))
        cancel = cancel_event(request)
        curves, scores = [], []
        chosen = methods[:6]
        for i, method in enumerate(chosen):
            progress(i / (len(chosen) + 1), desc=METHODS[method].label if method in METHODS else method)
            attr = attribute(run_.model, run_.inp, method=method, target=run_.target, params=params,
                             budget=run_.budget, cancel=cancel)
            curves.append(deletion_insertion(run_.model, run_.inp, attr.map, target=run_.target, method=method,
                                             label=attr.label, budget=run_.budget, cancel=cancel))
            scores.append(captum_scores(run_.model, run_.inp, attr, params=params, budget=run_.budget, cancel=cancel))
        progress(len(chosen) / (len(chosen) + 1), desc=t("attr_random", lang))
        for cells in (None, 4):
            amap = random_map(run_.inp.size, seed=0, cells=cells)
            curves.append(deletion_insertion(run_.model, run_.inp, amap, target=run_.target, method="random",
                                             label=t("attr_random_pixels" if cells is None else "attr_random_cells", lang),
                                             budget=run_.budget, cancel=cancel))
        return (vattr.faithfulness_verdict(curves, lang=lang), vattr.faithfulness_figure(curves, lang=lang),
                vattr.faithfulness_table(curves, scores, lang=lang))

    def stop_request(request: gr.Request = None) -> None:
        """Stop this session's running attribution before its next chunk."""
        event = cancels.get(getattr(request, "session_hash", None) or "anonymous")
        if event is not None:
            event.set()

    common = [image, which, target, methods, layer, steps, baseline, nt_samples, window, stride, mask, cell, samples]
    run.click(gpu(attribute_methods), [*common, signed, shared, *model_in, page.user_model], [verdict, grid, applies],
              api_name="attribute", **page.model_event(long=True))
    sanity_btn.click(gpu(sanity), [*common, *model_in, page.user_model], [sanity_md, sanity_plot, sanity_maps],
                     api_name="sanity_check", **page.model_event(long=True))
    faith_btn.click(gpu(faithfulness), [*common, *model_in, page.user_model], [faith_md, faith_plot, faith_table],
                    api_name="faithfulness", **page.model_event(long=True))
    stop.click(stop_request, None, None, api_name=False, queue=False)
    page.localize(which, lambda lang: gr.update(choices=choices("attr_model_", list(MODEL_CHOICES), lang)))
    page.localize(signed, lambda lang: gr.update(choices=choices("attr_scale_", ["signed", "absolute"], lang)))
    page.localize(mask, lambda lang: gr.update(choices=choices("attr_mask_", ["grid", "superpixels"], lang)))
    page.localize(baseline, lambda lang: gr.update(choices=choices("attr_baseline_", ["black", "blur", "noise", "mean"], lang)))
    page.localize(target, lambda lang: gr.update(choices=[(t("auto_target", lang), AUTO_TARGET)]))
    page.localize(faith_table, lambda lang: vattr.faithfulness_table([], lang=lang))
    return dict(image=image, which=which, grid=grid)
