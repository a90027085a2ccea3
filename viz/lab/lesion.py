"""ResNets as ensembles of shallow paths (Veit et al. 2016): the path-length distribution, the
single-block lesion and k random deletions, with verdicts computed from the accuracies.

Pure functions of :mod:`resnet_core.lab.lesion`'s dataclasses; nothing here touches a model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._format import FONT, TEMPLATE
from ._common import KIND_COLORS, SHADES, check_lang, machine_words, message_figure

if TYPE_CHECKING:  # importing resnet_core would import torch
    from resnet_core.lab.lesion import LesionCurve, LesionResult, SavedLesions

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "paths_panel": "paths through n = {n} blocks,<br>by length (C(n, k) / 2ⁿ)",
        "single_panel": "delete one block<br>(shortcut kept, branch dropped)",
        "k_panel": "delete k random blocks<br>(mean; band: worst–best draw)",
        "path_x": "blocks on the path (k)",
        "path_y": "share of the 2ⁿ paths",
        "block_x": "deleted block",
        "k_x": "blocks deleted (k)",
        "acc": "held-out accuracy",
        "intact": "{name} intact",
        "chance": "chance",
        "title": "Veit et al. (2016), measured on {source}",
        "saved_title": "Veit et al. (2016) on the race's deeper nets: {seeds} seeds, {where}, {date} (ours, not the paper's numbers)",
        "hover": "%{customdata}: %{y:.1%}",
        "paths": "With {n} blocks there are 2^{n} ≈ {total} paths; {mass:.0%} of them pass through {lo} to {hi} branches (mean {mean:.1f}), none but one through all {n}: most paths are much shorter than the network.",
        "robust": "**{name}** (intact {intact:.1%}): deleting one block leaves {lo:.1%}–{hi:.1%}; {ok} of its {m} blocks that keep the shape stay within {drop:.0f} points. **It behaves like an ensemble**, as Veit et al. found for deep ResNets.",
        "fragile": "**{name}** (intact {intact:.1%}): deleting one block leaves {lo:.1%}–{hi:.1%}; only {ok} of its {m} blocks that keep the shape stay within {drop:.0f} points. **The ensemble robustness does not appear here.**",
        "fragile_small": " With {n} blocks there are only 2^{n} = {total} paths, and few short ones: Veit's finding is about deep ResNets.",
        "plain": "**{name}** (intact {intact:.1%}): removing one layer leaves {lo:.1%}–{hi:.1%} (median {med:.1%}, chance {chance:.0%}): a plain network has one path, and it breaks, as VGG did for Veit et al.",
        "k_smooth": "Deleting k random blocks from {name}: mean accuracy {first:.1%} at k = 1 down to {last:.1%} at k = {k}, no single deletion costing more than {step:.1%}: a smooth decline (Veit's Fig. 5).",
        "k_sharp": "Deleting k random blocks from {name}: mean accuracy {first:.1%} at k = 1 down to {last:.1%} at k = {k}; one more deletion can cost {step:.1%}: not the smooth decline of Veit's Fig. 5.",
        "huang": "Stochastic depth (Huang et al., 2016) trains by deleting random blocks this way, which makes a ResNet more robust still.",
        "missing": "no saved lesion runs at {path}; run: python scripts/lesion.py",
        "seed_line": "seed {seed}: {name} intact {intact:.1%}, {ok} of {m} shape-keeping blocks deletable within {drop:.0f} points: {word}",
        "seed_robust": "robust",
        "seed_fragile": "below the 80 % of blocks Veit's reading needs",
        "seeds": "**Veit's robustness appears in {n} of {seeds} seeds of {name}.** Seed 0 in full:",
        "untrained": "**{name}** reached only {intact:.1%} intact (chance {chance:.0%}): it did not train, so deleting its blocks ({lo:.1%}–{hi:.1%}) says nothing about robustness; its failure to train is the degradation problem itself.",
    },
    "zh": {
        "paths_panel": "经过 n = {n} 个块的路径<br>按长度分布（C(n, k) / 2ⁿ）",
        "single_panel": "删除一个块<br>（保留捷径，去掉分支）",
        "k_panel": "随机删除 k 个块<br>（均值；带：最差–最好的一次抽取）",
        "path_x": "路径经过的块数（k）",
        "path_y": "占全部 2ⁿ 条路径的比例",
        "block_x": "被删除的块",
        "k_x": "删除的块数（k）",
        "acc": "留出集准确率",
        "intact": "{name} 完整",
        "chance": "随机猜测",
        "title": "Veit 等人（2016）的实验，在 {source} 上实测",
        "saved_title": "Veit 等人（2016）在竞赛的更深网络上：{seeds} 个种子，{where}，{date}（我们测的，不是论文的数字）",
        "hover": "%{customdata}：%{y:.1%}",
        "paths": "{n} 个块共有 2^{n} ≈ {total} 条路径；其中 {mass:.0%} 经过 {lo} 到 {hi} 个分支（平均 {mean:.1f}），只有一条经过全部 {n} 个：大多数路径比网络本身短得多。",
        "robust": "**{name}**（完整时 {intact:.1%}）：删除任一个块后为 {lo:.1%}–{hi:.1%}；在不改变形状的 {m} 个块中有 {ok} 个下降不超过 {drop:.0f} 个百分点**。它表现得像一个集成**，正如 Veit 等人在深层 ResNet 上的发现。",
        "fragile": "**{name}**（完整时 {intact:.1%}）：删除任一个块后为 {lo:.1%}–{hi:.1%}；在不改变形状的 {m} 个块中只有 {ok} 个下降不超过 {drop:.0f} 个百分点**。这里没有出现集成式的鲁棒性**。",
        "fragile_small": " {n} 个块只有 2^{n} = {total} 条路径，短路径很少：Veit 的发现针对的是深层 ResNet。",
        "plain": "**{name}**（完整时 {intact:.1%}）：去掉一层后为 {lo:.1%}–{hi:.1%}（中位数 {med:.1%}，随机猜测 {chance:.0%}）：普通网络只有一条路径，它会断掉，正如 Veit 等人实验中的 VGG。",
        "k_smooth": "从 {name} 中随机删除 k 个块：平均准确率从 k = 1 时的 {first:.1%} 降到 k = {k} 时的 {last:.1%}，每多删一个块的损失都不超过 {step:.1%}：平滑下降（Veit 的图 5）。",
        "k_sharp": "从 {name} 中随机删除 k 个块：平均准确率从 k = 1 时的 {first:.1%} 降到 k = {k} 时的 {last:.1%}；多删一个块可能损失 {step:.1%}：不是 Veit 图 5 那样的平滑下降。",
        "huang": "随机深度（Huang 等人，2016）在训练时就以这种方式随机删除块，使 ResNet 更加鲁棒。",
        "missing": "{path} 没有保存的剪除实验；运行：python scripts/lesion.py",
        "seed_line": "种子 {seed}：{name} 完整时 {intact:.1%}，不改变形状的 {m} 个块中有 {ok} 个删除后下降不超过 {drop:.0f} 个百分点：{word}",
        "seed_robust": "鲁棒",
        "seed_fragile": "低于 Veit 的解读所需的 80% 的块",
        "seeds": "**在 {name} 的 {seeds} 个种子中，有 {n} 个出现了 Veit 的鲁棒性**。种子 0 的完整结果：",
        "untrained": "**{name}** 完整时只有 {intact:.1%}（随机猜测 {chance:.0%}）：它没有训练起来，所以删除它的块（{lo:.1%}–{hi:.1%}）说明不了鲁棒性；它训练不起来，正是退化问题本身。",
    },
}


def path_mass(n: int, mass: float = 0.95) -> tuple[int, int]:
    """The central range of path lengths (lo, hi) that holds at least ``mass`` of the paths."""
    dist = np.array([math.comb(n, k) for k in range(n + 1)], dtype=np.float64) / 2.0**n
    lo, hi = n // 2, n // 2
    while dist[lo : hi + 1].sum() < mass:
        lo, hi = max(lo - 1, 0), min(hi + 1, n)
    return lo, hi


def _curve_traces(fig: go.Figure, curves: Sequence[LesionCurve], t: dict, shade: int = 0, show: bool = True) -> None:
    for c in curves:
        color = SHADES[c.kind][shade % len(SHADES[c.kind])]
        fig.add_trace(go.Scatter(x=list(range(1, len(c.blocks) + 1)), y=c.single, mode="lines+markers", name=c.name,
                                 legendgroup=c.name, showlegend=show, line={"color": color}, customdata=list(c.blocks),
                                 hovertemplate=t["hover"] + f"<extra>{c.name}</extra>"), row=1, col=2)
        fig.add_hline(y=c.intact, line={"color": color, "dash": "dash", "width": 1}, row=1, col=2)
        k = np.concatenate([[0], c.k])
        band = np.concatenate([[c.intact], c.k_max]), np.concatenate([[c.intact], c.k_min])
        fig.add_trace(go.Scatter(x=np.concatenate([k, k[::-1]]), y=np.concatenate([band[0], band[1][::-1]]), fill="toself",
                                 fillcolor=color, opacity=0.15, line={"width": 0}, showlegend=False, hoverinfo="skip",
                                 legendgroup=c.name), row=1, col=3)
        fig.add_trace(go.Scatter(x=k, y=np.concatenate([[c.intact], c.k_mean]), mode="lines+markers", line={"color": color},
                                 showlegend=False, legendgroup=c.name, name=c.name), row=1, col=3)
    fig.add_hline(y=curves[0].chance, line={"color": "#888888", "dash": "dot", "width": 1}, row=1, col=3)


def lesion_figure(result: LesionResult, *, lang: str = "en", title: str | None = None) -> go.Figure:
    """Three panels: the path-length distribution, accuracy per deleted block, accuracy against k."""
    t = TEXT[check_lang(lang)]
    n = len(result.paths) - 1
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.07,
                        subplot_titles=[t["paths_panel"].format(n=n), t["single_panel"], t["k_panel"]])
    fig.add_trace(go.Bar(x=list(range(n + 1)), y=[math.comb(n, k) / 2.0**n for k in range(n + 1)],
                         marker_color=KIND_COLORS["residual"], showlegend=False, hovertemplate="k=%{x}: %{y:.2%}<extra></extra>"),
                  row=1, col=1)
    _curve_traces(fig, result.curves, t)
    fig.update_xaxes(title=t["path_x"], row=1, col=1)
    fig.update_xaxes(title=t["block_x"], row=1, col=2)
    fig.update_xaxes(title=t["k_x"], row=1, col=3)
    fig.update_yaxes(title=t["path_y"], tickformat=".0%", row=1, col=1)
    fig.update_yaxes(title=t["acc"], tickformat=".0%", range=[0, 1.02], row=1, col=2)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02], row=1, col=3)
    source = ", ".join(c.name for c in result.curves)
    fig.update_layout(template=TEMPLATE, font=FONT, height=430, legend={"orientation": "h", "y": -0.2},
                      title={"text": title or t["title"].format(source=source), "x": 0.01, "font": {"size": 14}},
                      margin={"l": 10, "r": 20, "t": 100, "b": 10})
    fig.update_annotations(font={"size": 12})  # the three panel titles
    return fig


def saved_lesion_figure(saved: SavedLesions | None, *, lang: str = "en", path: str = "assets/curves/lesion.json") -> go.Figure:
    """The saved deeper-net runs: every seed's curves in one figure (shades by seed)."""
    t = TEXT[check_lang(lang)]
    if saved is None or not saved.runs:
        return message_figure(t["missing"].format(path=path))
    fig = lesion_figure(saved.runs[0], lang=lang)
    for i, run in enumerate(saved.runs[1:], start=1):
        _curve_traces(fig, run.curves, t, shade=i, show=False)
    m = saved.meta
    fig.update_layout(title={"text": t["saved_title"].format(seeds=len(saved.runs), where=machine_words(str(m.get("device_name", "?")), lang),
                                                             date=str(m.get("date", ""))[:10])})
    return fig


