"""Load: many clients at once get their own results, a full queue says "busy", memory returns.

Issue 7, part 5, and shared/RELIABILITY.md items 7, 21-23. The real app runs in this process
(``live_app`` from tests/_live.py) with the shipped queue and concurrency settings,
and every client is a separate ``gradio_client`` session on loopback. Counts and times are
bounded: 16 clients, the tiny network at small sizes. Thread-level concurrency on one model
(200 repeated inspections, 8 threads at once) is test_inspection.py's; here it goes through
Gradio's queue, worker threads and per-session state.
"""

from __future__ import annotations

import gc
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _live import (
    CALL_TIMEOUT_S,
    TINY,
    TINY_ARCH,
    LiveApp,
    assert_clear_message,
    assert_same_result,
    call,
    inspect,
    live_app,
    live_fixture,
    png_pixels,
    signature,
)
from _pictures import natural_image
from _server import INSPECT_OUTPUTS
from gradio_client import Client, handle_file
from PIL import Image

from resnet_core.batching import InspectBatcher
from resnet_core.hooks import hook_count

pytestmark = pytest.mark.timeout(420)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "assets" / "examples").glob("*.jpg"))
LAYERS = ("stem", "layer1", "layer1.0", "layer2", "layer2.0", "layer3", "layer3.0", "layer4", "layer4.0")
TARGETS = ("auto (top-1)", "281", "1: goldfish", "999", "17", "auto (top-1)", "508", "954")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


# the shipped settings, but for the share per address: these sixteen "users" all come from
# 127.0.0.1 (test_fair_shares.py holds one address to its share)
live = live_fixture("load", jobs_per_client=64)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("pictures")
    paths = list(EXAMPLES)
    for seed in range(16 - len(paths)):
        path = d / f"synthetic{seed}.png"
        Image.fromarray(natural_image(90 + 7 * seed, 150 - 3 * seed, seed=100 + seed)).save(path)
        paths.append(path)
    return paths


def jobs(pictures: list[Path]) -> list[dict[str, Any]]:
    """16 different requests: image, Grad-CAM layer, class, preprocessing and size all vary."""
    return [
        dict(
            image=pictures[i],
            layer=LAYERS[i % len(LAYERS)],
            target=TARGETS[i % len(TARGETS)],
            mode="crop" if i % 3 else "whole",
            size=(64, 80, 96)[i % 3],
            stage=LAYERS[(i + 4) % len(LAYERS)],
        )
        for i in range(16)
    ]


def run(client: Client, job: dict[str, Any]) -> dict[str, Any]:
    """One person's turn: inspect, then redraw another stage's activations from their own result."""
    job = dict(job)
    result = signature(inspect(client, job.pop("image"), **job))
    gallery, text = call(client, name="layer1", scale="per-channel", cmap="viridis", api_name="/render_activations")
    result["redraw"] = (png_pixels(gallery), text)
    return result


@pytest.mark.slow
def test_16_concurrent_clients_each_get_their_single_user_result(live: LiveApp, pictures: list[Path]) -> None:
    work = jobs(pictures)
    clients = [live.client() for _ in work]
    for c in clients:  # each session picks the tiny network, which fills its layer pickers
        call(c, **TINY_ARCH, api_name="/layers")
    alone = [run(c, job) for c, job in zip(clients, work)]
    assert len({r["caption"] for r in alone}) > 8, "the jobs must differ, or cross-talk could not show"

    barrier = threading.Barrier(len(work))

    def together(i: int) -> dict[str, Any]:
        barrier.wait(timeout=60)
        return run(clients[i], work[i])

    start = time.perf_counter()
    with ThreadPoolExecutor(len(work)) as pool:
        results = list(pool.map(together, range(len(work))))
    elapsed = time.perf_counter() - start
    for i, (single, crowd) in enumerate(zip(alone, results)):
        try:
            assert_same_result(crowd, single, pixel_tolerance=1)
            assert crowd["redraw"][1] == single["redraw"][1]
            assert np.abs(crowd["redraw"][0].astype(int) - single["redraw"][0].astype(int)).max() <= 1
        except AssertionError as exc:
            raise AssertionError(f"client {i} ({work[i]['layer']}, {work[i]['target']}): {exc}") from exc
    for served in (live.service.get(k) for k in live.service.keys()):
        assert hook_count(served.model) == 0
    assert elapsed < 300


@pytest.mark.slow
def test_16_clients_asking_the_very_same_thing_at_once_all_get_whole_identical_pictures(
    live: LiveApp, pictures: list[Path]
) -> None:
    """RELIABILITY.md 23 taken literally: identical requests, so identical pictures at the same moment.

    Gradio names an output file by the hash of its bytes and rewrites it in place; without a
    tag of each response's own, one response could stream a file another was rewriting.
    """
    clients = [live.client() for _ in range(16)]
    for c in clients:
        call(c, **TINY_ARCH, api_name="/layers")
    job = dict(image=pictures[0], layer="layer3", size=96)
    want = run(clients[0], job)
    barrier = threading.Barrier(len(clients))

    def together(c: Client) -> dict[str, Any]:
        barrier.wait(timeout=60)
        return run(c, job)

    with ThreadPoolExecutor(len(clients)) as pool:
        results = list(pool.map(together, clients))
    for i, got in enumerate(results):  # decoding a half-written file fails or differs
        assert_same_result(got, want)
        assert np.array_equal(got["redraw"][0], want["redraw"][0]), f"client {i}"


