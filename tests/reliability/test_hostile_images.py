"""Issue 15, findings 1 and 6: image metadata that multiplies memory, and slow decodes.

The hostile files are built here, byte by byte where Pillow would not write them: EXIF and
TIFF directories whose hundreds of tags all point at the same megabyte, a TIFF in millions of
one-row strips, a GIF whose comment is tens of thousands of sub-blocks. Memory is the growth of
the peak resident set of a fresh process (``tests/_peak.py``); each bound fails before the fix
(measured then: hundreds of MB, see docs/reliability.md, Round 2).
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from _peak import peak_growth_mb
from _pictures import png_chunk
from PIL import Image

from resnet_core.image_meta import (
    MAX_GIF_SUBBLOCKS,
    MAX_IFD_ENTRIES,
    MAX_TIFF_STRIPS,
    orientation,
)
from resnet_core.images import ImageError, load_image

MB = 1 << 20


def _entry(tag: int, typ: int, count: int, value: int) -> bytes:
    """A little-endian IFD entry; SHORT values inline are left-justified."""
    if typ == 3 and count == 1:
        return struct.pack("<HHIHH", tag, typ, count, value, 0)
    return struct.pack("<HHII", tag, typ, count, value)


def _hostile_tiff_structure(n_tags: int, shared: int, *, orientation_value: int | None = 6) -> bytes:
    """A TIFF structure (EXIF's, or a file's) whose n_tags private tags all cover the same bytes."""
    entries = [] if orientation_value is None else [_entry(0x0112, 3, 1, orientation_value)]
    count = len(entries) + n_tags
    data_at = 8 + 2 + 12 * count + 4
    entries += [_entry(0xC000 + i, 7, shared, data_at) for i in range(n_tags)]  # UNDEFINED bytes
    return b"II*\x00" + struct.pack("<IH", 8, count) + b"".join(entries) + b"\0\0\0\0" + bytes(shared)


def _png(pixels: np.ndarray, *chunks: tuple[bytes, bytes]) -> bytes:
    """A PNG of ``pixels`` (H, W, 3 uint8) with extra chunks before IDAT."""
    h, w, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(h))
    body = [png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))]
    body += [png_chunk(kind, data) for kind, data in chunks]
    body += [png_chunk(b"IDAT", zlib.compress(raw)), png_chunk(b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(body)


def _strip_tiff(height: int, *, width: int = 1, extra: list[bytes] | None = None) -> bytes:
    """An 8-bit grey TIFF of width × height, one row per strip, uncompressed."""
    extra = extra or []
    pixels = (np.arange(height * width) % 251).astype(np.uint8).tobytes()
    entries = 9 + len(extra)
    offsets_at = 8 + 2 + 12 * entries + 4
    counts_at = offsets_at + 4 * height
    data_at = counts_at + 4 * height
    offsets = (data_at + np.arange(height, dtype=np.int64) * width).astype("<u4").tobytes()
    counts = np.full(height, width, dtype="<u4").tobytes()
    tags = [
        _entry(256, 4, 1, width), _entry(257, 4, 1, height), _entry(258, 3, 1, 8), _entry(259, 3, 1, 1),
        _entry(262, 3, 1, 1), _entry(273, 4, height, offsets_at), _entry(277, 3, 1, 1), _entry(278, 4, 1, 1),
        _entry(279, 4, height, counts_at), *extra,
    ]  # fmt: skip
    tags.sort(key=lambda e: struct.unpack("<H", e[:2])[0])
    return (
        b"II*\x00" + struct.pack("<IH", 8, entries) + b"".join(tags) + b"\0\0\0\0" + offsets + counts + pixels
    )


_UPRIGHT = np.random.default_rng(0).integers(0, 256, (6, 10, 3), dtype=np.uint8)  # H=6, W=10
_STORED_6 = np.rot90(_UPRIGHT, 1)  # as stored under orientation 6 (see test_images.py)

_SETUP = """
from resnet_core.images import load_image
import numpy as np
from PIL import Image
import io
buf = io.BytesIO(); Image.new("RGB", (64, 64)).save(buf, "PNG"); load_image(buf.getvalue())
buf = io.BytesIO(); Image.new("L", (64, 64)).save(buf, "TIFF"); load_image(buf.getvalue())
"""


def _measure(tmp_path, data: bytes) -> tuple[float, str]:
    path = tmp_path / "hostile.bin"
    path.write_bytes(data)
    return peak_growth_mb(_SETUP, f"load_image({str(path)!r})")


# --------------------------------------------------------------------------- finding 1: metadata


@pytest.mark.slow
def test_a_png_exif_of_300_tags_over_the_same_megabyte_costs_about_the_file(tmp_path) -> None:
    exif = _hostile_tiff_structure(300, 4 * MB)
    data = _png(np.ascontiguousarray(_STORED_6), (b"eXIf", exif))
    growth, outcome = _measure(tmp_path, data)
    assert outcome == "ok", outcome
    assert growth < 40, growth  # before: +1.2 GB (exif_transpose copied each tag's 4 MB)


def test_a_png_with_a_hostile_exif_still_shows_upright() -> None:
    exif = _hostile_tiff_structure(300, 64 * 1024)
    out = load_image(_png(np.ascontiguousarray(_STORED_6), (b"eXIf", exif)))
    np.testing.assert_array_equal(np.asarray(out), _UPRIGHT)
    assert out.info == {}  # no metadata travels on with the picture


def test_a_webp_with_a_hostile_exif_loads_upright() -> None:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(_STORED_6)).save(
        buf, "WEBP", lossless=True, exif=_hostile_tiff_structure(300, 64 * 1024)
    )
    out = load_image(buf.getvalue())
    np.testing.assert_array_equal(np.asarray(out), _UPRIGHT)


@pytest.mark.slow
def test_a_tiff_ifd_of_300_tags_over_the_same_megabyte_is_refused_in_bounded_memory(tmp_path) -> None:
    extra = [_entry(0xC000 + i, 7, 4 * MB, 0) for i in range(300)]  # each covers the file's start
    data = _strip_tiff(64, width=64, extra=extra) + bytes(4 * MB)
    growth, outcome = _measure(tmp_path, data)
    assert outcome.startswith("ImageError") and "claims more data than the file holds" in outcome, outcome
    assert growth < 40, growth  # before: +1.2 GB inside Image.open


def test_tiff_tags_past_the_entry_cap_are_refused() -> None:
    extra = [_entry(0xC000 + i, 3, 1, i) for i in range(MAX_IFD_ENTRIES)]  # inline: no data at all
    with pytest.raises(ImageError, match=f"{MAX_IFD_ENTRIES + 9:,} entries in one directory"):
        load_image(_strip_tiff(8, width=8, extra=extra))


def test_tiff_numbers_past_the_value_cap_are_refused() -> None:
    # one SHORT tag of 1.5M values over 3 MB of real (distinct) bytes: Pillow would make 1.5M ints
    n = 1_500_000
    base = _strip_tiff(8, width=8, extra=[_entry(0xC000, 3, n, 0)])
    data = base + bytes(2 * n)
    data = data.replace(struct.pack("<HHII", 0xC000, 3, n, 0), struct.pack("<HHII", 0xC000, 3, n, len(base)))
    with pytest.raises(ImageError, match="holds more than 1,000,000 numbers"):
        load_image(data)


def _jpeg_with_segment(marker: int, payload: bytes) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(_UPRIGHT).save(buf, "JPEG", quality=95)
    jpeg = buf.getvalue()
    return jpeg[:2] + bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def test_a_jpeg_exif_whose_tags_share_their_data_is_refused() -> None:
    # Pillow parses a JPEG's EXIF while opening it (for the DPI): 400 tags × 60 KB = 24 MB
    exif = b"Exif\x00\x00" + _hostile_tiff_structure(400, 60_000)
    with pytest.raises(ImageError, match=r"metadata \(EXIF\) claims more data"):
        load_image(_jpeg_with_segment(0xE1, exif))


def test_a_jpeg_mpf_segment_whose_tags_share_their_data_is_refused() -> None:
    mpf = b"MPF\x00" + _hostile_tiff_structure(400, 60_000, orientation_value=None)
    with pytest.raises(ImageError, match=r"metadata \(MPF\) claims more data"):
        load_image(_jpeg_with_segment(0xE2, mpf))


def test_a_real_camera_like_exif_still_loads_with_its_orientation() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Maker"
    exif[0x0110] = "Model " * 100
    exif.get_ifd(0x8769)[0x927C] = b"makernote" * 2000  # a MakerNote in the Exif sub-IFD
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(_STORED_6)).save(buf, "PNG", exif=exif.tobytes())
    np.testing.assert_array_equal(np.asarray(load_image(buf.getvalue())), _UPRIGHT)
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(_STORED_6)).save(buf, "JPEG", exif=exif.tobytes(), quality=100)
    assert load_image(buf.getvalue()).size == (10, 6)  # upright: 10 wide, 6 high


@pytest.mark.slow
def test_png_text_chunks_stay_within_pillow_s_text_budget(tmp_path) -> None:
    # 200 zTXt chunks of 1 MB each once inflated (1 KB each on disk): Pillow stops at 64 MB
    text = zlib.compress(b"x" * MB, 9)
    chunks = [(b"zTXt", f"k{i}".encode() + b"\x00\x00" + text) for i in range(200)]
    growth, outcome = _measure(tmp_path, _png(_UPRIGHT, *chunks))
    assert outcome.startswith("ImageError"), outcome
    assert growth < 150, growth


def test_xmp_orientation_is_read_as_pillow_reads_it() -> None:
    assert orientation({"xmp": b'<x tiff:Orientation="8"/>'}) == 8
    assert orientation({"XML:com.adobe.xmp": "<tiff:Orientation>3</tiff:Orientation>"}) == 3
    assert orientation({"exif": b"Exif\x00\x00" + _hostile_tiff_structure(0, 0, orientation_value=5)}) == 5
    assert orientation({"exif": b"Exif\x00\x00" + _hostile_tiff_structure(0, 0, orientation_value=9)}) == 1
    assert orientation({}) == 1 and orientation({"exif": b"junk"}) == 1


# --------------------------------------------------------------------------- finding 6: decode work


def test_a_tiff_in_two_million_one_row_strips_is_refused_before_decoding(monkeypatch) -> None:
    data = _strip_tiff(2_000_000)
    assert 17 * MB < len(data) < 20 * MB  # the 18 MB file

    def never(*args, **kwargs):
        raise AssertionError("Pillow was asked to open it")

    monkeypatch.setattr(Image, "open", never)
    with pytest.raises(ImageError, match="2,000,000 strips or tiles; the limit is 65,536"):
        load_image(data)


def test_a_tiff_at_the_strip_cap_decodes_correctly() -> None:
    height = MAX_TIFF_STRIPS
    out = load_image(_strip_tiff(height, width=1), max_pixels=10**8)
    assert out.size == (1, 2048)  # the longest side is brought down to MAX_SIDE
    # reference: the same pixels handed over as an array (no TIFF decoding), brought down alike
    values = (np.arange(height) % 251).astype(np.uint8).reshape(height, 1)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(load_image(values, max_pixels=10**8)))
    with pytest.raises(ImageError, match="strips or tiles"):
        load_image(_strip_tiff(height + 1, width=1), max_pixels=10**8)


def _gif(extensions: bytes) -> bytes:
    buf = io.BytesIO()
    Image.new("P", (4, 4), 1).save(buf, "GIF")
    gif = buf.getvalue()
    at = 13 + (3 << ((gif[10] & 7) + 1))  # after the header and the global colour table
    return gif[:at] + extensions + gif[at:]


def test_a_gif_comment_of_many_sub_blocks_is_refused() -> None:
    # Pillow joins a comment 255 bytes at a time: 20,000 sub-blocks are ~10^10 bytes copied
    comment = b"!\xfe" + (b"\xff" + b"c" * 255) * 20_000 + b"\x00"
    with pytest.raises(ImageError, match="more than 4,096 blocks of metadata"):
        load_image(_gif(comment))


def test_a_gif_of_many_empty_comments_is_refused_and_a_normal_comment_loads() -> None:
    with pytest.raises(ImageError, match="blocks of metadata"):
        load_image(_gif(b"!\xfe\x00" * (MAX_GIF_SUBBLOCKS + 1)))
    assert load_image(_gif(b"!\xfe\x05hello\x00")).size == (4, 4)


# --------------------------------------------------------------------------- finding 7: messages


def test_image_messages_quote_at_most_about_100_characters_of_a_value() -> None:
    from resnet_core.preprocess import prepare

    picture = load_image(_UPRIGHT)
    for kwargs in ({"mode": "m" * 1_000_000}, {"size": "9" * 1_000_000}, {"size": 10**300}):
        with pytest.raises(ImageError) as err:
            prepare(picture, **kwargs)
        assert len(str(err.value)) < 250, kwargs


def test_a_png_of_many_small_text_chunks_is_refused() -> None:
    # Empty tEXt values count nothing against Pillow's text budget, but each keyword is kept
    # in two dicts: 200,000 of them (4 MB on disk) are ~100 MB of Python objects.
    chunks = [(b"tEXt", b"k%d\x00" % i) for i in range(200_000)]
    with pytest.raises(ImageError, match="more than 4,096 chunks of metadata"):
        load_image(_png(_UPRIGHT, *chunks))


def test_a_png_of_many_tiny_image_data_chunks_is_refused_and_a_split_one_loads() -> None:
    raw = b"".join(b"\x00" + _UPRIGHT[y].tobytes() for y in range(_UPRIGHT.shape[0]))
    stream = zlib.compress(raw)
    data = _png(_UPRIGHT)
    head, tail = data[: data.index(b"IDAT") - 4], data[data.index(b"IEND") - 4 :]

    def idat(part: bytes) -> bytes:
        return struct.pack(">I", len(part)) + b"IDAT" + part + struct.pack(">I", zlib.crc32(b"IDAT" + part))

    split = b"".join(idat(stream[i : i + 7]) for i in range(0, len(stream), 7))  # 7-byte chunks
    np.testing.assert_array_equal(np.asarray(load_image(head + split + tail)), _UPRIGHT)
    with pytest.raises(ImageError, match="more than 65,536 chunks"):
        load_image(head + idat(stream) + idat(b"") * 70_000 + tail)


def test_a_jpeg_of_many_comment_segments_is_refused() -> None:
    buf = io.BytesIO()
    Image.fromarray(_UPRIGHT).save(buf, "JPEG", quality=95)
    jpeg = buf.getvalue()
    comments = b"\xff\xfe\x00\x03x" * 100_000  # Pillow keeps each in a list
    with pytest.raises(ImageError, match="more than 1,024 blocks of metadata"):
        load_image(jpeg[:2] + comments + jpeg[2:])
