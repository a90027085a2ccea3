"""The architecture as a graph: networkx for the structure, plotly for the picture.

Two levels of detail:

* ``"block"``: input, stem, every residual block (or a whole stage folded into one node),
  and the head ops (avgpool, fc). Each edge into a block carries that block's shortcut kind,
  because the shortcut and the residual branch span the same two nodes there: from the
  block's input to its output, ``y = F(x) + x`` (He et al., https://arxiv.org/abs/1512.03385,
  Fig. 2).
* ``"layer"``: every conv, bn, relu, add, shortcut conv/bn/pad, pool and fc, with the branch
  and the shortcut as separate paths that merge at the ``add`` node. Node names are the
  dotted module names, so they match torchvision's ``named_modules()``.

The figure is laid out by hand: x by execution order, one horizontal lane per stage, the
shortcut paths below the main path. Nodes and edges are grouped into a handful of traces so
that even ResNet-152 stays a small, fast figure.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

import networkx as nx
import plotly.graph_objects as go

from ._format import FONT, TEMPLATE, format_shape, human_count, human_macs, stage_color
from .locales import check_lang, section

if TYPE_CHECKING:  # viz reads the dataclasses; importing resnet_core would import torch
    from resnet_core.shapes import Architecture, BlockInfo, LayerInfo, StageInfo

Pos = dict[str, tuple[float, float]]  # node name -> (x, y) in lane units

#: the two levels of :func:`block_graph`
LEVELS: tuple[str, ...] = ("block", "layer")

#: stages with more blocks than this are folded by default (ResNet-101/152/200's layer3)
FOLD_ABOVE = 8

#: above this many nodes the node labels are left out (they would overlap)
_MAX_LABELLED = 100

#: vertical offset of the shortcut path below the main path, in lane units
_SHORTCUT_DROP = 0.35

_SHORTCUT_STYLE: dict[str, dict] = {
    "identity": {"color": "#9e9e9e", "width": 1.2, "dash": "solid"},
    "projection": {"color": "#ff7f0e", "width": 2.0, "dash": "dash"},
    "pad": {"color": "#8c564b", "width": 1.6, "dash": "dot"},
}

_KIND_COLOR = {
    "input": "#7f7f7f", "conv": "#1f77b4", "bn": "#2ca02c", "relu": "#bcbd22", "add": "#202020",
    "maxpool": "#9467bd", "avgpool": "#9467bd", "fc": "#d62728", "pad": "#8c564b",
}
_KIND_SYMBOL = {
    "input": "circle", "stem": "square", "block": "circle", "stage": "square", "conv": "square",
    "bn": "diamond", "relu": "triangle-right", "add": "circle-cross", "maxpool": "hexagon",
    "avgpool": "hexagon", "fc": "star", "pad": "x",
}


def _kind_word(kind: str, lang: str) -> str:
    return section("graph", lang).get(f"kind_{kind}", kind)


def graph_verdict(arch: Architecture, *, lang: str = "en") -> str:
    """One sentence on the shortcuts of ``arch``, counted from its blocks, in ``lang``."""
    t = section("graph", lang)
    kinds = [b.shortcut for b in arch.blocks]
    fields = {"name": arch.name, "n": len(kinds), "stages": len(arch.stages)}
    if all(k == "none" for k in kinds):
        return t["verdict_plain"].format(**fields)
    parts = [
        t[f"verdict_{kind}"].format(k=k, s="" if k == 1 else "s", s_verb="s" if k == 1 else "")
        for kind in ("projection", "pad", "identity")
        if (k := kinds.count(kind))
    ]
    return t["verdict"].format(**fields, parts=t["verdict_sep"].join(parts))


def default_folded(arch: Architecture, *, max_blocks: int = FOLD_ABOVE) -> tuple[str, ...]:
    """Stages to fold so the graph stays readable: those with more than ``max_blocks`` blocks."""
    return tuple(s.name for s in arch.stages if len(s.blocks) > max_blocks)


def layer_focus(arch: Architecture, selected: str | None = None) -> str | None:
    """What the layer level draws: the whole network while its labels fit (a small network),
    else one stage, that of ``selected`` (a block or stage name) or the first: ResNet-50 at
    layer level is ~160 nodes, too many to label or tell apart."""
    if len(block_graph(arch, folded=(), level="layer")) <= _MAX_LABELLED:
        return None
    stages = [s.name for s in arch.stages]
    stage = (selected or "").split(".")[0]
    return stage if stage in stages else stages[0]


def _focus_names(arch: Architecture) -> list[str]:
    return ["stem", "head"] + [s.name for s in arch.stages] + [b.name for b in arch.blocks]


def _check(arch: Architecture, folded: Collection[str], level: str, focus: str | None) -> None:
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    stages = [s.name for s in arch.stages]
    unknown = [f for f in folded if f not in stages]
    if unknown:
        raise ValueError(f"cannot fold {unknown}: {arch.name} has the stages {', '.join(stages)}")
    if focus is not None and focus not in _focus_names(arch):
        raise ValueError(
            f"cannot focus on {focus!r}: give 'stem', 'head', a stage ({', '.join(stages)}) "
            f"or a block such as {arch.blocks[0].name!r}"
        )


def _op_text(op: LayerInfo) -> str:
    """``"3x3/2, 128" -> "3×3/2, 128"``; stride 1 is left out."""
    return op.detail.replace("x", "×").replace("/1,", ",")


def _shortcut_detail(b: BlockInfo, lang: str = "en") -> str:
    t = section("graph", lang)
    if b.shortcut == "projection":
        ops = [_op_text(op) if op.kind == "conv" else op.kind.upper() for op in b.layers if op.path == "shortcut"]
        return t["shortcut_projection"].format(ops=" + ".join(ops))
    return t[f"shortcut_{b.shortcut}"]


def _block_detail(b: BlockInfo, lang: str) -> str:
    convs = " → ".join(_op_text(op) for op in b.layers if op.kind == "conv" and op.path == "branch")
    return section("graph", lang)["block_detail"].format(
        kind=section("graph", lang)[b.block_type], convs=convs, stride=b.stride, shortcut=_shortcut_detail(b, lang)
    )


def _stem_detail(arch: Architecture, lang: str) -> str:
    words = {"conv": "conv", "bn": "BN", "relu": "ReLU", "maxpool": section("graph", lang)["max_pool"]}
    return " → ".join(f"{words.get(op.kind, op.kind)} {_op_text(op)}".strip() for op in arch.stem)


def _stage_detail(s: StageInfo, lang: str) -> str:
    t = section("graph", lang)
    kinds = [b.shortcut for b in s.blocks]
    parts = [
        t["stage_part"].format(n=kinds.count(k), kind=t[k]) for k in ("projection", "pad", "identity", "none")
        if kinds.count(k)
    ]
    sep = "，" if lang == "zh" else ", "
    return t["stage_detail"].format(n=len(s.blocks), kind=t[s.blocks[0].block_type], parts=sep.join(parts))


class _Builder:
    """Adds nodes left to right, one lane per stage, and remembers the x of each."""

    def __init__(self, arch: Architecture, level: str, lang: str) -> None:
        self.g = nx.DiGraph(name=arch.name, level=level, input_size=arch.input_size)
        self.x = 0.0
        self.lang = lang

    def node(self, name: str, *, lane: int, x: float | None = None, drop: float = 0.0, **attrs) -> str:
        if x is None:
            self.x += 1.0
            x = self.x
        attrs.setdefault("block", None)
        attrs.setdefault("path", "main")
        attrs.setdefault("adds", 0)
        self.g.add_node(name, name=name, lane=lane, pos=(round(x, 3), round(-lane - drop, 3)), **attrs)
        return name

    def op(self, op: LayerInfo, *, stage: str, lane: int, x: float | None = None, drop: float = 0.0) -> str:
        return self.node(
            op.name, lane=lane, x=x, drop=drop, kind=op.kind, stage=stage, block=op.block, path=op.path,
            out_shape=op.out_shape, params=op.params, macs=op.macs, adds=op.adds,
            # the pool's and the pad's details are English words: shown as the kind, in ``lang``
            detail=_kind_word(op.kind, self.lang) if op.kind in ("avgpool", "pad") else _op_text(op) or _kind_word(op.kind, self.lang),
        )

    def edge(
        self, u: str, v: str, *, shortcut: str | None = None, path: str = "main", block: str | None = None
    ) -> None:
        self.g.add_edge(u, v, shortcut=shortcut, path=path, block=block if shortcut else None)

    def folded_stage(self, s: StageInfo, lane: int) -> str:
        name = self.node(
            s.name, lane=lane, kind="stage", stage=s.name, out_shape=s.out_shape, params=s.params,
            macs=s.macs, adds=s.adds, detail=_stage_detail(s, self.lang), num_blocks=len(s.blocks),
        )
        self.x += 1.0  # room on the right for the node's label, clear of the edges
        return name

    def block_ops(self, b: BlockInfo, src: str, lane: int) -> str:
        """Lay out one block's ops; returns the node that feeds the next block."""
        branch = [op for op in b.layers if op.path == "branch"]
        short = [op for op in b.layers if op.path == "shortcut"]
        tail = [op for op in b.layers if op.path == "main"]  # add (if any), then relu (if any)
        prev = src
        for op in branch:
            self.edge(prev, self.op(op, stage=b.stage, lane=lane), path="branch")
            prev = op.name
        add = next((op for op in tail if op.kind == "add"), None)
        if add is not None:
            add_x = self.x + 1.0
            # the block declares where a projection reads: its input, or (pre-activation,
            # Identity Mappings Fig. 4e) the branch's first ReLU
            sc_src = b.shortcut_input if b.shortcut_input and short else src
            sx = self.g.nodes[sc_src]["pos"][0]
            sprev = sc_src
            for i, op in enumerate(short):
                x = sx + (add_x - sx) * (i + 1) / (len(short) + 1)
                self.op(op, stage=b.stage, lane=lane, x=x, drop=_SHORTCUT_DROP)
                self.edge(sprev, op.name, shortcut=b.shortcut, path="shortcut")
                sprev = op.name
            self.op(add, stage=b.stage, lane=lane)
            self.edge(prev, add.name, path="branch")
            self.edge(sprev, add.name, shortcut=b.shortcut, path="shortcut")
            prev = add.name
        for op in tail:
            if op.kind != "add":
                self.edge(prev, self.op(op, stage=b.stage, lane=lane))
                prev = op.name
        return prev


