"""The paper's argument, the spine of "Why residual?": hypothesis -> evidence -> equation -> ensembles.

H(x) = F(x) + x and the residual hypothesis (He et al. 2015, section 3.1) with its evidence
measured (Fig. 7: ``/residual_response``); the shortcut's gradient equation (Identity Mappings,
Eq. 4-5: ``/gradient_split``); ResNets as ensembles of shallow paths (Veit et al. 2016:
``/lesion``); what BN does in all this, and training without it (``/no_bn_race``); and the papers' own numbers as reference tables.

Every computation is a library study run through ``page.backend.run``; each endpoint returns
its figure, its verdict and its numbers as JSON.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import gradio as gr

from resnet_core.lab.gradient_split import SplitCall
from resnet_core.lab.hypothesis import ResponseCall
from resnet_core.lab.lesion import LESION_NETWORKS, LesionCall, load_lesions
from resnet_core.lab.no_bn import NoBNCall, load_no_bn
from resnet_core.lab.twins import Progress
from resnet_core.studies import Cancelled
from viz.lab.gradient_split import gradient_split_figure, gradient_split_verdict
from viz.lab.hypothesis import residual_response_figure, residual_response_verdict
from viz.lab.lesion import lesion_figure, lesion_verdict, saved_lesion_figure, saved_lesion_verdict
from viz.lab.no_bn import no_bn_figure, no_bn_verdict, saved_no_bn_verdict
from viz.lab.paper import TABLE1_GFLOPS, paper_numbers_json, paper_numbers_markdown

from ..binding import bind
from ..cancels import Cancels
from ..context import ROOT, Page
from ..errors import friendly
from ..locales import L, choices, lang_of, t

SAVED_LESION = ROOT / "assets" / "curves" / "lesion.json"
SAVED_NO_BN = ROOT / "assets" / "curves" / "no_bn.json"
RESPONSE_DEPTHS = (20, 32, 44, 56, 110)
SPLIT_DEPTHS = (20, 32, 44, 56, 110)
LESION_DEPTHS = (20, 32, 44, 56)
NO_BN_DEPTHS = (20, 32, 44, 56)
MAX_STEPS = 600  # live training on a busy 2-core CPU: a few minutes at most


def _run(page: Page, cancels: Cancels, name: str, call: Any, request: Any, progress: Callable, lang: str) -> Any:
    """Run the study through the backend, reporting its progress; the last record is the result.
    The caller's own Stop button sets its flag (:class:`~playground.cancels.Cancels`), and the
    study raises :class:`~resnet_core.studies.Cancelled` at its next check."""
    event = cancels.start(request)
    result = None
    try:
        for record in page.backend.run(name, call, cancel=event):
            if isinstance(record, Progress):
                stage = t(f"arg_stage_{record.stage}", lang, name=record.name)
                progress(float(record.fraction), desc=stage)
            else:
                result = record
    finally:
        cancels.finish(request, event)
    if result is None:
        raise RuntimeError(f"the study {name} returned no result")
    return result


def stop_run(request: gr.Request = None, *, cancels: Cancels) -> None:
    """Stop the caller's own running study at its next step (nobody else's)."""
    cancels.stop(request)


@functools.lru_cache(maxsize=2)
def _saved_lesion(lang: str) -> tuple[Any, str]:
    if not SAVED_LESION.exists():
        return saved_lesion_figure(None, lang=lang), ""
    saved = load_lesions(SAVED_LESION)
    return saved_lesion_figure(saved, lang=lang), saved_lesion_verdict(saved, lang)


@functools.lru_cache(maxsize=2)
def _saved_no_bn(lang: str) -> tuple[Any, str]:
    if not SAVED_NO_BN.exists():
        return None, ""
    races, meta = load_no_bn(SAVED_NO_BN)
    return no_bn_figure(races[0], lang=lang), saved_no_bn_verdict(races, meta, lang)


@friendly
def residual_response(depths: list | None = None, steps: float = ResponseCall().steps, request: gr.Request = None,
                      progress: gr.Progress = gr.Progress(),  # noqa: B008
                      *, page: Page, cancels: Cancels) -> tuple:
    """Fig. 7 of He et al. measured: train plain-N and ResNet-N for each depth on the race's data,
    then the std of each block's response F(x) and ||F(x)|| / ||x||, with the paper's reading checked.

    Args:
        depths: one to three CIFAR depths from 20, 32, 44, 56, 110 (default 20 and 56).
        steps: training steps per network (50-600).
    """
    lang = lang_of(request)
    picked = tuple(int(d) for d in (depths if depths else (20, 56)))
    if not set(picked) <= set(RESPONSE_DEPTHS):
        raise ValueError(f"depths are some of {', '.join(map(str, RESPONSE_DEPTHS))}")
    if not 1 <= float(steps) <= MAX_STEPS:
        raise ValueError(f"steps must be between 1 and {MAX_STEPS}")
    try:
        call = ResponseCall(depths=picked, steps=int(steps))
        result = _run(page, cancels, "residual_response", call, request, progress, lang)
    except Cancelled:
        return t("arg_stopped", lang), gr.update(), gr.update()
    return residual_response_verdict(result, lang), residual_response_figure(result, lang=lang), result.to_dict()


@friendly
def gradient_split(depth: float = SplitCall().depth, request: gr.Request = None,
                   progress: gr.Progress = gr.Progress(),  # noqa: B008
                   *, page: Page, cancels: Cancels) -> tuple:
    """Identity Mappings Eq. 5 measured: per block, the gradient arriving through the shortcut and
    through the branch, for v1, pre-activation and plain CIFAR networks at initialization.

    Args:
        depth: 20, 32, 44, 56 or 110.
    """
    lang = lang_of(request)
    if int(depth) not in SPLIT_DEPTHS:
        raise ValueError(f"depth is one of {', '.join(map(str, SPLIT_DEPTHS))}")
    try:
        result = _run(page, cancels, "gradient_split", SplitCall(depth=int(depth)), request, progress, lang)
    except Cancelled:
        return t("arg_stopped", lang), gr.update(), gr.update()
    return gradient_split_verdict(result, lang), gradient_split_figure(result, lang=lang), result.to_dict()


@friendly
def no_bn_race(depth: float = NoBNCall().depth, request: gr.Request = None,
               progress: gr.Progress = gr.Progress(),  # noqa: B008
               *, page: Page, cancels: Cancels) -> tuple:
    """ResNet-N without BN, four ways: the default init (the stream blows up), zero-init, SkipInit and
    Fixup, measured at initialization and trained side by side on the race's data.

    Args:
        depth: 20, 32, 44 or 56.
    """
    lang = lang_of(request)
    if int(depth) not in NO_BN_DEPTHS:
        raise ValueError(f"depth is one of {', '.join(map(str, NO_BN_DEPTHS))}")
    try:
        result = _run(page, cancels, "no_bn_race", NoBNCall(depth=int(depth)), request, progress, lang)
    except Cancelled:
        return t("arg_stopped", lang), gr.update(), gr.update()
    return no_bn_verdict(result, lang), no_bn_figure(result, lang=lang), result.to_dict()


@friendly
def lesion(network: str = LesionCall().network, depth: float = LesionCall().depth, request: gr.Request = None,
           progress: gr.Progress = gr.Progress(),  # noqa: B008
           *, page: Page, cancels: Cancels) -> tuple:
    """Veit et al.'s lesion study: delete each single block (shortcut kept, branch dropped) and k
    random blocks, on the shipped 8-block toy model or on the race's ResNet-N and plain-N trained live.

    Args:
        network: "toy" (seconds) or "race" (trains first, a minute or two).
        depth: the race networks' depth: 20, 32, 44 or 56 (44 has 21 blocks).
    """
    lang = lang_of(request)
    if int(depth) not in LESION_DEPTHS:
        raise ValueError(f"depth is one of {', '.join(map(str, LESION_DEPTHS))}")
    try:
        call = LesionCall(network=network, depth=int(depth))
        result = _run(page, cancels, "lesion", call, request, progress, lang)
    except Cancelled:
        return t("arg_stopped", lang), gr.update(), gr.update()
    return lesion_verdict(result, lang), lesion_figure(result, lang=lang), result.to_dict()


def _run_row(*inputs: Callable[[], Any], run: str, elem_id: str, stops: list) -> tuple[list, gr.Button]:
    """A row of inputs, the run button and its Stop (collected in ``stops``)."""
    with gr.Row():
        made = [make() for make in inputs]
        button = gr.Button(L(run), variant="primary", elem_id=elem_id)
        stops.append(gr.Button(L("arg_stop"), variant="stop", min_width=80, scale=0))
    return made, button


def _outputs(plot_label: str, text_id: str) -> list:
    """A study's verdict, figure and numbers (JSON for API clients)."""
    return [gr.Markdown(elem_id=text_id), gr.Plot(label=L(plot_label)), gr.JSON(label=L("arg_numbers"))]


