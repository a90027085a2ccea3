"""Peak memory of one call, measured in a fresh Python process.

``resource.getrusage`` reports the process's peak resident set; a subprocess gives every
measurement a clean peak, and counts what C libraries (Pillow's decoders, torch's allocator)
allocate, which ``tracemalloc`` would not see.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def peak_growth_mb(setup: str, call: str, *, timeout: float = 300.0) -> tuple[float, str]:
    """Run ``setup``, then ``call``; return (growth of the peak resident set in MB, outcome).

    ``call`` runs inside ``try``; the outcome is ``"ok"`` or the exception's ``type: message``.
    ``setup`` should warm up everything the call needs (imports, first allocations), so the
    growth is the call's own.
    """
    program = "\n".join(
        [
            "import json, resource",
            textwrap.dedent(setup),
            "_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss",
            "try:",
            textwrap.indent(textwrap.dedent(call), "    "),
            "    _outcome = 'ok'",
            "except Exception as _exc:",
            "    _outcome = f'{type(_exc).__name__}: {_exc}'",
            "_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss",
            "print(json.dumps([(_after - _before) / 1024, _outcome[:2000]]))",
        ]
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr[-3000:]
    growth, outcome = json.loads(done.stdout.strip().splitlines()[-1])
    return growth, outcome
