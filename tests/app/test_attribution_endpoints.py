"""The Attributions tab's endpoints through the real server: /attribute, /sanity_check, /faithfulness.

The library is tested against captum, autograd and the papers in tests/core/test_attributions*.py; here the
page's endpoints must give the library's answer for the request they were sent, in time, and
refuse what is past the budget with one clear message.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _server import ROOT, app_client_fixture
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from resnet_core.attributions.inputs import attribution_input
from resnet_core.attributions.methods import attribute
from resnet_core.attributions.registry import MethodParams
from resnet_core.images import load_image
from resnet_core.preprocess import prepare
from resnet_core.toy import load_toy

pytestmark = pytest.mark.timeout(300)

SYNTHETIC = sorted((ROOT / "assets" / "examples" / "synthetic").glob("*.png"))
# image, model, target, methods, layer, steps, baseline, nt_samples, window, stride, mask, cell, samples
COMMON = dict(which="toy", target="auto (top-1)", methods=["gradcam", "saliency"], layer="layer4", steps=8, baseline="black",
              nt_samples=4, window=4, stride=2, mask="grid", cell=4, samples=2)


client = app_client_fixture("d")


def heatmap_values(figure: dict[str, Any]) -> list[np.ndarray]:
    """The z arrays of the heatmap traces of a plotly figure as the API sends it."""
    plot = figure["plot"] if isinstance(figure, dict) and "plot" in figure else figure
    import json

    data = json.loads(plot) if isinstance(plot, str) else plot
    out = []
    for trace in data["data"]:
        z = trace.get("z") if trace.get("type") == "heatmap" else None
        if isinstance(z, dict) and "bdata" in z:  # plotly's typed-array encoding
            import base64

            raw = np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.dtype(z["dtype"]))
            shape = z.get("shape")
            if isinstance(shape, str):
                shape = [int(n) for n in shape.split(",")]
            z = raw.reshape(shape) if shape else raw
        if z is not None:
            out.append(np.asarray(z, dtype=float))
    return out


def test_attribute_gives_the_librarys_maps_for_the_toy_model(client: Client) -> None:
    example = SYNTHETIC[0]
    verdict, grid, applies = client.submit(image=handle_file(str(example)), **COMMON, signed="signed", shared=False,
                                           api_name="/attribute").result(timeout=240)
    assert "2" in verdict and verdict.strip()
    toy = load_toy()
    inp = attribution_input(prepare(load_image(example), toy.preprocess), toy.preprocess)
    target = int(toy.model(inp.tensor).argmax(1))
    want = attribute(toy.model, inp, method="saliency", target=target, params=MethodParams(layer="layer4"))
    maps = heatmap_values(grid)
    assert maps, "no maps drawn"
    # one of the drawn maps is the saliency map, up to the figure's scaling (rank order kept)
    w = want.map.ravel()
    same = [m.ravel() for m in maps if m.size == w.size]
    assert same, f"no map at the input size {want.map.shape}: {[m.shape for m in maps]}"
    best = max(abs(np.corrcoef(np.nan_to_num(m), w)[0, 1]) for m in same)
    assert best > 0.99, best
    assert "applies" in applies


def test_sanity_and_faithfulness_answer_with_their_verdicts(client: Client) -> None:
    example = SYNTHETIC[1]
    words, curves, maps = client.submit(image=handle_file(str(example)), **COMMON, api_name="/sanity_check").result(timeout=240)
    assert "Grad-CAM" in words
    words, figure, table = client.submit(image=handle_file(str(example)), **COMMON, api_name="/faithfulness").result(timeout=240)
    assert table["headers"][0] and len(table["data"]) == 4  # two methods and two random yardsticks
    assert any("random" in str(row[0]).lower() for row in table["data"])


def test_a_request_past_the_budget_is_one_clear_message(client: Client) -> None:
    photo = sorted((ROOT / "assets" / "examples").glob("*.jpg"))[0]
    args = dict(which="picked", target="auto (top-1)", methods=["occlusion"], layer="layer4", steps=8, baseline="black",
                nt_samples=4, window=1, stride=1, mask="grid", cell=4, samples=2, signed="signed", shared=False,
                depth="ResNet-152", counts="", block="basic", variant="v1.5", weights="random")
    with pytest.raises(AppError, match=r"images through the network; the limit per request is \d+") as caught:
        client.submit(image=handle_file(str(photo)), **args, api_name="/attribute").result(timeout=240)
    assert "Traceback" not in str(caught.value)




@pytest.mark.slow
def test_each_endpoint_answers_at_its_defaults_with_keyword_arguments(client: Client) -> None:
    """The three endpoints, called as the README and an agent call them: the picture by name, the
    rest left at the page's defaults (the toy model, four methods, the sliders as shown)."""
    picture = handle_file(str(SYNTHETIC[2]))
    verdict, grid, applies = client.predict(image=picture, api_name="/attribute")
    assert "4" in verdict and len(heatmap_values(grid)) >= 4  # the picture and four maps at least
    words, curves, maps = client.predict(image=picture, api_name="/sanity_check")
    assert "Grad-CAM" in words and "Occlusion" in words
    words, figure, table = client.predict(image=picture, api_name="/faithfulness")
    assert len(table["data"]) == 6 and words.strip()  # four methods and two random yardsticks


@pytest.mark.slow
def test_sanity_check_over_two_pictures_with_keyword_arguments(client: Client) -> None:
    """The verdict judged over the picture sent and the first toy example, named by keyword; the curves
    drawn are of the picture sent (the same as a one-picture run's)."""
    picture = handle_file(str(SYNTHETIC[1]))
    options = dict(image=picture, methods=["gradcam", "saliency"], steps=8, api_name="/sanity_check")
    words, curves, maps = client.predict(pictures=2, **options)
    assert "Over 2 pictures" in words and "±" in words and "Grad-CAM" in words
    one, one_curves, _ = client.predict(**options)  # the default: one picture, as before
    assert "this one picture" in one and "Over 2 pictures" not in one
    assert curves == one_curves
    with pytest.raises(AppError, match="maximum value 4|whole number from 1 to 4") as caught:  # the slider or the page
        client.predict(pictures=7, **options)
    assert "Traceback" not in str(caught.value)
