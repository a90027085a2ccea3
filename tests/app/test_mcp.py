"""--mcp: the main endpoints as MCP tools, listed and called through the running server (issue 16.4)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from _server import running_app

pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]


def test_the_main_endpoints_are_mcp_tools_an_agent_can_call(tmp_path: Path) -> None:
    mcp = pytest.importorskip("mcp", reason="pip install 'gradio[mcp]'")
    from mcp.client.streamable_http import streamablehttp_client

    async def session(url: str) -> tuple[dict, str]:
        async with streamablehttp_client(url) as (read, write, _), mcp.ClientSession(read, write) as client:
            await client.initialize()
            tools = {t.name: t for t in (await client.list_tools()).tools}
            result = await client.call_tool(
                "architecture",
                {"depth": "ResNet-50", "counts": "2, 2, 2, 2", "block": "basic", "variant": "v1.5", "height": 224,
                 "width": 224, "level": "block", "unfold": False, "selected": "layer3.1"},
            )
            text = " ".join(getattr(c, "text", "") for c in result.content)
            return tools, text

    with running_app(tmp_path, args=["--mcp"]) as server:
        tools, text = asyncio.run(session(f"{server.url}gradio_api/mcp/"))
        # an endpoint that is no MCP tool is still documented for API clients: keyword arguments work
        from gradio_client import Client

        client = Client(server.url, verbose=False)
        params = {p["parameter_name"] for p in client.view_api(return_format="dict")["named_endpoints"]["/finetune"]["parameters"]}
        assert {"source", "depth_v", "steps_v"} <= params, sorted(params)
        shape = client.predict(depth="custom", counts="1, 1, 1, 1", block="basic", variant="v1.5",
                               api_name="/layers")
        assert shape is not None
    # the main endpoints, each described; the page's redraws and pickers are not tools
    assert {"architecture", "inspect_image", "predict", "compare_depths"} <= set(tools), sorted(tools)
    assert not {"render_cam", "render_activations", "layer_choices", "status"} & set(tools), sorted(tools)
    assert "Grad-CAM" in tools["inspect_image"].description
    assert "layer" in tools["inspect_image"].inputSchema["properties"]
    # ResNet-50 at 224: 25.6M parameters and 4.09 GMACs (torchvision's own metadata says 25,557,032 and 4.089)
    assert "25.6M" in text and "4.09 GMACs" in text, text[:500]
