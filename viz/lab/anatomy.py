"""The block anatomy figure: v1, v1.5 and pre-activation blocks side by side."""

from __future__ import annotations

from typing import Literal

import plotly.graph_objects as go

from .._format import FONT, TEMPLATE
from ._common import HIGHLIGHT, check_lang

#: titles and notes per (block, variant) column, and the legend; layer names (conv, BN, ReLU)
#: are the same in both languages
TEXT: dict[str, dict[str, str]] = {
    "en": {
        "bottleneck/v1/title": "Bottleneck v1 (paper)",
        "bottleneck/v1/note": "stride 2 on the first 1×1 conv:<br>it skips 3 of every 4 positions<br>before any 3×3 sees them",
        "bottleneck/v1.5/title": "Bottleneck v1.5 (torchvision)",
        "bottleneck/v1.5/note": "stride 2 moved to the 3×3 conv:<br>same parameters, more compute,<br>about +0.5% top-1",
        "bottleneck/preact/title": "Bottleneck pre-activation",
        "bottleneck/preact/note": "BN-ReLU before each conv, nothing after ⊕:<br>x passes from block to block untouched<br>(Identity Mappings, Fig. 4e)",
        "basic/v1/title": "Basic v1 = v1.5",
        "basic/v1/note": "v1 and v1.5 differ only in bottlenecks:<br>a basic block has no 1×1 to move<br>the stride from",
        "basic/preact/title": "Basic pre-activation",
        "basic/preact/note": "BN-ReLU before each conv,<br>nothing after ⊕",
        "input": "x (input)",
        "no_relu": "no ReLU after ⊕",
        "legend": "<span style='color:#ff7f0e'><b>orange</b></span>: where this variant differs · blue: conv · yellow: BN · green: ReLU · shortcut on the right (projection: first block of a stage)",
    },
    "zh": {
        "bottleneck/v1/title": "瓶颈块 v1（论文）",
        "bottleneck/v1/note": "步长 2 在第一个 1×1 卷积上：<br>每 4 个位置跳过 3 个，<br>3×3 卷积根本看不到它们",
        "bottleneck/v1.5/title": "瓶颈块 v1.5（torchvision）",
        "bottleneck/v1.5/note": "步长 2 移到 3×3 卷积：<br>参数相同，计算更多，<br>top-1 约高 0.5%",
        "bottleneck/preact/title": "瓶颈块 预激活",
        "bottleneck/preact/note": "每个卷积前先 BN-ReLU，⊕ 之后什么都没有：<br>x 在块与块之间原样传递<br>（《恒等映射》一文，图 4e）",
        "basic/v1/title": "基本块 v1 = v1.5",
        "basic/v1/note": "v1 和 v1.5 只在瓶颈块上不同：<br>基本块没有可以移走步长的 1×1 卷积",
        "basic/preact/title": "基本块 预激活",
        "basic/preact/note": "每个卷积前先 BN-ReLU，<br>⊕ 之后什么都没有",
        "input": "x（输入）",
        "no_relu": "⊕ 之后没有 ReLU",
        "legend": "<span style='color:#ff7f0e'><b>橙色</b></span>：该变体不同之处 · 蓝：卷积 · 黄：BN · 绿：ReLU · 右侧为捷径（投影：每个阶段的第一个块）",
    },
}

# --------------------------------------------------------------------------------------------

# (label, kind, highlighted) from input to output; kind: conv, bn, relu, add.
_Layer = tuple[str, str, bool]
_BOX_COLORS = {"conv": "#dbe9f6", "bn": "#fff2cc", "relu": "#d9f2d9", "add": "#ffffff", "none": "#ffffff"}

