"""What every tab may use from the page: :class:`Page`, :func:`gpu` and :data:`ROOT`.

The tabs import this module and ``page.py`` imports the tabs, so nothing runs in a circle. The
page makes every input that several tabs share (the model picker, the picture, the Grad-CAM
layer) before any tab is laid out; a tab places a shared input where it belongs with
``.render()`` and wires to it, so the tabs never depend on each other's order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from resnet_core.backends import Backend, CheckpointRef, ModelInfo
from resnet_core.errors import UserError
from resnet_core.serving import ModelService
from resnet_core.zoo import ServedModel

from .choices import ModelChoice
from .limits import Ledger
from .locales import t
from .sessions import Expired, SessionStore, Ticket
from .settings import Settings

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "assets"
MODEL_EVENTS = "model"  # one concurrency_id for every event that runs a network
# long jobs (training races, attributions, sanity checks) queue apart, one at a time, so that
# they never hold up a quick inspection behind them
LONG_EVENTS = "long"

try:  # Hugging Face ZeroGPU: @spaces.GPU asks for a GPU for the call; a no-op elsewhere
    import spaces

    gpu = spaces.GPU
except ImportError:  # pragma: no cover - depends on the host

    def gpu(fn: Callable | None = None, **_: Any) -> Any:
        return fn if fn is not None else (lambda f: f)


@dataclass
class Page:
    """What every tab may use: the settings, the backend and the shared components.

    Attributes:
        image: the picture (Inspect lays it out; Compare, the ablation and Attributions read it).
        layer: the Grad-CAM layer (Inspect lays it out; the ablation reads it).
    """

    settings: Settings
    service: ModelService
    depth: gr.Dropdown
    variant: gr.Radio
    weights: gr.Dropdown
    counts: gr.Textbox
    block_type: gr.Radio
    user_model: gr.State
    notice: gr.Markdown
    image: gr.Image
    layer: gr.Dropdown
    backend: Backend
    ledger: Ledger = field(default_factory=Ledger)
    store: SessionStore = field(default_factory=SessionStore)
    localized: list[tuple[gr.components.Component, Callable[[str], Any]]] = field(default_factory=list)
    loads: list[tuple[Callable, list, list, str | bool]] = field(default_factory=list)

    @property
    def model_in(self) -> list:
        """The model picker's components, in the order :meth:`ModelChoice.parse` takes them."""
        return [self.depth, self.counts, self.block_type, self.variant]

    def model_event(self, *, long: bool = False) -> dict[str, Any]:
        """Event options for anything that runs a network: one shared concurrency group (long
        jobs: a group of their own, one at a time)."""
        if long:
            return dict(concurrency_id=LONG_EVENTS, concurrency_limit=1)
        return dict(concurrency_id=MODEL_EVENTS, concurrency_limit=self.settings.concurrency)

    def architecture_events(self, *, with_depth: bool = True) -> list[Callable]:
        """The events that mean "another architecture": depth, variant, block type, and the
        custom counts once typed (submitted or left), not at every keystroke."""
        events = [self.variant.change, self.block_type.change, self.counts.submit, self.counts.blur]
        return ([self.depth.change] if with_depth else []) + events

    def localize(self, component: gr.components.Component, update: Callable[[str], Any]) -> None:
        """Give ``component`` the update ``update(lang)`` when the page loads (choices, headers)."""
        self.localized.append((component, update))

    def on_load(self, fn: Callable, inputs: list, outputs: list, *, api_name: str | bool = False) -> None:
        """Run ``fn`` when the page loads (after the layout is complete)."""
        self.loads.append((fn, inputs, outputs, api_name))

    def checkpoint(self, choice: ModelChoice, user: Ticket | None, request: Any, *, size: int = 224) -> CheckpointRef | None:
        """The session's checkpoint when the choice asks for it (None otherwise), within the budget."""
        if choice.weights != "checkpoint":
            return None
        self.backend.check_cost(choice.depth, choice.variant, size)
        if user is None:
            raise UserError("upload a checkpoint (.safetensors or .pth) first, or pick other weights",
                            key="error.checkpoint_missing")
        try:
            ref = self.store.get(user, request=request)
        except Expired:
            raise UserError("your checkpoint has expired from this session; load it again",
                            key="error.checkpoint_expired") from None
        if (ref.key.depth, ref.key.variant) != (choice.depth, choice.variant):
            raise UserError("your checkpoint was loaded for another architecture; load it again for this one",
                            key="error.checkpoint_other_arch")
        return ref

    def device_text(self, lang: str) -> str:
        return t("device", lang, device=self.service.device_label)

    def notice_for(self, model: ServedModel | ModelInfo, lang: str) -> str:
        """What the page says at the top about the model a result came from."""
        info = model if isinstance(model, ModelInfo) else ModelInfo.of(model)
        if not info.pretrained:
            return t("notice_random", lang, model=info.name, device=self.device_text(lang))
        return t("notice_real", lang, model=info.name, source=info.source, device=self.device_text(lang))


__all__ = ["ASSETS", "LONG_EVENTS", "MODEL_EVENTS", "ROOT", "Page", "gpu"]