def saved_lesion_verdict(saved: SavedLesions | None, lang: str = "en") -> str:
    """The saved runs seed by seed (a robust verdict in some seeds only is said as such), then the
    first seed's full verdict."""
    t = TEXT[check_lang(lang)]
    if saved is None or not saved.runs:
        return ""
    res = [run.curves[0] for run in saved.runs]
    lines = [
        t["seed_line"].format(seed=seed, name=c.name, intact=c.intact, ok=c.tolerated[0], m=c.tolerated[1],
                              drop=c.robust_drop * 100, word=t["seed_robust" if c.robust else "seed_fragile"])
        for seed, c in zip(saved.seeds, res)
    ]
    summary = t["seeds"].format(n=sum(c.robust for c in res), seeds=len(res), name=res[0].name)
    return "\n".join(f"* {line}" for line in lines) + "\n\n" + summary + "\n\n" + lesion_verdict(saved.runs[0], lang)


def lesion_verdict(result: LesionResult, lang: str = "en") -> str:
    """Which it is, from the accuracies: an ensemble (robust, smooth) or not."""
    t = TEXT[check_lang(lang)]
    n = len(result.paths) - 1
    lo, hi = path_mass(n)
    lines = [t["paths"].format(n=n, total=f"{2.0**n:.3g}", mass=0.95, lo=lo, hi=hi, mean=n / 2)]
    for c in result.curves:
        ok, m = c.tolerated
        common = dict(name=c.name, intact=c.intact, lo=float(c.single.min()), hi=float(c.single.max()))
        if not c.trained:
            lines.append(t["untrained"].format(**common, chance=c.chance))
            continue
        if c.kind == "plain":
            lines.append(t["plain"].format(**common, med=float(np.median(c.single)), chance=c.chance))
            continue
        words = t["robust" if c.robust else "fragile"].format(**common, ok=ok, m=m, drop=c.robust_drop * 100)
        if not c.robust and len(c.blocks) < 20:
            words += t["fragile_small"].format(n=len(c.blocks), total=2 ** len(c.blocks))
        lines.append(words)
        key = "k_smooth" if c.smooth else "k_sharp"
        lines.append(t[key].format(name=c.name, first=c.k_mean[0], last=c.k_mean[-1], k=int(c.k[-1]), step=c.largest_step))
    lines.append(t["huang"])
    return "\n".join(f"* {line}" for line in lines)


__all__ = ["TEXT", "lesion_figure", "lesion_verdict", "path_mass", "saved_lesion_figure", "saved_lesion_verdict"]