_ANATOMY: dict[tuple[str, str], dict] = {
    ("bottleneck", "v1"): {
        "title": "Bottleneck v1 (paper)",
        "branch": [
            ("conv 1×1, stride 2", "conv", True),
            ("BN", "bn", False),
            ("ReLU", "relu", False),
            ("conv 3×3", "conv", False),
            ("BN", "bn", False),
            ("ReLU", "relu", False),
            ("conv 1×1 (×4 channels)", "conv", False),
            ("BN", "bn", False),
        ],
        "shortcut": ("conv 1×1, stride 2 + BN", 0),
        "after": [("ReLU", "relu", False)],
        "note": "stride 2 on the first 1×1 conv:<br>it skips 3 of every 4 positions<br>before any 3×3 sees them",
    },
    ("bottleneck", "v1.5"): {
        "title": "Bottleneck v1.5 (torchvision)",
        "branch": [
            ("conv 1×1", "conv", False),
            ("BN", "bn", False),
            ("ReLU", "relu", False),
            ("conv 3×3, stride 2", "conv", True),
            ("BN", "bn", False),
            ("ReLU", "relu", False),
            ("conv 1×1 (×4 channels)", "conv", False),
            ("BN", "bn", False),
        ],
        "shortcut": ("conv 1×1, stride 2 + BN", 0),
        "after": [("ReLU", "relu", False)],
        "note": "stride 2 moved to the 3×3 conv:<br>same parameters, more compute,<br>about +0.5% top-1",
    },
    ("bottleneck", "preact"): {
        "title": "Bottleneck pre-activation",
        "branch": [
            ("BN", "bn", True),
            ("ReLU", "relu", True),
            ("conv 1×1", "conv", False),
            ("BN", "bn", False),
            ("ReLU", "relu", False),
            ("conv 3×3, stride 2", "conv", False),
            ("BN", "bn", False),
            ("ReLU", "relu", False),
            ("conv 1×1 (×4 channels)", "conv", False),
        ],
        "shortcut": ("conv 1×1, stride 2 (no BN)", 2),
        "after": [("no ReLU after ⊕", "none", True)],
        "note": "BN-ReLU before each conv, nothing after ⊕:<br>x passes from block to block untouched<br>(Identity Mappings, Fig. 4e)",
    },
    ("basic", "v1"): {
        "title": "Basic v1 = v1.5",
        "branch": [
            ("conv 3×3, stride 2", "conv", False),
            ("BN", "bn", False),
            ("ReLU", "relu", False),
            ("conv 3×3", "conv", False),
            ("BN", "bn", False),
        ],
        "shortcut": ("conv 1×1, stride 2 + BN", 0),
        "after": [("ReLU", "relu", False)],
        "note": "v1 and v1.5 differ only in bottlenecks:<br>a basic block has no 1×1 to move<br>the stride from",
    },
    ("basic", "preact"): {
        "title": "Basic pre-activation",
        "branch": [
            ("BN", "bn", True),
            ("ReLU", "relu", True),
            ("conv 3×3, stride 2", "conv", False),
            ("BN", "bn", False),
            ("ReLU", "relu", False),
            ("conv 3×3", "conv", False),
        ],
        "shortcut": ("conv 1×1, stride 2 (no BN)", 2),
        "after": [("no ReLU after ⊕", "none", True)],
        "note": "BN-ReLU before each conv,<br>nothing after ⊕",
    },
}

_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "bottleneck": (("bottleneck", "v1"), ("bottleneck", "v1.5"), ("bottleneck", "preact")),
    "basic": (("basic", "v1"), ("basic", "preact")),
}
_COLUMNS["both"] = _COLUMNS["bottleneck"] + _COLUMNS["basic"]


class _Canvas:
    """Collects shapes and annotations and hands them to plotly once: adding a few hundred one
    by one re-validates the whole layout each time (seconds instead of milliseconds)."""

    def __init__(self) -> None:
        self.shapes: list[dict] = []
        self.annotations: list[dict] = []

    def add_shape(self, **kwargs) -> None:
        self.shapes.append(kwargs)

    def add_annotation(self, **kwargs) -> None:
        self.annotations.append(kwargs)


def _box(
    canvas: _Canvas, x: float, y: float, w: float, h: float, label: str, kind: str, highlight: bool
) -> None:
    if kind == "add":
        canvas.add_shape(
            type="circle",
            x0=x - h / 2,
            x1=x + h / 2,
            y0=y - h / 2,
            y1=y + h / 2,
            line={"color": "#333333", "width": 1.5},
            fillcolor="white",
        )
    else:
        dashed = kind == "none"
        canvas.add_shape(
            type="rect",
            x0=x - w / 2,
            x1=x + w / 2,
            y0=y - h / 2,
            y1=y + h / 2,
            line={
                "color": HIGHLIGHT if highlight else "#555555",
                "width": 3 if highlight else 1,
                "dash": "dot" if dashed else "solid",
            },
            fillcolor=_BOX_COLORS[kind],
        )
    canvas.add_annotation(
        x=x,
        y=y,
        text=f"<b>{label}</b>" if highlight or kind == "add" else label,
        showarrow=False,
        font={"size": 11, "color": HIGHLIGHT if highlight and kind == "none" else "#222222"},
    )


def _arrow(canvas: _Canvas, x0: float, y0: float, x1: float, y1: float) -> None:
    canvas.add_annotation(
        x=x1,
        y=y1,
        ax=x0,
        ay=y0,
        xref="x",
        yref="y",
        axref="x",
        ayref="y",
        text="",
        showarrow=True,
        arrowhead=2,
        arrowsize=1,
        arrowwidth=1.2,
        arrowcolor="#444444",
    )


# an op's words in Chinese; the op names themselves (conv, BN, ReLU) stay as they are written in code
_ZH_OPS = (("(×4 channels)", "（×4 通道）"), ("(no BN)", "（无 BN）"), ("stride", "步长"))


def _op(label: str, lang: str) -> str:
    if lang != "zh":
        return label
    for en, zh in _ZH_OPS:
        label = label.replace(en, zh)
    return label


