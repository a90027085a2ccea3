"""The page: a header, the shared model picker, one tab per module in ``tabs/``, and launch options.

Each tab module has its handlers at module level (their dependencies passed in, see
:mod:`.binding`) and ``create(page)``, which lays out its components and wires its events,
reading the shared pieces from :class:`~.context.Page`. The page makes every input several tabs
share (the model picker, the picture, the Grad-CAM layer) before any tab, so the tabs' order
does not matter. Adding a tab is adding a module and one line in :func:`build_demo`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from resnet_core.backends import Backend, LocalBackend
from resnet_core.errors import UserError
from resnet_core.serving import ModelService
from viz.shapes import SHAPE_TABLE_CSS

from .choices import DEFAULT_DEPTH, DEPTH_CHOICES, WEIGHT_CHOICES, ModelChoice
from .context import ASSETS, LONG_EVENTS, MODEL_EVENTS, ROOT, Page, gpu  # noqa: F401 - re-exported
from .errors import friendly
from .guard import GuardFileRoutes, max_request_body, mend_mcp, tidy_config, unread_uploads
from .limits import Ledger
from .locales import I18N, L, choices, lang_of, t, toast_css
from .locales.address import LanguageFromAddress
from .sessions import SessionStore, Ticket
from .settings import Settings

log = logging.getLogger("resnet_playground")

#: what an agent sees over MCP (``--mcp``): the main endpoints; the page's redraws and pickers stay hidden
MCP_TOOLS = frozenset({"architecture", "inspect", "predict", "compare_depths", "gradient_flow", "attribute"})
# Gradio's cache: files older than CACHE_MAX_AGE_S are deleted every CACHE_SWEEP_S seconds
CACHE_SWEEP_S, CACHE_MAX_AGE_S = 900, 3600
CSS = """
#notice { border-left: 4px solid #f59e0b; background: var(--block-background-fill); padding: 6px 12px; border-radius: 6px; }
""" + SHAPE_TABLE_CSS + toast_css()


def _header(settings: Settings, store: SessionStore) -> dict[str, Any]:
    gr.Markdown(L("heading"))
    gr.Markdown(L("subtitle"))
    notice = gr.Markdown(elem_id="notice")
    gr.Markdown(L("intro"))
    with gr.Row():
        depth = gr.Dropdown(list(DEPTH_CHOICES), value=DEFAULT_DEPTH, label=L("depth"), elem_id="depth")
        variant = gr.Radio(["v1.5", "v1", "preact"], value="v1.5", label=L("variant"))
        weights = gr.Dropdown(list(WEIGHT_CHOICES), value="DEFAULT", label=L("weights"), elem_id="weights")
        counts = gr.Textbox("2, 2, 2, 2", label=L("counts"), info=L("counts_info"), visible=False, elem_id="counts")
        block_type = gr.Radio(["basic", "bottleneck"], value="basic", label=L("block_type"), visible=False)
    with gr.Accordion(L("own_weights"), open=False):
        ckpt_help = gr.Markdown(t("ckpt_help", "en", mb=f"{settings.max_file_size / 2**20:g}"), elem_id="ckpt-help")
        user_model = gr.State(None, **store.state_options())
        with gr.Row():
            ckpt = unread_uploads(gr.File(label=L("checkpoint"), file_types=[".safetensors", ".pth", ".pt"], type="filepath"))
            ckpt_info = gr.Markdown()
    return dict(
        depth=depth, variant=variant, weights=weights, counts=counts, block_type=block_type,
        user_model=user_model, notice=notice, ckpt=ckpt, ckpt_info=ckpt_info, ckpt_help=ckpt_help, **_shared_inputs(),
    )


def _shared_inputs() -> dict[str, Any]:
    """The inputs several tabs read, made before any tab (unrendered: the Inspect tab places them)."""
    image = unread_uploads(
        gr.Image(type="filepath", image_mode=None, sources=["upload", "webcam", "clipboard"], label=L("picture"),
                 elem_id="image", render=False)
    )
    layer = gr.Dropdown(["layer4"], value="layer4", label=L("layer"), allow_custom_value=True, render=False)
    return dict(image=image, layer=layer)


def _wire_header(page: Page, ckpt: gr.File, ckpt_info: gr.Markdown, ckpt_help: gr.Markdown) -> None:
    service = page.service

    @friendly
    def status(request: gr.Request) -> str:
        """The banner: the device, and whether the default model's weights are real."""
        lang = lang_of(request)
        service.wait_warm()
        try:
            served = service.get(ModelChoice.parse(DEFAULT_DEPTH, "", "basic", "v1.5").key)
        except Exception as exc:  # noqa: BLE001 - the banner reports it
            return t("notice_no_default", lang, error=str(exc)[:200], device=page.device_text(lang))
        return page.notice_for(served, lang)

    @friendly
    def choice_notice(depth: str, counts: str, block: str, variant: str, weights: str, request: gr.Request) -> tuple:
        """The banner and the custom fields for a new choice in the picker (nothing is built)."""
        lang = lang_of(request)
        custom = depth == "custom"
        fields = (gr.update(visible=custom), gr.update(visible=custom))
        try:
            choice = ModelChoice.parse(depth, counts, block, variant, weights)
        except ValueError:
            return (gr.update(), *fields)
        if choice.weights == "checkpoint":
            return (gr.update(), *fields)
        key = choice.key
        if key in service:
            return (page.notice_for(service.get(key), lang), *fields)
        name = service.check_cost(choice.depth, choice.variant, 224).name
        if choice.weights == "random":
            return (t("notice_random", lang, model=name, device=page.device_text(lang)), *fields)
        return (t("notice_pending", lang, model=name, source=choice.weights, device=page.device_text(lang)), *fields)

    @friendly
    def load_checkpoint(file: Any, depth: str, counts: str, block: str, variant: str, old: Ticket | None = None,
                        request: gr.Request = None) -> tuple:
        """Your own weights for the chosen architecture, checked key by key; kept for this session only."""
        page.store.check_owner(old, request=request)  # another client's session hash changes nothing
        if not file:
            raise UserError("choose a .safetensors or .pth file", key="error.checkpoint_none")
        path = Path(file)
        if path.suffix.lower() not in (".safetensors", ".pth", ".pt"):
            raise UserError("checkpoints are accepted as .safetensors or .pth files", key="error.checkpoint_suffix")
        choice = ModelChoice.parse(depth, counts, block, variant, "random")
        service.check_cost(choice.depth, choice.variant, 224)
        # the bytes go to the backend, which checks them where the model will run (an export of the
        # Train tab brings its class names and preprocessing: resnet_core reads them from its header)
        ref = page.backend.add_checkpoint(choice.key, path.read_bytes(), filename=path.name)
        lang = lang_of(request)
        message = t("ckpt_loaded", lang, name=path.name[:100], model=ref.info.name, classes=len(ref.info.categories))
        ticket = page.store.put(ref, request=request, kind="checkpoint", replaces=old)
        return ticket, message, gr.update(value="checkpoint")

    picker = [*page.model_in, page.weights]
    # every choice that changes the model: depth, variant, block type, counts once typed, weights
    for event in (*page.architecture_events(), page.weights.change):
        event(choice_notice, picker, [page.notice, page.counts, page.block_type], api_name=False)
    # builds a network on the device and runs it once: the model group too
    ckpt.upload(
        load_checkpoint, [ckpt, *page.model_in, page.user_model], [page.user_model, ckpt_info, page.weights],
        api_name="load_checkpoint", **page.model_event(),
    )
    page.on_load(status, [], [page.notice], api_name="status")
    page.localize(page.weights, lambda lang: gr.update(choices=choices("weights_", list(WEIGHT_CHOICES), lang)))
    page.localize(page.depth, lambda lang: gr.update(choices=choices("depth_", list(DEPTH_CHOICES), lang)))
    page.localize(page.block_type, lambda lang: gr.update(choices=choices("block_", ["basic", "bottleneck"], lang)))
    mb = f"{page.settings.max_file_size / 2**20:g}"
    page.localize(ckpt_help, lambda lang: t("ckpt_help", lang, mb=mb))


