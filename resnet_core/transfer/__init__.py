"""Transfer learning: fit a ResNet to a person's own classes, see what changed, take it home.

* :mod:`.data`: a data set from uploads or one zip, every picture through ``load_image``.
* :mod:`.train`: the three strategies and a training loop that yields updates.
* :mod:`.analysis`: confusion matrix, pooled features before and after (PCA), Grad-CAM pairs.
* :mod:`.export`: safetensors with class names, and a standalone classification script,
  written from the weights as data (no model).
* :mod:`.study`: the ``finetune`` study the page runs through its backend (in process or on
  Ray Serve replicas): training updates, then the analysis and the weights in one record.
"""

from .analysis import (
    CamPair,
    Confusion,
    FeatureMap,
    TransferReport,
    analyse,
    cam_pairs,
    confusion,
    feature_map,
    pca_2d,
    separation,
)
from .data import ImageSet, TransferError, clean_class_name, from_folder, from_sources, from_zip, split
from .export import (
    ExportedFiles,
    ExportInfo,
    FinetunedWeights,
    export_script,
    export_weights,
    load_export,
    read_export_info,
    script_support,
    write_export,
)
from .study import ANALYSIS_SHARE, FinetuneCall, FinetuneResult
from .train import STRATEGIES, FineTune, TrainConfig, TrainUpdate, adapt, count_trainable, finetune

__all__ = [
    "ANALYSIS_SHARE",
    "STRATEGIES",
    "CamPair",
    "Confusion",
    "ExportInfo",
    "ExportedFiles",
    "FeatureMap",
    "FineTune",
    "FinetuneCall",
    "FinetuneResult",
    "FinetunedWeights",
    "ImageSet",
    "TrainConfig",
    "TrainUpdate",
    "TransferError",
    "TransferReport",
    "adapt",
    "analyse",
    "cam_pairs",
    "clean_class_name",
    "confusion",
    "count_trainable",
    "export_script",
    "export_weights",
    "feature_map",
    "finetune",
    "from_folder",
    "from_sources",
    "from_zip",
    "load_export",
    "pca_2d",
    "read_export_info",
    "script_support",
    "separation",
    "split",
    "write_export",
]
