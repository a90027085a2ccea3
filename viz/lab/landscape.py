"""Loss-landscape figure and verdict: filter-normalised 2-D slices side by side (Li et al.)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._format import FONT, TEMPLATE
from ._common import check_lang, machine_words, message_figure

if TYPE_CHECKING:
    from resnet_core.lab.landscape import Landscape

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Training loss around plain-{depth} and ResNet-{depth} after {steps} steps, along two filter-normalised directions ({grid}×{grid} grid)",
        "saved": "saved: {where}, {date}, {seconds:.0f} s, a single run (one seed: no spread) (ours, not the paper's)",
        "live": "live: {device}, {seconds:.0f} s",
        "panel": "{name}: centre loss {loss:.2f}, training accuracy {acc:.0%}",
        "a": "direction 1 (α)",
        "b": "direction 2 (β)",
        "colorbar": "log10 loss",
        "hover": "α=%{x:.2f}, β=%{y:.2f}<br>loss %{customdata:.3g}",
        "missing": "no saved landscape at {path}; run: python scripts/landscape.py",
        "verdict": "Walking outward from the centre of each slice, the loss dips instead of rising at {plain_dips:.0%} of grid steps around {plain} and {res_dips:.0%} around {res}; the grid has {plain_min} for {plain} and {res_min} for {res}. {judgement}",
        "minima_1": "1 local minimum",
        "minima_n": "{n} local minima",
        "smoother_deep": "The ResNet's surface is the smoother bowl, as Li et al. found from 56 layers on (plain-56 chaotic, ResNet-56 smooth).",
        "smoother_shallow": "The ResNet's surface is the smoother one here; Li et al. found both benign at 20 layers and the plain surface chaotic only from 56 layers on.",
        "similar_shallow": "The two surfaces look alike, as Li et al. found at 20 layers (plain-20 benign, like ResNet-20); they saw the plain surface turn chaotic from 56 layers on.",
        "similar_deep": "The two surfaces look alike here, unlike what Li et al. found at 56 layers after full training (plain-56 chaotic, ResNet-56 smooth).",
        "rougher": "Here the ResNet's surface is the rougher one, unlike what Li et al. found.",
        "slope": " {name}'s slice is not centred at a minimum (its lowest grid point is off-centre after {moves} re-centring moves): walking outward partly walks down its slope, so its dips are not roughness and the comparison is open.",
        "moved": " Centred where the loss is lowest, as Li et al. slice at a minimum: {moves}.",
        "moved_one": "{name} moved by ({a:.2f}, {b:.2f}) from where training stopped",
        "untrained": " Note: {plain} has trained less (accuracy {acc:.0%} against {res_acc:.0%}), so its slice sits higher up the surface.",
    },
    "zh": {
        "title": "训练 {steps} 步后 plain-{depth} 与 ResNet-{depth} 周围的训练损失，沿两个按滤波器归一化的方向（{grid}×{grid} 网格）",
        "saved": "已保存：{where}，{date}，{seconds:.0f} 秒，仅一次运行（一个种子：没有离散程度）（我们测的，不是论文的数字）",
        "live": "实时：{device}，{seconds:.0f} 秒",
        "panel": "{name}：中心损失 {loss:.2f}，训练准确率 {acc:.0%}",
        "a": "方向 1（α）",
        "b": "方向 2（β）",
        "colorbar": "log10 损失",
        "hover": "α=%{x:.2f}，β=%{y:.2f}<br>损失 %{customdata:.3g}",
        "missing": "{path} 没有保存的损失地形；运行：python scripts/landscape.py",
        "verdict": "从每个切片的中心向外走，{plain} 周围有 {plain_dips:.0%} 的网格步损失不升反降，{res} 周围为 {res_dips:.0%}；网格上 {plain} 有 {plain_min}，{res} 有 {res_min}。{judgement}",
        "minima_1": "1 个局部极小值",
        "minima_n": "{n} 个局部极小值",
        "smoother_deep": "ResNet 的曲面是更平滑的碗形，与 Li 等人从 56 层起的发现一致（plain-56 混乱，ResNet-56 平滑）。",
        "smoother_shallow": "这里 ResNet 的曲面更平滑；Li 等人发现 20 层时两者都很温和，普通网络的曲面要到 56 层起才变得混乱。",
        "similar_shallow": "两个曲面看起来差不多，与 Li 等人在 20 层的发现一致（plain-20 与 ResNet-20 一样温和）；他们看到普通网络的曲面从 56 层起才变得混乱。",
        "similar_deep": "这里两个曲面看起来差不多，与 Li 等人在 56 层、充分训练后的发现不同（plain-56 混乱，ResNet-56 平滑）。",
        "rougher": "这里 ResNet 的曲面反而更崎岖，与 Li 等人的发现不同。",
        "slope": "{name} 的切片中心不在极小值处（经过 {moves} 次重新居中，最低的网格点仍偏离中心）：向外走有一部分是在沿坡下行，所以它的“下降”不是崎岖，比较没有结论。",
        "moved": "切片以损失最低处为中心，正如 Li 等人在极小值处切片：{moves}。",
        "moved_one": "{name} 从训练停止处移动了 ({a:.2f}, {b:.2f})",
        "untrained": "注意：{plain} 训练得较少（准确率 {acc:.0%}，ResNet 为 {res_acc:.0%}），所以它的切片位于曲面更高处。",
    },
}
#: a difference in the share of outward dips below this is within what two bowls of
#: different shape show on a coarse grid
DIP_MARGIN = 0.02
#: Li et al. (Fig. 5) saw the plain surface turn chaotic at this depth (benign at 20)
LI_CHAOTIC_DEPTH = 56


def _minima(n: int, t: dict[str, str]) -> str:
    return t["minima_1"] if n == 1 else t["minima_n"].format(n=n)


def _centred(surface: Any) -> bool:
    """The slice's centre is its lowest grid point (read from the numbers, so old files too)."""
    loss = np.asarray(surface.loss)
    i, j = np.unravel_index(int(np.argmin(loss)), loss.shape)
    return bool(i == int(np.argmin(np.abs(surface.betas))) and j == int(np.argmin(np.abs(surface.alphas))))