def build_demo(settings: Settings | None = None, *, service: ModelService | None = None,
               backend: Backend | None = None) -> gr.Blocks:
    """The whole page, every event with an ``api_name`` (or ``api_name=False`` for UI-only ones)."""
    from .tabs import architecture, attributions, compare, inspect, train, why_residual

    settings = settings or Settings()
    service = service or ModelService(settings.service)
    with gr.Blocks(title="ResNet playground", analytics_enabled=False, delete_cache=(CACHE_SWEEP_S, CACHE_MAX_AGE_S)) as demo:
        store = SessionStore(max_bytes=int(settings.session_mb * 2**20), ttl_s=settings.session_ttl_s)
        parts = _header(settings, store)
        ckpt, ckpt_info, ckpt_help = parts.pop("ckpt"), parts.pop("ckpt_info"), parts.pop("ckpt_help")
        page = Page(settings=settings, service=service, backend=backend or LocalBackend(service),
                    ledger=Ledger(settings.limits), store=store, **parts)
        _wire_header(page, ckpt, ckpt_info, ckpt_help)
        with gr.Tabs():
            with gr.Tab(L("tab_arch"), id="arch"):
                architecture.create(page)
            with gr.Tab(L("tab_inspect"), id="inspect"):
                pickers = inspect.create(page)
            with gr.Tab(L("tab_compare"), id="compare"):
                compare.create(page)
            with gr.Tab(L("tab_attr"), id="attributions"):
                attributions.create(page)
            with gr.Tab(L("tab_lab"), id="lab"):
                lab = why_residual.create(page)
            with gr.Tab(L("tab_train"), id="train"):
                train.create(page)
        layer_pickers = [page.layer, pickers["act_name"], lab["abl_block"]]
        page.depth.change(friendly(inspect.layer_choices), page.model_in, layer_pickers, api_name="layers")
        for event in page.architecture_events(with_depth=False):
            event(_pickers_if_valid(inspect.layer_choices), page.model_in, layer_pickers, api_name=False)
        page.on_load(friendly(inspect.layer_choices), page.model_in, layer_pickers)
        _wire_loads(demo, page)
        tidy_config(demo)  # no heap address in the config, no refusal that echoes its value
    # api_open=False: POST /run/<name> and /api/<name> would run queued events outside the queue
    # (no concurrency group, no size, no per-client share); jobs join through the queue only
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=settings.concurrency, api_open=False)
    jobs = [(i, fn) for i, fn in demo.fns.items() if fn.concurrency_id in (MODEL_EVENTS, LONG_EVENTS, "inspect")]
    page.ledger.job_events.update({("fn", i) for i, _ in jobs} | {("api", fn.api_name) for _, fn in jobs if fn.api_name})
    page.ledger.job_groups.update(fn.concurrency_id for _, fn in jobs)
    page.ledger.blocks = demo
    if settings.mcp:
        mend_mcp()
        demo.mcp_tools = MCP_TOOLS  # the tools an agent sees; /info still documents every endpoint
    demo.service = service  # for tests and benchmarks: the server's models and engines
    demo.ledger = page.ledger  # the per-client shares, which the web guard enforces
    demo.store = page.store  # what sessions keep, bounded in total
    return demo