def _build(arch: Architecture, folded: Collection[str], level: str, lang: str) -> nx.DiGraph:
    bld = _Builder(arch, level, lang)
    h, w = arch.input_size
    prev = bld.node(
        "input", lane=0, x=0.0, kind="input", stage="input", out_shape=(3, h, w), params=0, macs=0,
        detail=section("graph", lang)["input_detail"].format(h=h, w=w),
    )
    if level == "block":
        stem = bld.node(
            "stem", lane=0, kind="stem", stage="stem", out_shape=arch.stem[-1].out_shape,
            params=sum(op.params for op in arch.stem), macs=sum(op.macs for op in arch.stem),
            detail=_stem_detail(arch, lang),
        )
        bld.edge(prev, stem)
        prev = stem
    else:
        for op in arch.stem:
            bld.edge(prev, bld.op(op, stage="stem", lane=0))
            prev = op.name
    for lane, s in enumerate(arch.stages, start=1):
        if s.name in folded:
            # the first block's shortcut (a projection where the stage changes shape) spans
            # from the stage's input into the folded node: draw it as at an unfolded block
            first = s.blocks[0]
            kind = None if first.shortcut == "none" else first.shortcut
            bld.edge(prev, bld.folded_stage(s, lane), shortcut=kind, block=first.name)
            prev = s.name
            continue
        for b in s.blocks:
            if level == "block":
                bld.node(
                    b.name, lane=lane, kind="block", stage=s.name, block=b.name, out_shape=b.out_shape,
                    params=b.params, macs=b.macs, adds=b.adds, detail=_block_detail(b, lang), index=b.index,
                )
                kind = None if b.shortcut == "none" else b.shortcut
                bld.edge(prev, b.name, shortcut=kind, block=b.name)
                prev = b.name
            else:
                prev = bld.block_ops(b, prev, lane)
    head_lane = len(arch.stages) + 1
    for op in arch.head:
        bld.edge(prev, bld.op(op, stage="head", lane=head_lane))
        prev = op.name
    return bld.g


