"""Data intake for transfer learning: uploads, zips (and their attacks), names, caps, the split."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from resnet_core.transfer import data as tdata
from resnet_core.transfer.data import (
    TransferError,
    clean_class_name,
    from_folder,
    from_sources,
    from_zip,
    split,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SET = ROOT / "assets" / "datasets" / "textures"


def png(seed: int = 0, size: int = 24) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def make_zip(members: dict[str, bytes], *, compression: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)
    return buf.getvalue()


def good_members(prefix: str = "") -> dict[str, bytes]:
    return {f"{prefix}{c}/{i}.png": png(10 * k + i) for k, c in enumerate(("cats", "dogs")) for i in range(3)}


def test_zip_with_a_folder_per_class_is_read_in_memory(tmp_path: Path) -> None:
    before = set(tmp_path.iterdir())
    path = tmp_path / "set.zip"
    path.write_bytes(make_zip(good_members(), compression=zipfile.ZIP_DEFLATED))
    ds = from_zip(path)
    assert ds.class_names == ("cats", "dogs")
    assert ds.counts().tolist() == [3, 3]
    assert ds.images[0].dtype == np.uint8 and ds.images[0].shape == (24, 24, 3)
    assert set(tmp_path.iterdir()) == before | {path}  # nothing extracted next to it


def test_zip_with_one_wrapping_folder_and_mac_junk() -> None:
    members = good_members("dataset/")
    members["__MACOSX/dataset/._cats"] = b"junk"
    members["dataset/.DS_Store"] = b"junk"
    ds = from_zip(make_zip(members))
    assert ds.class_names == ("cats", "dogs")


def _symlink_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, blob in good_members().items():
            zf.writestr(name, blob)
        info = zipfile.ZipInfo("cats/link.png")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


def _bomb_zip() -> bytes:
    # 30 MB of zeros deflate to about 30 KB: a ratio near 1000
    members = good_members()
    members["cats/bomb.bmp"] = b"\0" * (15 * 1024 * 1024)
    return make_zip(members, compression=zipfile.ZIP_DEFLATED)


@pytest.mark.parametrize(
    ("blob", "words"),
    [
        (make_zip({**good_members(), "cats/../../evil.png": png()}), "outside"),
        (make_zip({**good_members(), "/abs/evil.png": png()}), "absolute"),
        (_symlink_zip(), "symbolic link"),
        (make_zip({**good_members(), "cats/inner.zip": make_zip(good_members())}), "nested"),
        (make_zip({**good_members(), "cats/inner.png": make_zip(good_members())}), "itself a zip"),
        (make_zip({**good_members(), "cats/readme.txt": b"hello"}), "not an image"),
        (make_zip({**good_members(), "cats/fake.png": b"<svg onload=alert(1)></svg>"}), "fake.png"),
        (make_zip({**good_members(), "loose.png": png()}), "class folder"),
        (make_zip({f"only/{i}.png": png(i) for i in range(3)}), "at least two classes"),
        (make_zip({**good_members(), "Cats/9.png": png(9)}), "same name"),
        (b"PK\x03\x04 not really a zip", "not a readable zip"),
        (_bomb_zip(), "zip bomb"),
    ],
    ids=lambda v: v if isinstance(v, str) else "zip",
)
def test_bad_zips_get_one_clear_error(blob: bytes, words: str) -> None:
    with pytest.raises(TransferError, match=words):
        from_zip(blob)


def test_thousands_of_members_are_refused_before_reading() -> None:
    members = {f"c{i % 2}/{i}.png": b"x" for i in range(tdata.MAX_ZIP_MEMBERS + 1)}
    with pytest.raises(TransferError, match="entries"):
        from_zip(make_zip(members))


def test_a_member_that_lies_about_its_size_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    # Declared sizes come from the archive; the read is capped at the declared size + 1 byte.
    blob = make_zip(good_members())
    real_open = zipfile.ZipFile.open

    def lying_open(self, info, *args, **kwargs):  # the stream yields more than the header says
        fp = real_open(self, info, *args, **kwargs)
        data = fp.read() + b"\0" * 100
        return io.BytesIO(data)

    monkeypatch.setattr(zipfile.ZipFile, "open", lying_open)
    with pytest.raises(TransferError, match="more than it declares"):
        from_zip(blob)


def test_zip_total_and_ratio_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tdata, "MAX_ZIP_UNCOMPRESSED", 1000)
    with pytest.raises(TransferError, match="expands to more than"):
        from_zip(make_zip(good_members()))


def test_class_names_are_sanitised_and_duplicates_after_normalisation_refused() -> None:
    assert clean_class_name("  <b>Cats</b>\n ") == "bCats/b"
    assert clean_class_name("ｃａｔ") == "cat"  # NFKC: full-width letters
    assert clean_class_name("猫 咪") == "猫 咪"
    assert len(clean_class_name("x" * 500)) == tdata.MAX_NAME_CHARS
    with pytest.raises(TransferError, match="empty"):
        clean_class_name("<>\t")
    with pytest.raises(TransferError, match="same name"):
        from_sources({"Cat": [png(0), png(1)], " cat ": [png(2), png(3)]})
    with pytest.raises(TransferError, match="same name"):
        from_sources({"<i>dog</i>": [png(0), png(1)], "idog/i": [png(2), png(3)]})


@pytest.mark.parametrize(
    ("classes", "words"),
    [
        ({"a": [png(0), png(1)]}, "at least two classes"),
        ({str(i): [png(0), png(1)] for i in range(11)}, "between 2 and 10"),
        ({"a": [png(0), png(1)], "b": []}, "no images"),
        ({"a": [png(0), png(1)], "b": [png(2)]}, "at least 2"),
        ({"a": [png(0), png(1)], "b": [b"not an image", png(2)]}, "Class 'b'"),
        ({"a": [png(0), png(1)], "b": [None, png(2)]}, "No image"),
    ],
)
def test_bad_classes_get_one_clear_error(classes: dict, words: str) -> None:
    with pytest.raises(TransferError, match=words):
        from_sources(classes)


def test_caps_on_images_per_class_and_total(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TransferError, match="per class"):
        from_sources({"a": [png(0)] * (tdata.MAX_IMAGES_PER_CLASS + 1), "b": [png(1)] * 2})
    monkeypatch.setattr(tdata, "MAX_TOTAL_IMAGES", 5)
    with pytest.raises(TransferError, match="in all"):
        from_sources({"a": [png(0)] * 3, "b": [png(1)] * 3})


def test_sources_of_every_kind_and_large_pictures_are_shrunk(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.new("RGB", (900, 300), (10, 200, 30)).save(path)
    array = np.zeros((40, 50, 3), np.uint8)
    ds = from_sources([("green", [path, png(1)]), ("black", [array, Image.fromarray(array)])])
    assert max(ds.images[0].shape[:2]) == tdata.STORED_SIDE
    assert ds.names[0] == "big.png"
    assert ds.labels.tolist() == [0, 0, 1, 1]


def test_split_is_stratified_seeded_and_disjoint() -> None:
    labels = np.repeat(np.arange(3), [8, 4, 2])
    train, held = split(labels, held_out=0.25, seed=3)
    assert not set(train) & set(held) and len(train) + len(held) == len(labels)
    assert np.bincount(labels[held]).tolist() == [2, 1, 1]  # round(0.25 n), at least one
    again = split(labels, held_out=0.25, seed=3)
    assert np.array_equal(again[1], held)
    with pytest.raises(TransferError):
        split(labels, held_out=0.9)


def test_bundled_example_set_is_small_and_balanced() -> None:
    files = [p for p in EXAMPLE_SET.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 600 * 1024
    ds = from_folder(EXAMPLE_SET)
    assert 3 <= ds.num_classes <= 4
    counts = ds.counts()
    assert counts.min() == counts.max() >= 20


def test_example_set_script_is_deterministic(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_example_set", ROOT / "scripts" / "make_example_set.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    a = mod.make_example_set(tmp_path / "a", per_class=3, size=32)
    b = mod.make_example_set(tmp_path / "b", per_class=3, size=32)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert os.path.basename(a[0].parent) in mod.CLASSES
