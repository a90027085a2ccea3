"""Reliability, round 2, through the running app: fair shares of jobs and uploads, what sessions
keep, and messages (issue 15, findings 3, 4, 5, 7 and 8).

Each test sends what the hostile client of the issue sent, from loopback addresses of its own
(127.0.0.1 for the noisy client, 127.0.0.2 and up for everyone else), to the real app running
in this process (``live_app``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from _live import (
    TINY,
    LiveApp,
    assert_clear_message,
    event_result,
    file_data,
    http_from,
    inspect,
    live_app,
    live_fixture,
    raw_call,
    tiny_args,
)
from _pictures import encode, natural_image
from gradio_client.exceptions import AppError
from PIL import Image

from playground.sessions import Expired, SessionStore, nbytes

pytestmark = pytest.mark.timeout(300)


def upload_from(live: LiveApp, address: str, name: str, data: bytes) -> httpx.Response:
    with http_from(live, address) as h:
        return h.post("gradio_api/upload", files={"files": (name, data, "application/octet-stream")})


def jobs_in_queue(live: LiveApp, group: str) -> int:
    """Jobs of a concurrency group waiting or running in the server's queue now."""
    queue = live.demo._queue
    waiting = sum(len(q.queue) for cid, q in queue.event_queue_per_concurrency_id.items() if cid == group)
    running = sum(1 for job in queue.active_jobs if job for e in job if e.concurrency_id == group)
    return waiting + running


# --------------------------------------------------------------------------- finding 4: jobs


def test_unread_jobs_from_one_address_are_capped_and_do_not_hold_up_anyone_else(tmp_path: Path) -> None:
    """34 races posted and never read made the next /predict answer "queue full" for minutes."""
    with live_app(tmp_path, jobs_per_client=4) as live:
        with http_from(live, "127.0.0.1") as noisy:
            answers = [noisy.post("gradio_api/call/race", json={"data": [20, 10]}) for _ in range(10)]
        admitted = [r for r in answers if r.status_code == 200]
        refused = [r for r in answers if r.status_code != 200]
        assert len(admitted) == 4, [r.status_code for r in answers]
        assert {r.status_code for r in refused} == {429}
        assert "already has 4 jobs waiting or running" in refused[0].json()["detail"]
        # someone else meanwhile: served at once, not after the races
        uploaded = upload_from(live, "127.0.0.2", "good.png", encode(Image.fromarray(natural_image(48, 48)), "PNG"))
        assert uploaded.status_code == 200, uploaded.text
        image = file_data(uploaded.json()[0])
        with http_from(live, "127.0.0.2") as other:
            args = [image, *(TINY[k] for k in ("depth", "counts", "block", "variant", "weights", "mode", "size", "top_k"))]
            r = other.post("gradio_api/call/predict", json={"data": args})
            assert r.status_code == 200, r.text
            event, data = event_result(other, "predict", r.json()["event_id"])
            races_left = jobs_in_queue(live, "long")
        assert event == "complete", data
        assert races_left >= 2, "the quick request waited behind the races"


# --------------------------------------------------------------------------- finding 5: uploads


def test_uploads_are_held_to_a_rate_per_address_and_a_quota_on_disk(tmp_path: Path) -> None:
    megabyte = np.random.default_rng(0).integers(0, 256, 2**20, dtype=np.uint8).tobytes()
    with live_app(tmp_path, upload_rate_mb=2.5, upload_quota_mb=4) as live:
        base = sum(p.stat().st_size for p in live.temp_dir.rglob("*") if p.is_file())
        codes = [upload_from(live, "127.0.0.1", f"a{i}.bin", megabyte).status_code for i in range(4)]
        assert codes == [200, 200, 429, 429], codes
        r = upload_from(live, "127.0.0.1", "a.bin", megabyte)
        assert "Too many uploads from this address" in r.json()["detail"]
        # another address has its own rate, but the folder has one quota for everyone
        codes = [upload_from(live, f"127.0.0.{3 + i}", f"b{i}.bin", megabyte).status_code for i in range(4)]
        assert 507 in codes, codes
        used = sum(p.stat().st_size for p in live.temp_dir.rglob("*") if p.is_file()) - base
        assert used <= 4 * 2**20 + 2**20, f"{used / 2**20:.1f} MB in the upload folder"
        r = upload_from(live, "127.0.0.9", "c.bin", megabyte)
        assert r.status_code == 507 and "upload space is full" in r.json()["detail"]


def test_an_upload_without_a_length_is_refused(live_default: LiveApp) -> None:
    def body() -> Any:
        yield b"--x\r\nContent-Disposition: form-data; name=files; filename=a.png\r\n\r\n"
        yield b"0" * 1000
        yield b"\r\n--x--\r\n"

    with live_default.http() as h:
        r = h.post("gradio_api/upload", content=body(), headers={"content-type": "multipart/form-data; boundary=x"})
    assert r.status_code == 411


# --------------------------------------------------------------------------- finding 3: sessions


live_default = live_fixture("round2", name="live_default", outbound_checked=False, session_mb=4)


