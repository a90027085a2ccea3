"""The three ways to fit a ResNet to new classes, and a training loop that reports as it goes.

The strategies are those of torchvision's transfer-learning tutorial and Yosinski et al., "How
transferable are features in deep neural networks?" (https://arxiv.org/abs/1411.1792):

* ``"features"``: a fixed feature extractor. The backbone is frozen (BatchNorm statistics too) and
  only a new ``fc`` layer learns, so the pooled features are computed once and the loop trains a
  linear classifier on them: fast on a CPU.
* ``"last_stage"``: the last stage and a new ``fc`` learn; earlier stages stay as they were.
* ``"all"``: every weight learns (fine-tuning, as in fast.ai's first lesson).

The caller's model is never touched: the loop works on a deep copy on the same device.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..device import cpu_threads
from ..model import ResNet
from ..preprocess import Preprocess, prepare
from .data import ImageSet, TransferError, split

Strategy = Literal["features", "last_stage", "all"]
STRATEGIES: tuple[Strategy, ...] = ("features", "last_stage", "all")

#: caps on what a request may ask for
MAX_STEPS = 2000
MAX_SECONDS = 600.0
MAX_BATCH = 64
INPUT_SIZES: tuple[int, int] = (64, 224)
#: augmented views per training image when features are precomputed (each costs one forward)
FEATURE_VIEWS = 4
#: the new ``fc`` learns this many times faster than the backbone (it starts from scratch)
HEAD_LR_FACTOR = 1.0


@dataclass(frozen=True)
class TrainConfig:
    """One training request, checked once.

    The defaults are chosen so that, on the bundled example set and starting from random
    weights (no ImageNet weights offline), ResNet-10 at 64 px reaches at least 90 % held-out
    accuracy within the default steps on a CPU; docs/transfer.md has the measurements.

    Attributes:
        strategy: "features", "last_stage" or "all".
        steps: optimiser steps at most.
        max_seconds: wall-clock budget; the loop stops cleanly after the step that passes it.
        batch: images per step (capped at the training set's size).
        lr: AdamW learning rate (the new ``fc`` always learns at ten times this rate when the
            backbone learns too, since it starts from scratch).
        weight_decay: AdamW weight decay.
        augment: random resized crops (scale 0.6-1) and horizontal flips on training images.
        input_size: network input side in pixels.
        held_out: share of each class kept aside for testing.
        seed: seeds the split, the new ``fc``, the batch order and the augmentation.
        eval_every: score the held-out set every this many steps (and at step 0 and the end).
    """

    strategy: Strategy = "all"
    steps: int = 300
    max_seconds: float = 300.0
    batch: int = 16
    lr: float = 1e-3
    weight_decay: float = 1e-4
    augment: bool = True
    input_size: int = 64
    held_out: float = 0.25
    seed: int = 0
    eval_every: int = 20

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise TransferError(f"Strategy must be one of {', '.join(STRATEGIES)}; got {str(self.strategy)[:40]!r}.",
                                key="error.transfer_strategy_got", choices=", ".join(STRATEGIES),
                                got=repr(str(self.strategy)[:40]))
        _check_int("steps", self.steps, 1, MAX_STEPS)
        _check_int("batch", self.batch, 2, MAX_BATCH)
        _check_int("input_size", self.input_size, *INPUT_SIZES)
        _check_int("eval_every", self.eval_every, 1, MAX_STEPS)
        _check_int("seed", self.seed, 0, 2**31 - 1)
        for name, value, lo, hi in (
            ("max_seconds", self.max_seconds, 0.0, MAX_SECONDS),
            ("lr", self.lr, 0.0, 1.0),
            ("weight_decay", self.weight_decay, -1e-12, 1.0),
            ("held_out", self.held_out, 0.05, 0.5),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise TransferError(f"{name} must be a number, got {str(value)[:40]!r}.", key="error.transfer_number",
                                    name=name, got=repr(str(value)[:40]))
            if not lo < value <= hi and not (name == "held_out" and value == lo):
                raise TransferError(f"{name} must be in ({lo:g}, {hi:g}], got {value!r}.", key="error.transfer_range",
                                    name=name, low=lo, high=hi, got=repr(value))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class OutOfTime(TransferError):
    """The time budget passed in the middle of work that cannot stop half-way."""


def _check_int(name: str, value: Any, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise TransferError(f"{name} must be a whole number from {lo} to {hi}, got {str(value)[:40]!r}.",
                            key="error.transfer_whole", name=name, low=lo, high=hi, got=repr(str(value)[:40]))


def model_device(model: nn.Module) -> torch.device:
    """Where the model's parameters live."""
    return next(model.parameters()).device


def adapt(model: ResNet, num_classes: int, strategy: Strategy, *, seed: int = 0) -> ResNet:
    """A deep copy of ``model`` with a new ``fc`` for ``num_classes`` and the strategy's trainable set.

    The copy is on the model's device, in train mode for the parts that learn; frozen parts keep
    BatchNorm in eval mode so their running statistics stay bit-identical too.
    """
    if strategy not in STRATEGIES:
        raise TransferError(f"Strategy must be one of {', '.join(STRATEGIES)}.", key="error.transfer_strategy",
                            choices=", ".join(STRATEGIES))
    net = copy.deepcopy(model)
    device = model_device(model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net.fc = nn.Linear(net.num_features, num_classes).to(device)
    net.num_classes = num_classes
    net.requires_grad_(False)
    net.eval()
    for module in trainable_modules(net, strategy):
        module.requires_grad_(True)
        module.train()
    return net


def trainable_modules(net: ResNet, strategy: Strategy) -> list[nn.Module]:
    """The modules a strategy trains: ``fc``; the last stage (and a pre-activation net's final BN) too; or all."""
    if strategy == "all":
        return [net]
    if strategy == "features":
        return [net.fc]
    last = [net.stages()[-1], net.fc]
    if hasattr(net, "bn_final"):
        last.append(net.bn_final)
    return last


def count_trainable(model: nn.Module) -> tuple[int, int]:
    """``(trainable, total)`` parameter counts."""
    total = sum(p.numel() for p in model.parameters())
    return sum(p.numel() for p in model.parameters() if p.requires_grad), total


def to_tensors(data: ImageSet, *, input_size: int, preprocess: Preprocess) -> tuple[Tensor, np.ndarray]:
    """Every picture as the network's input ``(N, 3, S, S)`` float32 (resize, centre crop,
    normalise, as :func:`resnet_core.preprocess.prepare`) and the ``(N, S, S, 3)`` uint8 views."""
    prepared = [prepare(_pil(img), preprocess, size=input_size) for img in data.images]
    return torch.cat([p.tensor for p in prepared]), np.stack([p.view for p in prepared])


def _pil(image: np.ndarray) -> Any:
    from PIL import Image

    return Image.fromarray(image)


def augment(x: Tensor, generator: torch.Generator) -> Tensor:
    """Random resized crops (area 0.6-1, aspect 3/4-4/3) and horizontal flips, per image.

    As torchvision's ``RandomResizedCrop`` and ``RandomHorizontalFlip``, but on a batch of
    normalised tensors and drawn from ``generator``, so a seeded run repeats exactly.
    """
    n, _, h, w = x.shape  # (B, 3, H, W)
    r = torch.rand(n, 4, generator=generator).tolist()
    out = []
    for i in range(n):
        area = 0.6 + 0.4 * r[i][0]
        aspect = math.exp(math.log(3 / 4) + (math.log(4 / 3) - math.log(3 / 4)) * r[i][1])
        ch = min(h, max(8, round(h * math.sqrt(area / aspect))))
        cw = min(w, max(8, round(w * math.sqrt(area * aspect))))
        top, left = int(r[i][2] * (h - ch + 1)), int(r[i][3] * (w - cw + 1))
        crop = x[i : i + 1, :, top : top + ch, left : left + cw]
        out.append(F.interpolate(crop, size=(h, w), mode="bilinear", align_corners=False, antialias=True))
    batch = torch.cat(out)
    flip = torch.rand(n, generator=generator) < 0.5
    return torch.where(flip.to(batch.device)[:, None, None, None], batch.flip(3), batch)


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode inside, every module's own mode restored after (a frozen BN stays frozen)."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for m, mode in modes:
            m.training = mode


@torch.no_grad()
def pooled_features(model: ResNet, x: Tensor, *, chunk: int = 64, deadline: float | None = None) -> Tensor:
    """The globally pooled features ``(N, C)`` the ``fc`` layer sees, in eval mode.

    Raises:
        OutOfTime: ``deadline`` (a ``time.perf_counter()`` instant) passed between chunks.
    """
    device = model_device(model)
    parts = []
    with eval_mode(model):
        for i in range(0, len(x), chunk):
            if deadline is not None and time.perf_counter() > deadline:
                raise OutOfTime(
                    f"Extracting the features of {len(x)} images took longer than this run's time budget; "
                    "allow more seconds, or choose fewer images, a smaller network or a smaller input size.",
                    key="error.transfer_features_time", n=len(x),
                )
            parts.append(model.avgpool(model.features(x[i : i + chunk].to(device))).flatten(1))
    return torch.cat(parts)  # (N, C)


@torch.no_grad()
def predict(model: nn.Module, x: Tensor, *, chunk: int = 64) -> Tensor:
    """Softmax probabilities ``(N, K)`` on the CPU, in eval mode (each module's mode is restored)."""
    device = model_device(model)
    with eval_mode(model):
        return torch.cat([model(x[i : i + chunk].to(device)).softmax(1).cpu() for i in range(0, len(x), chunk)])


@dataclass(frozen=True)
class TrainUpdate:
    """The state of a training run after some step; each update carries the curves so far.

    Attributes:
        step: steps done; steps: steps planned.
        elapsed: seconds since the run started (tensors, features and copies included).
        loss: ``(step,)`` training loss of each step's batch.
        train_accuracy: ``(step,)`` accuracy on each step's batch, in [0, 1].
        eval_steps: ``(m,)`` steps at which the held-out images were scored (0: before training).
        eval_accuracy: ``(m,)`` held-out accuracy there.
        done: the last update of the run.
        stopped: why it ended before ``steps``: "time budget", "stopped", or None.
        strategy: the strategy; trainable / total: parameter counts of the adapted model.
        device: where it ran.
        config: the settings, JSON-ready.
    """

    step: int
    steps: int
    elapsed: float
    loss: np.ndarray
    train_accuracy: np.ndarray
    eval_steps: np.ndarray
    eval_accuracy: np.ndarray
    done: bool
    stopped: str | None
    strategy: str
    trainable: int
    total: int
    device: str
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def progress(self) -> float:
        return self.step / self.steps if self.steps else 1.0

    @property
    def held_out_accuracy(self) -> float:
        """The latest held-out accuracy (NaN before any evaluation)."""
        return float(self.eval_accuracy[-1]) if len(self.eval_accuracy) else float("nan")


StopSignal = threading.Event | Callable[[], bool] | None


def _stopped(stop: StopSignal) -> bool:
    if stop is None:
        return False
    if isinstance(stop, threading.Event):
        return stop.is_set()
    return bool(stop())


class FineTune:
    """One training run: iterate it for :class:`TrainUpdate` records; ``model`` is the adapted copy.

    Made by :func:`finetune`. ``model`` holds the latest weights at every update, including after
    a stop or a time-out, and is left in eval mode with no parameter requiring a gradient once
    the run ends.

    Attributes:
        model: the adapted copy (new ``fc``) that learns.
        data: the data set; train_idx / held_idx: the split.
        x: ``(N, 3, S, S)`` inputs of every image on the CPU; views: ``(N, S, S, 3)`` uint8.
        config: the settings.
        reserve: seconds at the end of ``config.max_seconds`` the loop leaves to what follows it.
    """

    def __init__(
        self, base: ResNet, data: ImageSet, config: TrainConfig, *, preprocess: Preprocess, stop: StopSignal,
        started: float | None = None, reserve: float = 0.0,
    ) -> None:
        if not 0.0 <= float(reserve) < config.max_seconds:
            raise TransferError(f"The reserve must be from 0 to under {config.max_seconds:g} seconds, got {reserve!r}.",
                                key="error.transfer_reserve", limit=config.max_seconds, got=repr(reserve))
        # the budget counts from the caller's start (reading and decoding the pictures included)
        self.start = time.perf_counter() if started is None else float(started)
        self.reserve = float(reserve)
        self.config = config
        self.data = data
        self.preprocess = preprocess
        self.stop = stop
        self.device = model_device(base)
        self.train_idx, self.held_idx = split(data.labels, held_out=config.held_out, seed=config.seed)
        self.x, self.views = to_tensors(data, input_size=config.input_size, preprocess=preprocess)
        self.y = torch.from_numpy(data.labels)
        self.model = adapt(base, data.num_classes, config.strategy, seed=config.seed)
        self.trainable, self.total = count_trainable(self.model)
        self.last: TrainUpdate | None = None

    def __iter__(self) -> Iterator[TrainUpdate]:
        # one intra-op thread on a CPU, as the lab's runs: a second one stalls on a shared core, and
        # a run's result must not depend on how many cores the machine has (float sums reorder)
        device = next(self.model.parameters()).device
        try:
            with cpu_threads(1, device):
                yield from self._run()
        finally:
            self.model.eval().requires_grad_(False)

    def _optimizer(self) -> torch.optim.Optimizer:
        c = self.config
        head = list(self.model.fc.parameters())
        body = [p for n, p in self.model.named_parameters() if p.requires_grad and not n.startswith("fc.")]
        groups: list[dict[str, Any]] = [{"params": head, "lr": c.lr * HEAD_LR_FACTOR}]
        if body:
            groups.append({"params": body, "lr": c.lr})
        return torch.optim.AdamW(groups, weight_decay=c.weight_decay)

    def _feature_bank(self, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        """Pooled features of every training image (and augmented views), computed once."""
        xs = self.x[self.train_idx]
        budget = self.budget
        feats, labels = [pooled_features(self.model, xs, deadline=self.start + budget)], [self.y[self.train_idx]]
        for _ in range(FEATURE_VIEWS if self.config.augment else 0):
            # augmented views are extras: made only while half of the time budget is left for the steps
            if _stopped(self.stop) or time.perf_counter() - self.start > budget / 2:
                break
            feats.append(pooled_features(self.model, augment(xs, gen), deadline=self.start + budget))
            labels.append(self.y[self.train_idx])
        return torch.cat(feats), torch.cat(labels).to(self.device)

    @property
    def budget(self) -> float:
        """Seconds the loop may use, counted from :attr:`start` (the time budget less the reserve)."""
        return self.config.max_seconds - self.reserve

    def held_out_accuracy(self) -> float:
        probs = predict(self.model, self.x[self.held_idx])
        return float((probs.argmax(1) == self.y[self.held_idx]).float().mean())

    def _run(self) -> Iterator[TrainUpdate]:
        c = self.config
        gen = torch.Generator().manual_seed(c.seed)
        opt = self._optimizer()
        losses, accs, eval_steps, eval_accs = [], [], [0], [self.held_out_accuracy()]
        bank = self._feature_bank(gen) if c.strategy == "features" else None
        n_train = len(bank[0]) if bank is not None else len(self.train_idx)
        batch = min(c.batch, n_train)
        self.last = self._update(0, losses, accs, eval_steps, eval_accs, done=False, stopped=None)
        yield self.last
        stopped: str | None = None
        for step in range(1, c.steps + 1):
            pick = torch.randperm(n_train, generator=gen)[:batch]
            if bank is not None:
                xb, yb = bank[0][pick], bank[1][pick]
                logits = self.model.fc(xb)  # (B, K): the frozen backbone's features were computed once
            else:
                idx = torch.from_numpy(self.train_idx)[pick]
                xb = self.x[idx]
                xb = augment(xb, gen) if c.augment else xb
                yb = self.y[idx].to(self.device)
                logits = self.model(xb.to(self.device))  # (B, K)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
            accs.append(float((logits.argmax(1) == yb).float().mean()))
            if _stopped(self.stop):
                stopped = "stopped"
            elif time.perf_counter() - self.start > self.budget and step < c.steps:
                stopped = "time budget"
            done = stopped is not None or step == c.steps
            if done or step % c.eval_every == 0:
                eval_steps.append(step)
                eval_accs.append(self.held_out_accuracy())
                self.last = self._update(step, losses, accs, eval_steps, eval_accs, done=done, stopped=stopped)
                yield self.last
            if done:
                return

    def _update(
        self,
        step: int,
        losses: list[float],
        accs: list[float],
        eval_steps: list[int],
        eval_accs: list[float],
        *,
        done: bool,
        stopped: str | None,
    ) -> TrainUpdate:
        return TrainUpdate(
            step=step,
            steps=self.config.steps,
            elapsed=time.perf_counter() - self.start,
            loss=np.asarray(losses, dtype=np.float64),
            train_accuracy=np.asarray(accs, dtype=np.float64),
            eval_steps=np.asarray(eval_steps, dtype=np.int64),
            eval_accuracy=np.asarray(eval_accs, dtype=np.float64),
            done=done,
            stopped=stopped,
            strategy=self.config.strategy,
            trainable=self.trainable,
            total=self.total,
            device=str(self.device),
            config=self.config.to_dict(),
        )


def finetune(
    model: ResNet,
    data: ImageSet,
    *,
    config: TrainConfig = TrainConfig(),
    preprocess: Preprocess = Preprocess(),
    stop: StopSignal = None,
    started: float | None = None,
    reserve: float = 0.0,
) -> FineTune:
    """Prepare a training run on a deep copy of ``model``; iterate the result to train.

    Args:
        model: the network to start from (a served model is fine: it is copied, never changed).
        data: the classes and images.
        config: strategy, budgets, augmentation, split, seed.
        preprocess: normalisation of the model's weights (``LoadedWeights.preprocess``).
        stop: a ``threading.Event`` or a callable; when set (true), the run ends after the
            current step with ``stopped="stopped"``.
        started: the ``time.perf_counter()`` instant the time budget counts from (default: now),
            so that reading the pictures counts against ``config.max_seconds`` too.
        reserve: seconds at the end of the budget kept for what follows the loop (the analysis):
            the loop stops by ``config.max_seconds - reserve``.

    Returns:
        A :class:`FineTune`: ``for update in run: ...``; an update every ``eval_every`` steps,
        one at step 0 and a final one with ``done=True``.
    """
    if not isinstance(model, ResNet):
        raise TransferError("Training needs a ResNet built by resnet_core.", key="error.transfer_not_resnet")
    if not isinstance(config, TrainConfig):
        raise TransferError("config must be a TrainConfig.", key="error.transfer_config")
    return FineTune(model, data, config, preprocess=preprocess, stop=stop, started=started, reserve=reserve)


__all__ = [
    "STRATEGIES",
    "FineTune",
    "OutOfTime",
    "Strategy",
    "TrainConfig",
    "TrainUpdate",
    "adapt",
    "augment",
    "count_trainable",
    "eval_mode",
    "finetune",
    "model_device",
    "pooled_features",
    "predict",
    "to_tensors",
    "trainable_modules",
]
