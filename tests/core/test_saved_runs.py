"""One reader for every saved run (resnet_core.lab._common.read_saved): the shipped curves load,
and every way a file can be wrong gives the same error type, LabError (a ValueError), naming it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from resnet_core.lab import LabError
from resnet_core.lab._common import MAX_SAVED_BYTES
from resnet_core.lab.degradation import DEGRADATION_FORMAT, load_degradation
from resnet_core.lab.landscape import LANDSCAPE_FORMAT, load_landscape
from resnet_core.lab.lesion import LESION_FORMAT, load_lesions
from resnet_core.lab.no_bn import NO_BN_FORMAT, load_no_bn
from resnet_core.lab.race import RACE_FORMAT, load_race

CURVES = Path(__file__).resolve().parents[2] / "assets" / "curves"

#: (shipped file, its format key, its loader)
READERS: list[tuple[str, str, Callable]] = [
    ("race.json", RACE_FORMAT, load_race),
    ("degradation.json", DEGRADATION_FORMAT, load_degradation),
    ("landscape.json", LANDSCAPE_FORMAT, load_landscape),
    ("lesion.json", LESION_FORMAT, load_lesions),
    ("no_bn.json", NO_BN_FORMAT, load_no_bn),
]
ids = [name for name, _, _ in READERS]


@pytest.mark.parametrize(("name", "fmt", "load"), READERS, ids=ids)
def test_the_shipped_file_loads(name: str, fmt: str, load: Callable) -> None:
    assert json.loads((CURVES / name).read_text())["format"] == fmt
    assert load(CURVES / name)  # a record (or a record and its meta)


@pytest.mark.parametrize(("name", "fmt", "load"), READERS, ids=ids)
def test_every_bad_file_is_one_lab_error(name: str, fmt: str, load: Callable, tmp_path: Path) -> None:
    good = json.loads((CURVES / name).read_text())
    some_key = next(k for k in good if k not in ("format", "meta"))
    cases = {
        "not_json.json": "{ this is not json",
        "binary.json": b"\x80\x81\xfe\xff",
        "a_list.json": json.dumps([1, 2, 3]),
        "wrong_format.json": json.dumps({**good, "format": "resnet-playground/something-else/1"}),
        "no_format.json": json.dumps({k: v for k, v in good.items() if k != "format"}),
        "missing_part.json": json.dumps({k: v for k, v in good.items() if k != some_key}),
        "wrong_shape.json": json.dumps({**good, some_key: "a string where a list or a table belongs"}),
        "too_large.json": json.dumps({**good, "padding": "x" * (MAX_SAVED_BYTES + 1)}),
    }
    for case, body in cases.items():
        path = tmp_path / case
        path.write_bytes(body if isinstance(body, bytes) else body.encode())
        with pytest.raises(LabError) as caught:
            load(path)
        assert case in str(caught.value), (case, str(caught.value))  # the message names the file
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.json")
