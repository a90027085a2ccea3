"""Safe image intake: anything a person uploads becomes a bounded, upright RGB picture, or a plain error.

Everything a person uploads passes through :func:`load_image` first. It is the one place that
decides what counts as an image here, and every way of failing ends in one
:class:`ImageError` whose message a person can act on:

* a format allow-list, enforced *before* decoding (``Image.open(..., formats=...)``, so Pillow
  never even tries its PSD, EPS, ICO, FITS, ... plugins);
* a byte cap on files and bytes, and a pixel cap checked against the size in the header,
  before a single pixel is decoded (decompression bombs are small files that declare huge
  pictures); Pillow's own ``DecompressionBombWarning`` is turned into an error as well;
* metadata that would cost more memory than the file (EXIF or TIFF tags sharing their data,
  thousands of chunks or segments) and layouts that would cost disproportionate decoding work
  (millions of TIFF strips) are refused before Pillow parses them (:mod:`.image_meta`);
* truncated files are refused (``ImageFile.LOAD_TRUNCATED_IMAGES`` stays ``False``);
* only the first frame of animations and multi-page files is read, in constant time;
* EXIF orientation is applied (read from its one tag), so a heatmap lines up with the picture
  the person sees; the result carries no metadata;
* every colour mode becomes RGB by its real range (16-bit grey is not white), transparency is
  blended onto :data:`BACKGROUND`;
* the longest side is brought down to :data:`MAX_SIDE` right after decoding.

What the network then sees (resize, centre crop, normalise) is :mod:`.preprocess`'s job.
"""

from __future__ import annotations

import io
import os
import stat
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import numpy as np
from PIL import Image

from .errors import UserError
from .image_meta import MetadataError, check_structure, orientation, upright_transpose

__all__ = [
    "ALLOWED_FORMATS",
    "BACKGROUND",
    "MAX_BYTES",
    "MAX_PIXELS",
    "MAX_SIDE",
    "ImageError",
    "load_image",
]

MAX_PIXELS: int = 40_000_000
"""Most pixels decoded, checked against the header's width × height before decoding; above it
the image is refused, never decoded. A PNG (WebP, TIFF, ...) of 8000×8000 is refused with a
message giving its size. A JPEG is decoded at 1/2 to 1/8 scale when it is larger than needed,
and the cap applies to that decoded size: an 8000×8000 JPEG decodes as 4000×4000 and works.
Decoding 40 MP as RGBA and flattening it peaks near 0.6 GB."""

MAX_BYTES: int = 20 * 1024 * 1024
"""Largest file or byte string accepted (20 MiB)."""

ALLOWED_FORMATS: tuple[str, ...] = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
"""Pillow format names tried when opening; no other plugin ever sees the bytes."""

MAX_SIDE: int = 2048
"""The longest side is downscaled to this right after decoding, so later steps stay bounded."""

BACKGROUND: tuple[int, int, int] = (255, 255, 255)
"""Transparent pixels are blended onto white, as a browser shows them on a white page."""

_USE = "use PNG, JPEG, WebP, GIF, BMP or TIFF"

# warnings.catch_warnings swaps the process-wide filter list (Python < 3.14); two threads
# interleaving enter/exit can leave a filter behind or drop one. Only Image.open runs under it
# (header parsing: fast), so serialising it costs nothing.
_WARNINGS_LOCK = threading.Lock()

_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N"})
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})


class ImageError(UserError):
    """An input that is not an image we can use; the message is meant for the person."""


# ---------------------------------------------------------------------------------------------
# intake


