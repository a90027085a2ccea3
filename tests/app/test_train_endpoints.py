"""The training tab through the real server: /finetune streams a run on the bundled set,
/finetune_export gives the weights and a script, the script agrees with the server, and the
weights load back as "your own weights" with their class names (issue 13)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _server import ROOT, Server, gradio_client
from gradio_client import handle_file

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]

TEXTURES = ROOT / "assets" / "datasets" / "textures"


def test_finetune_export_and_load_back(app_server: Server, tmp_path: Path) -> None:
    client = gradio_client(app_server.url, tmp_path)
    # a short run on the bundled set: ResNet-10 from random weights, every layer trained
    job = client.submit(source="example", zip_file=None, depth_v="ResNet-10", weights_v="random", strategy_v="all",
                        augment_v=True, held_v=0.25, steps_v=60, seconds_v=240, size_v=64, api_name="/finetune")
    final = job.result(timeout=500)
    updates = job.outputs()
    assert len(updates) >= 3, "the run did not stream"
    status = final[0]
    assert "3 classes" in status and "random" in status, status
    words, weights_file, script_file = client.predict(api_name="/finetune_export")
    assert weights_file.endswith(".safetensors") and script_file.endswith(".py"), (weights_file, script_file)
    # the script, run alone, classifies a folder: one line per picture, a class name of the set on each
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    for cls in ("dots", "stripes"):
        src = sorted((TEXTURES / cls).iterdir())[-1]
        (pictures / f"{cls}{src.suffix}").write_bytes(src.read_bytes())
    weights_copy = Path(script_file).with_name("model.safetensors")
    if not weights_copy.exists():
        weights_copy.write_bytes(Path(weights_file).read_bytes())
    out = subprocess.run([sys.executable, script_file, str(pictures)], capture_output=True, text=True, timeout=120,
                         cwd=Path(script_file).parent)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    assert len(lines) == 2 and all(any(c in line for c in ("checkers", "dots", "stripes")) for line in lines), out.stdout
    # the weights load back under "your own weights", with the set's class names
    message, weights = client.predict(file=handle_file(weights_file), depth="custom", counts="1, 1, 1, 1", block="basic",
                                      variant="v1.5", api_name="/load_checkpoint")
    assert "3 classes" in message and weights["value"] == "checkpoint"
    got = client.predict(image=handle_file(str(sorted((TEXTURES / "dots").iterdir())[-1])), depth="custom",
                         counts="1, 1, 1, 1", block="basic", variant="v1.5", weights="checkpoint", mode="crop", size=64,
                         top_k=3, api_name="/predict")
    labels = [c["label"] for c in got[1]["confidences"]]
    assert sorted(labels) == ["checkers", "dots", "stripes"], labels
