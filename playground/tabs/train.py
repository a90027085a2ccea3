"""Train on your images: fit a ResNet to your own classes, see what changed inside, take it home.

The data, the training loop, the analysis and the export are ``resnet_core.transfer``'s; this tab
reads the page (class slots, a zip, the bundled set, webcam snapshots), streams the run, and keeps
one person's run in the bounded session store until it expires.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from resnet_core.transfer import (
    STRATEGIES,
    TrainConfig,
    TransferError,
    TransferSession,
    from_folder,
    from_sources,
    from_zip,
)
from viz import transfer as vtr

from ..choices import ModelChoice
from ..context import ROOT, Page, gpu
from ..errors import friendly
from ..guard import served_picture, unread_uploads
from ..locales import L, choices, lang_of, t
from ..sessions import Expired, Ticket, nbytes

EXAMPLE_SET = ROOT / "assets" / "datasets" / "textures"
SLOTS = 10  # at most ten classes
SHOWN = 3  # class slots open at first; the rest in an accordion
SOURCES = ("example", "zip", "classes")
DEPTHS = ("ResNet-10", "ResNet-18", "ResNet-34", "ResNet-50")
#: the server's caps on one run, whatever the page or an API client asks for
MAX_STEPS, MAX_SECONDS = 1000, 600.0


class TrainState:
    """One person's run and its export folder, kept in the session store; ``close`` frees both."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="resnet-playground-train-"))
        self.session = TransferSession(folder=self.folder)
        self.served: list[Path] = []  # Gradio's cached copies of the exports: they go with the run

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
        s = self.session
        return nbytes(s.data) + nbytes(s.model) + (nbytes(s.run.x) if s.run is not None else 0)

    def close(self) -> None:
        self.session.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        for folder in self.served:
            shutil.rmtree(folder, ignore_errors=True)
        self.served.clear()


def dataset(source: str, zip_file: Any, names: list[str], files: list[Any], *, deadline: float | None = None) -> Any:
    """The data set a request names: the bundled example set, one zip, or the class slots
    (read until ``deadline``, a ``time.monotonic()`` instant: the run's time budget)."""
    if source == "example":
        return from_folder(EXAMPLE_SET)
    if source == "zip":
        if not zip_file:
            raise TransferError("Choose a .zip file with one folder of images per class.")
        return from_zip(str(zip_file), deadline=deadline)
    if source != "classes":
        raise TransferError(f"the images come from one of {', '.join(SOURCES)}")
    classes = []
    for name, group in zip(names, files):
        paths = [str(f) for f in (group or []) if f]
        if paths or (name or "").strip():
            classes.append(((name or "").strip(), paths))
    return from_sources(classes, deadline=deadline)


