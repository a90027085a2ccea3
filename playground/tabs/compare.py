"""Compare depths: one picture through ResNet-18/34/50/101/152, side by side."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import gradio as gr

import viz
from resnet_core.backends.base import served_model
from resnet_core.images import load_image, prepare
from resnet_core.inspection import inspect
from resnet_core.serving import architecture_of
from resnet_core.specs import STANDARD_DEPTHS
from resnet_core.zoo import ModelKey

from ..errors import friendly
from ..guard import served_picture
from ..locales import L, lang_of, t
from ..context import Page, gpu
from .inspect import PHOTO_FORMAT, image_path

COLUMNS = ("col_model", "col_top5", "col_ms", "col_params", "col_gmacs", "col_weights")


def create(page: Page) -> dict[str, Any]:
    """Lay out the tab and wire its events; returns its components by name."""
    gr.Markdown(L("compare_help"))
    button = gr.Button(L("compare"), variant="primary", elem_id="compare")
    gallery = gr.Gallery(label=L("compare_gallery"), format=PHOTO_FORMAT, columns=5, height="auto", elem_id="compare-gallery")
    table = gr.Dataframe(headers=[t(c) for c in COLUMNS], wrap=True, interactive=False, elem_id="compare-table")

    @friendly
    def compare_depths(image: Any, weights: str, request: gr.Request = None,
                       progress: gr.Progress = gr.Progress()) -> Iterator[tuple]:  # noqa: B008
        """Top-5, Grad-CAM at layer4, time and size for every standard depth.

        Each depth is shown as soon as it is done; the last update holds all five, and that is
        what an API client receives.
        """
        lang = lang_of(request)
        if weights == "checkpoint":
            raise ValueError("Compare depths runs the standard depths with ImageNet or random weights; pick those weights above.")
        picture = load_image(image_path(image))
        overlays, captions, rows = [], [], []
        for i, depth in enumerate(STANDARD_DEPTHS):
            progress(i / len(STANDARD_DEPTHS), desc=f"ResNet-{depth}")
            served = served_model(page.service, ModelKey(depth, "v1.5", weights))
            prepared = prepare(picture, served.weights.preprocess)
            start = time.perf_counter()
            res = inspect(served.model, prepared, categories=served.weights.categories, top_k=5)
            elapsed = time.perf_counter() - start
            arch = architecture_of(depth, "v1.5", res.input_size)
            top = res.predictions[0]
            random = "" if served.weights.pretrained else f" ({t('random_short', lang)})"
            overlays.append(viz.cam_overlay(res.image, res.cam.heatmap))
            # short captions (the gallery cuts long ones); the table has every class in full
            captions.append(f"ResNet-{depth}: {top.probability:.0%}{random}")
            rows.append([
                f"ResNet-{depth}", "; ".join(f"{p.label} {p.probability:.1%}" for p in res.predictions),
                f"{elapsed * 1000:.0f}", viz.human_count(arch.params), f"{arch.macs / 1e9:.2f}",
                served.weights.source if served.weights.pretrained else t("weights_random", lang),
            ])
            # fresh files for every update: the page may still be fetching the previous one's
            yield (
                [(served_picture(o), c) for o, c in zip(overlays, captions)],
                {"headers": [t(c, lang) for c in COLUMNS], "data": [list(r) for r in rows]},
            )

    assert page.image is not None, "the Inspect tab comes first: Compare uses its picture"
    button.click(gpu(compare_depths), [page.image, page.weights], [gallery, table], api_name="compare_depths",
                 **page.model_event())
    return dict(button=button, gallery=gallery, table=table)
