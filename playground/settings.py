"""How the server runs: one record, read once from the command line and the environment.

Each option is declared once, as a row of :data:`OPTIONS`: the field it sets, its flag, the
environment variables read when the flag is absent, and its help. Its default is the default of
the field it sets, so it lives in the config that uses it (:class:`~resnet_core.serving.ServiceConfig`
for the model service, :class:`~playground.limits.Limits` for each client's share, :class:`Settings`
for the server itself). ``python app.py --help`` and README's option table are both written
from the rows (``print(playground.settings.options_table())``). This is the one place that
reads the environment: ``resnet_core`` is handed the values.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from resnet_core.serving import ServiceConfig

from .limits import Limits

MB = 2**20

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def yes_no(text: str | None) -> bool | None:
    """A yes/no value: True for 1/true/yes/on, False for 0/false/no/off, else None.

    Case and surrounding spaces are ignored; None (unset, empty or anything else) leaves the
    choice to the option's default.
    """
    flag = (text or "").strip().lower()
    if flag in _TRUE:
        return True
    if flag in _FALSE:
        return False
    return None


@dataclass(frozen=True)
class Settings:
    """Everything the server is told at start (each field's option: :data:`OPTIONS`).

    Attributes:
        host, port, share, max_file_size, queue_size, concurrency, session_mb, session_ttl_s,
            mcp, backend, ray_address, replicas, gpus_per_replica: the server's own options.
        service: the model service's config (device, weights, cache and compute budgets).
        limits: each client's share of jobs and uploads.
    """

    host: str = "127.0.0.1"
    port: int = 7860
    share: bool = False
    max_file_size: int = 20 * MB
    queue_size: int = 32
    concurrency: int = 2
    session_mb: float = 1024.0
    session_ttl_s: float = 1800.0
    mcp: bool = False
    backend: str = "local"
    ray_address: str | None = None
    replicas: int = 2
    gpus_per_replica: float = 0.0
    service: ServiceConfig = field(default_factory=ServiceConfig)
    limits: Limits = field(default_factory=Limits)


Kind = Literal["text", "int", "float", "switch", "either"]


@dataclass(frozen=True)
class Option:
    """One option of the server, declared once.

    Attributes:
        path: the field it sets: ``"port"``, ``"service.device"``, ``"limits.upload_quota_bytes"``.
        flag: its command-line flag.
        help: what it means (the flag's help and README's table).
        env: environment variables read, in order, when the flag is absent.
        kind: "text", "int", "float", "switch" (a flag that turns it on) or "either"
            (``--x``/``--no-x``; unset leaves the field's None, "decide by the machine").
        choices: the values allowed.
        unit: the flag's value times ``unit`` is the field's (megabytes to bytes).
        floor: smaller values are raised to this (in the flag's unit).
        shown: the default in words, where the field's value alone would not say it.
    """

    path: str
    flag: str
    help: str
    env: tuple[str, ...] = ()
    kind: Kind = "text"
    choices: tuple[str, ...] = ()
    unit: float = 1
    floor: float | None = None
    shown: str | None = None

    @property
    def dest(self) -> str:
        return self.path.replace(".", "__")

    def default(self) -> Any:
        """The field's default (in the flag's unit), read from the config that declares it."""
        value = _field_default(self.path)
        return value / self.unit if self.unit != 1 and value is not None else value

    def from_env(self, env: Mapping[str, str]) -> tuple[str, Any] | None:
        """``(variable, value)`` from the first of :attr:`env` that is set, else None.

        Raises:
            ValueError: the variable's text is not a value of this option.
        """
        for name in self.env:
            text = env.get(name, "").strip()
            if not text:
                continue
            if self.kind in ("switch", "either"):
                value = yes_no(text)
                if value is None:
                    raise ValueError(f"{name}={text[:40]!r}: use 1/0, true/false, yes/no or on/off")
                return name, value
            try:
                value = {"int": int, "float": float}.get(self.kind, str)(text)
            except ValueError:
                raise ValueError(f"{name}={text[:40]!r} is not {'a whole number' if self.kind == 'int' else 'a number'}") from None
            if self.choices and value not in self.choices:
                raise ValueError(f"{name}={text[:40]!r}: choose from {', '.join(self.choices)}")
            return name, value
        return None

    def to_field(self, value: Any, *, floor: bool = True) -> Any:
        """The flag's value as the field holds it (in the field's unit; floored unless ``floor`` is False)."""
        if value is None or self.kind in ("text", "switch", "either"):
            return value
        if floor and self.floor is not None:
            value = max(self.floor, value)
        if self.unit != 1:
            value = value * self.unit
        return int(value) if isinstance(_field_default(self.path), int) else float(value)

    def default_words(self) -> str:
        """The default as README's table says it."""
        if self.shown is not None:
            return self.shown
        value = self.default()
        if self.kind == "switch":
            return "on" if value else "off"
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)

    def flags_words(self) -> str:
        return f"`{self.flag}` / `--no-{self.flag[2:]}`" if self.kind == "either" else f"`{self.flag}`"


