"""Figures and verdicts of the "why residual?" lab, in English and Chinese.

Pure functions of :mod:`resnet_core.lab`'s dataclasses; nothing here touches a model. Every
function that puts words on a figure, and every verdict, takes ``lang`` ("en" or "zh"); each
module reads its words from the catalogue (:mod:`viz.locales`, namespace ``lab.<module>``).
"""

from ..locales import LANGS
from ._common import KIND_COLORS
from .ablation import ablation_verdict
from .anatomy import block_anatomy_figure
from .degradation import degradation_figure, degradation_verdict
from .flow import flow_explainer, flow_explainers, flow_verdict, gradient_flow_figure, shortcut_share_figure
from .gradient_split import gradient_split_figure, gradient_split_verdict
from .hypothesis import residual_response_figure, residual_response_verdict
from .landscape import landscape_figure, landscape_verdict
from .lesion import lesion_figure, lesion_verdict, saved_lesion_figure
from .no_bn import no_bn_figure, no_bn_verdict
from .paper import paper_numbers_json, paper_numbers_markdown
from .race import race_figure, race_verdict, saved_curves_figure
from .shatter import shatter_verdict, shattering_figure

__all__ = [
    "KIND_COLORS",
    "LANGS",
    "ablation_verdict",
    "block_anatomy_figure",
    "degradation_figure",
    "degradation_verdict",
    "flow_explainer",
    "flow_explainers",
    "flow_verdict",
    "gradient_flow_figure",
    "gradient_split_figure",
    "gradient_split_verdict",
    "lesion_figure",
    "lesion_verdict",
    "no_bn_figure",
    "no_bn_verdict",
    "paper_numbers_json",
    "paper_numbers_markdown",
    "residual_response_figure",
    "residual_response_verdict",
    "saved_lesion_figure",
    "landscape_figure",
    "landscape_verdict",
    "race_figure",
    "race_verdict",
    "saved_curves_figure",
    "shatter_verdict",
    "shortcut_share_figure",
    "shattering_figure",
]
