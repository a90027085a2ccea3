"""Compare depths: the table's rows and a verdict computed from them, in the page's language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._format import check_lang, human_count

if TYPE_CHECKING:  # the records only; viz never imports torch
    from resnet_core.compare import DepthComparison, DepthRow

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "cost": (
            "From ResNet-{shallow} to ResNet-{deep}, one forward pass took {time_ratio:.1f}× as long "
            "({fast:.0f} → {slow:.0f} ms) for {macs_ratio:.1f}× the multiply-adds and {params_ratio:.1f}× the parameters."
        ),
        "slower_than_macs": " On this device the time grew faster than the multiply-adds: arithmetic alone does not set it.",
        "faster_than_macs": " On this device the time grew slower than the multiply-adds: arithmetic alone does not set it.",
        "built": (
            " Building {built} of the models took {build_s:.1f} s, which is not in the times: each depth was built "
            "and run once before its forward pass was timed."
        ),
        "agree": (
            "{agree} of {n} depths put “{label}” first. One picture cannot show which depth is more accurate: "
            "He et al. (2016, Table 3) measured top-1 error falling from 34 to 152 layers over ImageNet's "
            "50,000 validation pictures."
        ),
        "random": "These weights are random, so the classes mean nothing here; only the cost columns do.",
        "random_short": "random weights",
    },
    "zh": {
        "cost": (
            "从 ResNet-{shallow} 到 ResNet-{deep}，一次前向传播的时间变为 {time_ratio:.1f} 倍"
            "（{fast:.0f} → {slow:.0f} 毫秒），乘加次数为 {macs_ratio:.1f} 倍，参数为 {params_ratio:.1f} 倍。"
        ),
        "slower_than_macs": "在这台设备上，时间比乘加次数增长得更快：计算量并不能单独决定时间。",
        "faster_than_macs": "在这台设备上，时间比乘加次数增长得更慢：计算量并不能单独决定时间。",
        "built": "构建其中 {built} 个模型用了 {build_s:.1f} 秒，不计入上面的时间：每个深度都先构建并运行一次，再计时。",
        "agree": (
            "{n} 个深度中有 {agree} 个把“{label}”排在第一。一张图片说明不了哪个深度更准确："
            "He 等人（2016，表 3）在 ImageNet 的 50,000 张验证图片上测得，从 34 层到 152 层 top-1 错误率逐步下降。"
        ),
        "random": "这些权重是随机的，所以这里的类别没有意义；只有开销几列有意义。",
        "random_short": "随机权重",
    },
}
#: time and arithmetic "grow alike" when their ratios differ by less than this factor; past
#: it, the verdict says which grew more (a busy 2-core CPU moves single timings by ~20%)
ALIKE = 1.5


def compare_row(row: DepthRow) -> list[str]:
    """One row of the table: model, top-5, forward ms, build s, parameters, GMACs, weights."""
    return [
        row.name, "; ".join(f"{p.label} {p.probability:.1%}" for p in row.predictions), f"{row.forward_ms:.0f}",
        f"{row.build_s:.1f}", human_count(row.params), f"{row.macs / 1e9:.2f}", row.source,
    ]


def compare_caption(row: DepthRow, lang: str = "en") -> str:
    """A short gallery caption (the gallery cuts long ones; the table has every class in full)."""
    random = "" if row.pretrained else f" ({TEXT[check_lang(lang)]['random_short']})"
    return f"{row.name}: {row.predictions[0].probability:.0%}{random}"


def compare_verdict(result: DepthComparison, lang: str = "en") -> str:
    """What the table shows, from its own numbers; empty before two depths are measured."""
    summary = result.summary()
    if summary is None:
        return ""
    words = TEXT[check_lang(lang)]
    rows = {r.depth: r for r in result.rows}
    text = words["cost"].format(
        shallow=summary.shallow, deep=summary.deep, time_ratio=summary.time_ratio, macs_ratio=summary.macs_ratio,
        params_ratio=summary.params_ratio, fast=rows[summary.shallow].forward_ms, slow=rows[summary.deep].forward_ms,
    )
    if summary.time_ratio > summary.macs_ratio * ALIKE:
        text += words["slower_than_macs"]
    elif summary.time_ratio * ALIKE < summary.macs_ratio:
        text += words["faster_than_macs"]
    if summary.built:
        text += words["built"].format(built=summary.built, build_s=summary.build_s)
    if summary.pretrained:
        text += "\n\n" + words["agree"].format(agree=summary.agree, n=len(result.rows), label=summary.top_label)
    else:
        text += "\n\n" + words["random"]
    return text


__all__ = ["ALIKE", "TEXT", "compare_caption", "compare_row", "compare_verdict"]
