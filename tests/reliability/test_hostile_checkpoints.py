"""Issue 15, finding 2: checkpoints larger than they look; finding 7: messages.

Every hostile file is made here: stride-0 views saved with ``torch.save`` (a 100 KB file that
expands to a 228M-parameter ResNet-50), a zip whose one storage is deflate-compressed, a
safetensors header of 300,000 entries, float8 weights. Memory is measured as the growth of the
peak resident set in a fresh process (``tests/_peak.py``).
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import pytest
import torch
from _peak import peak_growth_mb
from safetensors.torch import save

from resnet_core.checkpoints import (
    MAX_CHECKPOINT_ENTRIES,
    MAX_CHECKPOINT_PARAMS,
    MAX_SAFETENSORS_HEADER_BYTES,
    all_finite,
    read_checkpoint,
)
from resnet_core.model import build_resnet
from resnet_core.text import ParseError, parse_int, quote, shorten
from resnet_core.weights import WeightsError, load_checkpoint
from resnet_core.zoo import ModelBuilder, ModelKey, model_nbytes

SMALL = ("basic", (1, 1, 1, 1))


def _shapes(depth, num_classes: int) -> dict[str, tuple[torch.Size, torch.dtype]]:
    with torch.device("meta"):
        model = build_resnet(depth, num_classes=num_classes)
    return {k: (v.shape, v.dtype) for k, v in model.state_dict().items()}


def _stride0_state(depth, num_classes: int) -> dict[str, torch.Tensor]:
    """A state dict whose every tensor is one element expanded to the architecture's shape."""
    return {
        k: torch.ones(1, dtype=dtype).reshape([1] * len(shape)).expand(shape)
        for k, (shape, dtype) in _shapes(depth, num_classes).items()
    }


def _saved(state: dict, *, legacy: bool = False) -> bytes:
    buf = io.BytesIO()
    torch.save(state, buf, _use_new_zipfile_serialization=not legacy)
    return buf.getvalue()


def _deflated_pth(path: Path, numel: int) -> Path:
    """A torch zip whose one float32 storage of ``numel`` zeros is deflate-compressed.

    torch.save never compresses; a crafted file can, and then a few hundred KB unpack to
    ``4 * numel`` bytes. The pickle of a 65,537-element tensor is patched to claim ``numel``.
    """
    seed = 65_537
    src = zipfile.ZipFile(io.BytesIO(_saved({"w": torch.zeros(seed)})))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("/data/0"):
                entry = zipfile.ZipInfo(info.filename)
                entry.compress_type = zipfile.ZIP_DEFLATED
                with out.open(entry, "w", force_zip64=True) as f:
                    zeros, left = bytes(1 << 22), 4 * numel
                    while left:
                        f.write(zeros[: min(left, len(zeros))])
                        left -= min(left, len(zeros))
            else:
                if info.filename.endswith("data.pkl"):  # the storage's numel and the tensor's shape
                    data = data.replace(struct.pack("<i", seed), struct.pack("<i", numel))
                out.writestr(info.filename, data)
    return path


# --------------------------------------------------------------------------- stride-0 views


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_stride0_resnet50_with_100000_classes_is_refused_by_its_logical_size(legacy) -> None:
    data = _saved(_stride0_state(50, 100_000), legacy=legacy)
    assert len(data) < 400_000  # small on disk ...
    expected = sum(
        s.numel()
        for k, (s, _) in _shapes(50, 100_000).items()
        if "running" not in k and "num_batches" not in k
    )
    assert expected == 228_408_032  # ... 228M parameters once expanded (counted on meta, independently)
    with pytest.raises(WeightsError, match=r"228\.4M parameters.*up to 100\.0M"):
        read_checkpoint(data, filename="r50.pth")
    zoo = ModelBuilder(device="cpu")
    with pytest.raises(WeightsError, match="228.4M parameters"):
        zoo.add_checkpoint(ModelKey(50, weights="random"), data, filename="r50.pth")


