"""End-to-end benchmark: the real app, called through ``gradio_client``, and its payload.

1. Serving (``--serve``, default): starts ``python app.py`` in a subprocess (offline, on a free
   loopback port), once with batching off and once on (``--batch off on``); then
   * one client makes ``--requests`` sequential /inspect calls: p50/p95 latency, the time to
     the first update (on a CPU the app sends the Grad-CAM timeline after the rest), and the
     server-side compute the app reports (``info``: "... N ms on the server"); then as many
     /predict calls (top-k from the forward-only fast path);
   * ``--clients`` clients (16) each make ``--concurrent-requests`` calls at once (threads,
     one ``Client`` each, each with its own picture), within ``--time-limit`` seconds:
     p50/p95 latency, throughput.
   Also the bytes of one ``--response-depth`` (ResNet-152) /inspect response: the JSON of the
   result event plus every file it points to, fetched over HTTP like the page does. And, in
   this process before the servers start, the server-side compute of one request: the
   handler (engine and drawing) plus Gradio's postprocessing of its outputs (image encoding),
   so that end-to-end latency can be set against both the engine and all server work.
2. Payload (``--payload``): in-process, no server. For a ResNet-152 inspection, the app's real
   pictures (Grad-CAM overlay, timeline, activation gallery, guided map) encoded as PNG, WebP
   (Gradio's default quality 80, 90, lossless) and JPEG (Gradio's quality 75): bytes and encode
   time; the plotly figures' JSON size and trace count; the ResNet-152 architecture graph's
   build time, cold and through the app's cache.

Numbers are only comparable within one run (same machine, same load); the report says both.
Run ``python scripts/bench_e2e.py --help``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("RESNET_OFFLINE", "1")

import numpy as np  # noqa: E402
from bench_engine import device_string, load_average  # noqa: E402

EXAMPLE = ROOT / "assets" / "examples" / "cat.jpg"
INSPECT_ARGS: dict[str, Any] = dict(
    counts="2, 2, 2, 2",
    block="basic",
    variant="v1.5",
    weights="DEFAULT",
    layer="layer4",
    target="auto (top-1)",
    mode="crop",
    size=224,
    top_k=5,
    guided=False,
    alpha=0.5,
    cmap="jet",
    stage="layer4",
    scale="per-channel",
    act_cmap="viridis",
)
SERVER_MS = re.compile(r"([0-9.]+) ms on the server")


# --------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(args: list[str], env: dict[str, str], log: Path, *, start_timeout: float = 300.0):
    """``python app.py`` on a free loopback port; yields its URL; always stopped."""
    port = _free_port()
    cmd = [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port), "--offline", *args]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the app exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url + "gradio_api/info", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the app did not start in {start_timeout:.0f} s")
            time.sleep(0.5)
        yield url, proc.pid
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _client(url: str, downloads: Path) -> Any:
    from gradio_client import Client

    return Client(url, verbose=False, download_files=str(downloads), analytics_enabled=False)


def client_images(folder: Path, n: int) -> list[Path]:
    """n different pictures (the examples, mirrored and cropped), one per simulated user.

    Distinct users send distinct pictures; identical requests would also make identical
    output files, which Gradio writes to one cache path (see docs/performance.md).
    """
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted((ROOT / "assets" / "examples").glob("*.jpg"))
    out = []
    for i in range(n):
        with Image.open(sources[i % len(sources)]) as im:
            pic = im.convert("RGB")
        if (i // len(sources)) % 2:
            pic = pic.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        k = i // (2 * len(sources))
        if k:
            w, h = pic.size
            pic = pic.crop((4 * k, 4 * k, w - 4 * k, h - 4 * k))
        path = folder / f"user{i:02d}.jpg"
        pic.save(path, quality=92)
        out.append(path)
    return out


def _inspect(
    client: Any, depth: str, timeout: float, image: Path = EXAMPLE, first: list[float] | None = None
) -> tuple[float, float | None]:
    """One /inspect call: (seconds end to end, server-side milliseconds the app reports).

    With ``first``, the seconds until the first update arrived are appended to it (on a CPU the
    app sends everything but the Grad-CAM timeline first).
    """
    from gradio_client import handle_file

    t0 = time.perf_counter()
    job = client.submit(image=handle_file(str(image)), depth=depth, **INSPECT_ARGS, api_name="/inspect")
    if first is not None:
        while not job.outputs() and not job.done() and time.perf_counter() - t0 < timeout:
            time.sleep(0.002)
        first.append(time.perf_counter() - t0)
    out = job.result(timeout=timeout)
    elapsed = time.perf_counter() - t0
    m = SERVER_MS.search(str(out[-1]))
    return elapsed, (float(m.group(1)) if m else None)


def _predict(client: Any, depth: str, timeout: float, image: Path = EXAMPLE) -> tuple[float, float | None]:
    """One /predict call (top-k from the forward-only fast path): (seconds, server milliseconds)."""
    from gradio_client import handle_file

    a = INSPECT_ARGS
    t0 = time.perf_counter()
    out = client.submit(
        image=handle_file(str(image)), depth=depth, counts=a["counts"], block=a["block"], variant=a["variant"],
        weights=a["weights"], mode=a["mode"], size=a["size"], top_k=a["top_k"], api_name="/predict",
    ).result(timeout=timeout)
    elapsed = time.perf_counter() - t0
    m = SERVER_MS.search(str(out[-1]))
    return elapsed, (float(m.group(1)) if m else None)


def _stats(seconds: list[float]) -> dict[str, float]:
    a = np.asarray(seconds) * 1e3
    return {
        "n": len(seconds),
        "p50_ms": round(float(np.percentile(a, 50)), 1),
        "p95_ms": round(float(np.percentile(a, 95)), 1),
        "mean_ms": round(float(a.mean()), 1),
    }


def response_bytes(url: str, depth: str) -> dict[str, int]:
    """The bytes of one /inspect result: its JSON event plus every file it points to."""
    boundary = "----bench"
    data = EXAMPLE.read_bytes()
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{EXAMPLE.name}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(
        url + "gradio_api/upload", data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        path = json.loads(r.read())[0]
    image = {"path": path, "meta": {"_type": "gradio.FileData"}, "orig_name": EXAMPLE.name}
    args = [image, depth, *INSPECT_ARGS.values()]
    req = urllib.request.Request(
        url + "gradio_api/call/inspect", data=json.dumps({"data": args}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        event = json.loads(r.read())["event_id"]
    with urllib.request.urlopen(url + f"gradio_api/call/inspect/{event}", timeout=600) as r:
        stream = r.read().decode()
    payload = None
    for block in stream.split("\n\n"):
        if block.startswith("event: complete"):
            payload = block.split("data:", 1)[1].strip()
    if payload is None:
        raise RuntimeError(f"no result in {stream[:500]!r}")
    files: dict[str, int] = {}

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            if isinstance(v.get("url"), str) and v.get("path"):
                with urllib.request.urlopen(v["url"], timeout=60) as f:
                    files[Path(v["path"]).name + f"#{len(files)}"] = len(f.read())
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(json.loads(payload))
    return {
        "upload_bytes": len(data),
        "json_bytes": len(payload.encode()),
        "file_bytes": sum(files.values()),
        "files": len(files),
        "total_bytes": len(payload.encode()) + sum(files.values()),
    }


def bench_server(
    *,
    batch: str,
    depth: str,
    device: str,
    requests: int,
    clients: int,
    per_client: int,
    time_limit: float,
    workdir: Path,
    threads: int = 0,
    response_depth: str = "ResNet-152",
) -> dict:
    env = dict(os.environ)
    if threads:  # the server's torch threads (OMP_NUM_THREADS is read when torch starts)
        env["OMP_NUM_THREADS"] = str(threads)
    tmp = workdir / f"gradio-{batch}"
    tmp.mkdir(parents=True, exist_ok=True)
    env.update(
        GRADIO_ANALYTICS_ENABLED="False",
        RESNET_OFFLINE="1",
        HF_HUB_OFFLINE="1",
        GRADIO_TEMP_DIR=str(tmp),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    args = ["--device", device, "--batch" if batch == "on" else "--no-batch", "--queue-size", str(max(64, clients * 2))]
    log = workdir / f"app-{batch}.log"
    out: dict[str, Any] = {"batch": batch, "depth": depth, "server_threads": threads or "default"}
    with running_app(args, env, log) as (url, _pid):
        downloads = workdir / f"downloads-{batch}"
        client = _client(url, downloads)
        for _ in range(2):  # the model's first build and warm-up
            _inspect(client, depth, timeout=max(600.0, time_limit))
        single, server_ms, first = [], [], []
        for _ in range(requests):
            e, s = _inspect(client, depth, timeout=time_limit, first=first)
            single.append(e)
            if s is not None:
                server_ms.append(s)
        out["one_client"] = _stats(single)
        out["one_client"]["server_p50_ms"] = round(statistics.median(server_ms), 1) if server_ms else None
        out["one_client"]["throughput_rps"] = round(len(single) / sum(single), 3)
        out["one_client"]["first_update_p50_ms"] = round(float(np.median(first)) * 1e3, 1)
        if server_ms:
            out["one_client"]["e2e_over_server"] = round(out["one_client"]["p50_ms"] / out["one_client"]["server_p50_ms"], 3)

        quick, quick_ms = [], []
        for i in range(requests + 2):  # /predict: the forward-only fast path; 2 warm-up calls
            e, s = _predict(client, depth, timeout=time_limit)
            if i >= 2:
                quick.append(e)
                if s is not None:
                    quick_ms.append(s)
        out["predict_one_client"] = _stats(quick)
        out["predict_one_client"]["server_p50_ms"] = round(statistics.median(quick_ms), 2) if quick_ms else None

        many = [_client(url, downloads / f"c{i}") for i in range(clients)]
        pictures = client_images(workdir / "users", clients)
        lat: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        barrier = threading.Barrier(clients)
        deadline = time.perf_counter() + time_limit

        def work(c: Any, picture: Path) -> None:
            barrier.wait()
            for _ in range(per_client):
                left = deadline - time.perf_counter()
                if left <= 0:
                    return
                try:
                    e, _ = _inspect(c, depth, timeout=left, image=picture)
                except Exception as exc:  # noqa: BLE001 - counted, not fatal
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    return
                with lock:
                    lat.append(e)

        threads = [threading.Thread(target=work, args=(c, pic)) for c, pic in zip(many, pictures)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(time_limit + 60)
        wall = time.perf_counter() - t0
        out[f"{clients}_clients"] = {
            **(_stats(lat) if lat else {"n": 0}),
            "wall_s": round(wall, 2),
            "throughput_rps": round(len(lat) / wall, 3),
            "errors": errors,
            "asked": clients * per_client,
        }
        out["throughput_ratio"] = round(out[f"{clients}_clients"]["throughput_rps"] / out["one_client"]["throughput_rps"], 2)
        out["response"] = response_bytes(url, response_depth)
        out["response"]["depth"] = response_depth
    return out


# --------------------------------------------------------------------------- server-side compute, in-process


def server_side(depth: str, *, requests: int, threads: int, workdir: Path) -> dict:
    """What the server computes for one /inspect, without HTTP: the handler, then Gradio's own
    postprocessing of its outputs (image files encoded and cached, figures to JSON).

    Runs the app's ``build_demo`` in this process (same settings as the served app), so the
    image formats and components are exactly the served ones.
    """
    import torch

    os.environ["GRADIO_TEMP_DIR"] = str(workdir / "gradio-inprocess")
    if threads:
        torch.set_num_threads(threads)
    from playground import build_demo
    from playground.settings import with_options

    demo = build_demo(with_options(offline=True, device="cpu" if not torch.cuda.is_available() else "auto"))
    demo.service.wait_warm()
    dep = next(f for f in demo.fns.values() if getattr(f, "api_name", None) == "inspect")
    state = dep.outputs[0]  # the session's ticket to its kept inspection
    args = [str(EXAMPLE), depth, *INSPECT_ARGS.values()]
    engine, handler, post, first = [], [], [], []
    for i in range(requests + 2):
        # the handler yields once (GPU) or twice (CPU: the timeline after the rest); the page
        # gets every update, so each is postprocessed, as Gradio does
        t0 = time.perf_counter()
        spent_post, first_s, out = 0.0, None, None
        for out in dep.fn(*args):
            p0 = time.perf_counter()
            for comp, value in out.items():
                if comp is not state:
                    comp.postprocess(value)
            spent_post += time.perf_counter() - p0
            if first_s is None:
                first_s = time.perf_counter() - t0
        total = time.perf_counter() - t0
        if i >= 2:
            engine.append(demo.store.get(out[state], request=None).timings["total"])
            handler.append(total - spent_post)
            post.append(spent_post)
            first.append(first_s)
    med = {
        k: round(statistics.median(v) * 1e3, 1)
        for k, v in (("engine_ms", engine), ("handler_ms", handler), ("postprocess_ms", post), ("first_update_ms", first))
    }
    med["server_ms"] = round(med["handler_ms"] + med["postprocess_ms"], 1)
    med["image_formats"] = [c.format for c in dep.outputs if type(c).__name__ == "Image"]
    med["n"] = len(engine)
    return med


# --------------------------------------------------------------------------- payload, in-process


def _encode(a: np.ndarray, fmt: str, **kw: Any) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(a).save(buf, fmt, **kw)
    return buf.getvalue()


def bench_payload(depth: int = 152, repeats: int = 5) -> dict:
    import torch

    import viz
    from playground.tabs.architecture import graph_of
    from resnet_core import build_resnet
    from resnet_core.images import load_image
    from resnet_core.inspection import inspect
    from resnet_core.preprocess import Preprocess, prepare
    from resnet_core.serving import architecture_of
    from resnet_core.weights import IMAGENET_CATEGORIES

    torch.manual_seed(0)
    model = build_resnet(depth).eval().requires_grad_(False)
    prepared = prepare(load_image(EXAMPLE), Preprocess())
    res = inspect(model, prepared, timeline=True, categories=IMAGENET_CATEGORIES)
    guided = inspect(model, prepared, guided=True)
    pictures = {
        "overlay": viz.cam_overlay(res.image, res.cam.heatmap),
        "timeline": viz.cam_timeline_image(res.timeline, cmap="jet"),
        "gallery_layer4": viz.activation_grid(res.activation("layer4"), scale="per-channel", cmap="viridis"),
        "gallery_layer1": viz.activation_grid(res.activation("layer1"), scale="per-channel", cmap="viridis"),
        "guided": viz.colormap(guided.guided, "gray"),
    }
    formats = {
        "png": ("png", {}),
        "webp_q80": ("webp", {}),
        "webp_q90": ("webp", {"quality": 90}),
        "webp_lossless": ("webp", {"lossless": True}),
        "jpeg_q75": ("jpeg", {}),
    }
    images: dict[str, Any] = {}
    for name, a in pictures.items():
        row: dict[str, Any] = {"shape": list(a.shape)}
        for label, (fmt, kw) in formats.items():
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                data = _encode(a, fmt, **kw)
                times.append(time.perf_counter() - t0)
            row[label] = {"kib": round(len(data) / 1024, 1), "ms": round(statistics.median(times) * 1e3, 2)}
        images[name] = row
    figures = {}
    for name, fig in {
        "predictions": viz.predictions_figure(res.predictions[:10]),
        "stats": viz.stats_figure(res.activations),
    }.items():
        figures[name] = {"json_bytes": len(fig.to_json()), "traces": len(fig.data)}
    architecture_of.cache_clear()
    graph_of.cache_clear()
    t0 = time.perf_counter()
    architecture_of(152, "v1.5", (224, 224))
    t1 = time.perf_counter()
    graph = {}
    for level in ("block", "layer"):
        for unfold in (False, True):
            folded = () if unfold else None
            builds, cached = [], []
            for _ in range(repeats):
                graph_of.cache_clear()
                t2 = time.perf_counter()
                fig = graph_of(152, "v1.5", (224, 224), folded, level, None)
                t3 = time.perf_counter()
                graph_of(152, "v1.5", (224, 224), folded, level, None)
                t4 = time.perf_counter()
                builds.append(t3 - t2)
                cached.append(t4 - t3)
            graph[f"{level}{'_unfolded' if unfold else ''}"] = {
                "build_ms": round(statistics.median(builds) * 1e3, 1),
                "build_max_ms": round(max(builds) * 1e3, 1),
                "cached_ms": round(statistics.median(cached) * 1e3, 3),
                "json_bytes": len(fig.to_json()),
                "traces": len(fig.data),
            }
    return {
        "depth": depth,
        "images": images,
        "figures": figures,
        "graph_resnet152": {"describe_ms_cold": round((t1 - t0) * 1e3, 1), **graph},
    }


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--serve", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--payload", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--depth", default="ResNet-18", help="the model the clients ask for")
    p.add_argument("--device", default="auto")
    p.add_argument("--batch", nargs="+", default=["off", "on"], choices=["off", "on"])
    p.add_argument("--requests", type=int, default=8, help="sequential calls of the single client")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--concurrent-requests", type=int, default=2, help="calls per concurrent client")
    p.add_argument("--time-limit", type=float, default=300.0, help="seconds for the concurrent phase")
    p.add_argument("--server-threads", type=int, default=0, help="OMP_NUM_THREADS of the server (0: its default)")
    p.add_argument("--response-depth", default="ResNet-152", help="the model whose response bytes are counted")
    p.add_argument("--workdir", type=Path, default=None, help="keep the servers' logs and files here")
    p.add_argument("--out", type=Path, default=None)
    a = p.parse_args(argv)
    import torch

    from resnet_core.device import pick_device

    device = pick_device(a.device)
    report: dict[str, Any] = {
        "benchmark": "e2e",
        "device": device_string(device),
        "load_before": load_average(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "torch": torch.__version__,
    }
    print(f"# end-to-end benchmark on {report['device']}; load {report['load_before']}", flush=True)
    if a.payload:
        report["payload"] = bench_payload()
        for name, row in report["payload"]["images"].items():
            cells = "  ".join(f"{k} {v['kib']} KiB/{v['ms']} ms" for k, v in row.items() if k != "shape")
            print(f"payload {name} {row['shape']}: {cells}", flush=True)
        print(f"payload figures: {report['payload']['figures']}", flush=True)
        print(f"payload graph: {report['payload']['graph_resnet152']}", flush=True)
    if a.serve:
        report["server_side"] = server_side(a.depth, requests=a.requests, threads=a.server_threads, workdir=Path(tempfile.mkdtemp()))
        print(f"server side (in-process): {report['server_side']}", flush=True)
        report["serving"] = []
        with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
            if a.workdir:
                a.workdir.mkdir(parents=True, exist_ok=True)
                tmp = str(a.workdir)
            for batch in a.batch:
                r = bench_server(
                    batch=batch,
                    depth=a.depth,
                    device=device.type,
                    requests=a.requests,
                    clients=a.clients,
                    per_client=a.concurrent_requests,
                    time_limit=a.time_limit,
                    workdir=Path(tmp),
                    threads=a.server_threads,
                    response_depth=a.response_depth,
                )
                one = r["one_client"]
                one["e2e_over_server_side"] = round(one["p50_ms"] / report["server_side"]["server_ms"], 3)
                one["e2e_over_handler"] = round(one["p50_ms"] / report["server_side"]["handler_ms"], 3)
                report["serving"].append(r)
                print(f"serving batch={batch}: {json.dumps(r)}", flush=True)
                if a.out:  # after each server, so a run cut short still leaves its numbers
                    a.out.parent.mkdir(parents=True, exist_ok=True)
                    a.out.write_text(json.dumps(report, indent=1))
    report["load_after"] = load_average()
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(report, indent=1))
        print(f"wrote {a.out}")
    return report


if __name__ == "__main__":
    main()
