"""viz: figures and images a user sees, checked against torchvision where it can be a reference."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
import torchvision
from PIL import Image
from plotly.subplots import make_subplots
from torch import nn
from torchvision.models.resnet import BasicBlock as TvBasic
from torchvision.models.resnet import Bottleneck as TvBottleneck

import viz
from resnet_core import build_resnet, describe
from resnet_core.results import Activation, CamMap, CamTimeline, Prediction
from resnet_core.shapes import Architecture
from viz import _draw
from viz._format import TEMPLATE

DEPTHS = (18, 34, 50, 101, 152)


@cache
def arch(depth: int, size: int | tuple[int, int] = 224) -> Architecture:
    # shapes and counts need no weights: build on the meta device, in milliseconds
    with torch.device("meta"):
        return describe(build_resnet(depth), size)


@cache
def tv_model(depth: int) -> nn.Module:
    with torch.device("meta"):
        return getattr(torchvision.models, f"resnet{depth}")()


def tv_blocks(depth: int) -> list[nn.Module]:
    return [m for m in tv_model(depth).modules() if isinstance(m, (TvBasic, TvBottleneck))]


def node_trace(fig):
    return next(t for t in fig.data if t.name == "nodes")


# --- architecture graph -------------------------------------------------------------------


@pytest.mark.parametrize("depth", DEPTHS)
def test_block_graph_has_input_stem_every_block_and_head(depth: int) -> None:
    head = [m for m in tv_model(depth).modules() if isinstance(m, (nn.AdaptiveAvgPool2d, nn.Linear))]
    g = viz.block_graph(arch(depth), folded=())
    assert len(g) == 1 + 1 + len(tv_blocks(depth)) + len(head)


@pytest.mark.parametrize("depth", DEPTHS)
def test_projection_shortcuts_are_the_blocks_with_a_downsample(depth: int) -> None:
    blocks = tv_blocks(depth)
    projections = sum(b.downsample is not None for b in blocks)
    for level in viz.LEVELS:
        g = viz.block_graph(arch(depth), folded=(), level=level)
        # one shortcut edge enters each add (layer level) or each block (block level)
        target_kind = "add" if level == "layer" else "block"
        kinds = [d["shortcut"] for u, v, d in g.edges(data=True) if d["shortcut"] and g.nodes[v]["kind"] == target_kind]
        assert kinds.count("projection") == projections, level
        assert kinds.count("identity") == len(blocks) - projections, level


def test_folded_stage_is_one_node() -> None:
    a = arch(152)
    assert viz.default_folded(a) == ("layer3",)
    assert viz.default_folded(arch(50)) == ()
    full = viz.block_graph(a, folded=())
    g = viz.block_graph(a, folded=("layer3",))
    assert len(g) == len(full) - 36 + 1
    assert g.nodes["layer3"]["kind"] == "stage"
    assert not any(n.startswith("layer3.") for n in g)
    assert "×36 blocks" in node_trace(viz.graph_figure(a)).text


def test_folded_stage_receives_its_first_blocks_projection_shortcut() -> None:
    # torchvision's layer3[0] has a downsample: the folded layer3 must show that shortcut entering
    has_proj = tv_model(152).layer3[0].downsample is not None
    g = viz.block_graph(arch(152), folded=("layer3",))
    (edge,) = [d for u, v, d in g.edges(data=True) if v == "layer3"]
    assert (edge["shortcut"] == "projection") == has_proj and edge["block"] == "layer3.0"
    fig = viz.graph_figure(arch(152))
    marks = next(t for t in fig.data if t.name == "shortcut convs")
    assert "layer3" in marks.customdata
    assert any("layer3.0" in h for h in marks.hovertext)


def test_neighbouring_labels_sit_on_opposite_sides() -> None:
    # unfolded ResNet-152 squeezes the nodes: input/stem and avgpool/fc labels overlapped
    for folded in (None, ()):
        nodes = node_trace(viz.graph_figure(arch(152), folded=folded))
        where = dict(zip(nodes.customdata, nodes.textposition))
        assert where["input"].split()[0] != where["stem"].split()[0]
        assert where["avgpool"].split()[0] != where["fc"].split()[0]
    nodes = node_trace(viz.graph_figure(arch(152)))
    # the folded stage's label is beside it, not under it where the outgoing edge runs
    assert dict(zip(nodes.customdata, nodes.textposition))["layer3"] == "middle right"


def test_layer_graph_has_every_torchvision_conv_and_bn() -> None:
    g = viz.block_graph(arch(50), folded=(), level="layer")
    named = dict(tv_model(50).named_modules())
    for kind, cls in (("conv", nn.Conv2d), ("bn", nn.BatchNorm2d)):
        ours = {n for n, d in g.nodes(data=True) if d["kind"] == kind}
        assert ours == {n for n, m in named.items() if isinstance(m, cls)}, kind
    # one path in, one out; every add joins exactly a branch and a shortcut
    assert [n for n in g if g.in_degree(n) == 0] == ["input"]
    assert [n for n in g if g.out_degree(n) == 0] == ["fc"]
    for n, d in g.nodes(data=True):
        if d["kind"] == "add":
            assert sorted(g.edges[u, n]["path"] for u in g.predecessors(n)) == ["branch", "shortcut"]


def test_layer_level_focus_keeps_one_block_and_its_input() -> None:
    g = viz.block_graph(arch(50), level="layer", focus="layer2.0")
    convs = {n for n, m in tv_model(50).named_modules() if isinstance(m, nn.Conv2d) and n.startswith("layer2.0.")}
    assert convs <= set(g)
    assert all(d.get("block") == "layer2.0" or d.get("context") for _, d in g.nodes(data=True))
    with pytest.raises(ValueError, match="stem"):
        viz.block_graph(arch(50), focus="layer9")


def test_bad_level_and_fold_are_refused() -> None:
    with pytest.raises(ValueError, match="block, layer"):
        viz.graph_figure(arch(18), level="module")
    with pytest.raises(ValueError, match="layer1"):
        viz.block_graph(arch(18), folded=("layer7",))


def test_hover_shows_shape_params_and_macs() -> None:
    fig = viz.graph_figure(arch(50))
    nodes = node_trace(fig)
    hover = dict(zip(nodes.customdata, nodes.hovertext))
    block = tv_model(50).layer2[1]
    params = sum(p.numel() for p in block.parameters())
    text = hover["layer2.1"]
    assert "512×28×28" in text
    assert f"{params / 1e3:.1f}K params" in text
    assert "GMACs" in text
    assert "7×7/2, 64" in hover["stem"] and "64×56×56" in hover["stem"]


def test_selection_is_ringed_and_follows_folding() -> None:
    def ring(fig):
        return [list(t.customdata) for t in fig.data if t.name == "selected"]

    assert ring(viz.graph_figure(arch(50), selected="layer2.1")) == [["layer2.1"]]
    assert ring(viz.graph_figure(arch(50), selected="layer2.1.conv2")) == [["layer2.1"]]
    assert ring(viz.graph_figure(arch(152), selected="layer3.20")) == [["layer3"]]
    assert ring(viz.graph_figure(arch(50), selected="layer3.30")) == []  # stale: ResNet-152's block
    layer = ring(viz.graph_figure(arch(50), level="layer", focus="layer2", selected="layer2.0"))
    assert "layer2.0.conv2" in layer[0] and "layer2.0.add" in layer[0]


def test_identity_and_projection_shortcuts_look_different() -> None:
    lines = {t.name: t.line for t in viz.graph_figure(arch(50)).data if "shortcut" in (t.name or "")}
    ident = next(v for k, v in lines.items() if k.startswith("identity"))
    proj = next(v for k, v in lines.items() if k.startswith("projection"))
    assert (ident.color, ident.dash) != (proj.color, proj.dash)


def test_resnet152_figure_is_small() -> None:
    # its build time is a benchmark's business (scripts/bench_e2e.py, docs/performance.md)
    a = arch(152)
    for folded in (None, ()):
        fig = viz.graph_figure(a, folded=folded, selected="layer2.3")
        assert len(fig.to_json()) < 300_000
        assert len(fig.data) <= 8


def test_layer_level_of_resnet50_works() -> None:
    fig = viz.graph_figure(arch(50), level="layer", folded=())
    assert len(node_trace(fig).x) > 170
    assert len(fig.to_json()) < 300_000
    json.loads(fig.to_json())  # serialisable for gr.Plot


# --- shape table --------------------------------------------------------------------------


def rows_by_stage(rows: list[list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in rows:
        key = row[0]
        if key in ("stem", "head"):
            key = row[1].split()[0]  # "conv", "max-pool", "global", "fully"
        out[key] = row
    return out


def test_shape_table_at_224_reads_like_table1() -> None:
    rows = viz.shape_table(arch(50))
    assert all(len(r) == len(viz.SHAPE_TABLE_HEADERS) for r in rows)
    by = rows_by_stage(rows)
    sides = [by[k][3].split("×")[1] for k in ("conv", "max-pool", "layer1", "layer2", "layer3", "layer4")]
    assert sides == ["112", "56", "56", "28", "14", "7"]
    assert "⌊(224 + 2·3 − 7)/2⌋ + 1 = 112" in by["conv"][2]
    assert "⌊(112 + 2·1 − 3)/2⌋ + 1 = 56" in by["max-pool"][2]
    assert by["global"][3] == "2048×1×1"
    md = viz.shape_table_markdown(arch(50))
    assert "| stage |" in md and "⌊(224 + 2·3 − 7)/2⌋ + 1 = 112" in md


def test_shape_table_cells_never_break_inside_a_word() -> None:
    # the page squeezed columns and broke "laye r1", "64×112×11 2": every cell's text now sits
    # in white-space:nowrap spans, and only the arithmetic may wrap, between its formulas
    md = viz.shape_table_markdown(arch(18, (200, 300)), lang="zh", nowrap=True)
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(viz.shape_table(arch(18, (200, 300))))
    span = re.compile(r'<span style="white-space:nowrap">([^<]*)</span>')
    for line in table:
        for cell in line.strip("| ").split(" | "):
            assert span.sub("", cell).replace(";", "").strip() == "", cell
    assert "64×100×150" in span.findall(md)


@cache
def tv_resnet18() -> nn.Module:
    return torchvision.models.resnet18().eval()


@pytest.mark.parametrize("size", [225, (225, 300), (97, 161)])
def test_shape_table_matches_a_torchvision_forward(size: int | tuple[int, int]) -> None:
    model = tv_resnet18()
    names = ("conv1", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool")
    seen: dict[str, tuple[int, ...]] = {}
    handles = [
        getattr(model, n).register_forward_hook(lambda m, i, o, n=n: seen.__setitem__(n, tuple(o.shape[1:])))
        for n in names
    ]
    h, w = (size, size) if isinstance(size, int) else size
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one small forward; extra threads only contend on a busy CI box
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, h, w))
    finally:
        torch.set_num_threads(threads)
        for handle in handles:
            handle.remove()
    by = rows_by_stage(viz.shape_table(arch(18, size)))
    ours = dict(zip(names, (by[k][3] for k in ("conv", "max-pool", "layer1", "layer2", "layer3", "layer4", "global"))))
    assert ours == {n: viz.format_shape(s) for n, s in seen.items()}
    if h != w:
        assert by["conv"][2].startswith("H: ") and "W: " in by["conv"][2]


def test_cost_figure_adds_up_to_torchvision() -> None:
    fig = viz.cost_figure(arch(50))
    params, macs = fig.data
    assert list(params.x) == ["stem", "layer1", "layer2", "layer3", "layer4", "head"]
    assert sum(params.y) == sum(p.numel() for p in tv_model(50).parameters())
    ops = torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta["_ops"]  # GMACs ("GFLOPS" there)
    assert sum(macs.y) / 1e9 == pytest.approx(ops, abs=1e-3)


# --- colour maps and Grad-CAM -------------------------------------------------------------


def luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float64) @ np.array([0.2126, 0.7152, 0.0722])


def test_colormap_endpoints_and_monotone_luminance() -> None:
    ramp = np.linspace(0, 1, 256)[None, :]
    viridis = viz.colormap(ramp, "viridis")[0]
    assert viridis.dtype == np.uint8 and viridis.shape == (256, 3)
    # matplotlib's viridis runs from #440154 to #fde725
    assert np.abs(viridis[0].astype(int) - (0x44, 0x01, 0x54)).max() <= 2
    assert np.abs(viridis[-1].astype(int) - (0xFD, 0xE7, 0x25)).max() <= 2
    gray = viz.colormap(ramp, "gray")[0]
    assert gray[0].tolist() == [0, 0, 0] and gray[-1].tolist() == [255, 255, 255]
    for cmap in (viridis, gray):
        assert np.all(np.diff(luminance(cmap)) >= -0.5)
    assert set(viz.COLORMAPS) >= {"viridis", "inferno", "jet", "turbo", "gray"}
    for name in viz.COLORMAPS:
        assert viz.colormap(np.zeros((3, 5)), name).shape == (3, 5, 3)
    with pytest.raises(ValueError, match="viridis"):
        viz.colormap(ramp, "rainbow")


def test_overlay_alpha_blends_between_image_and_colormap() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    heat = rng.random((40, 60)).astype(np.float32)
    assert np.array_equal(viz.cam_overlay(image, heat, alpha=0.0), image)
    assert np.array_equal(viz.cam_overlay(image, heat, alpha=1.0, cmap="jet"), viz.colormap(heat, "jet"))
    small = viz.cam_overlay(image, heat[::4, ::4], alpha=0.5)  # a 7x7-like map is resized
    assert small.shape == image.shape and small.dtype == np.uint8
    with pytest.raises(ValueError, match="alpha"):
        viz.cam_overlay(image, heat, alpha=1.5)


def fake_cam(layer: str, target: int, heat: np.ndarray) -> CamMap:
    return CamMap(layer=layer, target=target, label=f"class {target}", score=1.0, heatmap=heat, raw=heat)


def test_cam_timeline_grid_has_a_cell_per_layer_and_target() -> None:
    layers = ("stem", "layer1", "layer2", "layer3", "layer4")
    image = np.full((64, 48, 3), 128, np.uint8)  # portrait: cells are 40 high, 30 wide
    maps = tuple(
        tuple(fake_cam(layer, t, np.full((64, 48), i / 4, np.float32)) for t in (1, 2))
        for i, layer in enumerate(layers)
    )
    tl = CamTimeline(image=image, layers=layers, targets=(1, 2), labels=("cat", "dog"), maps=maps)
    grid = viz.cam_timeline_image(tl, cell=40, alpha=1.0, cmap="gray")
    assert grid.dtype == np.uint8 and grid.ndim == 3
    assert 5 * 30 <= grid.shape[1] <= 5 * 30 + 40
    assert 2 * 40 <= grid.shape[0] <= 2 * 40 + 80
    # the cells darken to brighten left to right, as the fake maps do
    row = grid[grid.shape[0] - 10]
    assert row[:, 0].max() > 0 and luminance(row[-10]) > luminance(row[10])
    assert viz.cam_timeline_figure(tl, cell=40).data[0].source.startswith("data:image/png;base64,")


def test_colormap_clips_and_zeroes_nan_like_the_plain_formula() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(0.5, 0.7, (31, 17))
    values.flat[::5], values.flat[::7], values.flat[::11] = np.nan, np.inf, -np.inf
    for name in viz.COLORMAPS:
        lut = viz.colormap(np.linspace(0, 1, 256), name)  # (256, 3): one entry per level
        v32 = values.astype(np.float32)
        index = np.rint(np.clip(np.nan_to_num(v32, nan=0.0, posinf=1.0, neginf=0.0), 0, 1) * np.float32(255))
        assert np.array_equal(viz.colormap(values, name), lut[index.astype(int)]), name
    assert viz.colormap(np.float32(2.0), "gray").tolist() == [255, 255, 255]  # 0-d in, one colour out


def test_timeline_cells_are_the_overlays_shrunk_by_pil() -> None:
    rng = np.random.default_rng(4)
    image = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    layers, targets = ("stem", "layer1", "layer4"), (3, 9)
    maps = tuple(
        tuple(fake_cam(layer, t, rng.random((90, 120)).astype(np.float32)) for t in targets) for layer in layers
    )
    tl = CamTimeline(image=image, layers=layers, targets=targets, labels=("cat", "a dog"), maps=maps)
    cell, pad, lab = 64, 4, _draw.label_height()
    grid = viz.cam_timeline_image(tl, cell=cell, alpha=0.6, cmap="turbo")
    ch, cw = 48, 64  # 90x120 fitted into 64
    assert grid.shape == (lab + 2 * (lab + ch + pad) + pad, 3 * cw + 4 * pad, 3)
    for i in range(len(targets)):
        top = lab + i * (lab + ch + pad)
        for j in range(len(layers)):
            over = viz.cam_overlay(image, maps[j][i].heatmap, alpha=0.6, cmap="turbo")
            want = np.asarray(Image.fromarray(over).resize((cw, ch), Image.Resampling.BILINEAR))
            x = pad + j * (cw + pad)
            assert np.array_equal(grid[top + lab : top + lab + ch, x : x + cw], want), (i, j)
        # the row's label, as PIL draws it on white
        row = Image.new("RGB", (grid.shape[1], lab), (255, 255, 255))
        _draw.draw_centered(row, f"{tl.labels[i]} ({targets[i]})", (pad, 0, grid.shape[1] - 2 * pad, lab))
        assert np.array_equal(grid[top : top + lab], np.asarray(row))


# --- activations --------------------------------------------------------------------------


def fake_activation(ranges: list[tuple[float, float]], hw: tuple[int, int] = (8, 8)) -> Activation:
    ramp = np.linspace(0, 255, hw[0] * hw[1]).reshape(hw).astype(np.uint8)
    n = len(ranges)
    return Activation(
        name="layer2.1", kind="block", shape=(n, *hw), mean=1.0, std=1.0, max=10.0, zero_fraction=0.25,
        channels=tuple(range(10, 10 + n)), maps=np.stack([ramp] * n), ranges=np.asarray(ranges, np.float32),
    )


def test_shared_scale_differs_from_per_channel_for_different_ranges() -> None:
    act = fake_activation([(0.0, 1.0), (0.0, 10.0)])
    per = viz.activation_grid(act, scale="per-channel", columns=2, cell=32)
    shared = viz.activation_grid(act, scale="shared", columns=2, cell=32)
    assert per.shape == shared.shape and per.dtype == np.uint8

    def halves(img: np.ndarray) -> tuple[float, float]:
        """Mean luminance of the two cells' lower halves (below the channel tags), gaps left out."""
        low = img[img.shape[0] // 2 :]
        half = img.shape[1] // 2
        out = []
        for part in (low[:, :half], low[:, half:]):
            px = part.reshape(-1, 3)
            out.append(float(luminance(px[(px < 255).any(axis=1)]).mean()))
        return out[0], out[1]

    left, right = halves(per)
    assert left == pytest.approx(right, abs=1.0)  # per channel: same pattern, same colours
    left, right = halves(shared)
    assert left < right - 20  # shared: the weak channel is darker
    with pytest.raises(ValueError, match="per-channel"):
        viz.activation_grid(act, scale="global")


def test_activation_grid_tiles_channels_in_rows() -> None:
    act = fake_activation([(0.0, 1.0)] * 5, hw=(7, 7))
    grid = viz.activation_grid(act, columns=4, cell=40)
    assert 4 * 40 <= grid.shape[1] <= 4 * 40 + 20
    assert 2 * 40 <= grid.shape[0] <= 2 * 40 + 20


def test_activation_cells_are_channels_enlarged_by_pil_nearest() -> None:
    rng = np.random.default_rng(5)
    n, hw = 6, (7, 9)
    act = Activation(
        name="layer4", kind="stage", shape=(512, *hw), mean=1.0, std=1.0, max=3.0, zero_fraction=0.1,
        channels=tuple(range(100, 100 + n)), maps=rng.integers(0, 256, (n, *hw), dtype=np.uint8),
        ranges=np.zeros((n, 2), np.float32),
    )
    grid = viz.activation_grid(act, columns=4, cell=45, cmap="inferno")
    ch, cw, pad = 35, 45, 2
    assert grid.shape == (2 * ch + 3 * pad, 4 * cw + 5 * pad, 3)
    canvas = Image.new("RGB", (grid.shape[1], grid.shape[0]), (255, 255, 255))
    for k in range(n):  # the reference: PIL pastes each enlarged channel, then tags it
        r, c = divmod(k, 4)
        x, y = pad + c * (cw + pad), pad + r * (ch + pad)
        tile = viz.colormap(act.maps[k] / 255.0, "inferno")
        canvas.paste(Image.fromarray(tile).resize((cw, ch), Image.Resampling.NEAREST), (x, y))
        _draw.draw_tag(canvas, f"#{act.channels[k]}", (x + 1, y + 1))
    assert np.array_equal(grid, np.asarray(canvas))


@pytest.mark.parametrize("xy", [(1, 1), (30, 20), (-4, -3), (52, 33)])
def test_cached_labels_are_what_pil_draws(xy: tuple[int, int]) -> None:
    rng = np.random.default_rng(6)
    busy = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    for text in ("#0", "#7", "#511", "#2047"):
        want = Image.fromarray(busy)
        _draw.draw_tag(want, text, xy)
        got = busy.copy()
        _draw.put_tag(got, text, xy)
        assert np.array_equal(got, np.asarray(want)), text
    lab = _draw.label_height()
    for text, w in (("layer4", 160), ("jack-o'-lantern (607)", 120), ("a label far too long for its cell", 40), ("", 30)):
        want = Image.new("RGB", (w + 20, lab + 8), (255, 255, 255))
        _draw.draw_centered(want, text, (xy[0] % 9, 4, w, lab))
        got = np.full((lab + 8, w + 20, 3), 255, np.uint8)
        _draw.put_centered(got, text, (xy[0] % 9, 4, w, lab))
        assert np.array_equal(got, np.asarray(want)), text


def test_chinese_labels_are_drawn_with_glyphs_not_boxes() -> None:
    # PIL's built-in font draws every Chinese character as the same box: two different names
    # of the same length came out identical. The CI installs fonts-noto-cjk.
    if _draw.font(cjk=True) is _draw.font():
        pytest.skip("no CJK font on this machine")
    lab = _draw.label_height()

    def drawn(text: str) -> np.ndarray:
        canvas = np.full((lab, 120, 3), 255, np.uint8)
        _draw.put_centered(canvas, text, (0, 0, 120, lab))
        return canvas

    assert not np.array_equal(drawn("老虎 (292)"), drawn("猫咪 (292)"))
    assert (drawn("老虎") < 128).any()
    assert _draw.font_for("layer4") is _draw.font()  # ASCII labels keep their look


def test_stats_figure_follows_depth() -> None:
    acts = [
        Activation(name=n, kind="block", shape=(4, 2, 2), mean=m, std=1.0, max=2.0, zero_fraction=z,
                   channels=(0,), maps=np.zeros((1, 2, 2), np.uint8), ranges=np.zeros((1, 2), np.float32))
        for n, m, z in (("stem", 0.5, 0.4), ("layer1.0", 0.7, 0.5), ("layer1.1", 0.9, 0.6))
    ]
    fig = viz.stats_figure(acts)
    mean, zeros = fig.data
    assert list(mean.x) == ["stem", "layer1.0", "layer1.1"]
    assert list(mean.y) == [0.5, 0.7, 0.9] and list(zeros.y) == [0.4, 0.5, 0.6]


def test_stats_figure_draws_blocks_in_order_without_stage_repeats() -> None:
    # the engine lists each stage before its blocks; the stage's output is its last block's
    # (torch's own module outputs, compared here), so drawing both put a false spike at each stage
    from resnet_core.inspection import inspect

    torch.manual_seed(0)
    model = build_resnet(18).eval()
    image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    acts = inspect(model, image, mode="whole", size=64, max_channels=1).activations
    by_name = {a.name: a for a in acts}
    for stage in model.stage_names:
        last = f"{stage}.{len(getattr(model, stage)) - 1}"
        assert by_name[stage].mean == pytest.approx(by_name[last].mean)
    fig = viz.stats_figure(acts)
    assert list(fig.data[0].x) == ["stem", *model.block_names()]
    bands = [a.text for a in fig.layout.annotations[2:]]
    assert bands == list(model.stage_names)


# --- predictions --------------------------------------------------------------------------


def test_predictions_most_probable_on_top() -> None:
    preds = [Prediction(5, "tabby", 0.2), Prediction(7, "tiger cat", 0.7), Prediction(134, "crane", 0.05),
             Prediction(517, "crane", 0.05)]
    fig = viz.predictions_figure(preds)
    bar = fig.data[0]
    assert list(bar.x) == sorted(bar.x, reverse=True)
    assert bar.y[0] == "tiger cat" and fig.layout.yaxis.autorange == "reversed"
    assert bar.text[0] == "70.0%"
    label = viz.predictions_label(preds)
    assert list(label)[:2] == ["tiger cat", "tabby"]
    assert len(label) == 4  # ImageNet's two "crane" classes both survive
    assert viz.predictions_figure([]).data[0].x in (None, ())


def stats_acts() -> list[Activation]:
    return [
        Activation(name=n, kind=k, shape=(64, 56, 56), mean=m, std=0.5, max=4.0, zero_fraction=z,
                   channels=(0,), maps=np.zeros((1, 2, 2), np.uint8), ranges=np.zeros((1, 2), np.float32))
        for n, k, m, z in (("stem", "stem", 0.5, 0.4), ("layer1", "stage", 0.7, 0.5), ("layer1.0", "block", 0.9, 0.6))
    ]


FIGURE_CASES = {
    "top-5": lambda: viz.predictions_figure(
        [Prediction(i, f"class {i}", p) for i, p in ((3, 0.1), (8, 0.6), (1, 0.05), (9, 0.2), (4, 0.05))]
    ),
    "duplicate names": lambda: viz.predictions_figure([Prediction(134, "crane", 0.3), Prediction(517, "crane", 0.2)]),
    "no predictions": lambda: viz.predictions_figure([]),
    "stats": lambda: viz.stats_figure(stats_acts()),
    "stats, one module": lambda: viz.stats_figure(stats_acts()[:1]),
}


@pytest.mark.parametrize("case", FIGURE_CASES)
def test_figures_built_without_validation_are_valid_plotly(case: str) -> None:
    fig = FIGURE_CASES[case]()
    spec = fig.to_plotly_json()
    # plotly's validating constructor accepts every property and changes none of them
    assert go.Figure(spec).to_plotly_json() == spec
    assert json.loads(fig.to_json()) == json.loads(go.Figure(spec).to_json())
    # the look is TEMPLATE set the way plotly's API sets it: merged over the default template
    styled = go.Figure()
    styled.update_layout(template=TEMPLATE)
    assert spec["layout"]["template"] == styled.layout.template.to_plotly_json()
    fig.update_layout(template={"layout": {"paper_bgcolor": "black"}})  # a caller's change stays its own
    assert FIGURE_CASES[case]().to_plotly_json() == spec


def test_predictions_figure_shows_each_class_once_in_order() -> None:
    preds = [Prediction(5, "tabby", 0.2), Prediction(7, "tiger cat", 0.7), Prediction(134, "crane", 0.04),
             Prediction(517, "crane", 0.06)]
    spec = viz.predictions_figure(preds).to_plotly_json()
    (bar,) = spec["data"]
    assert bar["type"] == "bar" and bar["orientation"] == "h"
    assert bar["x"] == [0.7, 0.2, 0.06, 0.04]
    assert bar["y"] == ["tiger cat", "tabby", "crane (517)", "crane (134)"]
    assert bar["text"] == ["70.0%", "20.0%", "6.0%", "4.0%"]
    assert bar["customdata"] == [7, 5, 517, 134]
    layout = spec["layout"]
    assert layout["yaxis"]["categoryarray"] == bar["y"] and layout["yaxis"]["autorange"] == "reversed"
    assert layout["xaxis"]["range"] == [0, 1] and "annotations" not in layout
    assert layout["height"] == 60 + 32 * 4
    empty = viz.predictions_figure([]).to_plotly_json()["layout"]
    assert [a["text"] for a in empty["annotations"]] == ["no predictions yet"]


def test_stats_figure_is_plotlys_two_row_subplot() -> None:
    acts = stats_acts()
    ours = viz.stats_figure(acts).to_plotly_json()
    ref = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("mean activation", "fraction of outputs that are zero on this picture (cut off by a ReLU)"))
    ref.update_yaxes(tickformat=".0%", range=[0, 1], row=2, col=1)
    ref.update_xaxes(type="category", tickangle=-45, row=2, col=1)
    ref = ref.to_plotly_json()
    for key in ("xaxis", "yaxis", "xaxis2", "yaxis2"):
        assert ours["layout"][key] == ref["layout"][key], key
    assert ours["layout"]["annotations"][:2] == ref["layout"]["annotations"]
    mean, zeros = ours["data"]
    assert (mean["xaxis"], mean["yaxis"], zeros["xaxis"], zeros["yaxis"]) == ("x", "y", "x2", "y2")
    # layer1's output is layer1.0's: drawn once, as the block
    assert mean["x"] == zeros["x"] == ["stem", "layer1.0"]
    assert mean["y"] == [0.5, 0.9] and zeros["y"] == [0.4, 0.6]
    assert "64×56×56" in mean["hovertext"][0] and "zeros 40.0%" in mean["hovertext"][0]


