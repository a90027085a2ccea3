"""Compare depths: one picture through ResNet-18/34/50/101/152, side by side, with a verdict.

The work is the library study ``compare_depths`` (:mod:`resnet_core.compare`), run by the
page's backend; this module lays out, wires and draws.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr
import numpy as np

import viz
from resnet_core.backends import Backend
from resnet_core.compare import CompareCall, DepthComparison
from resnet_core.images import load_image
from viz.compare import compare_caption, compare_row, compare_verdict

from ..binding import bind
from ..context import Page, gpu
from ..errors import friendly
from ..guard import served_picture
from ..locales import L, lang_of, t
from .inspect import PHOTO_FORMAT, image_path

COLUMNS = ("col_model", "col_top5", "col_ms", "col_build", "col_params", "col_gmacs", "col_weights")


def comparison_view(result: DepthComparison, lang: str) -> tuple:
    """The gallery, the table and the verdict of the depths measured so far (no model run)."""
    gallery = [(served_picture(viz.cam_overlay(r.image, r.heatmap)), compare_caption(r, lang)) for r in result.rows]
    # the weights column in the page's language where they are random (a trained source is a name)
    data = [[*compare_row(r)[:-1], r.source if r.pretrained else t("weights_random", lang)] for r in result.rows]
    table = {"headers": [t(c, lang) for c in COLUMNS], "data": data}
    return gallery, table, compare_verdict(result, lang)


@friendly
def compare_depths(image: Any, weights: str, request: gr.Request = None,
                   progress: gr.Progress = gr.Progress(), *, backend: Backend) -> Iterator[tuple]:  # noqa: B008
    """Top-5, Grad-CAM at layer4, forward time (timed after the build), build time and size for
    every standard depth, with what the table shows in words.

    Each depth is shown as soon as it is done; the last update holds all five, and that is
    what an API client receives.

    Args:
        image: the picture.
        weights: "DEFAULT", "IMAGENET1K_V1", "IMAGENET1K_V2" or "random".
    """
    lang = lang_of(request)
    call = CompareCall(np.asarray(load_image(image_path(image))), weights=weights)
    for result in backend.run("compare_depths", call):  # the study runs on the backend
        progress(len(result.rows) / result.total, desc=result.rows[-1].name)
        # fresh files for every update: the page may still be fetching the previous one's
        yield comparison_view(result, lang)


def create(page: Page) -> dict[str, Any]:
    """Lay out the tab and wire its events; returns its components by name."""
    gr.Markdown(L("compare_help"))
    button = gr.Button(L("compare"), variant="primary", elem_id="compare")
    gallery = gr.Gallery(label=L("compare_gallery"), format=PHOTO_FORMAT, columns=5, height="auto", elem_id="compare-gallery")
    # the top-5 column wraps; the numbers keep their room (in Chinese the weights column was cut at 1400 px)
    table = gr.Dataframe(headers=[t(c) for c in COLUMNS], wrap=True, interactive=False, elem_id="compare-table",
                         column_widths=["11%", "45%", "8%", "8%", "9%", "9%", "10%"])
    verdict = gr.Markdown(elem_id="compare-verdict")
    button.click(gpu(bind(compare_depths, backend=page.backend)), [page.image, page.weights], [gallery, table, verdict],
                 api_name="compare_depths", **page.model_event())
    return dict(button=button, gallery=gallery, table=table, verdict=verdict)
