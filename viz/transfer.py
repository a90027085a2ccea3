"""Figures of "Train on your images": curves, confusion matrix, features before and after, Grad-CAM pairs.

Pure functions of :mod:`resnet_core.transfer`'s dataclasses; nothing here touches a model. Every
function that puts words on a figure takes ``lang`` ("en" or "zh"); the words live in
:data:`TEXT`. Plotly hover labels cannot show pictures, so the feature scatter names each
image (and its class) on hover instead of a thumbnail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._draw import label_height, put_centered
from ._format import FONT, TEMPLATE
from .cam import cam_overlay

if TYPE_CHECKING:  # viz reads the dataclasses; importing resnet_core would import torch
    from resnet_core.transfer.analysis import CamPair, Confusion, FeatureMap
    from resnet_core.transfer.train import TrainUpdate

LANGS: tuple[str, ...] = ("en", "zh")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "curves_title": "Training: {strategy}, {trainable} of {total} parameters learn",
        "step": "step",
        "loss": "loss",
        "accuracy": "accuracy",
        "train_loss": "training loss",
        "train_acc": "batch accuracy",
        "held_acc": "held-out accuracy",
        "no_updates": "no training yet",
        "confusion_title": "Held-out images: true class against prediction ({acc:.0%} right)",
        "true": "true class",
        "predicted": "predicted",
        "confusion_hover": "true: %{y}<br>predicted: %{x}<br>images: %{z}<extra></extra>",
        "pca_title": "Pooled features of every image, PCA to 2-D<br><sup>each panel its own projection</sup>",
        "before": "before training (separation {sep:.2f})",
        "after": "after training (separation {sep:.2f})",
        "axis": "PC{k} ({share:.0%} of variance)",
        "held_out": "held out",
        "train": "training",
        "pca_hover": "%{customdata[0]}<br>class: %{customdata[1]}<br>%{customdata[2]}<extra></extra>",
        "strategy_features": "fixed feature extractor",
        "strategy_last_stage": "fine-tune the last stage",
        "strategy_all": "fine-tune everything",
        "grid_image": "image",
        "grid_before": "original network",
        "grid_after": "fine-tuned",
        "verdict_train": (
            "{strategy}: held-out accuracy went from {first:.0%} to {last:.0%} in {steps} steps "
            "({seconds:.0f} s, {trainable} of {total} parameters trained){stop}."
        ),
        "stop_time": "; stopped by the time budget",
        "stop_user": "; stopped on request",
        "verdict_confusion_clean": "Every held-out image of the {n} classes is classified right.",
        "verdict_confusion": (
            "{right} of {total} held-out images are right ({acc:.0%}); the most common mistake is "
            "“{true}” taken for “{pred}” ({count} times)."
        ),
        "verdict_pca_better": (
            "The classes separate more after training: the between-to-within class variance ratio of "
            "the pooled features went from {before:.2f} to {after:.2f}."
        ),
        "verdict_pca_worse": (
            "The pooled features did not separate the classes better (ratio {before:.2f} before, "
            "{after:.2f} after); the new fc layer does the work."
        ),
        "verdict_cams": (
            "Of {n} held-out images, the fine-tuned network gets {right} right; the original network "
            "names them with its own classes, e.g. “{example}”."
        ),
    },
    "zh": {
        "curves_title": "训练：{strategy}，{total} 个参数中 {trainable} 个参与学习",
        "step": "步数",
        "loss": "损失",
        "accuracy": "准确率",
        "train_loss": "训练损失",
        "train_acc": "批次准确率",
        "held_acc": "留出集准确率",
        "no_updates": "尚未训练",
        "confusion_title": "留出图片：真实类别与预测（正确 {acc:.0%}）",
        "true": "真实类别",
        "predicted": "预测",
        "confusion_hover": "真实：%{y}<br>预测：%{x}<br>图片数：%{z}<extra></extra>",
        "pca_title": "每张图片的池化特征经 PCA 投影到二维<br><sup>每个面板各自投影</sup>",
        "before": "训练前（可分度 {sep:.2f}）",
        "after": "训练后（可分度 {sep:.2f}）",
        "axis": "主成分 {k}（方差占比 {share:.0%}）",
        "held_out": "留出",
        "train": "训练",
        "pca_hover": "%{customdata[0]}<br>类别：%{customdata[1]}<br>%{customdata[2]}<extra></extra>",
        "strategy_features": "固定特征提取器",
        "strategy_last_stage": "微调最后一个阶段",
        "strategy_all": "微调全部参数",
        "grid_image": "图片",
        "grid_before": "原始网络",
        "grid_after": "微调后",
        "verdict_train": (
            "{strategy}：经过 {steps} 步（{seconds:.0f} 秒，训练了 {total} 个参数中的 {trainable} 个），"
            "留出集准确率从 {first:.0%} 变为 {last:.0%}{stop}。"
        ),
        "stop_time": "；因时间预算而停止",
        "stop_user": "；按要求停止",
        "verdict_confusion_clean": "{n} 个类别的留出图片全部分类正确。",
        "verdict_confusion": (
            "{total} 张留出图片中 {right} 张正确（{acc:.0%}）；最常见的错误是把“{true}”当成“{pred}”"
            "（{count} 次）。"
        ),
        "verdict_pca_better": (
            "训练后各类别分得更开：池化特征的类间与类内方差之比从 {before:.2f} 变为 {after:.2f}。"
        ),
        "verdict_pca_worse": (
            "池化特征并没有把类别分得更开（之前 {before:.2f}，之后 {after:.2f}）；主要靠新的 fc 层完成分类。"
        ),
        "verdict_cams": (
            "{n} 张留出图片中，微调后的网络答对 {right} 张；原始网络用它自己的类别来命名，例如“{example}”。"
        ),
    },
}

#: one colour per class (10 at most)
CLASS_COLORS: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


def _t(lang: str) -> dict[str, str]:
    if lang not in TEXT:
        raise ValueError(f"lang must be one of {LANGS}, got {str(lang)[:20]!r}")
    return TEXT[lang]


def strategy_name(strategy: str, *, lang: str = "en") -> str:
    """The strategy in words ("fixed feature extractor", ...)."""
    return _t(lang).get(f"strategy_{strategy}", strategy)


def _layout(fig: go.Figure, title: str, height: int, *, top: int = 60) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        height=height,
        title={"text": title, "x": 0.01, "font": {"size": 14}},
        margin={"l": 60, "r": 20, "t": top, "b": 50},
    )
    return fig


def _message(text: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, "", 300)


# ---------------------------------------------------------------------------------------------
# curves


def curves_figure(update: TrainUpdate | None, *, lang: str = "en") -> go.Figure:
    """Loss (left axis) and batch and held-out accuracy (right panel) of a run so far."""
    t = _t(lang)
    if update is None:
        return _message(t["no_updates"])
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=(t["loss"], t["accuracy"]))
    steps = np.arange(1, len(update.loss) + 1)
    fig.add_trace(go.Scatter(x=steps, y=update.loss, mode="lines", name=t["train_loss"], line={"color": "#7f7f7f"}), 1, 1)
    fig.add_trace(
        go.Scatter(x=steps, y=update.train_accuracy, mode="lines", name=t["train_acc"], line={"color": "#aec7e8"}), 1, 2
    )
    fig.add_trace(
        go.Scatter(
            x=update.eval_steps, y=update.eval_accuracy, mode="lines+markers", name=t["held_acc"], line={"color": "#1f77b4", "width": 3}
        ),
        1,
        2,
    )
    fig.update_xaxes(title_text=t["step"], range=[0, max(update.steps, 1)])
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", row=1, col=2)
    title = t["curves_title"].format(
        strategy=strategy_name(update.strategy, lang=lang), trainable=f"{update.trainable:,}", total=f"{update.total:,}"
    )
    return _layout(fig, title, 340)


def training_verdict(update: TrainUpdate, *, lang: str = "en") -> str:
    """One sentence from a run's numbers: held-out accuracy at the start and now, steps, time."""
    t = _t(lang)
    acc = update.eval_accuracy
    stop = {"time budget": t["stop_time"], "stopped": t["stop_user"]}.get(update.stopped or "", "")
    return t["verdict_train"].format(
        strategy=strategy_name(update.strategy, lang=lang),
        first=float(acc[0]) if len(acc) else float("nan"),
        last=float(acc[-1]) if len(acc) else float("nan"),
        steps=update.step,
        seconds=update.elapsed,
        trainable=f"{update.trainable:,}",
        total=f"{update.total:,}",
        stop=stop,
    )


