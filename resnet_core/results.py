"""Frozen results handed from ``resnet_core`` to ``viz`` and the app: numpy only, no tensors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Prediction:
    """One class of the top-k.

    Attributes:
        index: class index into the model's categories.
        label: human-readable category name.
        probability: softmax probability in [0, 1].
    """

    index: int
    label: str
    probability: float


def class_label(index: int, categories: Sequence[str] | None) -> str:
    """The name of class ``index``: its category where one is known, else "class i"."""
    return categories[index] if categories is not None and 0 <= index < len(categories) else f"class {index}"


def predictions(
    probabilities: Sequence[float], indices: Sequence[int], categories: Sequence[str] | None
) -> tuple[Prediction, ...]:
    """Top-k records from matching lists of probabilities and class indices, most probable first."""
    return tuple(
        Prediction(index=int(i), label=class_label(int(i), categories), probability=float(p))
        for p, i in zip(probabilities, indices)
    )


@dataclass(frozen=True)
class Activation:
    """What one module (stem, stage or block) makes of the image.

    Attributes:
        name: "stem", "layer2", "layer2.1".
        kind: "stem", "stage" or "block".
        shape: (C, H, W) of the output, batch left out.
        mean, std, max: statistics over the whole output.
        zero_fraction: fraction of exact zeros on this input (a ReLU cut them off; "dead" would need every input).
        channels: indices of the channels shown, strongest (highest mean) first.
        maps: (N, h, w) uint8, each channel scaled to its own [min, max] -> [0, 255].
        ranges: (N, 2) float32, each shown channel's (min, max) before scaling, so a viewer
            can rebuild a shared colour scale: ``value = lo + maps / 255 * (hi - lo)``.
    """

    name: str
    kind: str
    shape: tuple[int, int, int]
    mean: float
    std: float
    max: float
    zero_fraction: float
    channels: tuple[int, ...]
    maps: np.ndarray
    ranges: np.ndarray

    def values(self) -> np.ndarray:
        """The shown channels in their original units, (N, h, w) float32."""
        lo = self.ranges[:, 0, None, None]
        hi = self.ranges[:, 1, None, None]
        return lo + self.maps.astype(np.float32) / 255.0 * (hi - lo)


@dataclass(frozen=True)
class CamMap:
    """A Grad-CAM map for one layer and one target class.

    Attributes:
        layer: dotted module name the map was taken at ("layer4", "layer3.5", "stem").
        target: class index the gradient was taken for.
        label: that class's name.
        score: the target's logit.
        heatmap: (H, W) float32 in [0, 1] at the size of ``Inspection.image``, rectified
            (ReLU, as in Selvaraju et al.) and divided by its maximum; all zeros where the
            rectified map is zero everywhere.
        raw: (h, w) float32 at the layer's resolution, before rectification (what captum's
            ``LayerGradCam`` returns with ``relu_attributions=False``).
    """

    layer: str
    target: int
    label: str
    score: float
    heatmap: np.ndarray
    raw: np.ndarray


@dataclass(frozen=True)
class Inspection:
    """Everything one inspection pass produced.

    Attributes:
        model_name: "ResNet-50".
        image: (H, W, 3) uint8, the picture the network saw (after resize/crop, before
            normalization); heatmaps line up with it pixel for pixel.
        input_size: (H, W) of the tensor fed to the network.
        predictions: top-k, most probable first.
        activations: stem, every stage and every block, in network order.
        cams: Grad-CAM maps, one per requested target, at ``layer``.
        layer: the Grad-CAM layer.
        guided: (H, W) float32 in [0, 1], Guided Grad-CAM magnitude for the first target,
            when requested.
        timeline: Grad-CAM at the stem and every stage, when requested.
        timings: seconds spent per phase ("forward", "backward", "postprocess", "total").
    """

    model_name: str
    image: np.ndarray
    input_size: tuple[int, int]
    predictions: tuple[Prediction, ...]
    activations: tuple[Activation, ...]
    cams: tuple[CamMap, ...]
    layer: str
    guided: np.ndarray | None = None
    timeline: CamTimeline | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def activation(self, name: str) -> Activation:
        """The activation recorded for ``name``.

        Raises:
            ValueError: no activation of that name (a name a user picked: a plain message).
        """
        for a in self.activations:
            if a.name == name:
                return a
        names = ", ".join(a.name for a in self.activations)
        raise ValueError(f"no stage named {str(name)[:40]!r} in this inspection; it has {names[:200]}")

    @property
    def cam(self) -> CamMap:
        return self.cams[0]


@dataclass(frozen=True)
class CamTimeline:
    """Grad-CAM for the same targets at the stem and every stage ("which layer should I pick?").

    Attributes:
        image: (H, W, 3) uint8, as in :class:`Inspection`.
        layers: the layers, input side first ("stem", "layer1", ...).
        targets: the class indices.
        labels: their names.
        maps: ``maps[i][j]`` is the :class:`CamMap` of layer i and target j.
    """

    image: np.ndarray
    layers: tuple[str, ...]
    targets: tuple[int, ...]
    labels: tuple[str, ...]
    maps: tuple[tuple[CamMap, ...], ...]
