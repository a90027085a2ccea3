"""The front end's memory while Compare depths, the lab and fine-tuning run: local backend against Ray Serve.

Each arm runs in a process of its own (``--backend local`` or ``--backend ray``), so one cannot
leave memory behind for the other. The process is the front end: it calls the tabs' own
handlers (``playground.tabs.compare``, ``playground.tabs.why_residual`` and
``playground.tabs.train``), which decode the pictures, send the study to the backend and draw
what comes back (the Train tab also keeps the finished run's record in its session store). A thread samples this
process's resident memory (``/proc/self/statm``) every 50 ms; the Ray replicas are separate
processes and are not counted, which is the point.

    OMP_NUM_THREADS=1 python scripts/bench_frontend_memory.py --backend local
    OMP_NUM_THREADS=1 python scripts/bench_frontend_memory.py --backend ray --replicas 2
    python scripts/bench_frontend_memory.py --both          # both arms, one after the other
    python scripts/bench_frontend_memory.py --both --only finetune   # the workloads whose name has "finetune"

Prints JSON: the memory after start-up (Ray and the deployment up, one small request served),
the peak and the end after each workload, in MB.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


class Sampler:
    """The peak resident memory of this process between :meth:`start` and :meth:`stop`."""

    def __init__(self) -> None:
        self.peak, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.05)

    def __enter__(self) -> Sampler:
        self.peak = rss_mb()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def make_backend(kind: str, replicas: int) -> object:
    from resnet_core.serving import ModelService, ServiceConfig

    service = ServiceConfig(device="cpu", offline=True, warm_up=False)
    if kind == "local":
        from resnet_core.backends import LocalBackend

        return LocalBackend(ModelService(service))
    import ray
    from ray import serve

    from resnet_core.backends.ray_serve import RayBackend, RayConfig

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "RESNET_OFFLINE": "1", "OMP_NUM_THREADS": "1"}})
    serve.start(proxy_location="Disabled")
    return RayBackend.deploy(RayConfig(num_replicas=replicas, torch_threads=1, service=service), timeout_s=600)


def finetune(backend: object) -> None:
    """The Train tab's handler on the bundled set (ResNet-18, random weights, every layer, 30 steps),
    its result kept in a session store as the page keeps it."""
    from types import SimpleNamespace

    from playground.cancels import Cancels
    from playground.sessions import SessionStore
    from playground.tabs import train

    who = SimpleNamespace(session_hash="bench", client=SimpleNamespace(host="127.0.0.1"), headers={}, query_params={})
    store = SessionStore()
    for _ in train.finetune("example", None, [], [], "ResNet-18", "random", "all", True, 0.25, 30, 600, 64, None, who,
                            lambda *_, **__: None, backend=backend, store=store, cancels=Cancels()):
        pass
    assert len(store) == 1, "the run kept no result"


def attributions(study: str):
    """The Attributions tab's own handler for ``study`` ("attribute", "sanity", "faithfulness") on
    random weights: the maps on ResNet-50 (Grad-CAM, Saliency, Integrated Gradients with 16 steps), the
    sanity check on ResNet-50 (Grad-CAM, Saliency), faithfulness on ResNet-18 (Grad-CAM: its deletion and
    insertion curves send ~150 pictures per method, past the per-request budget on ResNet-50)."""
    from types import SimpleNamespace

    from playground.cancels import Cancels
    from playground.tabs import attributions as tab

    def work(backend: object, picture: str) -> None:
        page = SimpleNamespace(backend=backend, checkpoint=lambda *_, **__: None)
        who = SimpleNamespace(session_hash="bench", client=SimpleNamespace(host="127.0.0.1"), headers={}, query_params={})
        options = ("layer4", 16, "black", 4, 32, 16, "grid", 32, 4)
        # the sanity check's cascade repeats every method once per block: two quick ones there
        methods = {"attribute": ["gradcam", "saliency", "integrated_gradients"], "sanity": ["gradcam", "saliency"]}.get(
            study, ["gradcam"])  # faithfulness sends ~150 pictures per method: within the budget on ResNet-18 only
        model = ("ResNet-18" if study == "faithfulness" else "ResNet-50", "", "basic", "v1.5", "random")
        quiet = lambda *_, **__: None  # noqa: E731
        if study == "attribute":
            for _ in tab.attribute_methods(picture, "picked", "auto (top-1)", methods, *options, "signed", True, *model,
                                           None, who, quiet, page=page, cancels=Cancels()):
                pass
        else:
            handler = tab.sanity if study == "sanity" else tab.faithfulness
            out = handler(picture, "picked", "auto (top-1)", methods, *options, *model, None, request=who, progress=quiet,
                          page=page, cancels=Cancels())
            assert out and out[1] is not None, out

    return work


def workloads(picture: str) -> dict[str, object]:
    from playground.tabs import compare, why_residual

    def drain(it: object) -> None:
        for _ in it:  # type: ignore[attr-defined]
            pass

    no_checkpoint = lambda *_: None  # noqa: E731
    return {
        "compare_depths (ResNet-18 … 152, random weights)": lambda b: drain(compare.compare_depths(picture, "random", backend=b)),
        "ablation (ResNet-50, layer3.2 branch)": lambda b: why_residual.ablation(
            picture, "ResNet-50", "", "basic", "v1.5", "random", "layer3.2", "branch", "layer4", backend=b,
            checkpoint_of=no_checkpoint),
        "gradient_flow (cifar, 56, BN on and off)": lambda b: why_residual.gradient_flow("cifar", 56, "both", backend=b),
        "shattering (BN on)": lambda b: drain(why_residual.shattering(True, backend=b)),
        "landscape (depth 8, grid 5)": lambda b: why_residual.landscape(8, 5, backend=b),
        "finetune (ResNet-18, bundled set, all layers, 30 steps)": finetune,
        "attribute (ResNet-50, Grad-CAM, Saliency, IG)": lambda b: attributions("attribute")(b, picture),
        "sanity (ResNet-50, cascading randomisation, Grad-CAM and Saliency)": lambda b: attributions("sanity")(b, picture),
        "faithfulness (ResNet-18, deletion and insertion, Grad-CAM)": lambda b: attributions("faithfulness")(b, picture),
    }


def run_arm(kind: str, replicas: int, only: str = "") -> dict:
    picture = str(ROOT / "assets" / "examples" / sorted(p.name for p in (ROOT / "assets" / "examples").glob("*.jpg"))[0])
    start = time.perf_counter()
    backend = make_backend(kind, replicas)
    from playground.tabs import why_residual

    # one small request first, so start-up costs (imports, Ray's client) are in the baseline
    why_residual.gradient_flow("cifar", 20, "on", backend=backend)
    baseline = rss_mb()
    report: dict = {"backend": kind, "replicas": replicas if kind == "ray" else 0, "startup_s": round(time.perf_counter() - start, 1),
                    "baseline_mb": round(baseline, 1), "workloads": {}}
    for name, work in workloads(picture).items():
        if not any(part in name for part in only.split("|")):
            continue
        t0 = time.perf_counter()
        with Sampler() as s:
            work(backend)
        report["workloads"][name] = {"peak_mb": round(s.peak, 1), "after_mb": round(rss_mb(), 1),
                                     "peak_over_baseline_mb": round(s.peak - baseline, 1),
                                     "seconds": round(time.perf_counter() - t0, 1)}
    report["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report["end_over_baseline_mb"] = round(rss_mb() - baseline, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("local", "ray"), default="local")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--both", action="store_true", help="run both arms, each in a fresh process")
    parser.add_argument("--only", default="", help="run only the workloads whose name holds this text (several: a|b)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    if args.both:
        reports = []
        for kind in ("local", "ray"):
            cmd = [sys.executable, __file__, "--backend", kind, "--replicas", str(args.replicas), "--only", args.only]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            reports.append(json.loads(out[out.index("{"):]))
        result = {"device": platform.processor() or platform.machine(), "cpus": os.cpu_count(), "arms": reports}
    else:
        result = run_arm(args.backend, args.replicas, args.only)
        if args.backend == "ray":
            from ray import serve

            serve.shutdown()
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