# ---------------------------------------------------------------------------------------------
# confusion matrix


def confusion_figure(result: Confusion, *, lang: str = "en") -> go.Figure:
    """The held-out confusion matrix as a heat map, counts written in the cells."""
    t = _t(lang)
    m = result.matrix
    names = list(result.class_names)
    fig = go.Figure(
        go.Heatmap(
            z=m,
            x=names,
            y=names,
            colorscale="Blues",
            text=m.astype(str),
            texttemplate="%{text}",
            hovertemplate=t["confusion_hover"],
            showscale=False,
        )
    )
    fig.update_xaxes(title_text=t["predicted"], side="bottom")
    fig.update_yaxes(title_text=t["true"], autorange="reversed")
    return _layout(fig, t["confusion_title"].format(acc=result.accuracy), 120 + 40 * len(names) + 120)


def confusion_verdict(result: Confusion, *, lang: str = "en") -> str:
    """Accuracy and the most common mistake, from the matrix."""
    t = _t(lang)
    worst = result.worst_pair()
    if worst is None:
        return t["verdict_confusion_clean"].format(n=len(result.class_names))
    i, j, count = worst
    return t["verdict_confusion"].format(
        right=int(np.trace(result.matrix)),
        total=int(result.matrix.sum()),
        acc=result.accuracy,
        true=result.class_names[i],
        pred=result.class_names[j],
        count=count,
    )