def create(page: Page) -> dict[str, Any]:
    """Lay out the argument and wire its endpoints; returns its components by name."""
    cancels, stops = Cancels(), []
    gr.Markdown(L("arg_intro"))
    gr.Markdown(L("arg_hypothesis"))  # the hypothesis and its evidence, Fig. 7
    resp_in, resp_btn = _run_row(
        lambda: gr.CheckboxGroup(list(RESPONSE_DEPTHS), value=[20, 56], label=L("arg_depths")),
        lambda: gr.Slider(50, MAX_STEPS, value=ResponseCall().steps, step=50, label=L("arg_steps")),
        run="arg_response_run", elem_id="arg-response-run", stops=stops)
    resp_out = _outputs("arg_response_plot", "arg-response-text")
    gr.Markdown(L("arg_bn_hypothesis"))
    gr.Markdown(L("arg_equation"), latex_delimiters=[{"left": "$$", "right": "$$", "display": True}])
    split_in, split_btn = _run_row(lambda: gr.Dropdown(list(SPLIT_DEPTHS), value=SplitCall().depth, label=L("depth")),
                                   run="arg_split_run", elem_id="arg-split-run", stops=stops)
    split_out = _outputs("arg_split_plot", "arg-split-text")
    gr.Markdown(L("arg_bn_gradient"))
    gr.Markdown(L("arg_no_bn_heading"))
    no_bn_in, no_bn_btn = _run_row(lambda: gr.Dropdown(list(NO_BN_DEPTHS), value=NoBNCall().depth, label=L("depth")),
                                   run="arg_no_bn_run", elem_id="arg-no-bn-run", stops=stops)
    no_bn_out = _outputs("arg_no_bn_plot", "arg-no-bn-text")
    no_bn_saved_text, no_bn_saved_plot = gr.Markdown(), gr.Plot(label=L("arg_no_bn_saved"))
    gr.Markdown(L("arg_ensembles"))  # ensembles of shallow paths
    lesion_in, lesion_btn = _run_row(
        lambda: gr.Radio(list(LESION_NETWORKS), value=LesionCall().network, label=L("arg_network")),
        lambda: gr.Dropdown(list(LESION_DEPTHS), value=LesionCall().depth, label=L("depth")),
        run="arg_lesion_run", elem_id="arg-lesion-run", stops=stops)
    lesion_out = _outputs("arg_lesion_plot", "arg-lesion-text")
    saved_text, saved_plot = gr.Markdown(), gr.Plot(label=L("arg_lesion_saved"))
    gr.Markdown(L("arg_paper_heading"))  # the papers' own numbers
    paper_md = gr.Markdown()

    deps, long = dict(page=page, cancels=cancels), page.model_event(long=True)
    resp_btn.click(bind(residual_response, **deps), resp_in, resp_out, api_name="residual_response", **long)
    split_btn.click(bind(gradient_split, **deps), split_in, split_out, api_name="gradient_split", **long)
    no_bn_btn.click(bind(no_bn_race, **deps), no_bn_in, no_bn_out, api_name="no_bn_race", **long)
    lesion_btn.click(bind(lesion, **deps), lesion_in, lesion_out, api_name="lesion", **long)
    for stop in stops:
        # queued, in a group that never waits: never callable through POST /run/<name>
        stop.click(bind(stop_run, cancels=cancels), None, None, api_name=False, concurrency_id="stop",
                   concurrency_limit=None)

    macs: dict[int, int] = {}

    def paper(lang: str) -> str:
        if not macs:  # the exact count of Table 1's networks, once: what the Architecture tab shows
            for d in TABLE1_GFLOPS:
                try:
                    macs[d] = int(page.backend.check_cost(d, "v1", 224).macs)
                except ValueError:  # past this server's budget: leave the cell empty
                    continue
        return paper_numbers_markdown(lang, macs=macs)

    page.localize(paper_md, paper)
    page.localize(no_bn_saved_plot, lambda lang: _saved_no_bn(lang)[0])
    page.localize(no_bn_saved_text, lambda lang: _saved_no_bn(lang)[1])
    page.localize(saved_plot, lambda lang: _saved_lesion(lang)[0])
    page.localize(saved_text, lambda lang: _saved_lesion(lang)[1])
    page.localize(lesion_in[0], lambda lang: gr.update(choices=choices("arg_network_", list(LESION_NETWORKS), lang)))
    return dict(paper_numbers=lambda: paper_numbers_json(macs=macs))


__all__ = ["create"]
