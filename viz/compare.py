"""Compare depths: the table's rows and a verdict computed from them, in the page's language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._format import human_count
from .locales import section

if TYPE_CHECKING:  # the records only; viz never imports torch
    from resnet_core.compare import DepthComparison, DepthRow

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
    random = "" if row.pretrained else f" ({section('compare', lang)['random_short']})"
    return f"{row.name}: {row.predictions[0].probability:.0%}{random}"


def compare_verdict(result: DepthComparison, lang: str = "en") -> str:
    """What the table shows, from its own numbers; empty before two depths are measured."""
    summary = result.summary()
    if summary is None:
        return ""
    words = section("compare", lang)
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


__all__ = ["ALIKE", "compare_caption", "compare_row", "compare_verdict"]
