"""Figures and images for the playground: pure functions of ``resnet_core``'s dataclasses.

Nothing here imports gradio or reaches into a model; every function takes frozen dataclasses
(or numpy arrays) and returns a plotly figure, a networkx graph, table rows or a uint8 image.
"""

from ._format import format_shape, human_count, human_macs
from .activations import SCALES, activation_grid, stats_figure
from .cam import COLORMAPS, cam_overlay, cam_timeline_figure, cam_timeline_image, colormap
from .graph import LEVELS, block_graph, default_folded, graph_figure, layer_focus
from .predictions import predictions_figure, predictions_label
from .shapes import SHAPE_TABLE_HEADERS, cost_figure, shape_table, shape_table_markdown

__all__ = [
    "COLORMAPS",
    "LEVELS",
    "SCALES",
    "SHAPE_TABLE_HEADERS",
    "activation_grid",
    "block_graph",
    "cam_overlay",
    "cam_timeline_figure",
    "cam_timeline_image",
    "colormap",
    "cost_figure",
    "default_folded",
    "format_shape",
    "graph_figure",
    "layer_focus",
    "human_count",
    "human_macs",
    "predictions_figure",
    "predictions_label",
    "shape_table",
    "shape_table_markdown",
    "stats_figure",
]