def _focus(g: nx.DiGraph, focus: str) -> nx.DiGraph:
    keep = {n for n, d in g.nodes(data=True) if focus in (d["stage"], d.get("block"), n)}
    # the node feeding the focused part stays, greyed, so the first shortcut has its source
    context = {u for v in keep for u in g.predecessors(v) if u not in keep}
    sub = g.subgraph(keep | context).copy()
    for n in context:
        sub.nodes[n]["context"] = True
    sub.graph["focus"] = focus
    return sub


def block_graph(
    arch: Architecture,
    *,
    folded: Collection[str] = (),
    level: str = "block",
    focus: str | None = None,
    lang: str = "en",
) -> nx.DiGraph:
    """The network as a directed graph.

    Args:
        arch: from ``resnet_core.describe(model, input_size)``.
        folded: stage names ("layer3") to draw as one node each.
        level: "block" or "layer" (see the module docstring).
        focus: keep only "stem", "head", one stage or one block, plus the node that feeds it
            (marked ``context=True``); a focused stage is never folded.
        lang: language of the nodes' ``detail`` text, "en" or "zh".

    Returns:
        A DiGraph whose nodes carry ``name, kind, stage, block, path, out_shape (C, H, W),
        params, macs, adds, detail, lane, pos (x, y)`` and whose edges carry ``shortcut``
        (None, "identity", "projection" or "pad") and ``path`` ("main", "branch", "shortcut").
        At block level the edge into a block carries the block's shortcut kind (into a folded
        stage, its first block's, named by the edge's ``block``); at layer level every edge of
        the shortcut path does.

    Raises:
        ValueError: unknown level, stage, focus or language.
    """
    check_lang(lang)
    _check(arch, folded, level, focus)
    if focus is not None:
        stage = focus.split(".")[0]
        folded = [f for f in folded if f != stage]
    g = _build(arch, frozenset(folded), level, lang)
    return _focus(g, focus) if focus is not None else g


