"""Shortcut ablations on a served model: zero one block's branch or cut its shortcut.

Veit et al., "Residual Networks Behave Like Ensembles of Relatively Shallow Networks"
(https://arxiv.org/abs/1605.06431): in ResNets of many blocks (ResNet-110, 54 blocks, on CIFAR-10;
ResNet-200 on ImageNet) removing one block barely changes the predictions (except a
downsampling block), while cutting a shortcut leaves only the branch. With few blocks each one
carries more: on the shipped 8-block toy model, removing one block's branch takes accuracy on
400 fresh pictures from 1.00 to anywhere between 0.25 and 1.00 (docs/lab.md). Every hook goes through
:mod:`resnet_core.hooks`, so a model shared between users is affected for the calling thread only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import Tensor, nn

from ..blocks import is_block
from ..hooks import patch_inputs
from ..model import ResNet
from ..results import Prediction, predictions
from ._common import LabError, shown

AblationMode = Literal["branch", "shortcut", "none"]
ABLATION_MODES: tuple[AblationMode, ...] = ("branch", "shortcut", "none")

def _check_residual_block(model: nn.Module, block: str) -> nn.Module:
    try:
        module = model.get_submodule(block)
    except AttributeError:
        module = None
    if module is None or not is_block(module):
        names = model.block_names() if isinstance(model, ResNet) else ()
        if names:
            raise LabError(f"the model has no block called {shown(block)} (blocks: {names[0]} ... {names[-1]})",
                           key="error.lab_no_block_between", block=shown(block), first=names[0], last=names[-1])
        raise LabError(f"the model has no block called {shown(block)}", key="error.lab_no_block", block=shown(block))
    if not module.has_shortcut:
        raise LabError(f"{shown(block)} is a plain block (no shortcut), so there is nothing to ablate",
                       key="error.lab_plain_block", block=shown(block))
    return module


@contextmanager
def ablate(model: nn.Module, block: str, mode: AblationMode) -> Iterator[None]:
    """Within the ``with``, forwards run *by this thread* see ``block`` ablated.

    * ``"branch"``: the residual branch's output is replaced by zeros, so the block passes its
      input through (v1 blocks still apply their final ReLU): the block is "removed", which
      Veit et al. (https://arxiv.org/abs/1605.06431) found ResNets of many blocks largely
      survive (a network of few blocks need not).
    * ``"shortcut"``: the shortcut's summand is replaced by zeros, leaving only the branch, as
      in a plain network: the information carried past the block is lost.
    * ``"none"``: nothing is changed (a control; outputs are bit-identical).

    Uses :func:`resnet_core.hooks.patch_inputs` on ``f"{block}.add"``, so other threads using
    the same model are unaffected and the hook is removed on exit, also on error.

    Raises:
        ValueError: ``block`` is not a block of the model, is a plain block, or ``mode`` is
            unknown.
    """
    if mode not in ABLATION_MODES:
        raise LabError(f"mode must be one of {ABLATION_MODES}, not {shown(mode)}")
    _check_residual_block(model, block)
    if mode == "none":
        yield
        return

    def zero(args: tuple) -> tuple:
        shortcut, branch = args
        if mode == "branch":
            return shortcut, torch.zeros_like(branch)
        return torch.zeros_like(shortcut), branch

    with patch_inputs(model, f"{block}.add", zero):
        yield


@dataclass(frozen=True)
class Ablation:
    """Predictions for one image with and without an ablation.

    Attributes:
        block: the ablated block ("layer3.2").
        mode: "branch", "shortcut" or "none".
        before: top-k of the intact model, most probable first.
        after: top-k with the ablation.
        logits_before: (num_classes,) float32.
        logits_after: (num_classes,) float32.
    """

    block: str
    mode: AblationMode
    before: tuple[Prediction, ...]
    after: tuple[Prediction, ...]
    logits_before: np.ndarray
    logits_after: np.ndarray

    @property
    def logit_change(self) -> float:
        """L2 norm of the change of the logits (0.0 exactly for mode "none")."""
        return float(np.linalg.norm(self.logits_after.astype(np.float64) - self.logits_before))


def _top_k(logits: Tensor, k: int, categories: Sequence[str] | None) -> tuple[Prediction, ...]:
    values, indices = logits.double().softmax(-1).topk(k)
    return predictions(values.tolist(), indices.tolist(), categories)


def ablation_study(
    model: nn.Module,
    tensor: Tensor,
    block: str,
    mode: AblationMode,
    *,
    categories: Sequence[str] | None = None,
    top_k: int = 5,
) -> Ablation:
    """Top-k of one image before and after :func:`ablate`.

    The model is used in the mode it is in (a served model is in eval mode) and without
    gradients; for a Grad-CAM of the ablated network, run the inspection inside
    ``with ablate(model, block, mode):``.

    Args:
        model: a ResNet (shared models are fine: the ablation is scoped to this thread).
        tensor: one preprocessed image, (3, H, W) or (1, 3, H, W).
        block: a residual block, e.g. "layer3.2" (see :meth:`ResNet.residual_blocks`).
        mode: "branch", "shortcut" or "none".
        categories: class names, one per logit; default "class i".
        top_k: how many classes to list (capped at the number of classes).

    Raises:
        ValueError: bad block, mode, tensor shape, categories or top_k.
    """
    if tensor.dim() == 3:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() != 4 or tensor.shape[0] != 1 or tensor.shape[1] != 3:
        raise LabError(f"expected one image, (3, H, W) or (1, 3, H, W), got {tuple(tensor.shape)}")
    if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
        raise LabError(f"top_k must be a positive integer, got {shown(top_k)}")
    if mode not in ABLATION_MODES:
        raise LabError(f"mode must be one of {ABLATION_MODES}, not {shown(mode)}")
    _check_residual_block(model, block)
    param = next(model.parameters(), None)
    if param is not None:
        tensor = tensor.to(device=param.device, dtype=param.dtype)
    with torch.no_grad():
        before = model(tensor)[0].float()  # (num_classes,)
        with ablate(model, block, mode):
            after = model(tensor)[0].float()
    if categories is not None and len(categories) != before.numel():
        raise LabError(f"{len(categories)} categories given for {before.numel()} classes")
    k = min(top_k, before.numel())
    return Ablation(
        block=block,
        mode=mode,
        before=_top_k(before.cpu(), k, categories),
        after=_top_k(after.cpu(), k, categories),
        logits_before=before.cpu().numpy(),
        logits_after=after.cpu().numpy(),
    )
