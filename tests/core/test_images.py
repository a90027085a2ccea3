"""Image intake: RELIABILITY.md "Image intake" 9-15 (prepare() vs torchvision is in test_preprocess.py).

Every file is made here, in tmp_path or in memory; nothing is downloaded. Expected values are
written from what a person would see (a mid-grey stays mid-grey, a transparent pixel shows the
white background), never copied from the code's own output.
"""

from __future__ import annotations

import io
import os
import struct
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from _pictures import encode, png_declaring
from PIL import GifImagePlugin, Image, ImageFile, PngImagePlugin, PsdImagePlugin, features

import resnet_core.images as images
from resnet_core.images import ALLOWED_FORMATS, MAX_PIXELS, MAX_SIDE, ImageError, load_image
from resnet_core.preprocess import prepare

WHITE = (255, 255, 255)
RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def assert_plain(err: pytest.ExceptionInfo) -> None:
    """One ImageError, with a message for a person: no object reprs, no library jargon."""
    assert err.type is ImageError
    message = str(err.value)
    assert message and message[0].isupper() and message.endswith(".")
    for jargon in ("0x", "<_io", "Traceback", "PIL", "cannot identify", "Errno"):
        assert jargon not in message, message


def pixel(image: Image.Image, xy: tuple[int, int] = (0, 0)) -> tuple[int, int, int]:
    assert image.mode == "RGB"
    return image.getpixel(xy)


def close_to(actual, expected, tol: int = 1) -> bool:
    return all(abs(int(a) - int(e)) <= tol for a, e in zip(actual, expected, strict=True))


