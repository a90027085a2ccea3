"""Receptive fields, effective fields and feature visualization through the running server.

Each endpoint is called with ``gradio_client`` keyword arguments, and once at the page's defaults.
References: the fields that receptive-field calculators publish for torchvision's ResNets
(ResNet-50 layer4: 427 px) and the hand arithmetic of the v1 layout (483 px).
"""

from __future__ import annotations

import pytest
from _server import ROOT, app_client_fixture, read_picture
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CAT = ROOT / "assets" / "examples" / "cat.jpg"


client = app_client_fixture("rf")


def test_receptive_field_at_defaults_and_by_keyword(client: Client) -> None:
    words, boxes, table, data = client.predict(api_name="/receptive_field")  # the page's defaults: ResNet-50, 224
    assert data["theoretical"]["layer4"] == 427 and data["jumps"]["layer4"] == 32
    assert "427" in table and "r = 7 + (3 − 1)·2 = 11" in table
    assert read_picture(boxes, "PNG").shape == (224, 224, 3)
    words, _, _, v1 = client.predict(depth="ResNet-50", variant="v1", height=320, width=256, layer="layer3.1",
                                     position="2, 3", picture=handle_file(str(CAT)), api_name="/receptive_field")
    assert v1["theoretical"]["layer4"] == 483 and v1["other_theoretical"]["layer4"] == 427
    assert v1["position"] == [2, 3] and "483" in words and "427" in words
    with pytest.raises(AppError, match="position"):
        client.predict(position="seven", api_name="/receptive_field")


def test_effective_receptive_field_at_defaults_and_by_keyword(client: Client) -> None:
    words, plot, picture, data = client.predict(api_name="/effective_receptive_field")  # toy, layer3, noise only
    assert [(m["weights"], m["source"]) for m in data["maps"]] == [("trained", "noise"), ("random", "noise")]
    assert all(m["theoretical"] == 53 and 0 < m["fraction"] <= 1 for m in data["maps"])
    assert picture is None and "Luo" in words
    words, _, picture, data = client.predict(image=handle_file(str(CAT)), which="toy", layer="layer2", size=48, noise=2,
                                             api_name="/effective_receptive_field")
    assert data["maps"][-1]["source"] == "picture" and read_picture(picture, "PNG").shape == (48, 48, 3)


def test_feature_visualization_at_defaults_and_by_keyword(client: Client) -> None:
    words, grid, data = client.predict(api_name="/feature_visualization")  # toy, layer3, 4 channels, 64 px
    assert data["steps"] <= 64 and data["stopped_by"] in ("steps", "time") and not data["random"]
    assert [c["channel"] for c in data["channels"]] == [0, 1, 2, 3]
    assert all(c["end"] > c["start"] for c in data["channels"])
    assert read_picture(grid, "PNG").ndim == 3
    words, _, data = client.predict(which="picked", depth="ResNet-18", weights="random", layer="layer2", channels="5",
                                    size=32, steps=3, seconds=60, api_name="/feature_visualization")
    assert data["random"] and data["steps"] == 3 and "noise" in words
