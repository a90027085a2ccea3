"""How the server runs: one record, read once from the command line and the environment."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

from resnet_core.device import env_choice
from resnet_core.serving import ServiceConfig

from .limits import Limits


@dataclass(frozen=True)
class Settings:
    """Every field has a flag; most also an environment variable (see ``python app.py --help``).

    Attributes:
        host: address to listen on (RESNET_HOST, GRADIO_SERVER_NAME).
        port: port (RESNET_PORT, GRADIO_SERVER_PORT); 0 picks a free one.
        device: "auto", "cpu" or "cuda" (RESNET_DEVICE).
        share: open a public Gradio share link (RESNET_SHARE).
        offline: never try to download weights (RESNET_OFFLINE).
        max_file_size: largest upload in bytes.
        queue_size: requests waiting beyond this are turned away as "busy".
        concurrency: events running a network at once (one GPU: a few; CPU: the cores).
        max_models: model copies kept in memory (engines' and fast paths' copies included).
        max_gmacs: most multiply-accumulates (billions) of one forward pass a request may ask for:
            ResNet-152 at 224 is 11.5, ResNet-18 at 1024 is 38, ResNet-50 at 1024 is 85.
        max_params: most parameters of a network the server builds (ResNet-152: 60.2M).
        batch: micro-batch concurrent inspections (RESNET_BATCH; None: on CUDA only).
        precision: "fp32", "bf16" or "auto" (RESNET_PRECISION; auto: bf16 on a CUDA GPU).
        timeline_after: send the Grad-CAM timeline after the rest of an inspection
            (RESNET_TIMELINE_AFTER; None: on a CPU).
        jobs_per_client: model jobs one client address may have waiting or running at once.
        upload_rate_mb: megabytes one client address may upload per minute.
        upload_quota_mb: the most the upload folder may hold (oldest files swept first).
        session_mb: the most all sessions together keep for redrawing (checkpoints, inspections).
        session_ttl_s: how long a session's kept values live after their last use.
        mcp: also serve the main endpoints as MCP tools for agents (RESNET_MCP; needs ``gradio[mcp]``).
        backend: "local" (the models run in this process) or "ray" (the Inspect tab's models run in a
            Ray Serve deployment; RESNET_BACKEND; needs the ``scale`` extra, see docs/scaling.md).
        ray_address: the Ray cluster to join (RAY_ADDRESS; None starts a local one).
        replicas: Ray Serve replicas of the model deployment.
        gpus_per_replica: GPUs each replica asks Ray for (0 on a CPU cluster).
    """

    host: str = "127.0.0.1"
    port: int = 7860
    device: str = "auto"
    share: bool = False
    offline: bool = False
    max_file_size: int = 20 * 2**20
    queue_size: int = 32
    concurrency: int = 2
    max_models: int = 6
    max_gmacs: float = 50.0
    max_params: int = 100_000_000
    batch: bool | None = None
    precision: str = "auto"
    timeline_after: bool | None = None
    jobs_per_client: int = 8
    upload_rate_mb: float = 200.0
    upload_quota_mb: float = 2048.0
    session_mb: float = 1024.0
    session_ttl_s: float = 1800.0
    mcp: bool = False
    backend: str = "local"
    ray_address: str | None = None
    replicas: int = 2
    gpus_per_replica: float = 0.0

    def limits(self) -> Limits:
        """Each client's share of jobs and uploads (see playground/limits.py)."""
        return Limits(
            jobs_per_client=self.jobs_per_client,
            jobs_per_session=max(1, min(4, self.jobs_per_client)),
            upload_bytes_per_window=int(self.upload_rate_mb * 2**20),
            upload_quota_bytes=int(self.upload_quota_mb * 2**20),
        )

    def service_config(self, *, warm_up: bool = True) -> ServiceConfig:
        """What the model service needs of these settings."""
        return ServiceConfig(
            device=self.device,
            offline=self.offline or None,
            max_models=self.max_models,
            max_gmacs=self.max_gmacs,
            max_params=self.max_params,
            batch=self.batch,
            precision=self.precision,
            timeline_after=self.timeline_after,
            warm_up=warm_up,
        )