def _pickers_if_valid(layer_choices: Callable[..., tuple]) -> Callable[..., tuple]:
    """The layer pickers for the page's own events: block counts being typed that do not parse
    leave the pickers as they are (the Architecture tab's totals say what is wrong, once)."""

    @friendly
    def pickers(depth: str, counts: str, block: str, variant: str) -> tuple:
        try:
            ModelChoice.parse(depth, counts, block, variant)
        except ValueError:
            return gr.update(), gr.update(), gr.update()
        return layer_choices(depth, counts, block, variant)

    return pickers


def _wire_loads(demo: gr.Blocks, page: Page) -> None:
    for fn, inputs, outputs, api_name in page.loads:
        demo.load(fn, inputs, outputs, api_name=api_name)
    if page.localized:
        components = [c for c, _ in page.localized]
        updates = [u for _, u in page.localized]

        def localize(request: gr.Request) -> list:
            lang = lang_of(request)
            return [u(lang) for u in updates]

        demo.load(localize, None, components, api_name=False)


def launch_kwargs(settings: Settings, ledger: Ledger | None = None) -> dict[str, Any]:
    """The safe launch options (docs/reliability.md): only assets/ is served from disk.

    ``ledger`` (``demo.ledger``) lets the web guard hold each client to its share of jobs and uploads.
    """
    return dict(
        server_name=settings.host,
        server_port=settings.port or None,
        share=settings.share,
        max_file_size=settings.max_file_size,
        allowed_paths=[str(ASSETS)],
        # gr.Error texts reach the page whatever this says; True would also send str() of any
        # other exception (Gradio's preprocessing errors echo the input and the temp paths)
        show_error=False,
        enable_monitoring=False,
        ssr_mode=False,
        i18n=I18N,
        css=CSS,
        footer_links=["api"],
        mcp_server=settings.mcp,
        app_kwargs={"middleware": [
            Middleware(LanguageFromAddress),  # ?lang= decides the labels too, not only the handlers' text
            Middleware(GuardFileRoutes, max_body=max_request_body(settings.max_file_size), ledger=ledger)
        ]},
    )