@pytest.mark.slow
def test_stride0_refusal_costs_little_memory(tmp_path) -> None:
    # Before: accepted, +780 MB kept and +2.2 GB at the peak in the app.
    path = tmp_path / "r50.pth"
    path.write_bytes(_saved(_stride0_state(50, 100_000)))
    growth, outcome = peak_growth_mb(
        """
        import io, torch
        from resnet_core.zoo import ModelBuilder, ModelKey
        zoo = ModelBuilder(device="cpu")
        buf = io.BytesIO(); torch.save({"x": torch.zeros(3)}, buf)
        from resnet_core.checkpoints import read_checkpoint
        read_checkpoint(buf.getvalue())  # warm up torch.load
        """,
        f"zoo.add_checkpoint(ModelKey(50, weights='random'), {str(path)!r}, filename='r50.pth')",
    )
    assert outcome.startswith("WeightsError") and "228.4M parameters" in outcome, outcome
    assert growth < 100, growth


def test_a_stride0_checkpoint_within_the_cap_loads_and_the_model_keeps_only_real_parameters() -> None:
    state = _stride0_state(SMALL, 10)
    zoo = ModelBuilder(device="cpu")
    served = zoo.add_checkpoint(ModelKey(SMALL, weights="random"), _saved(state), filename="ok.pth")
    sd = served.model.state_dict()
    assert served.model.num_classes == 10
    for key, value in sd.items():
        assert torch.equal(value, state[key].to(value.dtype)), key
        assert value.is_contiguous() and 0 not in value.stride() or value.numel() <= 1, key
        assert value.untyped_storage().nbytes() == value.numel() * value.element_size(), key
    # the model's byte size, counted independently of model_nbytes: every tensor is its own storage
    independent = sum(
        t.numel() * t.element_size() for t in (*served.model.parameters(), *served.model.buffers())
    )
    assert served.nbytes == model_nbytes(served.model) == independent


def test_a_classifier_size_taken_from_the_file_is_capped_before_the_network_is_built() -> None:
    # fc.weight of shape (100000, 1): a tiny tensor, but a ResNet-18 with 100,000 classes has
    # 62.5M parameters; with a cap of 20M the network must not be built at all.
    state = {"fc.weight": torch.zeros(100_000, 1)}
    zoo = ModelBuilder(device="cpu")
    with pytest.raises(WeightsError, match=r"network of 62\.5M parameters \(100000 classes\)"):
        zoo.add_checkpoint(
            ModelKey(18, weights="random"), save(state), filename="fc.safetensors", max_params=20_000_000
        )


# --------------------------------------------------------------------------- compressed zip entries


def test_a_deflated_storage_past_the_cap_is_refused_before_torch_unpacks_it(tmp_path, monkeypatch) -> None:
    path = _deflated_pth(tmp_path / "deflated.pth", 8_000_000)  # 32 MB unpacked
    assert path.stat().st_size < 200_000
    calls: list[str] = []
    real_load = torch.load

    def recording_load(*args, **kwargs):
        calls.append(str(kwargs.get("map_location")))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", recording_load)
    with pytest.raises(WeightsError, match=r"8\.0M parameters"):
        read_checkpoint(path, max_params=1_000_000)
    assert calls == ["meta"]  # only the pickle was read; the storage was never unpacked
    assert read_checkpoint(path, max_params=10_000_000)["w"].shape == (8_000_000,)  # within the cap: loads


def test_a_pickle_that_claims_less_than_its_zip_entry_unpacks_to_is_refused(tmp_path) -> None:
    # The pickle says 65,537 floats, the entry unpacks to 32 MB: torch would allocate the entry.
    path = _deflated_pth(tmp_path / "liar.pth", 8_000_000)
    raw = zipfile.ZipFile(path)
    fixed = tmp_path / "liar2.pth"
    with zipfile.ZipFile(fixed, "w") as out:
        for info in raw.infolist():
            data = raw.read(info)
            if info.filename.endswith("data.pkl"):
                data = data.replace(struct.pack("<i", 8_000_000), struct.pack("<i", 65_537))
            out.writestr(info, data)
    with pytest.raises(WeightsError, match="unpack to more than its tensors hold"):
        read_checkpoint(fixed)


