"""The ResNet model and its builder.

The layout follows torchvision's ``models/resnet.py`` name for name (``conv1``, ``bn1``,
``layer1..4``, ``fc``), so for ``variant="v1.5"`` a torchvision state dict loads strictly.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from .blocks import block_class, make_block
from .specs import VARIANTS, BlockType, ResNetSpec, Variant, cifar_spec, resolve_spec


@dataclass(frozen=True)
class FeatureInfo:
    """One stage as recorded while the model is built (in the manner of timm's feature_info).

    Attributes:
        module: dotted module name, e.g. "layer3".
        num_blocks: residual blocks in the stage.
        channels: output channels.
        reduction: total stride from the input to the stage's output.
    """

    module: str
    num_blocks: int
    channels: int
    reduction: int


class ResNet(nn.Module):
    """A residual network (or its plain twin) built from a :class:`ResNetSpec`.

    Args:
        spec: block type, block counts, stage widths and stem.
        variant: "v1.5" (torchvision), "v1" (the paper) or "preact" (Identity Mappings).
        num_classes: outputs of the final fully connected layer.
        norm: BatchNorm everywhere (False replaces every BN by an identity, for the lab).
        shortcuts: False removes every shortcut: the "plain" network of the paper's Fig. 3.
        shortcut_kind: "B" (1x1 projection where the shape changes, as on ImageNet) or
            "A" (zero padding, as in the paper's CIFAR experiments).
        zero_init_residual: start every block that has a shortcut as that shortcut alone, its
            branch's last weighted layer at zero (each block's ``zero_init_last``: the last BN's
            scale as torchvision and Goyal et al., the last conv in a pre-activation block). Off
            by default; a plain twin's blocks are left alone (zeroing them would cut the signal).

    Attributes:
        stem_order: the stem's layers in the order they run (each feeds only the next).
        head_order: layers between the last stage and the pooling: pre-activation blocks leave
            their sum un-normalized, so those nets end with one more BN and ReLU (Identity
            Mappings, appendix); empty for post-activation blocks, which end in a ReLU.
    """

    stem_order: tuple[str, ...] = ("conv1", "bn1", "relu", "maxpool")

    def __init__(
        self,
        spec: ResNetSpec,
        *,
        variant: Variant = "v1.5",
        num_classes: int = 1000,
        norm: bool = True,
        shortcuts: bool = True,
        shortcut_kind: str = "B",
        zero_init_residual: bool = False,
    ) -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
        if not isinstance(num_classes, int) or not 1 <= num_classes <= 100_000:
            raise ValueError(f"num_classes must be an integer in [1, 100000], got {num_classes!r}")
        self.spec = spec
        self.variant = variant
        self.num_classes = num_classes
        self.norm = norm
        self.shortcuts = shortcuts
        block_cls = block_class(spec.block, variant)

        stem_ch = spec.widths[0]
        if spec.stem == "imagenet":
            self.conv1 = nn.Conv2d(3, stem_ch, kernel_size=7, stride=2, padding=3, bias=False)
            self.maxpool: nn.Module = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            reduction = 4
        else:
            self.conv1 = nn.Conv2d(3, stem_ch, kernel_size=3, stride=1, padding=1, bias=False)
            self.maxpool = nn.Identity()
            reduction = 1
        self.bn1 = nn.BatchNorm2d(stem_ch) if norm else nn.Identity()
        self.relu = nn.ReLU()

        in_ch = stem_ch
        info: list[FeatureInfo] = []
        for i, (count, width) in enumerate(zip(spec.layers, spec.widths)):
            stride = 1 if i == 0 else 2
            reduction *= stride
            blocks = []
            for j in range(count):
                blocks.append(
                    make_block(
                        spec.block,
                        variant,
                        in_ch,
                        width,
                        stride=stride if j == 0 else 1,
                        norm=norm,
                        shortcut=shortcuts,
                        shortcut_kind=shortcut_kind,
                    )
                )
                in_ch = width * block_cls.expansion
            name = f"layer{i + 1}"
            self.add_module(name, nn.Sequential(*blocks))
            info.append(FeatureInfo(name, count, in_ch, reduction))
        self.feature_info: tuple[FeatureInfo, ...] = tuple(info)
        self.stage_names: tuple[str, ...] = tuple(f.module for f in info)

        self.head_order: tuple[str, ...] = ()
        if block_cls.after_add is None:  # the last sum is un-normalized (Identity Mappings, appendix)
            self.bn_final = nn.BatchNorm2d(in_ch) if norm else nn.Identity()
            self.relu_final = nn.ReLU()
            self.head_order = ("bn_final", "relu_final")
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(in_ch, num_classes)
        self.num_features = in_ch
        self._init_weights(zero_init_residual)

    def _init_weights(self, zero_init_residual: bool) -> None:
        # He et al. 2015 ("Delving deep into rectifiers") init, as torchvision does.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for name in self.residual_blocks():
                self.get_submodule(name).zero_init_last()

    @property
    def name(self) -> str:
        plain = "" if self.shortcuts else "Plain"
        base = self.spec.name.replace("ResNet", f"{plain}ResNet") if plain else self.spec.name
        return base if self.variant == "v1.5" else f"{base} ({self.variant})"

    def stages(self) -> list[nn.Sequential]:
        return [getattr(self, n) for n in self.stage_names]

    def block_names(self) -> tuple[str, ...]:
        """Dotted names of every block in network order ("layer1.0", ..., "layer4.2")."""
        return tuple(f"{info.module}.{i}" for info in self.feature_info for i in range(info.num_blocks))

    def residual_blocks(self) -> tuple[str, ...]:
        """The blocks that have a shortcut (and so can be ablated); empty for a plain twin."""
        return tuple(n for n in self.block_names() if self.get_submodule(n).has_shortcut)

    def layers(self) -> tuple[tuple[str, str], ...]:
        """Every inspectable layer with its kind, in network order: the stem, then each stage
        followed by its blocks: ``(("stem", "stem"), ("layer1", "stage"), ("layer1.0", "block"), ...)``.

        Read from ``feature_info`` (recorded while the model was built), never hard-coded.
        """
        out = [("stem", "stem")]
        for info in self.feature_info:
            out.append((info.module, "stage"))
            out.extend((f"{info.module}.{i}", "block") for i in range(info.num_blocks))
        return tuple(out)

    def stem(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, 64, H/4, W/4)
        return self.maxpool(self.relu(self.bn1(self.conv1(x))))

    def features(self, x: Tensor) -> Tensor:
        x = self.stem(x)
        for stage in self.stages():
            x = stage(x)
        for name in self.head_order:  # bn_final, relu_final after pre-activation blocks
            x = getattr(self, name)(x)
        return x  # (B, C, H/32, W/32)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x)).flatten(1)  # (B, C)
        return self.fc(x)  # (B, num_classes)


def build_resnet(
    depth: int | tuple | list | ResNetSpec,
    *,
    variant: Variant = "v1.5",
    num_classes: int = 1000,
    weights: object = None,
    block: BlockType | None = None,
    norm: bool = True,
    shortcuts: bool = True,
) -> ResNet:
    """Build any ResNet.

    Args:
        depth: 18, 34, 50, 101, 152 (also 10 and 200), a ``(block, counts)`` pair such as
            ``("basic", (1, 1, 1, 1))``, block counts with ``block=``, or a :class:`ResNetSpec`.
        variant: "v1.5" (torchvision's layout, default), "v1" (the paper's) or "preact".
        num_classes: size of the classifier.
        weights: None for random weights; "DEFAULT", "IMAGENET1K_V1", "IMAGENET1K_V2" or a
            torchvision ``WeightsEnum`` for ImageNet weights (v1.5 only); or a path to a
            ``.safetensors``/``.pth`` checkpoint. See :mod:`resnet_core.weights`.
        block: block type when ``depth`` is a tuple of counts.
        norm: use BatchNorm.
        shortcuts: False builds the plain twin (no shortcuts at all).

    Returns:
        The model in eval mode on the CPU.
    """
    spec = resolve_spec(depth, block=block)
    model = ResNet(spec, variant=variant, num_classes=num_classes, norm=norm, shortcuts=shortcuts)
    if weights is not None:
        from .weights import load_weights

        load_weights(model, weights)
    return model.eval()


def build_cifar_resnet(
    depth: int,
    *,
    variant: Variant = "v1",
    num_classes: int = 10,
    norm: bool = True,
    shortcuts: bool = True,
) -> ResNet:
    """The CIFAR-10 network of section 4.2: 6n+2 layers, option-A shortcuts, 16/32/64 filters."""
    return ResNet(
        cifar_spec(depth),
        variant=variant,
        num_classes=num_classes,
        norm=norm,
        shortcuts=shortcuts,
        shortcut_kind="A",
    )