def _arc(p: tuple[float, float], q: tuple[float, float], depth: float, n: int = 9) -> tuple[list, list]:
    """A quadratic Bézier from p to q: within a lane it bows ``depth`` below; from one lane
    down to the next it turns the corner (down, then right), clear of the straight main edge."""
    (x0, y0), (x1, y1) = p, q
    cx, cy = ((x0 + x1) / 2, y0 - 2 * depth) if y0 == y1 else (x0, y1)
    xs, ys = [], []
    for i in range(n):
        t = i / (n - 1)
        a, b, c = (1 - t) ** 2, 2 * t * (1 - t), t * t
        xs.append(round(a * x0 + b * cx + c * x1, 3))
        ys.append(round(a * y0 + b * cy + c * y1, 3))
    return xs, ys


def _hover(name: str, d: dict, lang: str) -> str:
    t = section("graph", lang)
    # "input" and "stem" are the graph's own names, not PyTorch's: they are shown in the page's language
    shown = t[f"label_{d['kind']}"] if name in ("input", "stem") and d["kind"] == name else name
    lines = [f"<b>{shown}</b> · {_kind_word(d['kind'], lang)}", d["detail"], t["output"].format(shape=format_shape(d["out_shape"]))]
    cost = t["params"].format(n=human_count(d["params"]))
    if d["macs"]:
        cost += f" · {human_macs(d['macs'])}"
    if d["adds"]:
        cost += " · " + t["adds"].format(n=human_count(d["adds"]))
    lines.append(cost)
    return "<br>".join(line for line in lines if line)