def load_image(
    source: Any,
    *,
    max_pixels: int = MAX_PIXELS,
    max_bytes: int = MAX_BYTES,
) -> Image.Image:
    """Read an image from anything a caller may hold and return it as a loaded RGB picture.

    Args:
        source: a path (``str`` or ``os.PathLike``), the file's bytes (``bytes``,
            ``bytearray``, ``memoryview``), a numpy array (``(H, W)``, ``(H, W, 1)``,
            ``(H, W, 3)`` or ``(H, W, 4)``; ``uint8``, ``uint16``, other integers, ``bool``,
            or float in [0, 1]) or a ``PIL.Image.Image`` (not modified).
        max_pixels: refuse pictures with more pixels than this. Pillow's own limit
            (``Image.MAX_IMAGE_PIXELS``) applies on top when reading files.
        max_bytes: refuse files and byte strings longer than this.

    Returns:
        A new, fully loaded ``PIL.Image.Image`` in mode ``"RGB"``: EXIF orientation applied,
        transparency blended onto :data:`BACKGROUND`, first frame only, longest side at most
        :data:`MAX_SIDE`.

    Raises:
        ImageError: for every input that cannot be used, with a plain message.
    """
    if source is None:
        raise ImageError("No image was given. Please choose an image first.", key="error.no_image")
    if isinstance(source, Image.Image):
        _check_pixels(source.size, max_pixels)
        _decode(source)
        return _finish(source)
    if isinstance(source, np.ndarray):
        return _finish(_from_array(source, max_pixels))
    if isinstance(source, (bytes, bytearray, memoryview)):
        _check_bytes(memoryview(source).nbytes, max_bytes)
        with io.BytesIO(source) as fp:
            return _read(fp, max_pixels)
    if isinstance(source, (str, os.PathLike)):
        with _open_path(source, max_bytes) as fp:
            return _read(fp, max_pixels)
    raise ImageError(f"Cannot read an image from a {type(source).__name__}; give a file, bytes or an array.")


@contextmanager
def _open_path(path: str | os.PathLike, max_bytes: int) -> Iterator[IO[bytes]]:
    try:
        info = os.stat(path)
        # Refuse FIFOs and devices before open(): opening a FIFO blocks, /dev/zero never ends.
        if not stat.S_ISREG(info.st_mode):
            raise ImageError("This is not an image file (it is a folder or a special file).", key="error.image_not_file")
        _check_bytes(info.st_size, max_bytes)
        fp = open(path, "rb")  # closed in the finally below
    except ImageError:
        raise
    except FileNotFoundError:
        raise ImageError("The image file could not be found.", key="error.image_not_found") from None
    except PermissionError:
        raise ImageError("The image file could not be opened (permission denied).", key="error.image_permission") from None
    except (OSError, ValueError) as exc:  # name too long, embedded NUL byte, ...
        raise ImageError("The image file could not be opened.", key="error.image_not_opened") from exc
    try:
        _check_bytes(os.fstat(fp.fileno()).st_size, max_bytes)  # it may have changed since stat
        yield fp
    finally:
        fp.close()


def _read(fp: IO[bytes], max_pixels: int) -> Image.Image:
    head = fp.read(1024)
    fp.seek(0)
    if not head:
        raise ImageError("The file is empty (0 bytes).", key="error.image_empty")
    size = fp.seek(0, os.SEEK_END)
    fp.seek(0)
    try:
        # Metadata that would cost far more memory than the file, and layouts that would cost
        # far more decoding work than the pixels, are refused before Pillow parses them.
        check_structure(fp, size)
    except MetadataError as exc:
        raise ImageError(str(exc), key=exc.key, **exc.fields) from None
    try:
        with _WARNINGS_LOCK, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(fp, formats=ALLOWED_FORMATS)
    except Image.UnidentifiedImageError:
        raise _not_an_image(head) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
        raise ImageError(
            f"This image is too large: it has more than {_megapixels(limit)} megapixels. "
            "Please use a smaller picture.",
            key="error.image_bomb", limit=_megapixels(limit),
        ) from exc
    except Exception as exc:  # plugins raise OSError, SyntaxError, struct.error, ...
        raise _damaged(_sniff(head)) from exc
    try:
        if image.format in ("JPEG", "MPO"):  # MPO: a phone's JPEG with extra pictures
            # libjpeg can decode at 1/2, 1/4 or 1/8 scale; ask for the smallest scale that
            # still covers MAX_SIDE, so a big camera JPEG costs a fraction of its full size.
            # The pixel cap below then applies to what is really decoded (the declared size
            # stays under Pillow's own limit, enforced in Image.open above).
            image.draft(None, (MAX_SIDE, MAX_SIDE))
        _check_pixels(image.size, max_pixels)
        _decode(image)
        return _finish(image)
    finally:
        image.close()


def _decode(image: Image.Image) -> None:
    """Decode the current (first) frame; map every decoder failure to an ImageError."""
    try:
        image.load()
    except Image.DecompressionBombError as exc:
        raise ImageError("This image is too large to decode safely.", key="error.image_decode_large") from exc
    except MemoryError as exc:
        raise ImageError("This image is too large to decode in the memory available.", key="error.image_decode_memory") from exc
    except Exception as exc:  # truncated data ("image file is truncated"), broken streams, ...
        fmt = image.format or "image"
        raise ImageError(
            f"This {fmt} file is incomplete or damaged (it may have been cut off during upload).",
            key="error.image_incomplete", format=fmt,
        ) from exc


