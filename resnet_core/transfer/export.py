"""Take it home: the fine-tuned weights as safetensors, and a standalone script that uses them.

The safetensors metadata carries everything needed to rebuild and feed the network: class
names, block type and counts, variant, input size and preprocessing. The generated script needs
only torch, torchvision and Pillow (which torchvision installs): it rebuilds the network with
torchvision's ``ResNet`` class (our ResNet keeps torchvision's names, so the state dict loads
strictly), reads the safetensors file with the ``safetensors`` package where installed (else
with a dozen lines of its own), and prints one line per image of a folder.

Writing an export runs no model: a fine-tuned network travels as a :class:`FinetunedWeights`
record (its state dict as numpy arrays, what its metadata says, whether the script covers it),
so a front end writes the files (:func:`write_export`) from a record a backend sent it.

Covered: every ``v1.5`` network, any block counts (torchvision's ``ResNet(block, layers)``), and
``v1`` (the script moves the bottleneck's stride to its first 1x1 conv, as in the paper).
Not covered: pre-activation (``preact``) networks, plain twins and networks without BatchNorm;
for those the weights export, the script does not (:func:`script_support` says why).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import safetensors
import safetensors.numpy

from ..checkpoints import EXPORT_FORMAT
from ..model import ResNet, build_resnet
from ..preprocess import Preprocess
from ..specs import ResNetSpec
from ..weights import WeightsError, load_checkpoint
from .data import TransferError

_STANDARD = {
    ("basic", (2, 2, 2, 2)): "resnet18",
    ("basic", (3, 4, 6, 3)): "resnet34",
    ("bottleneck", (3, 4, 6, 3)): "resnet50",
    ("bottleneck", (3, 4, 23, 3)): "resnet101",
    ("bottleneck", (3, 8, 36, 3)): "resnet152",
}


@dataclass(frozen=True)
class ExportInfo:
    """What an exported checkpoint's metadata says.

    Attributes:
        class_names: one per output, in index order.
        block: "basic" or "bottleneck"; layers: block counts per stage; variant: "v1.5", ...
        input_size: the side the network was trained at.
        preprocess: resize, crop and normalisation.
        model_name: e.g. "ResNet-18"; strategy: how it was trained.
    """

    class_names: tuple[str, ...]
    block: str
    layers: tuple[int, ...]
    variant: str
    input_size: int
    preprocess: Preprocess
    model_name: str = ""
    strategy: str = ""

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def build(self) -> ResNet:
        """A fresh network of this architecture with ``num_classes`` outputs (random weights)."""
        spec = ResNetSpec(block=self.block, layers=self.layers)  # type: ignore[arg-type]
        return build_resnet(spec, variant=self.variant, num_classes=self.num_classes)  # type: ignore[arg-type]


def script_support(model: ResNet) -> str | None:
    """None when the generated script rebuilds ``model``; otherwise why not, in plain words."""
    if model.variant == "preact":
        return "The script covers v1 and v1.5 ResNets; pre-activation networks are not covered (use the weights with resnet_core)."
    if not model.shortcuts or not model.norm or model.spec.stem != "imagenet" or model.spec.widths != (64, 128, 256, 512):
        return "The script covers torchvision-shaped ResNets only; this network differs (no shortcuts, no BatchNorm or other widths)."
    return None


def export_metadata(info: ExportInfo) -> dict[str, str]:
    """The safetensors metadata (string to string, as the format requires)."""
    return {
        "format": EXPORT_FORMAT,
        "classes": json.dumps(list(info.class_names), ensure_ascii=False),
        "block": info.block,
        "layers": json.dumps(list(info.layers)),
        "variant": info.variant,
        "input_size": str(info.input_size),
        "preprocess": json.dumps(asdict(info.preprocess)),
        "model_name": info.model_name,
        "strategy": info.strategy,
        "torchvision_builder": _STANDARD.get((info.block, tuple(info.layers)), "") if info.variant == "v1.5" else "",
    }


def info_for(model: ResNet, class_names: tuple[str, ...], *, input_size: int, preprocess: Preprocess, strategy: str) -> ExportInfo:
    """The :class:`ExportInfo` of a fine-tuned model."""
    if model.fc.out_features != len(class_names):
        raise TransferError(f"The model has {model.fc.out_features} outputs for {len(class_names)} class names.",
                            key="error.transfer_outputs", outputs=model.fc.out_features, names=len(class_names))
    return ExportInfo(
        class_names=class_names,
        block=model.spec.block,
        layers=tuple(model.spec.layers),
        variant=model.variant,
        input_size=input_size,
        preprocess=preprocess,
        model_name=model.name,
        strategy=strategy,
    )


@dataclass(frozen=True, eq=False)
class FinetunedWeights:
    """A fine-tuned network as data: everything an export needs, no model.

    Attributes:
        info: what the safetensors metadata says (class names, architecture, preprocessing).
        state: the state dict, each tensor as a C-contiguous numpy array on the CPU.
        notice: why the standalone script does not cover this network (None: it does).
    """

    info: ExportInfo
    state: dict[str, np.ndarray] = field(repr=False)
    notice: str | None = None

    @classmethod
    def of(cls, model: ResNet, info: ExportInfo) -> FinetunedWeights:
        """The record of ``model`` (its weights copied to the CPU)."""
        # np.array, not np.ascontiguousarray: that one makes a 0-d tensor (num_batches_tracked) 1-d
        state = {k: np.array(v.detach().to("cpu").numpy(), order="C", copy=True) for k, v in model.state_dict().items()}
        return cls(info, state, script_support(model))

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.state.values())


@dataclass(frozen=True)
class ExportedFiles:
    """Paths of an export; ``script`` is None when the script does not cover the architecture (``notice`` says why)."""

    weights: Path
    script: Path | None
    notice: str | None


def write_weights(weights: FinetunedWeights, path: str | os.PathLike) -> Path:
    """Write the state dict with :func:`export_metadata` to ``path`` (safetensors)."""
    out = Path(path)
    safetensors.numpy.save_file(dict(weights.state), str(out), metadata=export_metadata(weights.info))
    return out


def export_weights(model: ResNet, info: ExportInfo, path: str | os.PathLike) -> Path:
    """Write the model's state dict (on the CPU) with :func:`export_metadata` to ``path``."""
    return write_weights(FinetunedWeights.of(model, info), path)


