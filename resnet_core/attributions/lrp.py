"""Which layers captum's LRP covers, and the rules we give the two it does not know.

Captum's ``LRP`` (Bach et al., https://doi.org/10.1371/journal.pone.0130140) walks the model's
leaf modules and needs a propagation rule for each: it ships default rules for ``Conv2d``,
``Linear``, ``BatchNorm2d``, ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d`` and its own
``Addition_Module``, and passes relevance through ``ReLU``, ``Dropout`` and ``Tanh``. Any
other leaf raises, and captum's documentation asks that every addition in a forward be a
module. Our ResNet already is: the residual sum is :class:`~resnet_core.blocks.ResidualAdd`,
which gets the rule captum gives ``Addition_Module`` (epsilon), and so does an ``nn.Identity``
(the CIFAR stem's "max-pool", a BatchNorm switched off): captum's ``IdentityRule`` fails there,
as an identity returns its input tensor and captum's input and output hooks then meet on one
tensor. A leaf that fits neither (the zero-padding shortcut of the CIFAR nets) makes LRP not
applicable.
"""

from __future__ import annotations

from captum.attr._core.lrp import SUPPORTED_LAYERS_WITH_RULES, SUPPORTED_NON_LINEAR_LAYERS
from captum.attr._utils.lrp_rules import EpsilonRule
from torch import nn

from ..blocks import ResidualAdd
from ..errors import Term


def _leaves(model: nn.Module) -> list[nn.Module]:
    # the layers captum's LRP visits: modules without children
    return [m for m in model.modules() if not list(m.children())]


def lrp_problem(model: nn.Module) -> Term | None:
    """None when captum's LRP covers every leaf of ``model``; else why not (English, and its catalogue key)."""
    known = set(SUPPORTED_LAYERS_WITH_RULES) | set(SUPPORTED_NON_LINEAR_LAYERS) | {ResidualAdd, nn.Identity}
    missing = sorted(
        {type(m).__name__ for m in _leaves(model) if type(m) not in known and not hasattr(m, "rule")}
    )
    if not missing:
        return None
    names = ", ".join(missing)[:100]
    return Term(
        f"captum's LRP has no propagation rule for {names}, and none of its rules fits "
        "(the relevance of a zero-padded shortcut has no defined split)",
        "error.lrp_no_rule", names=names,
    )


def lrp_rules(model: nn.Module) -> None:
    """Attach captum's rules to the leaves it has no default for (call on a private copy only)."""
    for m in _leaves(model):
        if isinstance(m, ResidualAdd) and not hasattr(m, "rule"):
            m.rule = EpsilonRule()
        elif type(m) is nn.Identity and not hasattr(m, "rule"):
            m.rule = EpsilonRule()