def landscape_verdict(result: Landscape, lang: str = "en") -> str:
    """Which surface is smoother, from how often the loss dips when walking outward from the
    centre of each slice and from the local minima on the grid, quoting Li et al. for the depth
    measured (benign at 20 layers, plain chaotic from 56). A slice whose centre is not its
    lowest point is on a slope: its dips are the slope's, and the verdict says so instead."""
    t = TEXT[check_lang(lang)]
    plain, res = result.surface("plain"), result.surface("residual")
    pd, rd = plain.outward_dips, res.outward_dips
    pm, rm = plain.local_minima, res.local_minima
    deep = "deep" if result.depth >= LI_CHAOTIC_DEPTH else "shallow"
    if rd < pd - DIP_MARGIN or (rm < pm and rd <= pd):
        judgement = t[f"smoother_{deep}"]
    elif rd > pd + DIP_MARGIN or (rm > pm and rd >= pd):
        judgement = t["rougher"]
    else:
        judgement = t[f"similar_{deep}"]
    # one basin whose bottom is off-centre: the slice sits on its slope, and walking outward
    # walks downhill on one side, so dips there are the slope's, not roughness (a rough surface
    # has several minima, and its lowest may be anywhere)
    off = [s for s in (plain, res) if not _centred(s) and s.local_minima <= 1]
    if off:
        judgement = "".join(t["slope"].format(name=s.name, moves=getattr(s, "recentred", 0)) for s in off).strip()
    text = t["verdict"].format(
        plain=plain.name,
        res=res.name,
        plain_dips=pd,
        res_dips=rd,
        plain_min=_minima(pm, t),
        res_min=_minima(rm, t),
        judgement=judgement,
    )
    moved = [s for s in (plain, res) if getattr(s, "recentred", 0) and _centred(s)]
    if moved:
        sep = "；" if lang == "zh" else "; "
        text += t["moved"].format(moves=sep.join(
            t["moved_one"].format(name=s.name, a=s.shift[0], b=s.shift[1]) for s in moved))
    # "trained less": 0.3 below the ResNet's accuracy is a stall, not noise between two runs
    if plain.train_accuracy < res.train_accuracy - 0.3:
        text += t["untrained"].format(plain=plain.name, acc=plain.train_accuracy, res_acc=res.train_accuracy)
    return text


def landscape_figure(
    result: Landscape | None, *, lang: str = "en", source: dict[str, Any] | None = None
) -> go.Figure:
    """Contours of log10 loss for plain-N and ResNet-N side by side, on one colour scale.

    Args:
        result: a :class:`resnet_core.lab.landscape.Landscape`; None gives an empty figure.
        lang: "en" or "zh".
        source: for a saved landscape, its ``meta`` (device name, date); the title says so.
    """
    t = TEXT[check_lang(lang)]
    if result is None:
        return message_figure(t["missing"].format(path="assets/curves/landscape.json"), height=420)
    logs = [np.log10(np.maximum(s.loss, 1e-6)) for s in result.surfaces]
    lo, hi = min(float(z.min()) for z in logs), max(float(z.max()) for z in logs)
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=[
            t["panel"].format(name=s.name, loss=s.center_loss, acc=s.train_accuracy) for s in result.surfaces
        ],
    )
    for i, (s, z) in enumerate(zip(result.surfaces, logs), start=1):
        fig.add_trace(
            go.Contour(
                x=s.alphas,
                y=s.betas,
                z=z,
                zmin=lo,
                zmax=hi,
                colorscale="Viridis",
                ncontours=25,
                customdata=s.loss,
                hovertemplate=t["hover"] + "<extra>" + s.name + "</extra>",
                showscale=i == 2,
                colorbar={"title": {"text": t["colorbar"]}},
            ),
            row=1,
            col=i,
        )
        fig.add_trace(
            go.Scatter(
                x=[0],
                y=[0],
                mode="markers",
                marker={"symbol": "x", "color": "white", "size": 9},
                showlegend=False,
                hoverinfo="skip",
            ),
            row=1,
            col=i,
        )
        fig.update_xaxes(title=t["a"], row=1, col=i)
        fig.update_yaxes(title=t["b"], scaleanchor=f"x{i if i > 1 else ''}", row=1, col=i)
    if source:
        where = t["saved"].format(
            where=machine_words(str(source.get("device_name", "?")), lang),
            date=str(source.get("date", ""))[:10],
            seconds=result.seconds,
        )
    else:
        where = t["live"].format(device=result.device, seconds=result.seconds)
    title = t["title"].format(depth=result.depth, steps=result.train_steps, grid=result.grid) + "<br>" + where
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        height=480,
        title={"text": title, "x": 0.01, "font": {"size": 12}},
        margin={"l": 10, "r": 20, "t": 90, "b": 10},
    )
    return fig