# ---------------------------------------------------------------------------------------------
# features before and after


def pca_figure(fmap: FeatureMap, *, lang: str = "en") -> go.Figure:
    """Two scatter panels, before and after: one colour per class, held-out images as crosses."""
    t = _t(lang)
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.08,
        subplot_titles=(t["before"].format(sep=fmap.separation_before), t["after"].format(sep=fmap.separation_after)),
    )
    for col, (coords, share) in enumerate(((fmap.before, fmap.explained_before), (fmap.after, fmap.explained_after)), 1):
        for k, name in enumerate(fmap.class_names):
            for held in (False, True):
                sel = (fmap.labels == k) & (fmap.held_out == held)
                if not sel.any():
                    continue
                custom = [[fmap.names[i], name, t["held_out"] if held else t["train"]] for i in np.flatnonzero(sel)]
                fig.add_trace(
                    go.Scatter(
                        x=coords[sel, 0],
                        y=coords[sel, 1],
                        mode="markers",
                        name=name,
                        legendgroup=name,
                        showlegend=col == 1 and not held,
                        marker={
                            "color": CLASS_COLORS[k % len(CLASS_COLORS)],
                            "symbol": "x" if held else "circle",
                            "size": 9 if held else 7,
                        },
                        customdata=custom,
                        hovertemplate=t["pca_hover"],
                    ),
                    1,
                    col,
                )
        fig.update_xaxes(title_text=t["axis"].format(k=1, share=float(share[0])), row=1, col=col)
        fig.update_yaxes(title_text=t["axis"].format(k=2, share=float(share[1])), row=1, col=col)
    fig.update_annotations(font_size=12)  # the panel titles, clear of each other and of the title
    # the legend under the panels, not over the second panel's title
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0})
    fig = _layout(fig, t["pca_title"], 480, top=100)
    fig.update_layout(margin={"b": 90})
    return fig


