"""The papers' own numbers, as reference tables labelled as theirs.

He et al., "Deep Residual Learning for Image Recognition" (https://arxiv.org/abs/1512.03385):
Table 6 (CIFAR-10 test error), Tables 2 and 3 (ImageNet validation error, 10-crop testing) and
Table 1 (FLOPs, multiply-adds). Copied from the paper; nothing here is measured by this project,
except the exact multiply-accumulate count the Architecture tab computes, shown beside Table 1's.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..locales import section

#: Table 6: CIFAR-10 test error (%) and parameters. ResNet-110 is "best of 5 runs" (mean 6.61 ± 0.16).
CIFAR_ERRORS: tuple[tuple[int, float, str], ...] = (
    (20, 8.75, "0.27M"),
    (32, 7.51, "0.46M"),
    (44, 7.17, "0.66M"),
    (56, 6.97, "0.85M"),
    (110, 6.43, "1.7M"),
    (1202, 7.93, "19.4M"),
)
#: Table 3: ImageNet validation error (%), 10-crop testing: (name, top-1, top-5); ResNet-34 with
#: option B shortcuts. Table 2 gives top-1 only for the 18-layer nets.
IMAGENET_ERRORS: tuple[tuple[str, float | None, float | None], ...] = (
    ("plain-18", 27.94, None),
    ("ResNet-18", 27.88, None),
    ("plain-34", 28.54, 10.02),
    ("ResNet-34 B", 24.52, 7.46),
    ("ResNet-50", 22.85, 6.71),
    ("ResNet-101", 21.75, 6.05),
    ("ResNet-152", 21.43, 5.71),
)
#: Table 1: FLOPs (multiply-adds) at 224x224, in units of 10^9.
TABLE1_GFLOPS: dict[int, float] = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}


def paper_numbers_markdown(lang: str = "en", *, macs: Mapping[int, int] | None = None) -> str:
    """The three reference tables as Markdown; ``macs`` (depth -> exact count) fills the last column."""
    t = section("lab.paper", lang)
    rows = [t["cifar_head"], "", t["cifar_cols"]]
    rows += [f"| ResNet-{d} | {p} | {e:.2f} % |" for d, e, p in CIFAR_ERRORS]
    rows += ["", t["cifar_note"], "", t["imagenet_head"], "", t["imagenet_cols"]]
    for name, top1, top5 in IMAGENET_ERRORS:
        cells = [f"{v:.2f} %" if v is not None else t["not_given"] for v in (top1, top5)]
        rows.append(f"| {name} | {cells[0]} | {cells[1]} |")
    rows += ["", t["flops_head"], "", t["flops_cols"]]
    for depth, g in TABLE1_GFLOPS.items():
        ours = f"{macs[depth] / 1e9:.3f} × 10⁹" if macs and depth in macs else "–"
        rows.append(f"| ResNet-{depth} | {g} × 10⁹ | {ours} |")
    return "\n".join(rows)


def paper_numbers_json(*, macs: Mapping[int, int] | None = None) -> dict:
    """The same numbers, JSON-ready, labelled as the paper's."""
    return {
        "source": "He et al. 2015, https://arxiv.org/abs/1512.03385 (their numbers)",
        "cifar10_test_error_percent": {f"ResNet-{d}": e for d, e, _ in CIFAR_ERRORS},
        "imagenet_val_error_percent_10crop": {n: {"top1": a, "top5": b} for n, a, b in IMAGENET_ERRORS},
        "table1_gflops": {f"ResNet-{d}": g for d, g in TABLE1_GFLOPS.items()},
        "counted_gmacs": {f"ResNet-{d}": round(m / 1e9, 4) for d, m in (macs or {}).items()},
    }


__all__ = ["CIFAR_ERRORS", "IMAGENET_ERRORS", "TABLE1_GFLOPS", "paper_numbers_json", "paper_numbers_markdown"]
