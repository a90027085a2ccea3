"""Ray Serve benchmark: 1 replica against 2, side by side, with N concurrent clients.

A local Ray instance runs two Serve applications of the same deployment, one with one replica
and one with two (each replica one CPU and one torch thread), and, as a baseline, the local
backend in this process. Each round, every arm serves the same burst: ``--clients`` threads,
each sending ``--requests`` calls one after another (top-k through ``@serve.batch``, or the full
inspection with its timeline). Arms take turns in rotating order, so a burst of load from other
processes hits all of them alike; medians over rounds are printed and written as JSON.

Run ``python scripts/bench_ray.py --help``. Numbers are only comparable within one run; on a
shared 2-core machine the two-replica arm cannot use more than the cores it gets.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from resnet_core.backends import InspectCall, LocalBackend, PredictCall  # noqa: E402
from resnet_core.serving import ModelService, ServiceConfig  # noqa: E402
from resnet_core.zoo import ModelKey  # noqa: E402


def pictures(n: int, seed: int = 0) -> list[np.ndarray]:
    """``n`` different smooth pictures (320×240), as decoded uploads."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:240, 0:320].astype(np.float32)
    out = []
    for _ in range(n):
        img = np.zeros((240, 320, 3), np.float32)
        for _ in range(5):
            cy, cx, r = rng.uniform(0, 240), rng.uniform(0, 320), rng.uniform(15, 60)
            img += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))[..., None] * rng.uniform(0, 1, 3)
        out.append((255 * (img - img.min()) / (img.max() - img.min())).astype(np.uint8))
    return out


def make_call(workload: str, key: ModelKey, picture: np.ndarray, size: int) -> InspectCall | PredictCall:
    if workload == "predict":
        return PredictCall(key, picture, size=size, top_k=5)
    return InspectCall(key, picture, size=size, top_k=5)


def run_once(backend: object, call: InspectCall | PredictCall) -> int:
    """Serve one call; the number of requests that shared its forward pass (1 for inspections)."""
    if isinstance(call, InspectCall):
        for _ in backend.inspect(call):
            pass
        return 1
    return backend.predict(call).batch_size


def burst(backend: object, calls: list[list[InspectCall | PredictCall]]) -> dict[str, float]:
    """Every client sends its calls one after another; all clients start together."""
    latencies: list[float] = []
    batches: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(calls) + 1)

    def client(mine: list) -> None:
        barrier.wait()
        for call in mine:
            t0 = time.perf_counter()
            shared = run_once(backend, call)
            with lock:
                latencies.append(time.perf_counter() - t0)
                batches.append(shared)

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(client, mine) for mine in calls]
        barrier.wait()
        start = time.perf_counter()
        for f in futures:
            f.result()
        wall = time.perf_counter() - start
    lat = np.array(latencies)
    return {"throughput_rps": len(lat) / wall, "p50_ms": float(np.median(lat) * 1e3),
            "p95_ms": float(np.percentile(lat, 95) * 1e3), "wall_s": wall, "mean_batch": float(np.mean(batches))}


def measure(arms: dict[str, object], workload: str, args: argparse.Namespace, key: ModelKey) -> dict:
    pics = pictures(args.clients * args.requests, seed=1)
    calls = [[make_call(workload, key, pics[c * args.requests + r], args.size) for r in range(args.requests)]
             for c in range(args.clients)]
    names = list(arms)
    for name in names:  # warm-up: every replica builds the model and its fast path
        burst(arms[name], [[c[0]] for c in calls[: max(4, args.clients // 2)]])
    rounds: dict[str, list[dict]] = {n: [] for n in names}
    for r in range(args.rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            rounds[name].append(burst(arms[name], calls))
        logging.info("%s round %d: %s", workload, r + 1,
                     ", ".join(f"{n} {rounds[n][-1]['throughput_rps']:.1f} req/s" for n in names))
    medians = {n: {m: statistics.median(x[m] for x in rounds[n]) for m in rounds[n][0]} for n in names}
    if "ray_1" in medians and "ray_2" in medians:
        medians["speedup_2_over_1"] = medians["ray_2"]["throughput_rps"] / medians["ray_1"]["throughput_rps"]
    return {"medians": medians, "rounds": rounds}


def deploy(replicas: int, args: argparse.Namespace, service: ServiceConfig) -> object:
    from resnet_core.backends.ray_serve import RayBackend, RayConfig

    config = RayConfig(app_name=f"bench{replicas}", num_replicas=replicas, torch_threads=1,
                       max_batch_size=args.max_batch, batch_wait_timeout_s=args.wait, service=service)
    return RayBackend.deploy(config, timeout_s=600)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--depth", type=int, default=18)
    parser.add_argument("--size", type=int, default=224, help="network input side")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=3, help="calls per client per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workloads", default="predict,inspect")
    parser.add_argument("--max-batch", type=int, default=8)
    parser.add_argument("--wait", type=float, default=0.01, help="batch_wait_timeout_s")
    parser.add_argument("--no-local", action="store_true", help="leave out the in-process baseline")
    parser.add_argument("--local-threads", type=int, default=1,
                        help="torch threads of the in-process baseline (1 = a replica's; more oversubscribes a busy CPU)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench" / "ray_cpu.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    import ray
    import torch
    from ray import serve

    key = ModelKey(args.depth, "v1.5", "random")
    service = ServiceConfig(device="cpu", offline=True, warm_up=False)
    # 3 logical CPUs: the 1-replica and 2-replica applications stand side by side, and only one
    # arm runs at a time, so they never compete with each other for the 2 real cores
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "RESNET_OFFLINE": "1", "OMP_NUM_THREADS": "1"}})
    load_before = os.getloadavg()
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    try:
        serve.start(proxy_location="Disabled")
        arms: dict[str, Callable | object] = {"ray_1": deploy(1, args, service), "ray_2": deploy(2, args, service)}
        if not args.no_local:
            torch.set_num_threads(args.local_threads)
            arms[f"local_{args.local_threads}thread"] = LocalBackend(ModelService(service))
        results = {w: measure(arms, w, args, key) for w in args.workloads.split(",")}
    finally:
        serve.shutdown()
        ray.shutdown()
    report = {
        "what": "1 against 2 Ray Serve CPU replicas (one torch thread each), N concurrent clients; "
                f"local_{args.local_threads}thread: the same calls in this process (LocalBackend, "
                f"{args.local_threads} torch thread(s))",
        "started_utc": started,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "torch": torch.__version__, "ray": ray.__version__,
                    "load_average_before": load_before, "load_average_after": os.getloadavg(),
                    "note": "shared with other engineers' jobs: the load averages say how busy"},
        "config": {"model": f"ResNet-{args.depth} (random weights)", "size": args.size, "clients": args.clients,
                   "requests_per_client": args.requests, "rounds": args.rounds, "max_batch_size": args.max_batch,
                   "batch_wait_timeout_s": args.wait},
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    for workload, res in results.items():
        for name, m in res["medians"].items():
            if isinstance(m, dict):
                print(f"{workload:8s} {name:15s} {m['throughput_rps']:7.2f} req/s  p50 {m['p50_ms']:8.1f} ms  "
                      f"p95 {m['p95_ms']:8.1f} ms  batch {m['mean_batch']:.1f}")
        if "speedup_2_over_1" in res["medians"]:
            print(f"{workload:8s} 2 replicas / 1 replica: {res['medians']['speedup_2_over_1']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
