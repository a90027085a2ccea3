"""Train on your images: fit a ResNet to your own classes, see what changed, take it home.

The training, the analysis and the weights are the ``finetune`` study's
(:mod:`resnet_core.transfer.study`), run through the page's backend, in process or on Ray Serve
replicas. This tab reads the data set from the page (class slots, a zip, the bundled set, webcam
snapshots: I/O, into numpy arrays), sends it with the settings as one call, draws the updates as
they stream back, and keeps the finished run's record (its report and its weights as arrays) in
the bounded session store, from which an export writes the files without a model.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from resnet_core.backends import Backend
from resnet_core.errors import UserError
from resnet_core.transfer.data import ImageSet, TransferError, from_folder, from_sources, from_zip
from resnet_core.transfer.export import write_export
from resnet_core.transfer.study import FinetuneCall, FinetuneResult
from resnet_core.transfer.train import STRATEGIES, TrainConfig, TrainUpdate
from viz import transfer as vtr

from ..binding import bind
from ..cancels import Cancels
from ..choices import ModelChoice
from ..context import ROOT, Page, gpu
from ..errors import friendly
from ..guard import served_picture, unread_uploads
from ..locales import L, choices, lang_of, t
from ..sessions import Expired, SessionStore, Ticket

EXAMPLE_SET = ROOT / "assets" / "datasets" / "textures"
SLOTS = 10  # at most ten classes
SHOWN = 3  # class slots open at first; the rest in an accordion
SOURCES = ("example", "zip", "classes")
DEPTHS = ("ResNet-10", "ResNet-18", "ResNet-34", "ResNet-50")
#: the server's caps on one run, whatever the page or an API client asks for
MAX_STEPS, MAX_SECONDS = 1000, 600.0
#: what the run's outputs are, in the order the handler yields them
OUTPUTS = ("state", "status", "curves", "confusion_md", "confusion_plot", "pca_md", "pca_plot", "cams_md", "cams")


class TrainState:
    """One person's finished run as the session store keeps it: the study's result record (its
    report and its weights as arrays; no model), and the export folder and Gradio's cached
    copies of the exports, which ``close`` removes (the store calls it when the run goes)."""

    def __init__(self, result: FinetuneResult | None = None) -> None:
        self.result = result
        self._folder: Path | None = None
        self.served: list[Path] = []  # Gradio's cached copies of the exports: they go with the run

    @property
    def folder(self) -> Path:
        """The run's own export folder (made on first use)."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="resnet-playground-train-"))
        return self._folder

    def serve(self, path: Path | None, cache_dir: str) -> str | None:
        """Put an exported file in Gradio's cache now and remember where, so that it expires with
        this run (its URL is a capability: whoever holds it may fetch it until then)."""
        if path is None:
            return None
        cached = Path(gr.processing_utils.save_file_to_cache(path, cache_dir=cache_dir))
        self.served.append(cached.parent)
        return str(cached)

    @property
    def nbytes(self) -> int:
        return self.result.nbytes if self.result is not None else 0

    def close(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        for folder in self.served:
            shutil.rmtree(folder, ignore_errors=True)
        self.served.clear()
        self.result = None


def dataset(source: str, zip_file: Any, names: list[str], files: list[Any], *, deadline: float | None = None) -> ImageSet:
    """The data set a request names: the bundled example set, one zip, or the class slots
    (read until ``deadline``, a ``time.monotonic()`` instant: the run's time budget)."""
    if source == "example":
        return from_folder(EXAMPLE_SET)
    if source == "zip":
        if not zip_file:
            raise TransferError("Choose a .zip file with one folder of images per class.", key="error.transfer_zip_missing")
        return from_zip(str(zip_file), deadline=deadline)
    if source != "classes":
        raise TransferError(f"the images come from one of {', '.join(SOURCES)}", key="error.transfer_source",
                            choices=", ".join(SOURCES))
    classes = []
    for name, group in zip(names, files):
        paths = [str(f) for f in (group or []) if f]
        if paths or (name or "").strip():
            classes.append(((name or "").strip(), paths))
    return from_sources(classes, deadline=deadline)


def current(store: SessionStore, ticket: Ticket | None, request: Any) -> TrainState:
    """The caller's finished run."""
    if ticket is None:
        raise UserError("Train first; there is nothing to compare or export yet.", key="error.train_first")
    try:
        return store.get(ticket, request=request)
    except Expired:
        raise UserError("Your training run has expired; train again.", key="error.train_expired") from None


def outputs(**values: Any) -> tuple:
    """The run's outputs in :data:`OUTPUTS` order; the ones not named are left as they are."""
    return tuple(values.get(name, gr.update()) for name in OUTPUTS)


def report_outputs(result: FinetuneResult, lang: str) -> dict[str, Any]:
    """What the page shows of a finished run's analysis (what was left out said in its place)."""
    report = result.report
    shown: dict[str, Any] = dict(
        confusion_md=vtr.confusion_verdict(report.confusion, lang=lang),
        confusion_plot=vtr.confusion_figure(report.confusion, lang=lang),
        cams_md=vtr.cams_verdict(report.cams, lang=lang),
        cams=served_picture(vtr.cam_pairs_image(report.cams, lang=lang)) if report.cams else None,
    )
    if report.features is None:
        shown.update(pca_md=t("train_cut_features", lang), pca_plot=None)
    else:
        shown.update(pca_md=vtr.pca_verdict(report.features, lang=lang), pca_plot=vtr.pca_figure(report.features, lang=lang))
    return shown


def cut_text(result: FinetuneResult, lang: str) -> str:
    """What the time budget cut from the analysis, in words ("" when nothing was)."""
    report = result.report
    if not report.cut_short:
        return ""
    parts = [t("train_cut", lang)]
    if report.features is None:
        parts.append(t("train_cut_features", lang))
    if len(report.cams) < report.cams_planned:
        parts.append(t("train_cut_cams", lang, n=len(report.cams), planned=report.cams_planned))
    return " ".join(parts)


@friendly
def finetune(
    source: str, zip_file: Any, classes: list[str], images: list[Any], depth_v: str, weights_v: str,
    strategy_v: str, augment_v: bool, held_v: float, steps_v: float, seconds_v: float, size_v: float,
    old: Ticket | None = None, request: gr.Request = None,
    progress: gr.Progress = gr.Progress(),  # noqa: B008
    *, backend: Backend, store: SessionStore, cancels: Cancels,
) -> Iterator[tuple]:
    """Fine-tune a ResNet on your own classes and stream the loss and accuracy as it trains; at the
    end, what changed: a confusion matrix, the pooled features before and after (PCA), and Grad-CAM
    of held-out pictures from the original and the fine-tuned network.

    Stop (:func:`stop_training`) ends the steps early: what was trained so far is analysed and
    kept for export as usual, and the status says at which step it stopped."""
    lang = lang_of(request)
    store.check_owner(old, request=request)  # another client's session hash changes nothing
    progress(0.02, desc=t("train_reading", lang))
    # the time budget covers reading the pictures, the steps and the analysis
    started, budget = time.monotonic(), float(min(max(float(seconds_v), 5.0), MAX_SECONDS))
    choice = ModelChoice.parse(depth_v, "", "basic", "v1.5", weights_v)
    config = TrainConfig(strategy=strategy_v, steps=int(min(max(float(steps_v), 1), MAX_STEPS)), max_seconds=budget,
                         augment=bool(augment_v), held_out=float(held_v), input_size=int(size_v))
    data = dataset(source, zip_file, list(classes), list(images), deadline=started + budget)
    info = backend.info(choice.key)
    call = FinetuneCall(choice.key, data, config, spent=time.monotonic() - started)
    if old is not None:
        store.discard(old, request=request)
    head = t("train_head0", lang, classes=len(data.class_names), images=len(data.labels), model=info.name)
    if not info.pretrained:
        head += " " + t("train_random", lang)
    yield outputs(state=None, status=head)
    # the Stop button's flag asks the study to finish now (a closed page still cancels it)
    event, result, last = cancels.start(request), None, None
    try:
        for record in backend.run("finetune", call, finish=event):
            if not isinstance(record, TrainUpdate):
                result = record
                continue
            if last is None:  # the adapted model is made: say what trains
                head += " " + t("train_trainable", lang, trainable=f"{record.trainable:,}", total=f"{record.total:,}")
            last = record
            progress(record.step / max(record.steps, 1), desc=t("train_step", lang, step=record.step, steps=record.steps))
            yield outputs(status=head + "\n\n" + vtr.training_verdict(record, lang=lang),
                          curves=vtr.curves_figure(record, lang=lang))
            if record.done:  # the study goes on to compare before and after
                progress(0.97, desc=t("train_analysing", lang))
    finally:
        cancels.finish(request, event)
    if not isinstance(result, FinetuneResult):
        raise RuntimeError("the finetune study returned no result")
    ticket = store.put(TrainState(result), request=request, kind="train")
    stopped = t("train_stopped", lang, step=result.last.step) if result.last.stopped == "stopped" else ""
    status = " ".join(filter(None, (vtr.training_verdict(result.last, lang=lang), stopped, cut_text(result, lang))))
    yield outputs(state=ticket, status=head + "\n\n" + status, **report_outputs(result, lang))


@friendly
def finetune_export(ticket: Ticket | None = None, request: gr.Request = None, *, store: SessionStore,
                    cache_dir: str) -> tuple:
    """The fine-tuned weights (safetensors, class names in its metadata) and a standalone Python
    script (torch and torchvision only) that rebuilds the model and classifies a folder of images."""
    lang = lang_of(request)
    run = current(store, ticket, request)
    files = write_export(run.result.weights, run.folder)  # serialisation: no model runs here
    words = t("train_exported", lang, name=files.weights.name)
    if files.notice:
        words += " " + files.notice
    return words, run.serve(files.weights, cache_dir), run.serve(files.script, cache_dir)


def stop_training(request: gr.Request = None, *, cancels: Cancels) -> bool:
    """End the caller's own run at its next step (nobody else's); what it trained so far is
    analysed and kept, as if its steps had ended there. True when the caller had a run to stop."""
    return cancels.stop(request)


@friendly
def add_snapshot(picture: Any, slot: str, *groups: Any) -> list:
    """Add a webcam snapshot to a class slot's pictures."""
    if not picture:
        raise UserError("Take a snapshot first.", key="error.snapshot_first")
    index = int(slot) - 1 if str(slot).isdigit() and 1 <= int(slot) <= SLOTS else 0
    out = [gr.update() for _ in range(SLOTS)]
    out[index] = [*(str(f) for f in (groups[index] or [])), str(picture)]
    return out


def slot_lists(*values: Any) -> tuple[list, list]:
    """The class slots' names and pictures as two lists (the run takes two inputs, not twenty)."""
    return list(values[:SLOTS]), list(values[SLOTS:])


def _class_slot(i: int, names: list, files: list) -> None:
    with gr.Row():
        names.append(gr.Textbox(label=t("train_class_n", "en", n=i + 1), scale=1, max_length=60))
        files.append(unread_uploads(gr.File(label=L("train_images"), file_count="multiple", file_types=["image"],
                                            type="filepath", scale=2)))


def create(page: Page) -> dict[str, Any]:
    """Lay out the tab and wire its events; returns its components by name."""
    cancels, names, files = Cancels(), [], []
    state = gr.State(None, **page.store.state_options())
    gr.Markdown(L("train_intro"))
    with gr.Row():
        with gr.Column(scale=1):
            source = gr.Radio(list(SOURCES), value="example", label=L("train_source"), elem_id="train-source")
            zip_file = unread_uploads(gr.File(label=L("train_zip"), file_types=[".zip"], type="filepath"))
            for i in range(SHOWN):
                _class_slot(i, names, files)
            with gr.Accordion(L("train_more"), open=False):
                for i in range(SHOWN, SLOTS):
                    _class_slot(i, names, files)
            with gr.Accordion(L("train_webcam"), open=False):
                snapshot = gr.Image(sources=["webcam"], type="filepath", label=L("train_snapshot"))
                slot = gr.Dropdown([str(i + 1) for i in range(SLOTS)], value="1", label=L("train_to_class"))
                add_snap = gr.Button(L("train_add_snapshot"), size="sm")
        with gr.Column(scale=1):
            depth = gr.Dropdown(list(DEPTHS), value="ResNet-10", label=L("depth"))
            weights = gr.Dropdown(["DEFAULT", "random"], value="DEFAULT", label=L("weights"))
            strategy = gr.Radio(list(STRATEGIES), value="all", label=L("train_strategy"))
            augment = gr.Checkbox(True, label=L("train_augment"))
            held_out = gr.Slider(0.1, 0.5, value=0.25, step=0.05, label=L("train_held_out"))
            steps = gr.Slider(10, MAX_STEPS, value=300, step=10, label=L("train_steps"))
            seconds = gr.Slider(10, MAX_SECONDS, value=240, step=10, label=L("seconds"))
            size = gr.Slider(32, 224, value=64, step=16, label=L("size"))
            with gr.Row():
                start = gr.Button(L("train_start"), variant="primary", elem_id="train-run")
                stop = gr.Button(L("attr_stop"), variant="stop", elem_id="train-stop")
    status = gr.Markdown(elem_id="train-status")
    curves = gr.Plot(label=L("train_curves"))
    with gr.Row():
        with gr.Column():
            confusion_md, confusion_plot = gr.Markdown(), gr.Plot(label=L("train_confusion"))
        with gr.Column():
            pca_md, pca_plot = gr.Markdown(), gr.Plot(label=L("train_pca"))
    cams_md = gr.Markdown()
    cams = gr.Image(label=L("train_cams"), format="jpeg", interactive=False)
    gr.Markdown(L("train_export_heading"))
    export_btn = gr.Button(L("train_export"), elem_id="train-export")
    export_md = gr.Markdown()
    with gr.Row():
        weights_file = gr.File(label=L("train_weights_file"), interactive=False)
        script_file = gr.File(label=L("train_script_file"), interactive=False)

    classes_in, images_in = gr.State([]), gr.State([])
    run_in = [source, zip_file, classes_in, images_in, depth, weights, strategy, augment, held_out, steps, seconds, size]
    run_out = [state, status, curves, confusion_md, confusion_plot, pca_md, pca_plot, cams_md, cams]
    start.click(slot_lists, [*names, *files], [classes_in, images_in], api_name=False, queue=False).then(
        gpu(bind(finetune, backend=page.backend, store=page.store, cancels=cancels)), [*run_in, state], run_out,
        api_name="finetune", **page.model_event(long=True),
    )
    # queued (in a group of its own that never waits): never callable through POST /run/<name>
    stop.click(bind(stop_training, cancels=cancels), None, None, api_name=False, concurrency_id="stop",
               concurrency_limit=None)
    export_btn.click(bind(finetune_export, store=page.store, cache_dir=weights_file.GRADIO_CACHE), [state],
                     [export_md, weights_file, script_file], api_name="finetune_export")
    add_snap.click(add_snapshot, [snapshot, slot, *files], files, api_name=False)
    page.localize(source, lambda lang: gr.update(choices=choices("train_source_", list(SOURCES), lang)))
    page.localize(strategy, lambda lang: gr.update(choices=[(vtr.strategy_name(s, lang=lang), s) for s in STRATEGIES]))
    page.localize(weights, lambda lang: gr.update(choices=choices("weights_", ["DEFAULT", "random"], lang)))
    for i, box in enumerate(names):
        page.localize(box, lambda lang, i=i: gr.update(label=t("train_class_n", lang, n=i + 1)))
    return dict(start=start, status=status)


__all__ = ["TrainState", "add_snapshot", "create", "dataset", "finetune", "finetune_export", "stop_training"]