def block_anatomy_figure(
    *, block: Literal["bottleneck", "basic", "both"] = "both", lang: str = "en"
) -> go.Figure:
    """v1, v1.5 and pre-activation blocks drawn side by side, differences outlined in orange.

    Each column is the first block of a stage (the one that halves the map, where the variants
    differ), input at the top: the branch in the middle, the shortcut on the right joining at
    ⊕. v1 (https://arxiv.org/abs/1512.03385, Fig. 5) puts stride 2 on the first 1×1 conv,
    v1.5 (torchvision) on the 3×3 conv, and the pre-activation block
    (https://arxiv.org/abs/1603.05027, Fig. 4e) moves BN and ReLU before each conv and leaves
    nothing after the addition.

    Args:
        block: "bottleneck" (ResNet-50 and deeper), "basic" (ResNet-18/34, CIFAR) or "both".
        lang: "en" or "zh" for titles, notes and the legend.
    """
    t = TEXT[check_lang(lang)]
    if block not in _COLUMNS:
        raise ValueError(f"block must be one of {tuple(_COLUMNS)}, not {block!r}")
    columns = _COLUMNS[block]
    canvas = _Canvas()
    w, h, dy, dx = 1.7, 0.62, 1.0, 3.2
    lowest = 0.0
    for c, key in enumerate(columns):
        spec = _ANATOMY[key]
        x = c * dx
        xs = x + 1.35  # the shortcut's lane
        canvas.add_annotation(
            x=x + 0.3, y=1.35, text=f"<b>{t[f'{key[0]}/{key[1]}/title']}</b>", showarrow=False, font={"size": 12}
        )
        _box(canvas, x, 0.4, w, 0.5, t["input"], "none", False)
        layers: list[_Layer] = spec["branch"]
        y = 0.4
        ys = []
        for label, kind, highlight in layers:
            y_next = y - dy
            _arrow(canvas, x, y - 0.27, x, y_next + h / 2)
            _box(canvas, x, y_next, w, h, _op(label, lang), kind, highlight)
            ys.append(y_next)
            y = y_next
        y_add = y - dy
        _arrow(canvas, x, y - h / 2, x, y_add + 0.22)
        _box(canvas, x, y_add, w, 0.44, "+", "add", False)
        # the shortcut: from the input (or the pre-activated input) down the right lane into ⊕
        label, origin = spec["shortcut"]
        y_from = 0.4 if origin == 0 else ys[origin - 1]
        canvas.add_shape(
            type="line", x0=x + w / 2, y0=y_from, x1=xs, y1=y_from, line={"color": "#444444", "width": 1.2}
        )
        y_mid = (y_from + y_add) / 2
        half = 1.4  # the projection's box, tall enough for its rotated label
        canvas.add_shape(
            type="line", x0=xs, y0=y_from, x1=xs, y1=y_mid + half, line={"color": "#444444", "width": 1.2}
        )
        canvas.add_shape(
            type="rect",
            x0=xs - 0.25,
            x1=xs + 0.25,
            y0=y_mid - half,
            y1=y_mid + half,
            line={"color": HIGHLIGHT if origin else "#555555", "width": 3 if origin else 1},
            fillcolor=_BOX_COLORS["conv"],
        )
        canvas.add_annotation(x=xs, y=y_mid, text=_op(label, lang), textangle=-90, showarrow=False, font={"size": 10})
        canvas.add_shape(
            type="line", x0=xs, y0=y_mid - half, x1=xs, y1=y_add, line={"color": "#444444", "width": 1.2}
        )
        _arrow(canvas, xs, y_add, x + 0.24, y_add)
        y = y_add
        for label, kind, highlight in spec["after"]:
            y_next = y - dy
            _arrow(canvas, x, y - 0.22, x, y_next + h / 2)
            _box(canvas, x, y_next, w, h, t["no_relu"] if kind == "none" else label, kind, highlight)
            y = y_next
        canvas.add_annotation(
            x=x + 0.3,
            y=y - 0.6,
            text=t[f"{key[0]}/{key[1]}/note"],
            showarrow=False,
            align="center",
            yanchor="top",
            font={"size": 10},
        )
        lowest = min(lowest, y - 2.2)
    legend = t["legend"]
    canvas.add_annotation(
        x=0.0,
        y=-0.02,
        xref="paper",
        yref="paper",
        text=legend,
        showarrow=False,
        xanchor="left",
        yanchor="top",
    )
    fig = go.Figure()
    fig.update_layout(shapes=canvas.shapes, annotations=canvas.annotations)
    fig.update_xaxes(visible=False, range=[-1.2, (len(columns) - 1) * dx + 1.8])
    fig.update_yaxes(visible=False, range=[lowest, 1.7], scaleanchor=None)
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        height=int(90 + 48 * (1.7 - lowest)),
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        title=None,
        hovermode=False,    )
    return fig
