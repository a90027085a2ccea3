"""Every lab and attribution endpoint answers at the page's defaults, through the running server.

The shattered-gradients endpoint once shipped broken (its first streamed update looked up a
depth it had not measured yet) because nothing called it the way the page and an API user do:
over HTTP, through the queue, with only the arguments a person would give. Each endpoint here
is called from gradio_client with keyword arguments and nothing else but what it cannot
default (a picture; a block for the ablation; a short race budget so the test stays short),
and must answer with words, not an error.
"""

from __future__ import annotations

from typing import Any

import pytest
from _server import ROOT, Server, app_client_fixture
from gradio_client import Client, handle_file

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SYNTHETIC = sorted((ROOT / "assets" / "examples" / "synthetic").glob("*.png"))
PHOTO = sorted((ROOT / "assets" / "examples").glob("*.jpg"))[0]

#: endpoint -> the keyword arguments it cannot do without; the index of its verdict in the answer
ENDPOINTS: dict[str, tuple[dict[str, Any], int]] = {
    "gradient_flow": ({}, 2),
    "shattering": ({}, 0),
    "landscape": ({}, 0),
    "race": ({"seconds": 10}, 1),  # the default is 120 s of training; the shortest the page offers
    "attribute": ({"image": "synthetic"}, 0),
    "sanity_check": ({"image": "synthetic"}, 0),
    "faithfulness": ({"image": "synthetic"}, 0),
    "ablation": ({"image": "photo", "name": "layer1.0", "weights": "random"}, None),
}


client = app_client_fixture("d")


def test_the_list_covers_every_lab_and_attribution_endpoint(client: Client) -> None:
    named = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    lab_and_attributions = {"/gradient_flow", "/shattering", "/landscape", "/race", "/ablation",
                            "/attribute", "/sanity_check", "/faithfulness"}
    assert lab_and_attributions <= named, lab_and_attributions - named
    assert {f"/{name}" for name in ENDPOINTS} == lab_and_attributions


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_endpoint_answers_at_its_defaults(client: Client, app_server: Server, name: str) -> None:
    kwargs, verdict_at = ENDPOINTS[name]
    pictures = {"synthetic": SYNTHETIC[0], "photo": PHOTO}
    kwargs = {k: handle_file(str(pictures[v])) if k == "image" else v for k, v in kwargs.items()}
    job = client.submit(**kwargs, api_name=f"/{name}")
    answer = job.result(timeout=800)
    assert isinstance(answer, (tuple, list)) and len(answer) >= 2, answer
    if verdict_at is not None:
        words = answer[verdict_at]
        assert isinstance(words, str) and len(words) > 20, words
    assert f"handler {name} failed" not in app_server.log(), app_server.log()
