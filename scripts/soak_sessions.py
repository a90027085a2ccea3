"""Soak: many sessions that each load a checkpoint and inspect at 1024², then leave.

Starts ``python app.py --offline --session-ttl T`` on a free port (its own temp folder and torch
home), warms it up, then runs ``--sessions`` sessions one after another, each with its own
gradio_client session: load a checkpoint of a small network (made here, random weights), inspect
at 1024² with it, and leave. Every ``--probe-every`` sessions a plain /predict from a separate
client is timed against its warmed-up median. After the last session it waits for the kept
values to expire and reads the server's resident memory again. Writes JSON (--out).

    python scripts/soak_sessions.py --sessions 100 --out docs/bench/soak_sessions_cpu.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
ARCH = dict(depth="custom", counts="1, 1, 1, 1", block="basic", variant="v1.5")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--sessions", type=int, default=100)
    a.add_argument("--size", type=int, default=1024)
    a.add_argument("--ttl", type=float, default=30.0, help="the server's --session-ttl")
    a.add_argument("--probe-every", type=int, default=10)
    a.add_argument("--train", action="store_true",
                   help="each session fine-tunes on the bundled set (/finetune, --steps) instead of loading a checkpoint")
    a.add_argument("--steps", type=int, default=30)
    a.add_argument("--out", type=Path, default=None)
    args = a.parse_args()

    import safetensors.torch
    import torch
    from gradio_client import Client, handle_file

    sys.path.insert(0, str(ROOT))
    from resnet_core.model import build_resnet

    work = Path(tempfile.mkdtemp(prefix="soak-sessions-"))
    torch.manual_seed(0)
    ckpt = work / "mine.safetensors"
    safetensors.torch.save_file({k: v.contiguous() for k, v in build_resnet(("basic", (1, 1, 1, 1))).state_dict().items()},
                                str(ckpt))
    picture = work / "picture.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (600, 800, 3), dtype=np.uint8)).save(picture)

    port = free_port()
    env = dict(os.environ, GRADIO_TEMP_DIR=str(work / "gradio"), TORCH_HOME=str(work / "torch"), RESNET_OFFLINE="1",
               GRADIO_ANALYTICS_ENABLED="False")
    cmd = [sys.executable, str(ROOT / "app.py"), "--offline", "--port", str(port), "--session-ttl", str(args.ttl),
           "--max-file-mb", "100", "--jobs-per-client", "1000", "--upload-rate-mb", "100000"]  # one address, 100 "users"
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=open(work / "server.log", "w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 300
        while True:
            try:
                probe = Client(url, verbose=False, download_files=str(work / "dl"))
                break
            except Exception:  # noqa: BLE001 - not up yet
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start; see " + str(work / "server.log")) from None
                time.sleep(2)
        predict_args = dict(image=handle_file(str(picture)), **ARCH, weights="random", mode="crop", size=224, top_k=5)

        def timed_predict() -> float:
            start = time.perf_counter()
            probe.predict(**predict_args, api_name="/predict")
            return time.perf_counter() - start

        def one_session() -> None:
            c = Client(url, verbose=False, download_files=str(work / "dl"))
            try:
                if args.train:  # a training run kept by the session: its result record (weights as arrays), export folder
                    c.predict(source="example", zip_file=None, depth_v="ResNet-10", weights_v="random", strategy_v="all",
                              augment_v=True, held_v=0.25, steps_v=args.steps, seconds_v=120, size_v=64,
                              api_name="/finetune")
                    c.predict(api_name="/finetune_export")
                    return
                c.predict(file=handle_file(str(ckpt)), **ARCH, api_name="/load_checkpoint")
                c.predict(image=handle_file(str(picture)), **ARCH, weights="checkpoint", layer="layer4", target="auto (top-1)",
                          mode="whole", size=args.size, top_k=5, guided=False, alpha=0.5, cmap="jet", stage="layer4",
                          scale="per-channel", act_cmap="viridis", api_name="/inspect")
            finally:
                c.close()

        for _ in range(2):  # warm-up: the model, the engines, the allocator
            one_session()
        usual = [timed_predict() for _ in range(5)]
        time.sleep(args.ttl + 5)  # the warm-up sessions' values expire too
        warm = rss_mb(server.pid)
        probes, peak, start = [], warm, time.time()
        for i in range(args.sessions):
            one_session()
            peak = max(peak, rss_mb(server.pid))
            if (i + 1) % args.probe_every == 0:
                probes.append(timed_predict())
                print(f"{i + 1} sessions, {rss_mb(server.pid):.0f} MB, /predict {probes[-1] * 1000:.0f} ms", flush=True)
        during = time.time() - start
        time.sleep(args.ttl + 10)  # every kept value expires (Gradio sweeps each second)
        after = rss_mb(server.pid)
        result = {
            "kind": f"fine-tune {args.steps} steps on the bundled set, export" if args.train else
            f"load a checkpoint, inspect at {args.size}²",
            "sessions": args.sessions, "size": args.size, "session_ttl_s": args.ttl, "seconds": round(during, 1),
            "rss_warm_mb": round(warm, 1), "rss_peak_mb": round(peak, 1), "rss_after_expiry_mb": round(after, 1),
            "after_over_warm": round(after / warm, 3),
            "predict_usual_median_s": round(statistics.median(usual), 3),
            "predict_during_median_s": round(statistics.median(probes), 3) if probes else None,
            "predict_during_max_s": round(max(probes), 3) if probes else None,
            "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}",
            "date": time.strftime("%Y-%m-%d"),
        }
        print(json.dumps(result, indent=2))
        if args.out:
            args.out.write_text(json.dumps(result, indent=2) + "\n")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