def _finish(image: Image.Image) -> Image.Image:
    """Orientation, colour and size of a decoded picture; always returns a new image.

    The orientation is read by :func:`image_meta.orientation` (one tag), not by Pillow's
    ``exif_transpose``, which parses and copies every tag. The result carries no metadata:
    sessions keep it, and EXIF may hold anything (GPS positions, megabytes of tags).
    """
    try:
        method = upright_transpose(orientation(image.info, getattr(image, "tag_v2", None)))
    except Exception:
        # Broken EXIF must not cost the person their picture: keep the stored orientation.
        method = None
    upright = image.transpose(method) if method is not None else image
    rgb = _limit_side(_to_rgb(upright), MAX_SIDE)
    out = rgb.copy() if rgb is image else rgb
    out.info = {}
    return out


def _check_bytes(n: int, max_bytes: int) -> None:
    if n > max_bytes:
        raise ImageError(
            f"This file is {_amount(n)}; the limit is {_amount(max_bytes)}. Please use a smaller file.",
            key="error.image_file_size", size=_amount(n), limit=_amount(max_bytes),
        )


def _amount(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.1f} MB".replace(".0 MB", " MB")
    return f"{n / 2**10:.1f} KB".replace(".0 KB", " KB") if n >= 2**10 else f"{n} bytes"


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise ImageError(f"This image has no pixels (it is {width}×{height}).", key="error.image_no_pixels",
                         width=width, height=height)
    if width * height > max_pixels:
        raise ImageError(
            f"This image is too large: {width}×{height} is {_megapixels(width * height)} "
            f"megapixels, the limit is {_megapixels(max_pixels)}. Please use a smaller picture.",
            key="error.image_pixels", width=width, height=height, size=_megapixels(width * height),
            limit=_megapixels(max_pixels),
        )


def _megapixels(n: int) -> str:
    return f"{n / 1e6:.1f}".removesuffix(".0")


