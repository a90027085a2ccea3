"""Check that a fresh install of the README's command resolves to a set that fits together.

pip only honours an extra's bounds when something asks for that extra: gradio's ``mcp`` extra
bounds ``mcp<2`` and ``pydantic<=2.12.5``, yet a project that asks for ``mcp`` and ``gradio``
separately gets mcp 2 and a newer pydantic, under which ``--mcp`` answers 404. This script asks
pip what a *new* machine would install (``--dry-run --ignore-installed --report``: nothing is
installed, what sits in this environment is ignored), then checks every requirement of every
resolved package under every extra that the resolution or the code uses (``USED_EXTRAS``), and
fails, naming each one, when a resolved version falls outside.

    python scripts/check_resolution.py                 # resolves ".[test]" from the repository root
    python scripts/check_resolution.py --report r.json # checks a report pip already wrote
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
#: extras the code relies on even where no requirement names them: ``python app.py --mcp`` runs
#: Gradio's MCP server, and the Ray backend needs Ray Serve
USED_EXTRAS: dict[str, set[str]] = {"gradio": {"mcp"}, "ray": {"serve"}}


def resolve(target: str) -> dict:
    """pip's installation report for ``target`` on a machine with nothing installed."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
               "--report", str(report), target]
        subprocess.run(cmd, check=True, cwd=ROOT)
        return json.loads(report.read_text())


def problems(report: dict, *, root_extras: set[str]) -> list[str]:
    """Every requirement that the resolved set breaks, as a sentence each."""
    resolved = {canonicalize_name(i["metadata"]["name"]): i for i in report["install"]}
    versions = {name: Version(i["metadata"]["version"]) for name, i in resolved.items()}
    extras: dict[str, set[str]] = {name: set(USED_EXTRAS.get(name, ())) for name in resolved}
    for item in report["install"]:
        if item.get("requested"):
            extras[canonicalize_name(item["metadata"]["name"])] |= set(item.get("requested_extras") or root_extras)
    env = default_environment()
    found: list[str] = []
    changed = True
    while changed:  # the extras a package is asked for can grow as other packages' extras are read
        changed = False
        found = []
        for name, item in resolved.items():
            for line in item["metadata"].get("requires_dist") or []:
                req = Requirement(line)
                wanted = extras[name] or {""}
                if req.marker is not None and not any(req.marker.evaluate({**env, "extra": e}) for e in wanted):
                    continue
                dep = canonicalize_name(req.name)
                if dep not in versions:
                    found.append(f"{name} needs {req} but the resolution has no {dep}")
                    continue
                if req.extras - extras[dep]:
                    extras[dep] |= req.extras
                    changed = True
                if req.specifier and not req.specifier.contains(versions[dep], prereleases=True):
                    found.append(f"{name}{sorted(extras[name]) or ''} needs {req}; the resolution has {dep} {versions[dep]}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default=".[test]", help="what the README installs (default: .[test])")
    parser.add_argument("--report", type=Path, help="check this pip report instead of resolving")
    args = parser.parse_args(argv)
    report = json.loads(args.report.read_text()) if args.report else resolve(args.target)
    root_extras = set(args.target.partition("[")[2].rstrip("]").split(",")) - {""}
    found = problems(report, root_extras=root_extras)
    versions = {canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"] for i in report["install"]}
    shown = ", ".join(f"{n} {versions[n]}" for n in ("torch", "torchvision", "gradio", "mcp", "pydantic", "captum", "ray")
                      if n in versions)
    print(f"fresh resolution of {args.target}: {len(versions)} packages ({shown})")
    for line in found:
        print("  outside a bound:", line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
