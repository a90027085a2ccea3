"""The argument's endpoints through the running server, at their defaults, from gradio_client
with keyword arguments: each returns its verdict, its figure and its numbers as JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from _server import app_client_fixture
from gradio_client import Client

pytestmark = pytest.mark.slow
TIMEOUT_S = 900.0  # training on a busy 2-core CPU


client = app_client_fixture("dl")


def call(client: Client, api_name: str, **kwargs: Any) -> tuple[str, dict, dict]:
    text, fig, numbers = client.submit(api_name=api_name, **kwargs).result(timeout=TIMEOUT_S)
    assert fig["type"] == "plotly" and json.loads(fig["plot"])["data"], "an empty figure"
    return text, fig, numbers


def test_gradient_split_at_its_defaults(client: Client) -> None:
    text, _, numbers = call(client, "/gradient_split")
    nets = {n["kind"]: n for n in numbers["networks"]}
    assert numbers["depth"] == 56 and set(nets) == {"residual", "preact", "plain"}
    assert all(n["max_sum_error"] < 1e-4 for n in nets.values())  # the split adds up
    assert "Eq. 5" in text


def test_gradient_split_with_a_keyword_and_a_bad_depth(client: Client) -> None:
    _, _, numbers = call(client, "/gradient_split", depth=20)
    assert len(numbers["networks"][0]["blocks"]) == 9
    with pytest.raises(Exception, match="21"):  # one clear message, not a traceback
        client.submit(api_name="/gradient_split", depth=21).result(timeout=TIMEOUT_S)


def test_lesion_of_the_toy_at_its_defaults(client: Client) -> None:
    text, _, numbers = call(client, "/lesion")
    (curve,) = numbers["curves"]
    assert numbers["source"] == "toy" and numbers["path_counts"] == [1, 8, 28, 56, 70, 56, 28, 8, 1]
    assert curve["robust"] is False and "does not appear" in text


def test_residual_response_at_its_defaults(client: Client) -> None:
    text, _, numbers = call(client, "/residual_response")
    assert numbers["findings"]["depths"] == [20, 56]
    assert {n["name"] for n in numbers["networks"]} == {"Plain-20", "ResNet-20", "Plain-56", "ResNet-56"}
    assert "Depth 20" in text
    # the test server is offline: no ImageNet weights, and the page says so instead of measuring random ones
    assert numbers["pretrained"] is None and "no pretrained" in numbers["pretrained_weights"]


def test_no_bn_race_at_its_defaults(client: Client) -> None:
    text, _, numbers = call(client, "/no_bn_race")
    runs = {r["method"]: r for r in numbers["runs"]}
    assert set(runs) == {"default", "zero-init", "SkipInit", "Fixup"}
    assert runs["default"]["stream_growth"] > 10
    assert "SkipInit" in text
