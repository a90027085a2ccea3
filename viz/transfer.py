"""Figures of "Train on your images": curves, confusion matrix, features before and after, Grad-CAM pairs.

Pure functions of :mod:`resnet_core.transfer`'s dataclasses; nothing here touches a model. Every
function that puts words on a figure takes ``lang`` ("en" or "zh"); the words live in
the catalogue (:mod:`viz.locales`, namespace ``transfer``). Plotly hover labels cannot show pictures, so the feature scatter names each
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
from .locales import LANGS, section

if TYPE_CHECKING:  # viz reads the dataclasses; importing resnet_core would import torch
    from resnet_core.transfer.analysis import CamPair, Confusion, FeatureMap
    from resnet_core.transfer.train import TrainUpdate


#: one colour per class (10 at most)
CLASS_COLORS: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip



def strategy_name(strategy: str, *, lang: str = "en") -> str:
    """The strategy in words ("fixed feature extractor", ...)."""
    return section("transfer", lang).get(f"strategy_{strategy}", strategy)


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
    t = section("transfer", lang)
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
    t = section("transfer", lang)
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
    t = section("transfer", lang)
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
    t = section("transfer", lang)
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
    t = section("transfer", lang)
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
    t = section("transfer", lang)
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
    column titles (``transfer.grid_image``, ``transfer.grid_before``, ``transfer.grid_after``) so a page can
    write them itself: PIL's built-in font has no Chinese glyphs.
    """
    t = section("transfer", lang)
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
    t = section("transfer", lang)
    if not pairs:
        return ""
    return t["verdict_cams"].format(
        n=len(pairs), right=sum(p.correct for p in pairs), example=pairs[0].before_label
    )


__all__ = [
    "CLASS_COLORS",
    "LANGS",
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
