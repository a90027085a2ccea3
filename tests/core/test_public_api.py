"""resnet_core's public API: the top level names what a learner builds and inspects with; the
larger parts are subpackages, loaded on first use; README's library example runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
import types
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import torch

import resnet_core as rc

ROOT = Path(__file__).resolve().parents[2]


def test_every_exported_name_resolves_and_is_the_library_s_own() -> None:
    assert len(rc.__all__) == len(set(rc.__all__))
    for name in rc.__all__:
        value = getattr(rc, name)
        module = getattr(value, "__module__", None)
        assert module is None or module.startswith("resnet_core") or not callable(value), (name, module)
    # the builders, describe, images, inspect, weights and the records, as issue 22 lists them
    for name in ("build_resnet", "build_cifar_resnet", "ResNet", "BasicBlock", "Bottleneck", "PreActBasicBlock",
                 "PreActBottleneck", "describe", "load_image", "prepare", "inspect", "load_weights",
                 "load_checkpoint", "try_pretrained", "Inspection", "Prediction", "CamMap", "Architecture",
                 "LoadedWeights", "ModelKey"):
        assert name in rc.__all__, name


def test_the_preactivation_blocks_are_the_ones_a_preact_model_is_made_of() -> None:
    model = rc.build_resnet(18, variant="preact")
    assert isinstance(model.layer1[0], rc.PreActBasicBlock)
    assert isinstance(rc.build_resnet(50, variant="preact").layer1[0], rc.PreActBottleneck)


def test_the_subpackages_are_reachable_after_a_plain_import_and_load_only_when_used() -> None:
    code = (
        "import sys, resnet_core\n"
        "heavy = [m for m in sys.modules if m.split('.')[:2] in "
        "(['resnet_core', s] for s in resnet_core.SUBPACKAGES) or m == 'captum']\n"
        "print(heavy)\n"
        "print([type(getattr(resnet_core, s)).__name__ for s in resnet_core.SUBPACKAGES])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         check=True).stdout.splitlines()
    assert out[0] == "[]", f"imported by a plain `import resnet_core`: {out[0]}"
    assert out[1] == str(["module"] * len(rc.SUBPACKAGES))
    assert set(rc.SUBPACKAGES) == {"attributions", "backends", "lab", "serving", "transfer"}
    assert isinstance(rc.backends, types.ModuleType) and rc.backends.LocalBackend.__name__ == "LocalBackend"
    assert set(rc.SUBPACKAGES) <= set(dir(rc))
    with pytest.raises(AttributeError):
        rc.not_a_part  # noqa: B018


@pytest.mark.parametrize("name", ["lab", "backends", "attributions", "transfer"])
def test_each_subpackage_s_exports_resolve(name: str) -> None:
    package = getattr(rc, name)
    assert package.__all__
    for export in package.__all__:
        assert hasattr(package, export), f"resnet_core.{name}.{export}"


def test_the_readme_library_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The library"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert "rc.inspect(" in code and "rc.describe(" in code

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("no network in tests")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)  # the example's download fails over to its except
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))
    monkeypatch.chdir(ROOT)
    scope: dict = {}
    try:
        exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - our own README
    finally:
        rc.weights.forget_download_failures()  # the next test may try the network at once
    result = scope["result"]
    assert result.predictions and result.cam.heatmap.shape == result.image.shape[:2]