# ---------------------------------------------------------------------------------------------
# 9. decompression bombs


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (7_000, 7_000),  # 49 MP: between 1x and 2x our cap, below Pillow's own limit
        (9_000, 9_000),  # 81 MP: beyond 2x our cap
        (10_000, 10_000),  # 100 MP: between 1x and 2x Pillow's limit (Pillow only warns)
        (20_000, 20_000),  # 400 MP: beyond 2x Pillow's limit (Pillow raises)
        (65_535, 65_535),
        (100_000_000, 1),  # a thin bomb
    ],
)
def test_bomb_declared_in_header_is_refused_before_decoding(width, height, monkeypatch):
    assert 1 * MAX_PIXELS < 49_000_000 < 2 * MAX_PIXELS < 81_000_000
    # Any attempt to decode pixels fails the test: refusal must come from the header alone.
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("decoded a bomb"))
    filters = list(warnings.filters)
    with pytest.raises(ImageError, match="too large") as err:
        load_image(png_declaring(width, height))
    assert_plain(err)
    assert warnings.filters == filters  # the warning->error filter was local


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) is rewritten to declare width x height."""
    data = bytearray(encode(Image.new("L", (16, 16), 128), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (10_000, 10_000),  # above Pillow's limit, although DCT scaling could shrink it
        (60_000, 1_000),  # 60 MP that DCT scaling cannot shrink (one side below MAX_SIDE)
    ],
)
def test_jpeg_bomb_is_refused_before_decoding(width, height, monkeypatch):
    data = jpeg_declaring(width, height)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as probe:
            assert probe.size == (width, height)  # the fixture declares what we think it does
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("decoded a bomb"))
    with pytest.raises(ImageError, match="too large") as err:
        load_image(data)
    assert_plain(err)


def test_pillow_bomb_warning_is_an_error_even_when_our_cap_is_raised(monkeypatch):
    # With our own cap out of the way, only Pillow's DecompressionBombWarning (1x..2x its limit)
    # stands between the request and a 100 MP decode.
    assert Image.MAX_IMAGE_PIXELS < 100_000_000 < 2 * Image.MAX_IMAGE_PIXELS
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("decoded a bomb"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a caller that silences warnings is still protected
        with pytest.raises(ImageError, match="too large") as err:
            load_image(png_declaring(10_000, 10_000), max_pixels=10**9)
    assert_plain(err)


def test_real_compressed_bomb_is_refused_quickly(tmp_path):
    # 7000x7000 of zeros, 1 bit per pixel: a few KB on disk, 49 MP (147 MB as RGB) decoded.
    path = tmp_path / "bomb.png"
    Image.new("1", (7_000, 7_000)).save(path)
    assert path.stat().st_size < 50_000
    start = time.perf_counter()
    with pytest.raises(ImageError, match="7000×7000") as err:
        load_image(path)
    assert time.perf_counter() - start < 1.0
    assert_plain(err)


def test_intake_leaves_global_pillow_state_alone():
    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters))
    for source in (png_declaring(10_000, 10_000), encode(Image.new("RGB", (4, 4)), "PNG")):
        try:
            load_image(source)
        except ImageError:
            pass
    assert (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters)) == before
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_concurrent_intake_does_not_leak_warning_filters():
    filters = list(warnings.filters)
    good = encode(Image.new("RGB", (32, 32), RED), "PNG")
    bomb = png_declaring(10_000, 10_000)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for _ in range(10):
                if i % 2:
                    assert pixel(load_image(good)) == RED
                else:
                    with pytest.raises(ImageError):
                        load_image(bomb, max_pixels=10**9)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert warnings.filters == filters


# ---------------------------------------------------------------------------------------------
# 10. broken and non-image files


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_file_is_refused(fmt, tmp_path):
    rng = np.random.default_rng(0)
    data = encode(Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)), fmt)
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="incomplete or damaged") as err:
        load_image(path)
    assert_plain(err)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.png", b"", "empty"),
        (
            "noise.jpg",
            np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
            "not an image",
        ),
        ("notes.jpg", b"Dear diary,\nthis is not a photo.\n" * 20, "text"),
        (
            "cat.png",
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
            b"<script>alert(document.cookie)</script></svg>",
            "SVG is not supported",
        ),
        ("dog.png", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "HTML is not supported"),
        ("half.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 10, "PNG file is damaged"),
    ],
)
def test_non_images_are_refused(name, content, message, tmp_path):
    path = tmp_path / name
    path.write_bytes(content)
    for source in (path, str(path), content):
        with pytest.raises(ImageError, match=message) as err:
            load_image(source)
        assert_plain(err)


def test_bad_sources_give_plain_errors(tmp_path):
    cases = [None, 42, tmp_path / "missing.png", tmp_path, "bad\x00name.png", np.zeros((3, 8, 8), np.uint8)]
    fifo = tmp_path / "pipe.png"
    if hasattr(os, "mkfifo"):
        os.mkfifo(fifo)  # opening a FIFO for reading would block forever
        cases.append(fifo)
    for source in cases:
        with pytest.raises(ImageError) as err:
            load_image(source)
        assert_plain(err)


def test_byte_limit_applies_to_paths_and_bytes(tmp_path):
    data = encode(Image.new("RGB", (8, 8), GREEN), "PNG")
    path = tmp_path / "ok.png"
    path.write_bytes(data)
    for source in (path, data, bytearray(data), memoryview(data)):
        assert pixel(load_image(source, max_bytes=len(data))) == GREEN
        with pytest.raises(ImageError, match="limit") as err:
            load_image(source, max_bytes=len(data) - 1)
        assert_plain(err)
    assert images.MAX_BYTES >= 10 * 2**20


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_no_file_handles_left_open(tmp_path):
    good = tmp_path / "good.gif"
    Image.new("P", (8, 8)).save(good, save_all=True, append_images=[Image.new("P", (8, 8), 1)])
    cut = tmp_path / "cut.png"
    cut.write_bytes(encode(Image.new("RGB", (64, 64)), "PNG")[:60])
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_declaring(20_000, 20_000))
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        load_image(good)
        for bad in (cut, bomb):
            with pytest.raises(ImageError):
                load_image(bad)
    assert len(os.listdir("/proc/self/fd")) == before


# ---------------------------------------------------------------------------------------------
# 11. the format allow-list


def psd_bytes(width: int = 4, height: int = 3) -> bytes:
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, height, width, 8, 3)
    sections = struct.pack(">III", 0, 0, 0)  # colour mode data, resources, layers: empty
    return header + sections + struct.pack(">H", 0) + bytes(3 * width * height)


def fits_bytes(width: int = 4, height: int = 3) -> bytes:
    cards = [
        "SIMPLE  =                    T",
        "BITPIX  =                    8",
        "NAXIS   =                    2",
        f"NAXIS1  = {width:>20}",
        f"NAXIS2  = {height:>20}",
        "END",
    ]
    header = "".join(card.ljust(80) for card in cards).ljust(2880).encode()
    return header + bytes(width * height).ljust(2880, b"\x00")


def saved(fmt: str, **params) -> bytes:
    return encode(Image.new("RGB", (16, 16), RED), fmt, **params)


DISALLOWED = {
    "PSD": psd_bytes,
    "FITS": fits_bytes,
    "EPS": lambda: saved("EPS"),
    "ICO": lambda: saved("ICO"),
    "PCX": lambda: saved("PCX"),
    "TGA": lambda: saved("TGA"),
    "PPM": lambda: saved("PPM"),
    "SGI": lambda: saved("SGI"),
    "DDS": lambda: saved("DDS"),
    "QOI": lambda: saved("QOI"),
    "JPEG2000": lambda: saved("JPEG2000"),
    "IM": lambda: saved("IM"),
}
if features.check("avif"):
    DISALLOWED["AVIF"] = lambda: saved("AVIF")


@pytest.mark.parametrize("fmt", sorted(DISALLOWED))
def test_formats_outside_the_allow_list_are_refused(fmt, tmp_path):
    data = DISALLOWED[fmt]()
    # The fixture is a file Pillow itself would open: the refusal is policy, not breakage.
    with Image.open(io.BytesIO(data)) as probe:
        assert probe.format == fmt
    path = tmp_path / "photo.png"  # the name lies; only the content counts
    path.write_bytes(data)
    with pytest.raises(ImageError, match="not an image we can read") as err:
        load_image(path)
    assert_plain(err)


@pytest.mark.parametrize(("fmt", "named"), [("PSD", "PSD"), ("FITS", "FITS"), ("EPS", "EPS"), ("ICO", "ICO")])
def test_refusal_names_the_format(fmt, named):
    with pytest.raises(ImageError, match=f"{named} is not supported; use PNG, JPEG") as err:
        load_image(DISALLOWED[fmt]())
    assert_plain(err)


def test_pdf_is_refused():
    with pytest.raises(ImageError, match="PDF is not supported") as err:
        load_image(saved("PDF"))
    assert_plain(err)


def test_disallowed_plugins_never_see_the_bytes(monkeypatch):
    calls = []
    monkeypatch.setattr(PsdImagePlugin.PsdImageFile, "_open", lambda self: calls.append(1))
    with pytest.raises(ImageError):
        load_image(psd_bytes())
    assert calls == []


ALLOWED_SAMPLES = {
    "PNG": {},
    "JPEG": {"quality": 95},
    "GIF": {},
    "BMP": {},
    "TIFF": {},
    "WEBP": {"lossless": True},
}


@pytest.mark.parametrize("fmt", ALLOWED_FORMATS)
def test_allowed_formats_load_as_rgb(fmt, tmp_path):
    if fmt == "WEBP" and not features.check("webp"):
        pytest.skip("Pillow built without WebP")
    image = Image.new("RGB", (40, 30), (200, 40, 20))
    path = tmp_path / f"x.{fmt.lower()}"
    image.save(path, fmt, **ALLOWED_SAMPLES[fmt])
    out = load_image(path)
    assert out.mode == "RGB" and out.size == (40, 30)
    assert close_to(pixel(out, (20, 15)), (200, 40, 20), tol=6)


def test_mpo_phone_photo_gives_its_first_picture():
    # Phones write JPEGs with extra pictures (MPO); Pillow opens them through the JPEG plugin.
    first, second = Image.new("RGB", (32, 24), RED), Image.new("RGB", (32, 24), BLUE)
    out = load_image(encode(first, "MPO", save_all=True, append_images=[second], quality=95))
    assert out.size == (32, 24) and close_to(pixel(out, (16, 12)), RED, tol=8)


# ---------------------------------------------------------------------------------------------
# 12. EXIF orientation

# What a viewer does to the stored pixels for each orientation value, written from the EXIF
# spec's "row 0 is visual ..., column 0 is visual ..." table. We store the inverse, so that the
# picture a viewer shows is always `upright`.
STORED_FROM_UPRIGHT = {
    1: lambda u: u,
    2: lambda u: u[:, ::-1],  # row 0 top, column 0 right
    3: lambda u: u[::-1, ::-1],  # row 0 bottom, column 0 right
    4: lambda u: u[::-1, :],  # row 0 bottom, column 0 left
    5: lambda u: u.transpose(1, 0, 2),  # row 0 left, column 0 top
    6: lambda u: np.rot90(u, 1),  # row 0 right, column 0 top
    7: lambda u: u[::-1, ::-1].transpose(1, 0, 2),  # row 0 right, column 0 bottom
    8: lambda u: np.rot90(u, -1),  # row 0 left, column 0 bottom
}


def with_orientation(stored: np.ndarray, orientation: int, fmt: str, **params) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(Image.fromarray(np.ascontiguousarray(stored)), fmt, exif=exif.tobytes(), **params)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_png_exact(orientation):
    upright = np.random.default_rng(orientation).integers(0, 256, (5, 7, 3), dtype=np.uint8)  # H=5, W=7
    data = with_orientation(STORED_FROM_UPRIGHT[orientation](upright), orientation, "PNG")
    out = load_image(data)
    np.testing.assert_array_equal(np.asarray(out), upright)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_jpeg_marked_corners(orientation):
    # Upright: 64 wide, 32 high; top-left red, top-right green, bottom-left blue, bottom-right white.
    upright = np.zeros((32, 64, 3), np.uint8)
    upright[:16, :32], upright[:16, 32:], upright[16:, :32], upright[16:, 32:] = RED, GREEN, BLUE, WHITE
    data = with_orientation(STORED_FROM_UPRIGHT[orientation](upright), orientation, "JPEG", quality=95)
    out = load_image(data)
    assert out.size == (64, 32)
    for xy, colour in {(8, 8): RED, (56, 8): GREEN, (8, 24): BLUE, (56, 24): WHITE}.items():
        assert close_to(pixel(out, xy), colour, tol=30), (orientation, xy, pixel(out, xy))


def raw_exif(tiff: bytes) -> bytes:
    return b"Exif\x00\x00" + tiff


CORRUPT_EXIF = {
    "garbage": raw_exif(b"\xde\xad\xbe\xef" * 8),
    "ifd_offset_past_end": raw_exif(b"II*\x00" + struct.pack("<I", 10**6)),
    "entry_count_past_end": raw_exif(b"II*\x00" + struct.pack("<IH", 8, 500)),
    "orientation_as_text": raw_exif(b"II*\x00" + struct.pack("<IHHHIII", 8, 1, 0x0112, 2, 4, 0x41414141, 0)),
    "orientation_out_of_range": raw_exif(b"II*\x00" + struct.pack("<IHHHIHHI", 8, 1, 0x0112, 3, 1, 9, 0, 0)),
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow reports the broken EXIF it skips
@pytest.mark.parametrize("name", sorted(CORRUPT_EXIF))
def test_corrupt_exif_still_loads(name):
    data = encode(Image.new("RGB", (12, 6), RED), "JPEG", exif=CORRUPT_EXIF[name], quality=95)
    out = load_image(data)
    assert out.size == (12, 6) and close_to(pixel(out, (6, 3)), RED, tol=8)


def test_pillow_s_exif_parser_is_never_needed(monkeypatch):
    # Pillow's getexif copies every tag's data (issue 15, finding 1); the orientation is read
    # without it, so even a getexif that crashes changes nothing: orientation 6 still applies.
    def broken(self):
        raise SyntaxError("not a TIFF file")

    monkeypatch.setattr(Image.Image, "getexif", broken)
    for fmt in ("PNG", "JPEG", "WEBP"):
        out = load_image(with_orientation(np.zeros((6, 12, 3), np.uint8), 6, fmt))
        assert out.size == (6, 12), fmt


# ---------------------------------------------------------------------------------------------
# 13. colour modes


def from_values(mode: str, values: list, size: tuple[int, int]) -> Image.Image:
    image = Image.new(mode, size)
    image.putdata(values)
    return image


MODE_CASES = {
    # mode: (image, {pixel: expected RGB})
    "1": (from_values("1", [0, 255], (2, 1)), {(0, 0): (0, 0, 0), (1, 0): WHITE}),
    "L": (from_values("L", [0, 77, 255], (3, 1)), {(0, 0): (0, 0, 0), (1, 0): (77, 77, 77), (2, 0): WHITE}),
    "LA": (
        from_values("LA", [(100, 0), (100, 255), (0, 128)], (3, 1)),
        {(0, 0): WHITE, (1, 0): (100, 100, 100), (2, 0): (127, 127, 127)},  # 255 * (1 - 128/255)
    ),
    "RGBA": (
        from_values("RGBA", [(255, 0, 0, 0), (255, 0, 0, 255), (0, 0, 255, 128)], (3, 1)),
        {(0, 0): WHITE, (1, 0): RED, (2, 0): (127, 127, 255)},
    ),
    "CMYK": (
        from_values("CMYK", [(0, 0, 0, 0), (0, 255, 255, 0), (0, 0, 0, 255)], (3, 1)),
        {(0, 0): WHITE, (1, 0): RED, (2, 0): (0, 0, 0)},
    ),
    "I;16": (
        from_values("I;16", [0, 32768, 65535], (3, 1)),
        {(0, 0): (0, 0, 0), (1, 0): (128, 128, 128), (2, 0): WHITE},  # mid-grey, not white
    ),
    "I": (
        from_values("I", [0, 32768, 65535], (3, 1)),
        {(0, 0): (0, 0, 0), (1, 0): (128, 128, 128), (2, 0): WHITE},
    ),
    "I 8-bit values": (
        from_values("I", [0, 100, 255], (3, 1)),
        {(0, 0): (0, 0, 0), (1, 0): (100, 100, 100), (2, 0): WHITE},
    ),
    "F": (
        from_values("F", [0.0, 0.5, 1.0], (3, 1)),
        {(0, 0): (0, 0, 0), (1, 0): (128, 128, 128), (2, 0): WHITE},
    ),
}


def palette_with_transparency() -> Image.Image:
    image = from_values("P", [0, 1, 2], (3, 1))
    image.putpalette([0, 255, 0] + [255, 0, 0] + [0, 0, 255] + [0] * (253 * 3))
    image.info["transparency"] = 0  # index 0 (green) is the transparent one
    return image


@pytest.mark.parametrize("case", sorted(MODE_CASES))
def test_modes_in_memory(case):
    image, expected = MODE_CASES[case]
    out = load_image(image)
    assert out.mode == "RGB"
    for xy, colour in expected.items():
        assert close_to(pixel(out, xy), colour), (case, xy, pixel(out, xy), colour)
    assert image.mode == case.split()[0]  # the caller's image is not changed


def test_sixteen_bit_byte_orders():
    for mode, pack in (("I;16B", ">H"), ("I;16L", "<H"), ("I;16", "<H")):
        raw = b"".join(struct.pack(pack, v) for v in (0, 32768, 65535))
        out = load_image(Image.frombytes(mode, (3, 1), raw))
        assert [pixel(out, (x, 0))[0] for x in range(3)] == [0, 128, 255], mode


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_sixteen_bit_file_is_not_white(fmt):
    grey16 = Image.fromarray(np.array([[0, 16384, 32768, 65535]], dtype=np.uint16))
    out = load_image(encode(grey16, fmt))
    assert [pixel(out, (x, 0))[0] for x in range(4)] == [0, 64, 128, 255]


def test_palette_with_transparency_file_and_memory():
    image = palette_with_transparency()
    for fmt in ("PNG", "GIF"):
        out = load_image(encode(image, fmt))
        assert [pixel(out, (x, 0)) for x in range(3)] == [WHITE, RED, BLUE], fmt  # green is hidden
    out = load_image(image)
    assert [pixel(out, (x, 0)) for x in range(3)] == [WHITE, RED, BLUE]


def test_rgba_and_la_files():
    rgba = from_values("RGBA", [(255, 0, 0, 0), (0, 255, 0, 255)], (2, 1))
    la = from_values("LA", [(0, 0), (50, 255)], (2, 1))
    for image, expected in ((rgba, [WHITE, GREEN]), (la, [WHITE, (50, 50, 50)])):
        for fmt in ("PNG", "TIFF"):
            out = load_image(encode(image, fmt))
            assert [pixel(out, (x, 0)) for x in range(2)] == expected, (image.mode, fmt)


def test_cmyk_files():
    cmyk = from_values("CMYK", [(0, 0, 0, 0), (255, 0, 255, 0)], (2, 1))  # white, green
    out = load_image(encode(cmyk, "TIFF"))
    assert [pixel(out, (x, 0)) for x in range(2)] == [WHITE, GREEN]
    big = Image.new("CMYK", (16, 16), (0, 255, 255, 0))
    assert close_to(pixel(load_image(encode(big, "JPEG", quality=95)), (8, 8)), RED, tol=8)


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (np.full((2, 3), 77, np.uint8), (77, 77, 77)),
        (np.full((2, 3, 1), 77, np.uint8), (77, 77, 77)),
        (np.tile(np.array([10, 20, 30], np.uint8), (2, 3, 1)), (10, 20, 30)),
        (np.tile(np.array([255, 0, 0, 0], np.uint8), (2, 3, 1)), WHITE),
        (np.tile(np.array([0, 0, 255, 255], np.uint8), (2, 3, 1)), BLUE),
        (np.full((2, 3), 32768, np.uint16), (128, 128, 128)),
        (np.tile(np.array([65535, 0, 32768], np.uint16), (2, 3, 1)), (255, 0, 128)),
        (np.full((2, 3), 0.5, np.float32), (128, 128, 128)),
        (np.tile(np.array([1.0, 0.0, 0.25]), (2, 3, 1)), (255, 0, 64)),
        (np.ones((2, 3), bool), WHITE),
    ],
)
def test_numpy_arrays(array, expected):
    out = load_image(array)
    assert out.size == (3, 2)
    assert close_to(pixel(out, (1, 1)), expected), (pixel(out, (1, 1)), expected)


def test_numpy_with_nan_is_refused():
    with pytest.raises(ImageError, match="NaN") as err:
        load_image(np.full((4, 4), np.nan, np.float32))
    assert_plain(err)


# ---------------------------------------------------------------------------------------------
# 14. animations and multi-page files: the first frame, in bounded time


@pytest.fixture
def spy_frame_seeks(monkeypatch):
    """Records every frame number Pillow is asked to move to (GIF, PNG/APNG)."""
    seen: list[int] = []
    for cls in (GifImagePlugin.GifImageFile, PngImagePlugin.PngImageFile):
        original = cls._seek

        def spy(self, frame, *args, _original=original, **kwargs):
            seen.append(frame)
            return _original(self, frame, *args, **kwargs)

        monkeypatch.setattr(cls, "_seek", spy)
    return seen


def test_thousand_frame_gif_gives_first_frame_fast(tmp_path, spy_frame_seeks):
    frames = []
    for i in range(1000):
        frame = Image.new("P", (8, 8), i % 2)
        frame.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)  # index 0 red, 1 blue
        frames.append(frame)
    path = tmp_path / "long.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=10)
    spy_frame_seeks.clear()
    start = time.perf_counter()
    out = load_image(path)
    assert time.perf_counter() - start < 1.0
    assert pixel(out) == RED
    assert max(spy_frame_seeks, default=0) == 0  # never walked past the first frame


def test_thousand_frame_apng_gives_first_frame_fast(tmp_path, spy_frame_seeks):
    frames = [Image.new("RGB", (8, 8), RED if i % 2 == 0 else BLUE) for i in range(1000)]
    path = tmp_path / "long.png"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with Image.open(path) as probe:
        assert probe.n_frames == 1000
    spy_frame_seeks.clear()
    start = time.perf_counter()
    out = load_image(path)
    assert time.perf_counter() - start < 1.0
    assert pixel(out) == RED
    assert max(spy_frame_seeks, default=0) == 0


def test_multipage_tiff_gives_first_page(tmp_path):
    pages = [Image.new("RGB", (10 + i, 10), colour) for i, colour in enumerate((GREEN, RED, BLUE))]
    path = tmp_path / "pages.tif"
    pages[0].save(path, save_all=True, append_images=pages[1:])
    out = load_image(path)
    assert out.size == (10, 10) and pixel(out) == GREEN


# ---------------------------------------------------------------------------------------------
# 15. extreme sizes


def test_one_pixel(tmp_path):
    path = tmp_path / "dot.png"
    Image.new("RGB", (1, 1), (1, 2, 3)).save(path)
    out = load_image(path)
    assert out.size == (1, 1) and pixel(out) == (1, 2, 3)
    for mode in ("crop", "whole"):
        prepared = prepare(out, mode=mode)
        assert torch.isfinite(prepared.tensor).all()
    assert prepare(out, mode="crop").tensor.shape == (1, 3, 224, 224)
    assert prepare(out, mode="whole").tensor.shape == (1, 3, 224, 224)


@pytest.mark.parametrize(("width", "height"), [(1, 20_000), (20_000, 1)])
def test_extremely_thin_images(width, height, tmp_path):
    ramp = np.linspace(0, 255, max(width, height)).astype(np.uint8).reshape(height, width)
    path = tmp_path / "thin.png"
    Image.fromarray(ramp).save(path)
    out = load_image(path)
    long_side = MAX_SIDE
    assert out.size == ((1, long_side) if width == 1 else (long_side, 1))
    line = np.asarray(out)[..., 0].ravel()
    assert line[0] <= 2 and line[-1] >= 253 and np.all(np.diff(line.astype(int)) >= -1)  # still a ramp

    whole = prepare(out, mode="whole")
    assert whole.tensor.shape == ((1, 3, 224, 1) if width == 1 else (1, 3, 1, 224))

    crop = prepare(out, mode="crop")
    assert crop.tensor.shape == (1, 3, 224, 224)
    # Reference: stretching a 1-pixel line to 256 across leaves every line equal, so the crop is
    # the line resized to 256 * 2048 along its length, cut in the middle, repeated.
    length = 256 * long_side
    line_image = Image.fromarray(line.reshape(-1, 1) if width == 1 else line.reshape(1, -1))
    stretched = line_image.resize((1, length) if width == 1 else (length, 1), Image.Resampling.BILINEAR)
    start = round((length - 224) / 2)
    middle = np.asarray(stretched).ravel()[start : start + 224]
    expected = np.tile(middle[:, None], (1, 224)) if width == 1 else np.tile(middle[None, :], (224, 1))
    assert np.abs(crop.view[..., 0].astype(int) - expected).max() <= 1


def test_eight_thousand_square_png_is_refused_with_its_size(tmp_path):
    path = tmp_path / "huge.png"
    Image.new("1", (8_000, 8_000)).save(path)  # 64 MP, about 8 KB on disk
    with pytest.raises(ImageError, match="8000×8000 is 64 megapixels, the limit is 40") as err:
        load_image(path)
    assert_plain(err)
    with pytest.raises(ImageError, match="8000×8000"):
        load_image(np.zeros((8_000, 8_000), np.uint8))


def test_eight_thousand_square_jpeg_is_decoded_at_reduced_scale(tmp_path, monkeypatch):
    image = Image.new("L", (8_000, 8_000), 30)
    image.paste(220, (4_000, 0, 8_000, 8_000))  # right half bright
    path = tmp_path / "huge.jpg"
    image.save(path, quality=80)
    del image
    decoded_sizes = []
    original_load = ImageFile.ImageFile.load

    def spy(self):
        decoded_sizes.append(self.size)
        return original_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    out = load_image(path)
    assert out.size == (MAX_SIDE, MAX_SIDE)
    assert close_to(pixel(out, (100, 100)), (30, 30, 30), tol=4)
    assert close_to(pixel(out, (MAX_SIDE - 100, 100)), (220, 220, 220), tol=4)
    # libjpeg decoded at most a quarter of the 64 MP, inside the cap
    assert decoded_sizes and all(w * h <= 16_000_000 for w, h in decoded_sizes)


def test_large_photo_is_downscaled_to_max_side(tmp_path):
    path = tmp_path / "wide.jpg"
    image = Image.new("RGB", (5_000, 2_500), RED)
    image.paste(BLUE, (2_500, 0, 5_000, 2_500))  # right half blue
    image.save(path, quality=90)
    out = load_image(path)
    assert out.size == (MAX_SIDE, MAX_SIDE // 2)
    assert close_to(pixel(out, (100, 500)), RED, tol=10)
    assert close_to(pixel(out, (MAX_SIDE - 100, 500)), BLUE, tol=10)


def test_example_assets_load():
    folder = Path(__file__).resolve().parents[2] / "assets" / "examples"
    files = sorted(folder.glob("*.jpg"))
    assert {f.stem for f in files} >= {"cat", "coffee", "astronaut", "rocket"}
    for path in files:
        assert path.stat().st_size < 100_000
        out = load_image(path)
        assert max(out.size) <= 512
        assert prepare(out).tensor.shape == (1, 3, 224, 224)