#: the configs an option's path names: "" (the server's own), "service", "limits"
_CONFIGS: dict[str, type] = {"": Settings, "service": ServiceConfig, "limits": Limits}


def _field_default(path: str) -> Any:
    head, _, name = path.rpartition(".")
    (f,) = (f for f in dataclasses.fields(_CONFIGS[head]) if f.name == name)
    return f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]


#: every option of the server, in the order ``--help`` and README list them
OPTIONS: tuple[Option, ...] = (
    Option("host", "--host", "address to listen on", env=("RESNET_HOST", "GRADIO_SERVER_NAME")),
    Option("port", "--port", "port (0: a free one)", env=("RESNET_PORT", "GRADIO_SERVER_PORT"), kind="int"),
    Option("service.device", "--device", "`auto` (CUDA when present), `cpu`, `cuda`", env=("RESNET_DEVICE",)),
    Option("share", "--share", "a public Gradio share link", env=("RESNET_SHARE",), kind="switch"),
    Option("service.offline", "--offline", "never try to download weights (use the hub cache only)",
           env=("RESNET_OFFLINE",), kind="switch"),
    Option("queue_size", "--queue-size", 'requests waiting beyond this get a clean "busy"', kind="int", floor=1),
    Option("concurrency", "--concurrency", "quick model events running at once (they share one `concurrency_id`; "
           "long jobs queue apart, one at a time)", kind="int", floor=1),
    Option("max_file_size", "--max-file-mb", "largest upload, in megabytes", kind="float", unit=MB),
    Option("service.max_gmacs", "--max-gmacs", "largest forward pass a request may ask for, in billions of "
           "multiply-accumulates (checked before anything is built; ResNet-152 at 224 is 11.5)", kind="float"),
    Option("service.max_models", "--max-models", "model copies kept in memory (engines' and fast paths' copies "
           "counted)", kind="int", floor=1),
    Option("limits.jobs_per_client", "--jobs-per-client", "model jobs one client address may have waiting or "
           "running (at most 4 per browser session)", kind="int", floor=1),
    Option("limits.upload_bytes_per_window", "--upload-rate-mb", "upload megabytes per client address per minute",
           kind="float", unit=MB, floor=0.1),
    Option("limits.upload_quota_bytes", "--upload-quota-mb", "most the upload folder may hold, in megabytes "
           "(oldest files swept first)", kind="float", unit=MB, floor=1.0),
    Option("session_mb", "--session-mb", "most all sessions together keep, in megabytes (checkpoints, last "
           "inspections, training runs)", kind="float", floor=16.0),
    Option("session_ttl_s", "--session-ttl", "seconds a session's kept values live after their last use",
           kind="float", floor=5.0),
    Option("service.batch", "--batch", "micro-batch concurrent inspections", env=("RESNET_BATCH",), kind="either",
           shown="on with CUDA"),
    Option("service.precision", "--precision", "`fp32`, `bf16` (auto: bf16 on CUDA)", env=("RESNET_PRECISION",),
           choices=("auto", "fp32", "bf16")),
    Option("service.timeline_after", "--timeline-after", "send the Grad-CAM timeline after the rest of an "
           "inspection", env=("RESNET_TIMELINE_AFTER",), kind="either", shown="on without CUDA"),
    Option("mcp", "--mcp", 'also serve the main endpoints as MCP tools (`pip install -e ".[mcp]"`)',
           env=("RESNET_MCP",), kind="switch"),
    Option("backend", "--backend", "where the models run: `local` (this process) or `ray` (Ray Serve replicas; "
           "`pip install -e \".[scale]\"`, see docs/scaling.md)", env=("RESNET_BACKEND",), choices=("local", "ray")),
    Option("ray_address", "--ray-address", "the Ray cluster to join", env=("RAY_ADDRESS",),
           shown="a local one"),
    Option("replicas", "--replicas", "Ray Serve replicas of the model deployment", kind="int", floor=1),
    Option("gpus_per_replica", "--gpus-per-replica", "GPUs each replica asks Ray for (0 on a CPU cluster)",
           kind="float", floor=0.0),
)

