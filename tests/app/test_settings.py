"""The server's options, declared once (playground/settings.py ``OPTIONS``): flags, environment,
defaults from the configs they feed, ``--help`` and README's table written from the same rows."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from playground.limits import Limits
from playground.settings import OPTIONS, Settings, options_table, parse_settings, with_options, yes_no
from resnet_core.serving import ServiceConfig

ROOT = Path(__file__).resolve().parents[2]

#: config fields no flag sets, and why
NOT_OPTIONS = {
    "service.warm_up": "the app always warms up; the Ray front end turns it off for its budget-only copy",
    "service.max_params": "a fixed ceiling (ResNet-152 has 60.2M); --max-gmacs is the knob",
    "limits.jobs_per_session": "follows --jobs-per-client (at most 4)",
    "limits.upload_window_s": "the rate's window is a minute",
    "limits.sweep_age_s": "a file younger than this may be in use",
}


def sample(opt) -> str:
    """A value for ``opt`` other than its default, as text (what a flag or a variable holds)."""
    if opt.choices:
        return next(c for c in reversed(opt.choices) if c != opt.default())
    return {"int": "3", "float": "2.5", "text": "cpu" if opt.path == "service.device" else "10.0.0.7"}[opt.kind]


def test_every_field_of_the_configs_is_one_option_or_named_as_none() -> None:
    paths = [opt.path for opt in OPTIONS]
    flags = [opt.flag for opt in OPTIONS]
    envs = [name for opt in OPTIONS for name in opt.env]
    assert len(set(paths)) == len(paths) and len(set(flags)) == len(flags) and len(set(envs)) == len(envs)
    fields = {f.name for f in dataclasses.fields(Settings)} - {"service", "limits"}
    fields |= {f"service.{f.name}" for f in dataclasses.fields(ServiceConfig)}
    fields |= {f"limits.{f.name}" for f in dataclasses.fields(Limits)}
    assert set(paths) | set(NOT_OPTIONS) == fields and not set(paths) & set(NOT_OPTIONS)


def test_the_defaults_are_the_configs_own() -> None:
    assert parse_settings([], env={}) == Settings() == with_options()
    assert Settings().service == ServiceConfig() and Settings().limits == Limits()


@pytest.mark.parametrize("opt", [o for o in OPTIONS if o.env], ids=lambda o: o.flag)
def test_each_variable_means_what_its_flag_means_and_the_flag_wins(opt) -> None:
    default = parse_settings([], env={})
    for name in opt.env:
        if opt.kind in ("switch", "either"):
            by_env = parse_settings([], env={name: " Yes "})
            assert by_env == parse_settings([opt.flag], env={}) != default
            if opt.kind == "either":
                assert parse_settings([], env={name: "off"}) == parse_settings([f"--no-{opt.flag[2:]}"], env={})
                assert parse_settings([opt.flag], env={name: "0"}) == parse_settings([opt.flag], env={})
            continue
        value = sample(opt)
        by_env = parse_settings([], env={name: value})
        assert by_env == parse_settings([opt.flag, value], env={}) != default
    if len(opt.env) > 1:  # the first that is set decides
        first, second = opt.env[:2]
        assert parse_settings([], env={first: "1", second: "2"}) == parse_settings([opt.flag, "1"], env={})
    if opt.kind not in ("switch", "either"):
        other = "4" if opt.kind in ("int", "float") else opt.choices[0] if opt.choices else "other"
        assert parse_settings([opt.flag, other], env={opt.env[0]: sample(opt)}) == parse_settings([opt.flag, other], env={})


def test_the_flags_land_in_the_configs_they_feed() -> None:
    s = parse_settings(
        ["--device", "cpu", "--offline", "--max-models", "3", "--no-batch", "--upload-rate-mb", "2.5",
         "--upload-quota-mb", "4", "--jobs-per-client", "2", "--max-file-mb", "0.5", "--session-ttl", "60"],
        env={},
    )
    assert s.service == ServiceConfig(device="cpu", offline=True, max_models=3, batch=False)
    assert s.limits == Limits(jobs_per_client=2, jobs_per_session=2, upload_bytes_per_window=int(2.5 * 2**20),
                              upload_quota_bytes=4 * 2**20)
    assert s.max_file_size == 2**19 and s.session_ttl_s == 60.0
    assert with_options(device="cpu", offline=True, max_models=3, batch=False, upload_rate_mb=2.5,
                        upload_quota_mb=4, jobs_per_client=2, max_file_mb=0.5, session_ttl=60) == s


def test_values_below_a_floor_are_raised_to_it() -> None:
    s = parse_settings(["--queue-size", "0", "--concurrency", "-3", "--replicas", "0", "--session-ttl", "1",
                        "--jobs-per-client", "0", "--gpus-per-replica", "-1"], env={})
    assert (s.queue_size, s.concurrency, s.replicas, s.session_ttl_s, s.gpus_per_replica) == (1, 1, 1, 5.0, 0.0)
    assert (s.limits.jobs_per_client, s.limits.jobs_per_session) == (1, 1)
    assert with_options(session_ttl=1, queue_size=0).session_ttl_s == 1.0  # code asks for exactly what it names


@pytest.mark.parametrize(
    ("env", "words"),
    [({"RESNET_PORT": "http"}, "RESNET_PORT='http' is not a whole number"),
     ({"RESNET_PRECISION": "fp8"}, "choose from auto, fp32, bf16"),
     ({"RESNET_BATCH": "maybe"}, "use 1/0"),
     ({"RESNET_BACKEND": "k8s"}, "choose from local, ray")],
)
def test_a_bad_variable_stops_the_start_with_its_name(env: dict, words: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        parse_settings([], env=env)
    assert words in capsys.readouterr().err


def test_with_options_knows_only_the_flags_names() -> None:
    with pytest.raises(TypeError, match="session_ttl_s"):
        with_options(session_ttl_s=5)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), (" YES ", True), ("On", True), ("0", False), ("false", False), ("No", False),
     ("OFF", False), ("", None), ("2", None), ("maybe", None), (None, None)],
)
def test_yes_no_reads_yes_no_and_leaves_the_rest(value: str | None, expected: bool | None) -> None:
    assert yes_no(value) is expected


def test_help_lists_every_option_with_its_variables() -> None:
    text = subprocess.run([sys.executable, str(ROOT / "app.py"), "--help"], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, check=True).stdout
    for opt in OPTIONS:
        assert opt.flag in text, opt.flag
        for name in opt.env:
            assert name in text, name


def test_readme_table_is_written_from_the_options() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert options_table() in readme, "README's option table differs: paste options_table() over it"