def _short(name: str, d: dict, level: str, lang: str) -> str:
    t = section("graph", lang)
    kind = d["kind"]
    if kind == "block":
        return str(d["index"])
    if kind == "stage":
        return t["folded_label"].format(n=d["num_blocks"])
    if level == "layer":
        if kind == "conv":
            return d["detail"].split("/")[0].split(",")[0]
        labels = {"maxpool": t["label_maxpool"], "avgpool": t["label_avg"], "fc": "fc", "input": t["label_input"]}
        return labels.get(kind, "")
    labels = {"bn": "BN", "relu": "ReLU", "input": t["label_input"], "stem": t["label_stem"], "avgpool": t["label_avgpool"]}
    return labels.get(kind, name)


def _text_position(d: dict) -> str:
    """Where a node's label goes: clear of its neighbours' labels and of the edges.

    A folded stage's label sits to its right, where no edge passes (edges enter from the
    upper left and leave downwards); the input and the average pool put theirs below, so that
    they never run into the stem's or the fc's when a deep network squeezes the nodes together.
    """
    if d["kind"] == "stage":
        return "middle right"
    if d["kind"] in ("input", "avgpool"):
        return "bottom center"
    return "top center"


def _selected_nodes(g: nx.DiGraph, selected: str | None) -> list[str]:
    if not selected:
        return []
    if selected in g:
        return [selected]
    inside = [n for n, d in g.nodes(data=True) if selected in (d["stage"], d.get("block")) and not d.get("context")]
    if inside:
        return inside
    parts = selected.split(".")
    for k in range(len(parts) - 1, 0, -1):  # a layer inside a block, a block inside a folded stage
        if ".".join(parts[:k]) in g:
            return [".".join(parts[:k])]
    return []


def _lines(segments: Iterable[tuple[list, list]]) -> tuple[list, list]:
    xs: list = []
    ys: list = []
    for sx, sy in segments:
        xs += [*sx, None]
        ys += [*sy, None]
    return xs, ys