def test_viz_imports_neither_gradio_nor_torch() -> None:
    code = "import sys, viz; print(sorted(m for m in ('gradio', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_drawing_a_colour_map_leaves_plotlys_named_scales_alone() -> None:
    """plotly converts the list it is given in place; a figure drawn later with colorscale="Viridis"
    must still get plotly's own scale (a server draws activations, then attribution heatmaps)."""
    import plotly.colors as pcolors
    import plotly.graph_objects as go

    import viz

    before = list(pcolors.sequential.Viridis)
    for name in viz.COLORMAPS:
        viz.colormap(np.linspace(0, 1, 16, dtype=np.float32).reshape(4, 4), name)
    assert pcolors.sequential.Viridis == before
    go.Figure(go.Heatmap(z=[[0, 1]], colorscale="Viridis"))  # validates the named scale


def test_the_layer_level_draws_what_can_be_read() -> None:
    """ResNet-50 has 53 convs (torchvision): at layer level the page draws one stage, every node
    labelled; a small network is drawn whole."""
    r50 = describe(build_resnet(50), (224, 224))
    tv_convs = sum(isinstance(m, nn.Conv2d) for m in torchvision.models.resnet50().modules())
    whole = viz.block_graph(r50, folded=(), level="layer")
    assert sum(d["kind"] == "conv" for _, d in whole.nodes(data=True)) == tv_convs == 53
    assert viz.layer_focus(r50) == "layer1" and viz.layer_focus(r50, "layer3.2") == "layer3"
    fig = viz.graph_figure(r50, level="layer", focus=viz.layer_focus(r50, "layer3.2"), folded=())
    nodes = next(t for t in fig.data if t.name == "nodes")
    convs = [text for text, name in zip(nodes.text, nodes.customdata) if name.startswith("layer3") and ("conv" in name or name.endswith("downsample.0"))]
    assert len(convs) == 6 * 3 + 1 and all(convs)  # six bottlenecks and the projection, each labelled
    assert "every layer of layer3" in fig.layout.title.text
    r10 = describe(build_resnet(("basic", (1, 1, 1, 1))), (224, 224))
    assert viz.layer_focus(r10) is None
