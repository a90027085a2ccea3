"""Architecture: the block graph, the shape table with its arithmetic, costs, and each block's code."""

from __future__ import annotations

import functools
from typing import Any

import gradio as gr

import viz
from resnet_core.explain import block_source
from resnet_core.preprocess import MAX_INPUT_SIZE
from resnet_core.serving import architecture_of
from viz.code import block_header
from viz.graph import graph_verdict
from viz.shapes import cost_verdict

from ..choices import parse_depth, parse_size
from ..context import Page
from ..errors import friendly, message_for
from ..locales import L, choices, lang_of, t
from . import receptive


@functools.lru_cache(maxsize=64)
def graph_of(
    depth: int | tuple, variant: str, size: tuple[int, int], folded: tuple | None, level: str, selected: str | None,
    lang: str = "en",
) -> Any:
    """The block graph; a pure function of its arguments, so built once (gr.Plot only reads it)."""
    arch = architecture_of(depth, variant, size)
    focus = viz.layer_focus(arch, selected) if level == "layer" else None  # one stage when the whole is unreadable
    return viz.graph_figure(arch, folded=folded, level=level, selected=selected, focus=focus, lang=lang)


def describe_architecture(
    depth: str, counts: str, block: str, variant: str, height: float, width: float, level: str, unfold: bool,
    selected: str | None, lang: str = "en",
) -> tuple:
    """Block graph, shape table, cost per stage, totals and block choices for one architecture and size."""
    d = parse_depth(depth, counts, block)
    hw = parse_size(height, width)
    if level not in viz.LEVELS:
        level = "block"
    arch = architecture_of(d, variant, hw)
    names = [b.name for b in arch.blocks]
    chosen = selected if selected in names else None
    figure = graph_of(d, variant, hw, () if unfold else None, level, chosen, lang)
    totals = t(
        "totals", lang, name=arch.name, h=arch.input_size[0], w=arch.input_size[1], params=viz.human_count(arch.params),
        macs=viz.human_macs(arch.macs), adds=viz.human_count(arch.adds), blocks=len(arch.blocks),
    )
    totals += "  \n" + graph_verdict(arch, lang=lang) + " " + cost_verdict(arch, lang=lang)
    table = viz.shape_table_markdown(arch, lang=lang)
    return figure, table, viz.cost_figure(arch, lang=lang), totals, gr.update(choices=names, value=chosen)


def block_code(depth: str, counts: str, block: str, variant: str, height: float, width: float, name: str | None,
               lang: str = "en") -> str:
    """The PyTorch source of the chosen block, with the shapes it sees."""
    if not name:
        return t("code_pick", lang)
    arch = architecture_of(parse_depth(depth, counts, block), variant, parse_size(height, width))
    if name not in {b.name for b in arch.blocks}:
        return t("code_pick", lang)
    return block_header(arch.block(name), lang=lang) + "\n\n" + block_source(arch, name)


def create(page: Page) -> dict[str, Any]:
    """Lay out the tab and wire its events; returns its components by name."""
    gr.Markdown(L("arch_help"))
    with gr.Row():
        height = gr.Number(224, label=L("height"), precision=0, minimum=1, maximum=MAX_INPUT_SIZE)
        width = gr.Number(224, label=L("width"), precision=0, minimum=1, maximum=MAX_INPUT_SIZE)
        level = gr.Radio(list(viz.LEVELS), value="block", label=L("level"))
        unfold = gr.Checkbox(False, label=L("unfold"))
        show = gr.Button(L("show"), variant="primary")
    totals = gr.Markdown(elem_id="totals")
    graph = gr.Plot(label=L("graph"), elem_id="graph")
    # the table needs the page's full width: side by side with the chart its last columns
    # (parameters, MACs, residual adds) went into a sideways scroll at 1400 px
    shape_md = gr.Markdown(elem_id="shape-table", elem_classes=["shape-table"])
    cost = gr.Plot(label=L("cost"), elem_id="cost")
    receptive.create_architecture_section(page, height=height, width=width)
    with gr.Row():
        # filled for the chosen architecture on load; the handler checks any name it is sent
        default_blocks = [b.name for b in architecture_of(50, "v1.5", (224, 224)).blocks]
        block_pick = gr.Dropdown(default_blocks, value=None, label=L("block"), allow_custom_value=True, elem_id="block-pick")
        code_btn = gr.Button(L("code_btn"), size="sm")
    code = gr.Code(language="python", label=L("code"), elem_id="block-code")

    arch_in = [*page.model_in, height, width, level, unfold, block_pick]
    arch_out = [graph, shape_md, cost, totals, block_pick]
    code_in = [*page.model_in, height, width, block_pick]

    @friendly
    def architecture(depth: str, counts: str, block: str, variant: str, height: float, width: float, level: str,
                     unfold: bool, selected: str | None, request: gr.Request) -> tuple:
        """The architecture of a ResNet: its block graph, every stage's output shape with the arithmetic
        that gives it, parameters and multiply-accumulates per stage, and the totals.

        Args:
            depth: "ResNet-18", "ResNet-34", "ResNet-50", "ResNet-101", "ResNet-152", or "custom".
            counts: for "custom" only, four block counts, one per stage, e.g. "2, 2, 2, 2".
            block: for "custom" only, "basic" or "bottleneck".
            variant: "v1.5" (torchvision's), "v1" (the paper's) or "preact" (pre-activation).
            height: input height in pixels, e.g. 224.
            width: input width in pixels, e.g. 224.
            level: "block" (one node per block) or "layer" (every layer).
            unfold: draw long stages in full instead of folded.
            selected: a block to highlight, e.g. "layer3.1", or empty.
        """
        return describe_architecture(depth, counts, block, variant, height, width, level, unfold, selected,
                                     lang=lang_of(request))

    @friendly
    def on_change(depth: str, counts: str, block: str, variant: str, height: float, width: float, level: str,
                  unfold: bool, selected: str | None, request: gr.Request) -> tuple:
        """A new architecture in the page: its figures, and the code of the block now picked."""
        lang = lang_of(request)
        try:
            parse_depth(depth, counts, block)
        except ValueError as exc:  # said once, where the totals stand; the figures stay as they were
            return (gr.update(), gr.update(), gr.update(), "⚠️ " + message_for(exc, lang), gr.update(), gr.update())
        out = describe_architecture(depth, counts, block, variant, height, width, level, unfold, selected, lang=lang)
        picked = out[-1]["value"]
        return (*out, block_code(depth, counts, block, variant, height, width, picked, lang=lang))

    @friendly
    def on_code(depth: str, counts: str, block: str, variant: str, height: float, width: float, name: str | None,
                request: gr.Request) -> str:
        return block_code(depth, counts, block, variant, height, width, name, lang=lang_of(request))

    show.click(architecture, arch_in, arch_out, api_name="architecture")
    for event in (*page.architecture_events(), level.change, unfold.change):
        event(on_change, arch_in, [*arch_out, code], api_name=False)
    block_pick.select(on_code, code_in, code, api_name=False)
    code_btn.click(on_code, code_in, code, api_name="block_code")
    page.on_load(on_change, arch_in, [*arch_out, code])
    page.localize(level, lambda lang: gr.update(choices=choices("level_", viz.LEVELS, lang)))
    return dict(height=height, width=width, level=level, unfold=unfold, graph=graph, shape_md=shape_md, cost=cost,
                totals=totals, block_pick=block_pick, code=code)