def graph_figure(
    arch: Architecture,
    *,
    folded: Collection[str] | None = None,
    level: str = "block",
    selected: str | None = None,
    focus: str | None = None,
    lang: str = "en",
) -> go.Figure:
    """Draw :func:`block_graph` left to right, one lane per stage.

    Identity shortcuts are thin grey arcs; projection shortcuts dashed orange (with a diamond
    at block level that names the 1×1 conv); option-A padding shortcuts dotted brown. Hover
    shows name, type, output C×H×W, parameters and MACs. Every node trace carries the node
    name in ``customdata`` so the app can read plotly click events.

    Args:
        arch: from ``resnet_core.describe``.
        folded: stages drawn as one node; None folds :func:`default_folded` (stages over
            eight blocks), ``()`` folds nothing.
        level: "block" or "layer".
        selected: a node, block or stage name to ring in red; a layer inside a block or a
            block inside a folded stage rings its container; an unknown name rings nothing
            (a stale selection after changing depth must not break the page).
        focus: as in :func:`block_graph`; use it for the layer level of deep networks.
        lang: language of the title, legend, labels and hover text, "en" or "zh".

    Returns:
        A plotly figure of a few traces: main edges, one trace per shortcut kind, the
        projection markers, the nodes, and the selection.
    """
    if folded is None:
        folded = default_folded(arch)
    g = block_graph(arch, folded=folded, level=level, focus=focus, lang=lang)
    t = section("graph", lang)
    pos = {n: d["pos"] for n, d in g.nodes(data=True)}
    # traces are plain dicts and the figure is validated once: plotly's per-call validation
    # (add_trace, add_shape, update_layout) dominates the build time otherwise
    traces = _edge_traces(g, arch, pos, level, lang) + _node_traces(g, pos, level, selected, lang)
    shapes, annotations = _lane_bands(g, arch, pos, lang)
    h, w = arch.input_size
    title = t["title"].format(name=arch.name, h=h, w=w, params=human_count(arch.params), macs=human_macs(arch.macs))
    if focus:
        title += t["focus_hint"].format(focus=focus) if level == "layer" else f" · {focus}"
    ys = [p[1] for p in pos.values()]
    layout = {
        "template": TEMPLATE, "font": FONT, "title": {"text": title, "x": 0.01, "font": {"size": 14}},
        "height": int(140 + 95 * (max(ys) - min(ys) + 1)), "hovermode": "closest", "dragmode": "pan",
        "margin": {"l": 10, "r": 10, "t": 60, "b": 10}, "shapes": shapes, "annotations": annotations,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        "xaxis": {"visible": False}, "yaxis": {"visible": False, "range": [min(ys) - 0.6, max(ys) + 0.5]},
    }
    return go.Figure(data=traces, layout=layout)


def _edge_traces(g: nx.DiGraph, arch: Architecture, pos: Pos, level: str, lang: str) -> list[dict]:
    """Straight main edges; shortcuts as arcs (block level, identity) or along their nodes."""
    t = section("graph", lang)
    traces: list[dict] = []
    main, shortcuts = [], {k: [] for k in _SHORTCUT_STYLE}
    markers: dict[str, list] = {"x": [], "y": [], "name": [], "hover": []}
    for u, v, d in g.edges(data=True):
        kind = d["shortcut"]
        p, q = pos[u], pos[v]
        straight = ([p[0], q[0]], [p[1], q[1]])
        if kind is None:
            main.append(straight)
            continue
        if level == "block":
            main.append(straight)
        if level == "block" or kind == "identity":
            seg = _arc(p, q, depth=_SHORTCUT_DROP / 2 if level == "layer" else 0.22)
        else:
            seg = straight
        shortcuts[kind].append(seg)
        if level == "block" and kind != "identity":
            mid = len(seg[0]) // 2
            markers["x"].append(seg[0][mid])
            markers["y"].append(seg[1][mid])
            block = d.get("block") or v
            markers["name"].append(v)
            markers["hover"].append(f"<b>{block}</b><br>{_shortcut_detail(arch.block(block), lang)}")
    xs, ys = _lines(main)
    traces.append({"type": "scatter", "x": xs, "y": ys, "mode": "lines", "name": "edges",
                   "line": {"color": "#444", "width": 1.4}, "hoverinfo": "skip", "showlegend": False})
    for kind, segs in shortcuts.items():
        if segs:
            xs, ys = _lines(segs)
            traces.append({"type": "scatter", "x": xs, "y": ys, "mode": "lines", "line": _SHORTCUT_STYLE[kind],
                           "hoverinfo": "skip", "name": t[f"legend_{kind}"], "showlegend": True})
    if markers["x"]:
        traces.append({
            "type": "scatter", "x": markers["x"], "y": markers["y"], "mode": "markers",
            "name": t["shortcut_convs"], "showlegend": False,
            "marker": {"symbol": "diamond", "size": 9, "color": "#ff7f0e", "line": {"color": "white", "width": 1}},
            "customdata": markers["name"], "hovertext": markers["hover"], "hoverinfo": "text",
        })
    return traces


