"""Attributions through captum: every method that fits a ResNet, sanity checks and faithfulness.

* :mod:`.methods`: :func:`attribute` runs one of captum's classes (registry :data:`METHODS`).
* :mod:`.inputs`: the input, baselines and feature masks the methods are given.
* :mod:`.sanity`: cascading randomisation (Adebayo et al., https://arxiv.org/abs/1810.03292).
* :mod:`.faithfulness`: deletion and insertion (Petsiuk et al., https://arxiv.org/abs/1806.07421)
  and captum's ``infidelity`` and ``sensitivity_max``.
"""

from .faithfulness import CaptumScores, FaithCurve, captum_scores, deletion_insertion
from .methods import METHODS, Attribution, MethodParams, applicability, attribute, method_info
from .sanity import SanityResult, judge_sanity, sanity_check

__all__ = [
    "METHODS",
    "Attribution",
    "CaptumScores",
    "FaithCurve",
    "MethodParams",
    "SanityResult",
    "applicability",
    "attribute",
    "captum_scores",
    "deletion_insertion",
    "judge_sanity",
    "method_info",
    "sanity_check",
]
