"""Transfer learning: fit a ResNet to a person's own classes, see what changed, take it home.

* :mod:`.data`: a data set from uploads or one zip, every picture through ``load_image``.
* :mod:`.train`: the three strategies and a training loop that yields updates.
* :mod:`.analysis`: confusion matrix, pooled features before and after (PCA), Grad-CAM pairs.
* :mod:`.export`: safetensors with class names, and a standalone classification script.
* :mod:`.session`: one person's state, released by ``close()``.
"""

from .analysis import CamPair, Confusion, FeatureMap, cam_pairs, confusion, feature_map, pca_2d, separation
from .data import ImageSet, TransferError, clean_class_name, from_folder, from_sources, from_zip, split
from .export import ExportInfo, export_script, export_weights, load_export, read_export_info, script_support
from .session import ExportedFiles, TransferReport, TransferSession
from .train import STRATEGIES, FineTune, TrainConfig, TrainUpdate, adapt, count_trainable, finetune

__all__ = [
    "STRATEGIES",
    "CamPair",
    "Confusion",
    "ExportInfo",
    "ExportedFiles",
    "FeatureMap",
    "FineTune",
    "ImageSet",
    "TrainConfig",
    "TrainUpdate",
    "TransferError",
    "TransferReport",
    "TransferSession",
    "adapt",
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
]