@pytest.mark.slow
def test_the_issue_s_500_mb_deflated_storage_is_refused_in_bounded_memory(tmp_path) -> None:
    path = _deflated_pth(tmp_path / "big.pth", 125_000_000)  # 500 MB unpacked
    assert path.stat().st_size < 1_000_000
    growth, outcome = peak_growth_mb(
        """
        import io, torch
        from resnet_core.checkpoints import read_checkpoint
        buf = io.BytesIO(); torch.save({"x": torch.zeros(3)}, buf)
        read_checkpoint(buf.getvalue())
        """,
        f"read_checkpoint({str(path)!r})",
    )
    assert outcome.startswith("WeightsError") and "125.0M parameters" in outcome, outcome
    assert growth < 60, growth  # before: +500 MB


def test_a_zip_of_too_many_entries_is_refused_from_its_directory(tmp_path) -> None:
    path = tmp_path / "many.pth"
    with zipfile.ZipFile(path, "w") as out:
        out.writestr("archive/data.pkl", _saved({})[:10])
        for i in range(3 * MAX_CHECKPOINT_ENTRIES):
            out.writestr(f"archive/data/{i}", b"")
    with pytest.raises(WeightsError, match=f"zip of {3 * MAX_CHECKPOINT_ENTRIES + 1} entries"):
        read_checkpoint(path)


# --------------------------------------------------------------------------- safetensors headers


def _header_file(header: dict, data: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + data


@pytest.mark.slow
def test_a_safetensors_header_of_300000_entries_is_refused_by_its_size() -> None:
    header = {f"t{i}": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]} for i in range(300_000)}
    data = _header_file(header)
    assert len(data) > 15 * 2**20  # the issue's 19 MB header
    with pytest.raises(WeightsError, match="header claims .* bytes; a ResNet needs under 2 MB"):
        read_checkpoint(data, filename="many.safetensors")


def test_a_safetensors_header_under_the_size_cap_with_too_many_entries_is_refused() -> None:
    n = MAX_CHECKPOINT_ENTRIES + 1
    header = {f"{i}": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]} for i in range(n)}
    data = _header_file(header)
    assert len(data) < MAX_SAFETENSORS_HEADER_BYTES
    with pytest.raises(WeightsError, match=f"holds {n} tensors"):
        read_checkpoint(data)


def test_safetensors_parameters_are_counted_from_the_header_before_loading(monkeypatch) -> None:
    import safetensors.torch as st

    def never(*args, **kwargs):
        raise AssertionError("the data was loaded")

    monkeypatch.setattr(st, "load", never)
    data = save({"fc.weight": torch.zeros(2000, 600)})
    with pytest.raises(WeightsError, match=r"1\.2M parameters"):
        read_checkpoint(data, max_params=1_000_000)


def test_deeply_nested_json_in_a_header_is_one_clear_error() -> None:
    raw = b"{" + b'"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(WeightsError, match="not valid JSON|malformed"):
        read_checkpoint(len(raw).to_bytes(8, "little") + raw)


# --------------------------------------------------------------------------- dtypes


@pytest.mark.parametrize("dtype", [torch.float8_e4m3fn, torch.float8_e5m2, torch.bfloat16, torch.float16])
def test_reduced_precision_checkpoints_load_and_equal_their_values_in_float32(dtype) -> None:
    model = build_resnet(SMALL, num_classes=10)
    donor = build_resnet(SMALL, num_classes=10).state_dict()
    state = {k: (v.to(dtype) if v.dtype.is_floating_point else v) for k, v in donor.items()}
    load_checkpoint(model, save(state), filename="low.safetensors")
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key].to(value.dtype)), key


@pytest.mark.parametrize(
    ("dtype", "bad"),
    [
        (torch.float8_e4m3fn, float("nan")),
        (torch.float8_e5m2, float("inf")),
        (torch.float8_e5m2, float("nan")),
    ],
)
def test_float8_with_nan_or_inf_is_a_clear_error(dtype, bad) -> None:
    model = build_resnet(SMALL, num_classes=10)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    state = {k: (v.to(dtype) if v.dtype.is_floating_point else v) for k, v in model.state_dict().items()}
    state["layer2.0.conv1.weight"][3, 1, 0, 2] = bad
    with pytest.raises(WeightsError, match="'layer2.0.conv1.weight' holds NaN or infinite values"):
        load_checkpoint(model, save(state), filename="f8.safetensors")
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_float64_values_past_float32_are_a_clear_error() -> None:
    model = build_resnet(SMALL, num_classes=10)
    state = {k: (v.double() if v.dtype.is_floating_point else v) for k, v in model.state_dict().items()}
    state["fc.bias"][0] = 1e300
    with pytest.raises(WeightsError, match="'fc.bias' holds values too large for torch.float32"):
        load_checkpoint(model, save(state))