def test_what_sessions_keep_is_bounded_in_total_and_the_oldest_goes_first(live_default: LiveApp, tmp_path: Path) -> None:
    live = live_default
    picture = tmp_path / "big.png"
    Image.fromarray(natural_image(512, 512, seed=4)).save(picture)
    sessions = [live.client() for _ in range(6)]
    for session in sessions:
        inspect(session, picture, size=512, mode="whole")
    store = live.demo.store
    assert store.bytes <= 4 * 2**20
    assert len(store) < len(sessions), "every session kept its inspection past the bound"
    # the newest session redraws; the oldest one is told plainly to run it again
    newest = sessions[-1].submit(alpha=0.3, cmap="jet", api_name="/render_cam").result(timeout=60)
    assert newest[0] is not None
    with pytest.raises(AppError, match="Your last inspection has expired; run it again") as caught:
        sessions[0].submit(alpha=0.3, cmap="jet", api_name="/render_cam").result(timeout=60)
    assert_clear_message(str(caught.value), live)


def test_a_kept_inspection_holds_no_timeline_and_its_pictures_once() -> None:
    """At 1024² the timeline's maps alone were 105 MB a session; what is kept is the redraw's needs."""
    from playground.tabs.inspect import kept
    from resnet_core.inspection import inspect as library_inspect
    from resnet_core.model import build_resnet
    from resnet_core.preprocess import prepare

    model = build_resnet(("basic", (1, 1, 1, 1))).eval()
    result = library_inspect(model, prepare(natural_image(300, 300), size=256), timeline=True, top_k=5)
    small = kept(result)
    assert small.timeline is None and len(small.cams) == 1
    assert nbytes(small) < nbytes(result) / 3
    assert small.cam.heatmap is result.cam.heatmap  # what is kept is what the page redraws


def test_the_session_store_binds_values_to_their_owner_and_expires_them() -> None:
    class Req:
        def __init__(self, host: str, agent: str) -> None:
            self.client = type("C", (), {"host": host})()
            self.headers = {"user-agent": agent}

    store = SessionStore(max_bytes=10_000, max_items=3, ttl_s=0.5)
    alice, mallory = Req("10.0.0.1", "Firefox"), Req("10.0.0.2", "curl")
    ticket = store.put(np.zeros(1000, np.uint8), request=alice, kind="inspection")
    assert store.get(ticket, request=alice).shape == (1000,)
    with pytest.raises(Expired):
        store.get(ticket, request=mallory)  # a session hash seen by someone else opens nothing
    tickets = [store.put(np.zeros(4000, np.uint8), request=alice, kind="x") for _ in range(3)]
    assert store.bytes <= 10_000
    with pytest.raises(Expired):
        store.get(ticket, request=alice)  # evicted by size, oldest first
    assert store.get(tickets[-1], request=alice).nbytes == 4000
    time.sleep(0.6)
    with pytest.raises(Expired):
        store.get(tickets[-1], request=alice)  # expired by age
    assert len(store) == 0 or store.bytes <= 10_000
    with pytest.raises(ValueError, match="too large"):
        store.put(np.zeros(20_000, np.uint8), request=alice, kind="x")


# --------------------------------------------------------------------------- finding 7: messages


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (dict(layer="x" * 1_000_000), r"layer"),
        (dict(target=281), None),  # a JSON number is a class index
        (dict(target="²"), r"unknown class"),
        (dict(depth="custom", counts="6_4,1,1,1"), r"four whole numbers"),
    ],
    ids=["1MB-layer", "number-target", "superscript-target", "underscore-counts"],
)
def test_messages_quote_little_and_odd_values_are_read_or_refused_plainly(
    live_default: LiveApp, tmp_path: Path, overrides: dict[str, Any], message: str | None
) -> None:
    picture = tmp_path / "p.png"
    Image.fromarray(natural_image(64, 64)).save(picture)
    client = live_default.client()
    if message is None:
        out = inspect(client, picture, **overrides)
        assert "class 281" in out["caption"]
        return
    with pytest.raises(AppError, match=message) as caught:
        inspect(client, picture, **overrides)
    text = str(caught.value)
    assert len(text) < 700, f"a {len(text)}-character message"
    assert_clear_message(text, live_default)


def test_compare_depths_with_checkpoint_weights_says_what_to_do(live_default: LiveApp, tmp_path: Path) -> None:
    picture = tmp_path / "p.png"
    Image.fromarray(natural_image(64, 64)).save(picture)
    from gradio_client import handle_file

    with pytest.raises(AppError, match="pick those weights above") as caught:
        live_default.client().submit(image=handle_file(str(picture)), weights="checkpoint", api_name="/compare_depths").result(timeout=60)
    assert "add_checkpoint" not in str(caught.value)


def test_the_raw_api_with_a_huge_value_keeps_the_log_short(live_default: LiveApp) -> None:
    uploaded = live_default.upload("good.png", encode(Image.fromarray(natural_image(32, 32)), "PNG"))
    event, data = raw_call(live_default, "inspect", tiny_args(file_data(uploaded), target="9" * 200_000))
    assert event in ("error", "http")
    assert len(json.dumps(data)) < 2_000



def test_kept_values_expire_on_a_quiet_server_and_are_closed() -> None:
    """Expiry must not wait for the next request: a training run left behind is closed on time."""

    class Req:
        client = type("C", (), {"host": "10.0.0.1"})()
        headers = {"user-agent": "x"}

    class Run:
        closed = False
        nbytes = 1000

        def close(self) -> None:
            Run.closed = True

    store = SessionStore(max_bytes=10_000, ttl_s=1.0)
    store.put(Run(), request=Req(), kind="train")
    deadline = time.time() + 10
    while len(store) and time.time() < deadline:
        time.sleep(0.2)
    assert len(store) == 0 and Run.closed and store.bytes == 0