def write_export(weights: FinetunedWeights, folder: str | os.PathLike) -> ExportedFiles:
    """Write ``model.safetensors`` and, where the script covers the network, ``classify.py`` into ``folder``."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    path = write_weights(weights, target / "model.safetensors")
    script = None
    if weights.notice is None:
        script = target / "classify.py"
        script.write_text(export_script(weights.info, weights_name=path.name), encoding="utf-8")
    return ExportedFiles(weights=path, script=script, notice=weights.notice)


def read_export_info(path: str | os.PathLike) -> ExportInfo:
    """The :class:`ExportInfo` of an exported checkpoint, read from its header only.

    Raises:
        TransferError: not a safetensors file written by :func:`export_weights`.
    """
    try:
        with safetensors.safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except Exception as exc:  # safetensors raises its own error types for every malformed file
        raise TransferError("This file is not a safetensors checkpoint.", key="error.transfer_not_safetensors") from exc
    if meta.get("format") != EXPORT_FORMAT:
        raise TransferError("This checkpoint was not exported by the transfer tab (no class names in it).",
                            key="error.transfer_not_export")
    try:
        pre = json.loads(meta["preprocess"])
        return ExportInfo(
            class_names=tuple(str(c) for c in json.loads(meta["classes"])),
            block=meta["block"],
            layers=tuple(int(n) for n in json.loads(meta["layers"])),
            variant=meta["variant"],
            input_size=int(meta["input_size"]),
            preprocess=Preprocess(**{k: tuple(v) if isinstance(v, list) else v for k, v in pre.items()}),
            model_name=meta.get("model_name", ""),
            strategy=meta.get("strategy", ""),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise TransferError("The checkpoint's metadata is damaged.", key="error.transfer_metadata") from exc


def load_export(path: str | os.PathLike) -> tuple[ResNet, ExportInfo]:
    """Rebuild an exported model through :func:`resnet_core.weights.load_checkpoint` (all its checks).

    Raises:
        TransferError: the metadata is missing or damaged, or the weights do not fit it.
    """
    info = read_export_info(path)
    model = info.build()
    try:
        load_checkpoint(model, path)
    except WeightsError as exc:
        raise TransferError(str(exc), key=exc.key, **exc.fields) from exc  # the checkpoint's own words
    return model.eval(), info


def export_script(info: ExportInfo, *, weights_name: str = "model.safetensors") -> str:
    """The standalone Python script (torch, torchvision, Pillow) that classifies a folder of images.

    The script holds only what this network needs: the v1 stride fix appears for v1
    bottlenecks alone, and only the block class it uses is imported.

    Raises:
        TransferError: the architecture is not one the script can rebuild (see :func:`script_support`).
    """
    if info.variant not in ("v1.5", "v1"):
        raise TransferError("The script covers v1 and v1.5 ResNets; pre-activation networks are not covered.",
                            key="error.transfer_script_variant")
    p = info.preprocess
    resize = max(info.input_size, round(p.resize_size * info.input_size / p.crop_size))
    block = "BasicBlock" if info.block == "basic" else "Bottleneck"
    return _SCRIPT.format(
        model_name=info.model_name or "ResNet",
        # a Python literal in ASCII: JSON's escapes would leave an emoji as two lone surrogates
        # in the script, which no console can print
        classes=ascii(list(info.class_names)),
        block=block,
        layers=list(info.layers),
        v1_strides=_V1_STRIDES if info.variant == "v1" and block == "Bottleneck" else "",
        resize=resize,
        crop=info.input_size,
        mean=list(p.mean),
        std=list(p.std),
        interpolation=p.interpolation.upper(),
        weights_name=weights_name,
    )


# only in scripts for v1 bottleneck networks (torchvision builds v1.5)
_V1_STRIDES = """    # The paper's v1 block strides in its first 1x1 conv; torchvision's (v1.5) in the 3x3.
    for m in model.modules():
        if isinstance(m, Bottleneck) and m.conv2.stride == (2, 2):
            m.conv1.stride, m.conv2.stride = (2, 2), (1, 1)
