"""Peak memory of one call, measured in a fresh Python process.

The peak resident set (Linux's ``VmHWM``) counts what C libraries allocate (Pillow's decoders,
torch's allocator), which ``tracemalloc`` would not see. After the setup the peak is reset
(``/proc/self/clear_refs``), so the growth is the call's own even when the setup peaked higher
than where it settled; where that file cannot be written, the process's peak since it started
(``resource.getrusage``) is used instead, which can only hide growth, never invent it.
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
            "import json, re, resource",
            "def _kb(key):",
            "    return int(re.search(key + r':\\s+(\\d+)', open('/proc/self/status').read()).group(1))",
            textwrap.dedent(setup),
            "try:",
            "    open('/proc/self/clear_refs', 'w').write('5')",
            "    _peak = lambda: _kb('VmHWM')",
            "    _before = _kb('VmRSS')",
            "except OSError:",
            "    _peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss",
            "    _before = _peak()",
            "try:",
            textwrap.indent(textwrap.dedent(call), "    "),
            "    _outcome = 'ok'",
            "except Exception as _exc:",
            "    _outcome = f'{type(_exc).__name__}: {_exc}'",
            "_after = _peak()",
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