def create(page: Page) -> dict[str, Any]:  # noqa: PLR0915 - layout reads top to bottom
    """Lay out the tab and wire its events; returns its components by name."""
    state = gr.State(None, **page.store.state_options())
    gr.Markdown(L("train_intro"))
    with gr.Row():
        with gr.Column(scale=1):
            source = gr.Radio(list(SOURCES), value="example", label=L("train_source"), elem_id="train-source")
            zip_file = unread_uploads(gr.File(label=L("train_zip"), file_types=[".zip"], type="filepath"))
            names, files = [], []

            def class_slot(i: int) -> None:
                with gr.Row():
                    names.append(gr.Textbox(label=t("train_class_n", "en", n=i + 1), scale=1, max_length=60))
                    files.append(unread_uploads(gr.File(label=L("train_images"), file_count="multiple",
                                                        file_types=["image"], type="filepath", scale=2)))

            for i in range(SHOWN):
                class_slot(i)
            with gr.Accordion(L("train_more"), open=False):
                for i in range(SHOWN, SLOTS):
                    class_slot(i)
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
            confusion_md = gr.Markdown()
            confusion_plot = gr.Plot(label=L("train_confusion"))
        with gr.Column():
            pca_md = gr.Markdown()
            pca_plot = gr.Plot(label=L("train_pca"))
    cams_md = gr.Markdown()
    cams = gr.Image(label=L("train_cams"), format="jpeg", interactive=False)
    gr.Markdown(L("train_export_heading"))
    export_btn = gr.Button(L("train_export"), elem_id="train-export")
    export_md = gr.Markdown()
    with gr.Row():
        weights_file = gr.File(label=L("train_weights_file"), interactive=False)
        script_file = gr.File(label=L("train_script_file"), interactive=False)

    def current(ticket: Ticket | None, request: Any) -> TrainState:
        if ticket is None:
            raise ValueError("Train first; there is nothing to compare or export yet.")
        try:
            return page.store.get(ticket, request=request)
        except Expired:
            raise ValueError("Your training run has expired; train again.") from None

    @friendly
    def finetune(
        source: str, zip_file: Any, classes: list[str], images: list[Any], depth_v: str, weights_v: str,
        strategy_v: str, augment_v: bool, held_v: float, steps_v: float, seconds_v: float, size_v: float,
        old: Ticket | None = None, request: gr.Request = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> Iterator[dict]:
        """Fine-tune a ResNet on your own classes and stream the loss and accuracy as it trains; at the
        end, what changed: a confusion matrix, the pooled features before and after (PCA), and Grad-CAM
        of held-out pictures from the original and the fine-tuned network."""
        lang = lang_of(request)
        page.store.check_owner(old, request=request)  # another client's session hash changes nothing
        slot_names, slot_files = list(classes), list(images)
        progress(0.02, desc=t("train_reading", lang))
        # the time budget covers reading the pictures and extracting features, not only the steps
        started, budget = time.perf_counter(), float(min(max(float(seconds_v), 5.0), MAX_SECONDS))
        data = dataset(source, zip_file, slot_names, slot_files, deadline=time.monotonic() + budget)
        served = page.served(ModelChoice.parse(depth_v, "", "basic", "v1.5", weights_v), None, request)
        config = TrainConfig(
            strategy=strategy_v, steps=int(min(max(float(steps_v), 1), MAX_STEPS)),
            max_seconds=budget, augment=bool(augment_v),
            held_out=float(held_v), input_size=int(size_v),
        )
        if old is not None:
            page.store.discard(old, request=request)
        run = TrainState()
        run.session.set_data(data)
        updates = run.session.train(served.model, config=config, preprocess=served.weights.preprocess,
                                    base_categories=served.weights.categories, started=started)
        ticket = page.store.put(run, request=request, kind="train")
        with page.store.pinned(ticket):  # a running job is ended by its owner only, never by others' loads
            head = t("train_head0", lang, classes=len(data.class_names), images=len(data.labels), model=served.model.name)
            if not served.weights.pretrained:
                head += " " + t("train_random", lang)
            yield {state: ticket, status: head}
            last = None
            for update in updates:
                if last is None:  # the adapted model is made: say what trains
                    head += " " + t("train_trainable", lang, trainable=f"{update.trainable:,}", total=f"{update.total:,}")
                last = update
                progress(update.step / max(update.steps, 1), desc=t("train_step", lang, step=update.step, steps=update.steps))
                yield {status: head + "\n\n" + vtr.training_verdict(update, lang=lang), curves: vtr.curves_figure(update, lang=lang)}
            progress(0.97, desc=t("train_analysing", lang))
            report = run.session.analyse()
            ticket = page.store.put(run, request=request, kind="train", replaces=ticket)
            yield {
                state: ticket,
                status: head + "\n\n" + (vtr.training_verdict(last, lang=lang) if last is not None else ""),
                confusion_md: vtr.confusion_verdict(report.confusion, lang=lang),
                confusion_plot: vtr.confusion_figure(report.confusion, lang=lang),
                pca_md: vtr.pca_verdict(report.features, lang=lang), pca_plot: vtr.pca_figure(report.features, lang=lang),
                cams_md: vtr.cams_verdict(report.cams, lang=lang),
                cams: served_picture(vtr.cam_pairs_image(report.cams, lang=lang)) if report.cams else None,
            }

    @friendly
    def finetune_export(ticket: Ticket | None = None, request: gr.Request = None) -> tuple:
        """The fine-tuned weights (safetensors, class names in its metadata) and a standalone Python
        script (torch and torchvision only) that rebuilds the model and classifies a folder of images."""
        lang = lang_of(request)
        run = current(ticket, request)
        files = run.session.export()
        words = t("train_exported", lang, name=files.weights.name)
        if files.notice:
            words += " " + files.notice
        cache = weights_file.GRADIO_CACHE
        return words, run.serve(files.weights, cache), run.serve(files.script, cache)

    def stop_training(ticket: Ticket | None = None, request: gr.Request = None) -> None:
        """Stop this session's run after its current step."""
        try:
            current(ticket, request).session.request_stop()
        except ValueError:
            pass

    @friendly
    def add_snapshot(picture: Any, slot: str, *groups: Any) -> list:
        """Add a webcam snapshot to a class slot's pictures."""
        if not picture:
            raise ValueError("Take a snapshot first.")
        index = int(slot) - 1 if str(slot).isdigit() and 1 <= int(slot) <= SLOTS else 0
        out = [gr.update() for _ in range(SLOTS)]
        out[index] = [*(str(f) for f in (groups[index] or [])), str(picture)]
        return out

    # the class slots travel as two lists (names, pictures), not twenty arguments
    classes_in, images_in = gr.State([]), gr.State([])
    outputs = [state, status, curves, confusion_md, confusion_plot, pca_md, pca_plot, cams_md, cams]
    start.click(lambda *v: (list(v[:SLOTS]), list(v[SLOTS:])), [*names, *files], [classes_in, images_in], api_name=False,
                queue=False).then(
        gpu(finetune),
        [source, zip_file, classes_in, images_in, depth, weights, strategy, augment, held_out, steps, seconds, size, state],
        outputs, api_name="finetune", **page.model_event(long=True),
    )
    # queued (in a group of its own that never waits): never callable through POST /run/<name>
    stop.click(stop_training, [state], None, api_name=False, concurrency_id="stop", concurrency_limit=None)
    export_btn.click(finetune_export, [state], [export_md, weights_file, script_file], api_name="finetune_export")
    add_snap.click(add_snapshot, [snapshot, slot, *files], files, api_name=False)
    page.localize(source, lambda lang: gr.update(choices=choices("train_source_", list(SOURCES), lang)))
    page.localize(strategy, lambda lang: gr.update(choices=[(vtr.strategy_name(s, lang=lang), s) for s in STRATEGIES]))
    page.localize(weights, lambda lang: gr.update(choices=choices("weights_", ["DEFAULT", "random"], lang)))
    for i, box in enumerate(names):
        page.localize(box, lambda lang, i=i: gr.update(label=t("train_class_n", lang, n=i + 1)))
    return dict(start=start, status=status)