def parse_settings(argv: list[str] | None = None) -> Settings:
    """Settings from the command line, falling back to the environment, then the defaults."""
    env = os.environ
    p = argparse.ArgumentParser(description="ResNet playground: a Gradio app that lays a ResNet open.")
    p.add_argument("--host", default=env.get("RESNET_HOST") or env.get("GRADIO_SERVER_NAME") or Settings.host)
    p.add_argument("--port", type=int, default=int(env.get("RESNET_PORT") or env.get("GRADIO_SERVER_PORT") or Settings.port))
    p.add_argument("--device", default=env.get("RESNET_DEVICE") or "auto", help="auto, cpu or cuda")
    p.add_argument("--share", action="store_true", default=bool(env_choice("RESNET_SHARE")))
    p.add_argument("--offline", action="store_true", default=bool(env_choice("RESNET_OFFLINE")), help="never download weights")
    p.add_argument("--queue-size", type=int, default=Settings.queue_size)
    p.add_argument("--concurrency", type=int, default=Settings.concurrency)
    p.add_argument("--max-file-mb", type=float, default=Settings.max_file_size / 2**20)
    p.add_argument("--max-gmacs", type=float, default=Settings.max_gmacs, help="largest forward pass a request may ask for")
    p.add_argument("--max-models", type=int, default=Settings.max_models, help="model copies kept in memory")
    p.add_argument("--batch", action=argparse.BooleanOptionalAction, default=env_choice("RESNET_BATCH"),
                   help="batch concurrent inspections")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default=env.get("RESNET_PRECISION") or "auto")
    p.add_argument(
        "--timeline-after",
        action=argparse.BooleanOptionalAction,
        default=env_choice("RESNET_TIMELINE_AFTER"),
        help="send the Grad-CAM timeline after the rest of an inspection (default: on a CPU)",
    )
    p.add_argument("--jobs-per-client", type=int, default=Settings.jobs_per_client,
                   help="model jobs one client address may have waiting or running")
    p.add_argument("--upload-rate-mb", type=float, default=Settings.upload_rate_mb, help="upload megabytes per client per minute")
    p.add_argument("--upload-quota-mb", type=float, default=Settings.upload_quota_mb, help="most the upload folder may hold")
    p.add_argument("--mcp", action="store_true", default=bool(env_choice("RESNET_MCP")),
                   help="also serve the main endpoints as MCP tools (pip install 'gradio[mcp]')")
    p.add_argument("--backend", choices=["local", "ray"], default=env.get("RESNET_BACKEND") or "local",
                   help="where the Inspect tab's models run (ray: pip install -e '.[scale]')")
    p.add_argument("--ray-address", default=env.get("RAY_ADDRESS") or None, help="the Ray cluster to join")
    p.add_argument("--replicas", type=int, default=Settings.replicas, help="Ray Serve replicas")
    p.add_argument("--gpus-per-replica", type=float, default=Settings.gpus_per_replica)
    p.add_argument("--session-ttl", type=float, default=Settings.session_ttl_s,
                   help="seconds a session's kept values live after their last use")
    p.add_argument("--session-mb", type=float, default=Settings.session_mb, help="most all sessions together keep")
    a = p.parse_args(argv)
    return Settings(
        host=a.host,
        port=a.port,
        device=a.device,
        share=a.share,
        offline=a.offline,
        max_file_size=int(a.max_file_mb * 2**20),
        queue_size=max(1, a.queue_size),
        concurrency=max(1, a.concurrency),
        max_models=max(1, a.max_models),
        max_gmacs=a.max_gmacs,
        batch=a.batch,
        precision=a.precision,
        timeline_after=a.timeline_after,
        jobs_per_client=max(1, a.jobs_per_client),
        upload_rate_mb=max(0.1, a.upload_rate_mb),
        upload_quota_mb=max(1.0, a.upload_quota_mb),
        session_mb=max(16.0, a.session_mb),
        session_ttl_s=max(5.0, a.session_ttl),
        mcp=a.mcp,
        backend=a.backend,
        ray_address=a.ray_address,
        replicas=max(1, a.replicas),
        gpus_per_replica=max(0.0, a.gpus_per_replica),
    )