"""

_SCRIPT = '''#!/usr/bin/env python
"""Classify a folder of images with a fine-tuned {model_name} (made by the ResNet playground).

Needs torch and torchvision only (Pillow comes with torchvision). Usage:

    python classify.py FOLDER [--weights {weights_name}]

Prints one line per image: file name, predicted class, probability.
"""

import argparse
import json
import struct
import sys
from pathlib import Path

import torch
from PIL import Image, ImageOps
from torchvision import transforms
from torchvision.models.resnet import {block}, ResNet

CLASSES = {classes}
SUFFIXES = {{".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff"}}

try:
    from safetensors.torch import load_file as read_safetensors
except ImportError:  # without the safetensors package: the format is simple enough to read here
    DTYPES = {{"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
              "I64": torch.int64, "I32": torch.int32, "U8": torch.uint8}}

    def read_safetensors(path):
        """A safetensors file as {{name: tensor}}: an 8-byte header length, a JSON header, raw data."""
        blob = Path(path).read_bytes()
        (n,) = struct.unpack("<Q", blob[:8])
        header = json.loads(blob[8 : 8 + n])
        data = memoryview(blob)[8 + n :]
        state = {{}}
        for name, entry in header.items():
            if name == "__metadata__":
                continue
            start, end = entry["data_offsets"]
            dtype = DTYPES[entry["dtype"]]
            t = torch.frombuffer(bytearray(data[start:end]), dtype=dtype) if end > start else torch.empty(0, dtype=dtype)
            state[name] = t.reshape(entry["shape"])
        return state


def build_model(weights):
    model = ResNet({block}, {layers}, num_classes=len(CLASSES))
{v1_strides}    model.load_state_dict(read_safetensors(weights), strict=True)
    return model.eval()


PREPROCESS = transforms.Compose([
    transforms.Resize({resize}, interpolation=transforms.InterpolationMode.{interpolation}, antialias=True),
    transforms.CenterCrop({crop}),
    transforms.PILToTensor(),
    transforms.ConvertImageDtype(torch.float32),
    transforms.Normalize({mean}, {std}),
])


def load(path):
    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im)
        if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
            im = im.convert("RGBA")
            back = Image.new("RGBA", im.size, (255, 255, 255, 255))
            im = Image.alpha_composite(back, im)
        return im.convert("RGB")


def main():
    parser = argparse.ArgumentParser(description="Classify every image in a folder.")
    parser.add_argument("folder")
    parser.add_argument("--weights", default=str(Path(__file__).with_name("{weights_name}")))
    args = parser.parse_args()
    if hasattr(sys.stdout, "reconfigure"):  # a class name in any script prints on any console
        sys.stdout.reconfigure(errors="backslashreplace")
    model = build_model(args.weights)
    files = sorted(p for p in Path(args.folder).iterdir() if p.suffix.lower() in SUFFIXES)
    if not files:
        sys.exit(f"no images in {{args.folder}}")
    with torch.inference_mode():
        for path in files:
            probs = model(PREPROCESS(load(path)).unsqueeze(0)).softmax(1)[0]
            k = int(probs.argmax())
            print(f"{{path.name}}\\t{{CLASSES[k]}}\\t{{float(probs[k]):.4f}}")


if __name__ == "__main__":
    main()
'''


__all__ = [
    "EXPORT_FORMAT",
    "ExportInfo",
    "ExportedFiles",
    "FinetunedWeights",
    "export_metadata",
    "export_script",
    "export_weights",
    "info_for",
    "load_export",
    "read_export_info",
    "script_support",
    "write_export",
    "write_weights",
]