def test_identical_pictures_leave_in_files_of_their_own() -> None:
    """The mechanism behind the test above, in Gradio's own cache code: same pixels, other files."""
    from gradio import processing_utils

    from playground.guard import served_picture

    pixels = natural_image(40, 56, seed=3)
    for fmt in ("jpeg", "png"):
        with tempfile.TemporaryDirectory() as cache:
            paths = [processing_utils.save_pil_to_cache(served_picture(pixels), cache, format=fmt) for _ in range(2)]
            assert paths[0] != paths[1], fmt
            decoded = [np.asarray(Image.open(p).convert("RGB")) for p in paths]
            assert np.array_equal(decoded[0], decoded[1])
            if fmt == "png":  # lossless: the very pixels
                assert np.array_equal(decoded[0], pixels)
        # without the tag, Gradio would put both in one file
        with tempfile.TemporaryDirectory() as cache:
            plain = [processing_utils.save_pil_to_cache(Image.fromarray(pixels), cache, format=fmt) for _ in range(2)]
            assert plain[0] == plain[1]


def test_the_cache_is_swept_of_old_uploads_and_outputs(
    tmp_path: Path, pictures: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A public server must not fill its disk: build_demo wires Gradio's delete_cache to our ages."""
    from playground import page

    monkeypatch.setattr(page, "CACHE_SWEEP_S", 1)
    monkeypatch.setattr(page, "CACHE_MAX_AGE_S", 2)
    with live_app(tmp_path) as live:
        client = live.client()
        before = live.files()  # the examples' copies, which Gradio keeps for the page
        inspect(client, pictures[-1], **{k: TINY[k] for k in ("depth", "counts", "weights", "size")})
        made = live.files() - before  # the upload and the response's pictures
        assert any(f.endswith(".jpeg") for f in made) and any(f.endswith(".png") for f in made), made
        assert len(made) >= 4, made
        deadline = time.monotonic() + 30
        while made & live.files() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not made & live.files(), f"still there after 30 s: {sorted(made & live.files())}"


# --------------------------------------------------------------------------- a full queue


@pytest.fixture(scope="module")
def small_queue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with live_app(tmp_path_factory.mktemp("queue"), queue_size=2, concurrency=1) as running:
        yield running
        assert running.guard.attempts == []


def test_a_burst_past_the_queue_gets_a_clean_busy_and_the_admitted_jobs_finish(
    small_queue: LiveApp, pictures: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    live = small_queue
    picture = pictures[0]
    first = live.client()
    want = signature(inspect(first, picture))
    for _ in range(3):  # settle allocations before measuring
        inspect(first, picture)
    gc.collect()
    rss_before = rss_mb()

    # hold the one worker inside the network until every client has asked
    real_inspect = InspectBatcher.inspect  # the app's one call into the network
    entered, release = threading.Event(), threading.Event()

    def held(engine: InspectBatcher, *args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(timeout=120)
        return real_inspect(engine, *args, **kwargs)

    monkeypatch.setattr(InspectBatcher, "inspect", held)
    burst = 8
    clients = [live.client() for _ in range(burst)]
    futures = [clients[0].submit(image=handle_file(str(picture)), **TINY, api_name="/inspect")]
    assert entered.wait(timeout=60), "the first job never started"
    for c in clients[1:]:
        futures.append(c.submit(image=handle_file(str(picture)), **TINY, api_name="/inspect"))
        time.sleep(0.2)  # in order, so the count below is exact
    time.sleep(1.0)
    release.set()

    done, busy = [], []
    for f in futures:
        try:
            done.append(dict(zip(INSPECT_OUTPUTS, f.result(timeout=CALL_TIMEOUT_S))))
        except Exception as exc:  # noqa: BLE001 - what the client raises is part of what is tested
            busy.append(exc)
    # one address: it may run its jobs and queue them, except in the last places of the queue,
    # which a fair share keeps for addresses with no job (a quarter, at least one, never all)
    reserved = min(max(1, live.settings.queue_size // 4), live.settings.queue_size - 1)
    admitted = live.settings.concurrency + live.settings.queue_size - reserved
    assert len(done) == admitted, f"{len(done)} done, {len(busy)} turned away"
    assert len(busy) == burst - admitted
    for exc in busy:
        text = str(exc)
        # Gradio's own "Queue is full", or the fair share's 429 (gradio_client shows the status)
        assert "queue is full" in text.lower() or "429 too many requests" in text.lower(), repr(exc)
        assert_clear_message(text, live)
    for result in done:
        assert_same_result(signature(result), want)

    monkeypatch.setattr(InspectBatcher, "inspect", real_inspect)
    assert_same_result(signature(inspect(first, picture)), want)  # and it serves again at once
    for served in (live.service.get(k) for k in live.service.keys()):
        assert hook_count(served.model) == 0
    gc.collect()
    grown = rss_mb() - rss_before
    assert grown < 150, f"resident memory grew by {grown:.0f} MB after the burst"