def test_all_finite_matches_isfinite_on_views_and_chunks() -> None:
    # independent reference: torch.isfinite on float32 copies
    torch.manual_seed(0)
    base = torch.randn(37, 5, 11)
    cases = [base, base.transpose(0, 2), base[:, 1], torch.zeros(0, 4), torch.tensor(2.0)]
    for t in cases:
        for chunk in (1, 7, 64, 1 << 20):
            assert all_finite(t, chunk=chunk) is bool(torch.isfinite(t.float()).all())
    wide = torch.zeros(1).expand(3000, 2000)
    assert all_finite(wide, chunk=50_000) and all_finite(wide.t(), chunk=50_000)
    assert not all_finite(torch.full((1,), float("inf")).expand(3000, 2000), chunk=50_000)
    spoiled = base.clone()
    spoiled[36, 4, 10] = float("nan")
    for chunk in (1, 7, 64, 1 << 20):
        assert not all_finite(spoiled.transpose(0, 1), chunk=chunk)
        assert not all_finite(spoiled.to(torch.float8_e4m3fn), chunk=chunk)


# --------------------------------------------------------------------------- messages


def test_a_huge_key_name_is_quoted_in_at_most_about_100_characters() -> None:
    model = build_resnet(SMALL, num_classes=10)
    state = dict(model.state_dict())
    state["x" * 1_000_000] = torch.zeros(1)
    with pytest.raises(WeightsError) as err:
        load_checkpoint(model, save(state), filename="y" * 1_000_000 + ".safetensors")
    assert len(str(err.value)) < 400
    assert "(1000000 characters)" in str(err.value) and "(1000012 characters)" in str(err.value)


def test_the_builder_explains_checkpoint_weights_in_plain_words() -> None:
    with pytest.raises(ValueError, match="load a checkpoint for this architecture first") as err:
        ModelBuilder(device="cpu").build(ModelKey(18, weights="checkpoint"))
    assert "add_checkpoint" not in str(err.value)


def test_quote_cuts_long_values_and_escapes_control_characters() -> None:
    assert quote("cat") == "'cat'"
    long = "a\n" * 5000
    text = quote(long)
    assert len(text) < 140 and "\n" not in text and text.endswith("(10000 characters)")
    assert quote(b"\x00" * 10_000).endswith("(10000 bytes)") and len(quote(b"\x00" * 10_000)) < 500
    assert quote(281) == "281" and len(quote(list(range(100_000)))) < 140
    assert shorten("cat.png") == "cat.png" and "\n" not in shorten("a\nb") and len(shorten("z" * 10**6)) < 140


@pytest.mark.parametrize(
    "text", ["6_4", "²", "٣", "1e3", "1.5", "", " ", "+", "--3", "0x10", "1 2", "１２", "\u00a012", "9" * 19]
)
def test_parse_int_refuses_what_is_not_plain_ascii_digits(text) -> None:
    with pytest.raises(ParseError):
        parse_int(text)


@pytest.mark.parametrize(
    ("text", "value"), [("64", 64), (" 7\t", 7), ("+3", 3), ("-12", -12), ("007", 7), (281, 281), (3.0, 3)]
)
def test_parse_int_reads_plain_whole_numbers(text, value) -> None:
    assert parse_int(text) == value


def test_parse_int_bounds_and_odd_types() -> None:
    with pytest.raises(ParseError, match="from 1 to 64, got 65"):
        parse_int("65", name="block count", low=1, high=64)
    for odd in (True, None, 2.5, float("nan"), float("inf"), [1], b"12"):
        with pytest.raises(ParseError):
            parse_int(odd)
    with pytest.raises(ParseError) as err:
        parse_int("1" * 1_000_000)
    assert len(str(err.value)) < 200


def test_the_default_cap_is_the_app_s_architecture_cap() -> None:
    assert MAX_CHECKPOINT_PARAMS == 100_000_000