def pca_verdict(fmap: FeatureMap, *, lang: str = "en") -> str:
    """Whether the classes lie further apart in the pooled features after training."""
    t = _t(lang)
    key = "verdict_pca_better" if fmap.separation_after > fmap.separation_before else "verdict_pca_worse"
    return t[key].format(before=fmap.separation_before, after=fmap.separation_after)


# ---------------------------------------------------------------------------------------------
# Grad-CAM before and after


def cam_pairs_image(
    pairs: Sequence[CamPair], *, cell: int = 128, alpha: float = 0.5, lang: str = "en", headers: bool = True
) -> np.ndarray:
    """A uint8 grid: one row per image: the picture, the original network's Grad-CAM, the fine-tuned one's.

    Each cell has a caption underneath: the name and true class, then each network's top-1 class
    and probability (a fine-tuned mistake is written in red). ``headers=False`` leaves out the
    column titles (``TEXT[lang]["grid_image" | "grid_before" | "grid_after"]``) so a page can
    write them itself: PIL's built-in font has no Chinese glyphs.
    """
    t = _t(lang)
    if not 32 <= cell <= 512:
        raise ValueError(f"cell must be between 32 and 512 pixels, got {cell}")
    if len(pairs) > 32:
        raise ValueError(f"at most 32 rows, got {len(pairs)}")
    lh = label_height()
    head, rows = (lh + 4 if headers else 0), len(pairs)
    width = 3 * cell + 4 * 6
    canvas = np.full((head + max(rows, 1) * (cell + 2 * lh + 6), width, 3), 255, np.uint8)
    for c, key in enumerate(("grid_image", "grid_before", "grid_after") if headers else ()):
        put_centered(canvas, t[key], (6 + c * (cell + 6), 0, cell, head))
    for r, p in enumerate(pairs):
        y = head + r * (cell + 2 * lh + 6)
        cells = (p.image, cam_overlay(p.image, p.before_heatmap, alpha=alpha), cam_overlay(p.image, p.after_heatmap, alpha=alpha))
        captions = (
            (p.name, p.truth),
            (p.before_label, _percent(p.before_probability)),
            (p.after_label, _percent(p.after_probability)),
        )
        for c, (picture, (line1, line2)) in enumerate(zip(cells, captions)):
            x = 6 + c * (cell + 6)
            canvas[y : y + cell, x : x + cell] = _fit(picture, cell)
            color = (200, 30, 30) if c == 2 and not p.correct else (30, 30, 30)
            put_centered(canvas, line1, (x, y + cell + 2, cell, lh), color=color)
            put_centered(canvas, line2, (x, y + cell + 2 + lh, cell, lh), color=color)
    return canvas


def _percent(p: float) -> str:
    # a random 1000-class head gives every class about 0.1 %: "0 %" would hide that
    return f"{p:.0%}" if p >= 0.01 else f"{p:.1%}"


def _fit(picture: np.ndarray, cell: int) -> np.ndarray:
    """Nearest-neighbour resize to ``(cell, cell)``: pixels stay sharp and no new colours appear."""
    h, w = picture.shape[:2]
    rows = np.minimum((np.arange(cell) * h / cell).astype(int), h - 1)
    cols = np.minimum((np.arange(cell) * w / cell).astype(int), w - 1)
    return picture[rows][:, cols]


def cams_verdict(pairs: Sequence[CamPair], *, lang: str = "en") -> str:
    """How many shown held-out images the fine-tuned network gets right, and what the original called one."""
    t = _t(lang)
    if not pairs:
        return ""
    return t["verdict_cams"].format(
        n=len(pairs), right=sum(p.correct for p in pairs), example=pairs[0].before_label
    )


__all__ = [
    "CLASS_COLORS",
    "LANGS",
    "TEXT",
    "cam_pairs_image",
    "cams_verdict",
    "confusion_figure",
    "confusion_verdict",
    "curves_figure",
    "pca_figure",
    "pca_verdict",
    "strategy_name",
    "training_verdict",
]