def _node_traces(g: nx.DiGraph, pos: Pos, level: str, selected: str | None, lang: str) -> list[dict]:
    """One trace of every node (per-point colour, symbol and size), and the selection ring."""
    traces: list[dict] = []
    names = list(g.nodes)
    data = [g.nodes[n] for n in names]
    block_level = level == "block"
    colors = [
        "#c8c8c8" if d.get("context")
        else stage_color(d["stage"]) if block_level else _KIND_COLOR.get(d["kind"], "#7f7f7f")
        for d in data
    ]
    sizes = [
        (28 if d["kind"] == "stage" else 18 if d["kind"] in ("stem", "fc", "avgpool") else 14)
        if block_level else (11 if d["kind"] in ("conv", "add", "stage") else 8)
        for d in data
    ]
    traces.append({
        "type": "scatter", "x": [pos[n][0] for n in names], "y": [pos[n][1] for n in names],
        "mode": "markers+text", "name": "nodes", "showlegend": False,
        # labels only where they fit: a whole network at layer level is for zooming into
        "text": [_short(n, d, level, lang) if len(names) <= _MAX_LABELLED else "" for n, d in zip(names, data)],
        "textposition": [_text_position(d) for d in data],
        "textfont": {"size": 10},
        "marker": {
            "color": colors, "size": sizes, "symbol": [_KIND_SYMBOL.get(d["kind"], "circle") for d in data],
            "line": {"color": "white", "width": 1},
        },
        "customdata": names, "hovertext": [_hover(n, d, lang) for n, d in zip(names, data)], "hoverinfo": "text",
    })
    chosen = _selected_nodes(g, selected)
    if chosen:
        traces.append({
            "type": "scatter", "x": [pos[n][0] for n in chosen], "y": [pos[n][1] for n in chosen],
            "mode": "markers", "name": "selected", "showlegend": False, "customdata": chosen, "hoverinfo": "skip",
            "marker": {"symbol": "circle-open", "size": [sizes[names.index(n)] + 12 for n in chosen],
                       "color": "#d62728", "line": {"width": 3}},
        })
    return traces


def _lane_bands(g: nx.DiGraph, arch: Architecture, pos: Pos, lang: str) -> tuple[list[dict], list[dict]]:
    """One band per lane, labelled with the stage, its output shape and its number of blocks."""
    t = section("graph", lang)
    lanes: dict[int, list[str]] = {}
    for n, d in g.nodes(data=True):
        if not d.get("context"):
            lanes.setdefault(d["lane"], []).append(n)
    stage_of_lane = {0: "stem", len(arch.stages) + 1: "head"}
    stage_of_lane.update({i: s.name for i, s in enumerate(arch.stages, start=1)})
    shapes, annotations = [], []
    for lane, members in sorted(lanes.items()):
        stage = stage_of_lane[lane]
        x0 = min(pos[n][0] for n in members) - 0.5
        # a folded stage's band also holds the label to its right
        x1 = max(pos[n][0] for n in members) + (1.5 if any(g.nodes[n]["kind"] == "stage" for n in members) else 0.5)
        shapes.append({"type": "rect", "x0": x0, "x1": x1, "y0": -lane - 0.48, "y1": -lane + 0.4,
                       "layer": "below", "line": {"width": 0}, "fillcolor": stage_color(stage), "opacity": 0.08})
        shape = format_shape(arch.output_shape(stage) if stage != "head" else arch.head[-1].out_shape)
        n_blocks = next((len(s.blocks) for s in arch.stages if s.name == stage), None)
        shown = t.get(f"stage_{stage}", stage)
        text = (t["lane_plain"] if n_blocks is None else t["lane"]).format(stage=shown, shape=shape, n=n_blocks)
        # a half-opaque white box keeps the words readable where an edge passes under them
        annotations.append({"x": x0, "y": -lane + 0.4, "text": text, "bgcolor": "rgba(255,255,255,0.75)",
                            "showarrow": False, "xanchor": "left", "yanchor": "top",
                            "font": {"size": 11, "color": stage_color(stage)}})
    return shapes, annotations
