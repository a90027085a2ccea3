"""The floors of the house (DESIGN.md, "Layout"): no import runs back up or across.

Read from every module's source with ``ast`` (nothing is imported): resnet_core never imports
gradio, viz or playground; viz never imports torch or playground; a tab never imports torch,
the page builder (``playground.page``, only ``playground.context``) or anything that builds,
trains or runs a network in its own process (it sends a study through the backend instead).
Imports under ``if TYPE_CHECKING:`` are type names only and are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: what builds, trains or runs a network in the caller's process (modules, and the names the
#: transfer package re-exports): a tab sends a study through ``page.backend.run`` instead
MODEL_RUNNING: tuple[str, ...] = (
    "resnet_core.model", "resnet_core.zoo", "resnet_core.inspection", "resnet_core.hooks", "resnet_core.fast",
    "resnet_core.serving.ModelService", "resnet_core.transfer.analysis", "resnet_core.transfer.session",
    "resnet_core.transfer.train.finetune", "resnet_core.transfer.train.FineTune", "resnet_core.transfer.train.adapt",
    "resnet_core.transfer.finetune", "resnet_core.transfer.FineTune", "resnet_core.transfer.adapt",
    "resnet_core.transfer.analyse", "resnet_core.transfer.TransferSession", "resnet_core.transfer.export.load_export",
    "resnet_core.transfer.load_export", "resnet_core.transfer.study.finetune_study",
)

#: (package folder, forbidden import prefixes)
RULES: dict[str, tuple[str, ...]] = {
    "resnet_core": ("gradio", "viz", "playground"),
    "viz": ("torch", "torchvision", "playground"),
    "playground/tabs": ("torch", "torchvision", "playground.page", *MODEL_RUNNING),
}
def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(path: Path, module: str | None = None) -> set[str]:
    """Every module ``path`` (named ``module``, default from its place) imports when it runs
    (relative imports resolved; TYPE_CHECKING blocks left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    package = (module or module_name(path)).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)  # "from .. import page"
        elif (  # importlib.import_module("gradio"), __import__("torch"): a constant name is an import too
            isinstance(node, ast.Call)
            and ast.unparse(node.func) in ("importlib.import_module", "import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def broken(path: Path, forbidden: tuple[str, ...]) -> set[str]:
    return {
        prefix for name in runtime_imports(path) for prefix in forbidden if name == prefix or name.startswith(prefix + ".")
    }


def test_the_reader_resolves_relative_and_typing_only_imports(tmp_path: Path) -> None:
    # a hand-written module, read as if it were playground/tabs/probe.py
    source = (
        "from typing import TYPE_CHECKING\nfrom ..page import Page\nfrom .. import page\nimport torch.nn\n"
        "if TYPE_CHECKING:\n    import gradio\n"
        "import importlib\nviz = importlib.import_module('viz.cam')\n"
    )
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    names = runtime_imports(path, "playground.tabs.probe")
    assert {"playground.page", "playground.page.Page", "torch.nn", "viz.cam"} <= names and "gradio" not in names


def test_every_package_is_on_a_floor() -> None:
    """A new top-level package gets its rule here before it can hide from this test."""
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages == {"resnet_core", "viz", "playground"}, f"which floor is {packages - set(RULES)} on?"
    assert all(any(ROOT.glob(f"{folder}/*.py")) for folder in RULES)


def test_a_tab_that_trains_in_its_own_process_is_refused(tmp_path: Path) -> None:
    # how the Train tab read before fine-tuning became a study: a session that trains in the front end
    path = tmp_path / "probe.py"
    path.write_text("from resnet_core.transfer import TrainConfig, TransferSession, from_zip\n"
                    "from resnet_core.transfer.train import finetune\n", encoding="utf-8")
    names = runtime_imports(path, "playground.tabs.probe")
    wrong = {n for n in names for p in RULES["playground/tabs"] if n == p or n.startswith(p + ".")}
    assert wrong == {"resnet_core.transfer.TransferSession", "resnet_core.transfer.train.finetune"}


@pytest.mark.parametrize("folder", sorted(RULES))
def test_no_import_runs_back_up(folder: str) -> None:
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files, f"no modules under {folder}"
    wrong = {}
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        bad = broken(path, RULES[folder])
        if bad:
            wrong[rel] = sorted(bad)
    assert not wrong, f"imports that cross the layers: {wrong}"


def environment_reads(path: Path, root: Path = ROOT) -> list[str]:
    """Where a module reads the environment: ``os.environ``/``os.getenv``/``os.putenv`` and the
    same names imported from ``os`` (lines as ``file:line``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = {"environ", "getenv", "putenv", "environb", "getenvb"}
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "os"
        for alias in node.names
        if alias.name in names
    }
    found = []
    for node in ast.walk(tree):
        hit = (isinstance(node, ast.Attribute) and node.attr in names) or (isinstance(node, ast.Name) and node.id in imported)
        if hit:
            found.append(f"{path.relative_to(root).as_posix()}:{node.lineno}")
    return sorted(found, key=lambda hit: int(hit.rsplit(":", 1)[1]))


def test_the_environment_reader_finds_every_spelling(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import os\nfrom os import getenv as ge\nimport os as o\na = os.environ.get('X')\nb = ge('Y')\n"
        "c = o.getenv('Z')\nd = os.path.join('a')\n",
        encoding="utf-8",
    )
    assert environment_reads(probe, tmp_path) == ["probe.py:4", "probe.py:5", "probe.py:6"]


def test_resnet_core_reads_no_environment_variables() -> None:
    """The environment is read at the edge (playground/settings.py, app.py, scripts), and the
    values are handed down: a library call means the same whatever the process's environment."""
    hits = [hit for path in sorted((ROOT / "resnet_core").rglob("*.py")) for hit in environment_reads(path)]
    assert not hits, f"resnet_core reads the environment at {hits}"


# --------------------------------------------------------------------------- test support code

#: what a test module may not import: another test module (a library only by accident, whose
#: tests then also run where it is imported, and whose fixtures clash), or a conftest (pytest
#: imports every folder's conftest.py under the one name "conftest", so the import would find
#: whichever was loaded last). Support code lives in tests/_*.py.
TEST_MODULE = ("test_", "conftest")


def imported_test_modules(path: Path) -> list[str]:
    """The test modules and conftests ``path`` imports (``import test_x``, ``from test_x import y``,
    ``from conftest import y``, at any depth in the file), as ``name:line``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = [node.module]
        else:
            continue
        found += [f"{name}:{node.lineno}" for name in names if name.split(".")[0].startswith(TEST_MODULE)]
    return found


def test_the_test_import_reader_finds_every_spelling(tmp_path: Path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "import test_a\nimport os, test_b as b\nfrom test_c import x\nfrom conftest import natural_image\n"
        "def f():\n    from test_d import y\n"
        "from _live import live_app\nfrom testing import z\nimport pytest\n",
        encoding="utf-8",
    )
    assert imported_test_modules(probe) == ["test_a:1", "test_b:2", "test_c:3", "conftest:4", "test_d:6"]


def test_no_test_module_imports_another_or_a_conftest() -> None:
    files = sorted((ROOT / "tests").rglob("*.py"))
    assert any(p.name == "test_layering.py" for p in files)
    wrong = {p.relative_to(ROOT).as_posix(): hits for p in files if (hits := imported_test_modules(p))}
    assert not wrong, f"test support code belongs in tests/_*.py, not in a test module or conftest: {wrong}"