# Magic numbers of things people upload that are not images we read; for messages only.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"8BPS", "PSD"),
    (b"%PDF", "PDF"),
    (b"%!PS", "EPS"),
    (b"\xc5\xd0\xd3\xc6", "EPS"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"\x00\x00\x02\x00", "CUR"),
    (b"icns", "ICNS"),
    (b"SIMPLE  =", "FITS"),
    (b"\xffO\xffQ", "JPEG 2000"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (b"\xff\n", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
    (b"qoif", "QOI"),
    (b"DDS ", "DDS"),
    (b"\x01\xda", "SGI"),
    (b"PK\x03\x04", "ZIP"),
)


def _sniff(head: bytes) -> str | None:
    """A human name for the kind of file ``head`` starts, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "AVIF"
        if brand in (b"heic", b"heix", b"hevc", b"mif1", b"msf1"):
            return "HEIC"
    for magic, name in _SIGNATURES:
        if head.startswith(magic):
            return name
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "SVG"
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")):
        return "HTML"
    if head and all(32 <= b < 127 or b in b"\t\r\n" for b in head):
        return "text"
    return None


def _not_an_image(head: bytes) -> ImageError:
    kind = _sniff(head)
    if kind in ALLOWED_FORMATS:
        return _damaged(kind)
    if kind == "text":
        return ImageError(f"This file is text, not an image we can read ({_USE}).", key="error.image_text")
    if kind is not None:
        return ImageError(f"This file is not an image we can read ({kind} is not supported; {_USE}).",
                          key="error.image_unsupported", kind=kind)
    return ImageError(f"This file is not an image we can read ({_USE}).", key="error.not_an_image")


def _damaged(kind: str | None) -> ImageError:
    if kind is None:
        return ImageError("This image file is damaged and cannot be read.", key="error.image_damaged")
    return ImageError(f"This {kind} file is damaged and cannot be read.", key="error.image_damaged_kind", kind=kind)


# ---------------------------------------------------------------------------------------------
# colour


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode to RGB, by the mode's real value range; alpha onto BACKGROUND."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in _SIXTEEN_BIT_MODES or mode in ("I", "F"):
        grey = _to_uint8(np.asarray(image), sixteen_bit=mode in _SIXTEEN_BIT_MODES)
        return Image.fromarray(grey, "L").convert("RGB")
    # A palette (or grey, or RGB) with a transparent colour goes through RGBA; converting it
    # straight to RGB would show the hidden colour.
    if mode in _ALPHA_MODES or (mode in ("P", "L", "RGB") and "transparency" in image.info):
        return _flatten(image.convert("RGBA"))
    try:
        return image.convert("RGB")
    except ValueError as exc:  # e.g. LAB, HSV: Pillow has no conversion
        raise ImageError(f"Images in colour mode {mode} are not supported; {_USE}.", key="error.image_mode",
                         mode=mode) from exc


def _flatten(rgba: Image.Image) -> Image.Image:
    """Blend an RGBA picture onto BACKGROUND: out = rgb * a + background * (1 - a)."""
    flat = Image.new("RGB", rgba.size, BACKGROUND)
    flat.paste(rgba.convert("RGB"), mask=rgba.getchannel("A"))
    return flat


def _to_uint8(a: np.ndarray, *, sixteen_bit: bool = False) -> np.ndarray:
    """Scale an array of any numeric dtype to uint8 by its real range.

    ``uint16`` (and Pillow's ``I;16*`` modes) use the full 16-bit range: 65535 → 255, so
    mid-grey 32768 → 128. Other integers (Pillow's ``I``): 0..255 as is, 0..65535 as 16-bit,
    anything else stretched from min to max. Floats: [0, 1] × 255, 0..255 as is, anything
    else stretched. The whole array (all channels together) shares one scale, so colours keep
    their balance.
    """
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * np.uint8(255)
    if a.dtype.kind in "iu":
        if a.size and (sixteen_bit or a.dtype.itemsize == 2 and a.dtype.kind == "u"):
            return _rescale_int(a, 0, 65535)
        lo, hi = int(a.min()), int(a.max())
        if lo >= 0 and hi <= 255:
            return a.astype(np.uint8)
        if lo >= 0 and hi <= 65535:
            return _rescale_int(a, 0, 65535)
        return _rescale_int(a, lo, hi)
    if a.dtype.kind == "f":
        if not np.isfinite(a).all():
            raise ImageError("The image contains undefined values (NaN or infinity).")
        lo, hi = float(a.min()), float(a.max())
        if lo >= 0.0 and hi <= 1.0:
            return np.rint(a.astype(np.float32) * np.float32(255)).astype(np.uint8)
        if lo >= 0.0 and hi <= 255.0:
            return np.rint(a).astype(np.uint8)
        span = (hi - lo) or 1.0
        return np.rint((a.astype(np.float64) - lo) * (255.0 / span)).astype(np.uint8)
    raise ImageError(f"Arrays of type {a.dtype} are not supported as images.")


def _rescale_int(a: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Map integers in [lo, hi] to 0..255 with exact rounding."""
    span = max(hi - lo, 1)
    shifted = a.astype(np.int64) - lo
    return ((shifted * 255 + span // 2) // span).astype(np.uint8)


def _from_array(array: np.ndarray, max_pixels: int) -> Image.Image:
    shape = array.shape
    if array.ndim == 3 and shape[-1] not in (1, 3, 4) and shape[0] in (1, 3, 4):
        raise ImageError(
            f"The image array has shape {shape}, channels first; expected (height, width, channels)."
        )
    if array.ndim not in (2, 3) or (array.ndim == 3 and shape[-1] not in (1, 3, 4)):
        raise ImageError(
            f"The image array has shape {shape}; expected (height, width), (height, width, 1), "
            "(height, width, 3) or (height, width, 4)."
        )
    _check_pixels((shape[1], shape[0]), max_pixels)
    pixels = np.ascontiguousarray(_to_uint8(array))
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    mode = "L" if pixels.ndim == 2 else {3: "RGB", 4: "RGBA"}[pixels.shape[-1]]
    return Image.fromarray(pixels, mode)


def _limit_side(image: Image.Image, max_side: int) -> Image.Image:
    """Downscale so the longest side is ``max_side``, keeping the aspect ratio (sides >= 1)."""
    width, height = image.size
    longest = max(width, height)
    if longest <= max_side:
        return image
    scale = max_side / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # Antialiased bilinear (a triangle filter): this is an intermediate size, the network
    # sees a further-reduced copy, and it costs half of Lanczos. reducing_gap: a fast integer
    # box reduction first when the factor is above 2.
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
