"""What a shortcut ablation measured on one picture, in words computed from its predictions.

Veit et al., "Residual Networks Behave Like Ensembles of Relatively Shallow Networks"
(https://arxiv.org/abs/1605.06431), Fig. 3: deleting one block of a *trained* ResNet barely
changes its error, while a plain network collapses. One picture cannot show an error rate, so
the verdict says only what happened to this picture's top classes; with random weights it
says that the change means nothing, whatever its size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..locales import section

#: the top class keeping at least this share of its probability counts as "barely changed"
KEPT = 0.8


class _Prediction(Protocol):
    index: int
    label: str
    probability: float


def ablation_verdict(
    before: Sequence[_Prediction], after: Sequence[_Prediction], *, block: str, mode: str,
    pretrained: bool, after_probability: float | None = None, lang: str = "en",
) -> str:
    """What the ablation changed on this picture: the top class, its probability, the top-k overlap.

    Args:
        before: the intact model's top-k, most probable first.
        after: the ablated model's top-k.
        block: the ablated block ("layer3.1").
        mode: "branch" or "shortcut".
        pretrained: whether the weights are trained; False says the change means nothing.
        after_probability: the old top class's probability after the ablation, when it fell
            out of ``after`` (else read from ``after``; "below the top k" when unknown).
        lang: "en" or "zh".
    """
    tx = section("lab.ablation", lang)
    if not before or not after:
        return tx["empty"]
    top, new = before[0], after[0]
    still = {p.index: p.probability for p in after}
    k = min(len(before), len(after))
    p1 = still.get(top.index, after_probability)
    now = tx["out"].format(k=k) if p1 is None else f"{p1:.0%}"
    overlap = len({p.index for p in before[:k]} & {p.index for p in after[:k]})
    lead = tx["shortcut" if mode == "shortcut" else "branch"].format(block=block)
    if new.index == top.index:
        text = lead + tx["same"].format(label=top.label, p0=top.probability, p1=p1, overlap=overlap, k=k)
    else:
        text = lead + tx["moved"].format(label=top.label, p0=top.probability, new=new.label, p2=new.probability,
                                         now=now, overlap=overlap, k=k)
    if not pretrained:
        return text + tx["random"].format(block=block)
    barely = new.index == top.index and (p1 or 0.0) >= KEPT * top.probability
    if not barely:
        return text + tx["clearly"]
    # Veit et al. measured deleting a block (its branch), not cutting a shortcut
    return text + tx["barely_branch" if mode == "branch" else "barely"]


__all__ = ["KEPT", "ablation_verdict"]