#: a browser session holds at most this many of its address's jobs
JOBS_PER_SESSION = Limits.jobs_per_session


def parser(env: Mapping[str, str] | None = None) -> argparse.ArgumentParser:
    """The command line of :data:`OPTIONS`, its defaults taken from ``env`` (default: the process's)."""
    env = os.environ if env is None else env
    p = argparse.ArgumentParser(
        prog="app.py", description="ResNet playground: a Gradio app that lays a ResNet open."
    )
    for opt in OPTIONS:
        default = opt.default()
        try:
            found = opt.from_env(env)
        except ValueError as exc:
            p.error(str(exc))
        if found is not None:
            default = found[1]
        where = f"; env {', '.join(opt.env)}" if opt.env else ""
        words = f"{opt.help} (default: {opt.default_words()}{where})".replace("`", "").replace("%", "%%")
        kwargs: dict[str, Any] = dict(dest=opt.dest, default=default, help=words)
        if opt.kind not in ("switch", "either"):
            kwargs["metavar"] = opt.flag[2:].upper().replace("-", "_")
        if opt.kind == "switch":
            p.add_argument(opt.flag, action="store_true", **kwargs)
        elif opt.kind == "either":
            p.add_argument(opt.flag, action=argparse.BooleanOptionalAction, **kwargs)
        else:
            kind = {"int": int, "float": float}.get(opt.kind, str)
            p.add_argument(opt.flag, type=kind, choices=opt.choices or None, **kwargs)
    return p


def parse_settings(argv: Sequence[str] | None = None, *, env: Mapping[str, str] | None = None) -> Settings:
    """Settings from the command line, falling back to the environment, then the defaults."""
    args = vars(parser(env).parse_args(argv))
    return _assemble({opt: args[opt.dest] for opt in OPTIONS}, Settings())


def with_options(settings: Settings | None = None, **values: Any) -> Settings:
    """``settings`` (default: the defaults) with options set as their flags would set them:
    ``with_options(jobs_per_client=4, upload_rate_mb=2.5, device="cpu")`` (the flag's name with
    underscores, the flag's unit; no environment is read, and no floor: a test may ask for a
    session store of 4 MB, which the command line would raise to 16).

    Raises:
        TypeError: no option has that name.
    """
    by_name = {opt.flag[2:].replace("-", "_"): opt for opt in OPTIONS}
    unknown = sorted(set(values) - set(by_name))
    if unknown:
        raise TypeError(f"no option named {', '.join(unknown)}; options: {', '.join(by_name)}")
    return _assemble({by_name[name]: value for name, value in values.items()}, settings or Settings(), floor=False)


def _assemble(values: Mapping[Option, Any], base: Settings, *, floor: bool = True) -> Settings:
    """``base`` with each option's value (in its flag's unit) put in its field."""
    parts: dict[str, dict[str, Any]] = {
        head: {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
        for head, config in (("", base), ("service", base.service), ("limits", base.limits))
    }
    for opt, value in values.items():
        head, _, name = opt.path.rpartition(".")
        parts[head][name] = opt.to_field(value, floor=floor)
    limits = parts["limits"]
    # a browser session never holds more than its address may
    limits["jobs_per_session"] = max(1, min(JOBS_PER_SESSION, limits["jobs_per_client"]))
    server = {k: v for k, v in parts[""].items() if k not in ("service", "limits")}
    return Settings(**server, service=ServiceConfig(**parts["service"]), limits=Limits(**limits))


def options_table() -> str:
    """README's table of options, written from :data:`OPTIONS`."""
    rows = ["| flag | environment | default | meaning |", "| --- | --- | --- | --- |"]
    for opt in OPTIONS:
        names = ", ".join(f"`{n}=1`" if opt.kind == "switch" else f"`{n}`" for n in opt.env)
        rows.append(f"| {opt.flags_words()} | {names} | {opt.default_words()} | {opt.help} |".replace("|  |", "| |"))
    return "\n".join(rows)


__all__ = ["OPTIONS", "Option", "Settings", "options_table", "parse_settings", "parser", "with_options", "yes_no"]
