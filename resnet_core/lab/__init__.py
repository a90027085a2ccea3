"""The "why residual?" lab: measure the competing claims about what shortcuts fix.

* :mod:`.flow`: gradient norm per block at initialization, plain vs ResNet vs pre-activation,
  with and without BN or zero-initialised branches.
* :mod:`.shatter`: the shattered-gradients measure of Balduzzi et al.
* :mod:`.landscape`: a filter-normalised 2-D slice of the loss surface (Li et al.).
* :mod:`.race` and :mod:`.degradation`: plain-N against ResNet-N trained on :mod:`.synthetic`.
* :mod:`.ablation`: zero one block's branch or cut its shortcut on a served model.

Every hook goes through :mod:`resnet_core.hooks`, so a served model shared between users is
never affected by another user's lab request.
"""

from ._common import FAMILIES, LabError
from .ablation import ABLATION_MODES, Ablation, ablate, ablation_study
from .flow import (
    BROKEN_SPREAD,
    STEADY_SPREAD,
    BlockGradients,
    GradientFlow,
    NetworkFlow,
    block_gradients,
    gradient_flow,
    network_flow,
    zero_init_branches,
)
from .race import (
    RACE_CLASSES,
    RACE_DEFAULTS,
    RACE_FORMAT,
    RACE_PRESETS,
    RaceCurve,
    RaceUpdate,
    SavedRace,
    load_race,
    race,
    save_race,
)
from .synthetic import (
    SHAPE_CLASSES,
    SYNTHETIC_CLASSES,
    ShapesData,
    SyntheticData,
    make_shapes,
    make_synthetic,
)

__all__ = [
    "ABLATION_MODES",
    "BROKEN_SPREAD",
    "FAMILIES",
    "RACE_CLASSES",
    "RACE_DEFAULTS",
    "RACE_FORMAT",
    "RACE_PRESETS",
    "SHAPE_CLASSES",
    "STEADY_SPREAD",
    "SYNTHETIC_CLASSES",
    "Ablation",
    "BlockGradients",
    "GradientFlow",
    "LabError",
    "NetworkFlow",
    "RaceCurve",
    "RaceUpdate",
    "SavedRace",
    "ShapesData",
    "SyntheticData",
    "ablate",
    "ablation_study",
    "block_gradients",
    "gradient_flow",
    "load_race",
    "make_shapes",
    "make_synthetic",
    "network_flow",
    "race",
    "save_race",
    "zero_init_branches",
]
