"""Metadata and structure checks on image files, before Pillow parses them.

Pillow copies metadata generously: each TIFF tag's data is read into its own ``bytes`` (or a
tuple of Python numbers), so an IFD whose hundreds of tags all point at the same 5 MB of the
file costs hundreds of times the file; ``getexif`` does the same for EXIF (JPEG parses it while
opening, to find the DPI); a GIF comment is joined 255 bytes at a time (quadratic); a TIFF in
two million one-row strips is two million decoder calls. These walks read only the few bytes
that describe the structure and refuse a file whose metadata would cost more than the file
itself, or whose decoding would take disproportionate work, before Pillow sees it:

* TIFF (the file itself, a JPEG's EXIF segment, an MPO's MPF segment): at most
  :data:`MAX_IFD_ENTRIES` entries per IFD; the data the entries point at, summed, at most the
  size of the blob (real files never point two tags at the same bytes); at most
  :data:`MAX_TIFF_VALUES` numbers in all (Pillow turns each into a Python object); at most
  :data:`MAX_TIFF_STRIPS` strips or tiles.
* GIF: at most :data:`MAX_GIF_SUBBLOCKS` extension sub-blocks before the first frame.
* JPEG: at most :data:`MAX_JPEG_SEGMENTS` segments before the first scan.
* PNG: at most :data:`MAX_PNG_CHUNKS` chunks, :data:`MAX_PNG_METADATA_CHUNKS` of them metadata.

:func:`orientation` then reads the EXIF orientation itself (one tag, no copy), so Pillow's
``getexif``/``exif_transpose`` (which copy every tag) are never needed.
"""

from __future__ import annotations

import re
import struct
from typing import IO, Any

from PIL import Image

from .errors import Term, UserError

__all__ = [
    "MAX_GIF_SUBBLOCKS",
    "MAX_IFD_ENTRIES",
    "MAX_JPEG_SEGMENTS",
    "MAX_PNG_CHUNKS",
    "MAX_PNG_METADATA_CHUNKS",
    "MAX_TIFF_STRIPS",
    "MAX_TIFF_VALUES",
    "MetadataError",
    "check_structure",
    "orientation",
    "upright_transpose",
]

MAX_IFD_ENTRIES: int = 512
"""Most entries in one TIFF directory (cameras write well under 100; the format allows 65,535)."""

MAX_TIFF_VALUES: int = 1_000_000
"""Most numbers (SHORT, LONG, RATIONAL, ...) in the tags of one TIFF structure, all IFDs together."""

MAX_TIFF_STRIPS: int = 65_536
"""Most strips or tiles in a TIFF image: every one is a separate decoder call."""

MAX_GIF_SUBBLOCKS: int = 4_096
"""Most extension sub-blocks (comments, application data) before a GIF's first frame."""

MAX_JPEG_SEGMENTS: int = 1_024
"""Most marker segments before a JPEG's first scan (Pillow keeps each APP and COM in a list;
a camera writes about a dozen, an ICC profile at most 255)."""

MAX_PNG_CHUNKS: int = 65_536
"""Most chunks in a PNG (Pillow reads each in Python; encoders write IDAT in 8 KB or more)."""

MAX_PNG_METADATA_CHUNKS: int = 4_096
"""Most chunks other than image data and frame controls (text, ICC, EXIF, private chunks):
Pillow keeps every text chunk in two dicts, and an empty one counts nothing against its text
budget."""

# TIFF field types: bytes per value, and whether Pillow makes a Python object per value
_TYPES: dict[int, tuple[int, bool]] = {
    1: (1, False),
    2: (1, False),
    3: (2, True),
    4: (4, True),
    5: (8, True),
    6: (1, False),
    7: (1, False),
    8: (2, True),
    9: (4, True),
    10: (8, True),
    11: (4, True),
    12: (8, True),
    13: (4, True),
    16: (8, True),
    17: (8, True),
    18: (8, True),
}
_STRIP_TAGS = (273, 279, 324, 325)  # StripOffsets, StripByteCounts, TileOffsets, TileByteCounts
_SUB_IFDS = (34665, 34853, 40965)  # Exif, GPS, Interoperability
_ORIENTATION = 0x0112
_XMP_ORIENTATION = re.compile(rb'tiff:Orientation(?:="|>)([1-8])')


class MetadataError(UserError):
    """A file whose structure or metadata would cost far more to read than the file's size."""


def check_structure(fp: IO[bytes], size: int) -> None:
    """Refuse a file whose metadata or layout would be disproportionately costly to read.

    Args:
        fp: the file, seekable; its position is restored.
        size: its length in bytes.

    Raises:
        MetadataError: with a plain message for the person.
    """
    start = fp.tell()
    try:
        head = fp.read(16)
        if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
            fp.seek(0)
            _check_tiff(fp, size, what=Term("TIFF file", "error.term_tiff_file"), image=True)
        elif head[:3] == b"\xff\xd8\xff":
            _check_jpeg(fp, size)
        elif head[:6] in (b"GIF87a", b"GIF89a"):
            _check_gif(fp, size)
        elif head[:8] == b"\x89PNG\r\n\x1a\n":
            _check_png(fp, size)
    except (struct.error, EOFError):  # a cut-off structure: Pillow reports it as damaged
        pass
    finally:
        fp.seek(start)


def orientation(info: dict[str, Any], tags: Any = None) -> int:
    """The EXIF orientation (1-8) of a picture, read without copying any other tag.

    Args:
        info: the image's ``info`` dict (``"exif"`` bytes, PNG's ``"Raw profile type exif"``
            text, XMP as ``"xmp"`` or ``"XML:com.adobe.xmp"``: the same sources as Pillow's
            ``getexif``, in the same order).
        tags: a TIFF image's already parsed ``tag_v2``, if any.

    Returns:
        1 (as stored) when there is no orientation or it is unreadable or out of range.
    """
    value = None
    if tags is not None:
        try:
            value = tags.get(_ORIENTATION)
        except Exception:  # a broken tag: keep the stored orientation
            value = None
    if value is None:
        value = _exif_orientation(_exif_bytes(info))
    if value is None:
        xmp = info.get("xmp") or info.get("XML:com.adobe.xmp")
        if isinstance(xmp, str):
            xmp = xmp.encode("utf-8", "replace")
        if isinstance(xmp, bytes) and (match := _XMP_ORIENTATION.search(xmp)):
            value = int(match.group(1))
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


# EXIF orientation -> the transposition that shows the picture upright (as ImageOps.exif_transpose)
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def upright_transpose(value: int) -> Image.Transpose | None:
    """The transposition that shows a picture of EXIF orientation ``value`` upright, or None."""
    return _UPRIGHT.get(value)


# ---------------------------------------------------------------------------------------------
# TIFF structures


class _Budget:
    """What the IFDs of one TIFF structure may make Pillow allocate."""

    def __init__(self, size: int) -> None:
        self.bytes_left = size
        self.values_left = MAX_TIFF_VALUES


def _check_tiff(fp: IO[bytes], size: int, *, what: str, image: bool) -> None:
    """Check the IFDs of a TIFF structure that starts at ``fp``'s position and is ``size`` long."""
    base = fp.tell()
    header = fp.read(16)
    endian = "<" if header[:2] == b"II" else ">"
    big = struct.unpack(endian + "H", header[2:4])[0] == 43
    first = struct.unpack(endian + ("Q" if big else "I"), header[8:16] if big else header[4:8])[0]
    budget = _Budget(size)
    # Pillow reads IFD0 when it opens a TIFF (and EXIF's IFD0 for a JPEG's DPI); getexif would
    # follow the Exif, GPS and Interop pointers: all of them are held to one budget.
    todo, seen = [first], set()
    while todo and len(seen) < 8:
        offset = todo.pop()
        if offset in seen or not 0 < offset < size:
            continue
        seen.add(offset)
        fp.seek(base + offset)
        todo.extend(
            _check_ifd(fp, base, size, endian, big, budget, what=what, pixels=image and offset == first)
        )


def _check_ifd(
    fp: IO[bytes], base: int, size: int, endian: str, big: bool, budget: _Budget, *, what: str, pixels: bool
) -> list[int]:
    """Check one IFD against ``budget`` (and its strip count when it holds the ``pixels``).

    Returns:
        The offsets of the sub-IFDs it points to (Exif, GPS, Interop).
    """
    count_fmt, entry_size = ("Q", 20) if big else ("H", 12)
    (n,) = struct.unpack(endian + count_fmt, fp.read(struct.calcsize(count_fmt)))
    if n > MAX_IFD_ENTRIES:
        raise MetadataError(
            f"This image's metadata ({what}) has {n:,} entries in one directory; the limit is "
            f"{MAX_IFD_ENTRIES}. Please save the picture again without its metadata.",
            key="error.meta_ifd_entries", what=what, n=n, limit=MAX_IFD_ENTRIES,
        )
    available = size - (fp.tell() - base)  # entries past the structure's end are never read
    raw = fp.read(max(0, min(n * entry_size, available)))
    inline = 8 if big else 4
    subs = []
    for i in range(len(raw) // entry_size):
        entry = raw[i * entry_size : (i + 1) * entry_size]
        tag, typ = struct.unpack(endian + "HH", entry[:4])
        count = struct.unpack(endian + ("Q" if big else "I"), entry[4 : 4 + (8 if big else 4)])[0]
        unit, numeric = _TYPES.get(typ, (0, False))  # Pillow skips unknown types
        nbytes = unit * count
        if pixels and tag in _STRIP_TAGS and count > MAX_TIFF_STRIPS:
            raise MetadataError(
                f"This TIFF file is stored in {count:,} strips or tiles; the limit is {MAX_TIFF_STRIPS:,}. "
                "Please save it again (any image editor does) or use PNG.",
                key="error.meta_tiff_strips", n=count, limit=MAX_TIFF_STRIPS,
            )
        if numeric:
            budget.values_left -= count
        if nbytes > inline:
            offset = struct.unpack(endian + ("Q" if big else "I"), entry[-inline:])[0]
            budget.bytes_left -= max(0, min(nbytes, size - offset))  # Pillow reads what is there
        elif tag in _SUB_IFDS and count == 1 and typ in (4, 13, 16):
            subs.append(struct.unpack(endian + ("Q" if big else "I"), entry[-inline:])[0])
        if budget.values_left < 0:
            raise MetadataError(
                f"This image's metadata ({what}) holds more than {MAX_TIFF_VALUES:,} numbers, which would take "
                "far more memory to read than the picture itself. Please save the picture again without its metadata.",
                key="error.meta_values", what=what, limit=MAX_TIFF_VALUES,
            )
        if budget.bytes_left < 0:
            raise MetadataError(
                f"This image's metadata ({what}) claims more data than the file holds, which would take "
                "far more memory to read than the picture itself. Please save the picture again without its metadata.",
                key="error.meta_bytes", what=what,
            )
    return subs


def _exif_bytes(info: dict[str, Any]) -> bytes | None:
    data = info.get("exif")
    if data is None and isinstance(info.get("Raw profile type exif"), str):
        try:  # ImageMagick's PNG text chunk: a header of three lines, then hex
            data = bytes.fromhex("".join(info["Raw profile type exif"].split("\n")[3:]))
        except ValueError:
            return None
    if not isinstance(data, (bytes, bytearray)):
        return None
    return bytes(data[6:]) if data[:6] == b"Exif\x00\x00" else bytes(data)


def _exif_orientation(tiff: bytes | None) -> int | None:
    """Tag 0x0112 of IFD0 of an EXIF blob (a TIFF structure), or None; reads 12 bytes per entry."""
    if not tiff or len(tiff) < 8 or tiff[:4] not in (b"II*\x00", b"MM\x00*"):
        return None
    endian = "<" if tiff[:2] == b"II" else ">"
    (ifd,) = struct.unpack(endian + "I", tiff[4:8])
    if ifd + 2 > len(tiff):
        return None
    (n,) = struct.unpack(endian + "H", tiff[ifd : ifd + 2])
    for i in range(min(n, (len(tiff) - ifd - 2) // 12)):
        at = ifd + 2 + 12 * i
        tag, typ, count = struct.unpack(endian + "HHI", tiff[at : at + 8])
        if tag == _ORIENTATION:
            return struct.unpack(endian + "H", tiff[at + 8 : at + 10])[0] if typ == 3 and count >= 1 else None
    return None


# ---------------------------------------------------------------------------------------------
# JPEG and GIF


def _check_jpeg(fp: IO[bytes], size: int) -> None:
    """Check the EXIF (APP1) and MPF (APP2) segments, the TIFF structures Pillow parses on open."""
    fp.seek(2)
    segments = 0
    while True:
        segments += 1
        if segments > MAX_JPEG_SEGMENTS:
            raise MetadataError(
                f"This JPEG has more than {MAX_JPEG_SEGMENTS:,} blocks of metadata before its picture. "
                "Please save it again without its metadata.",
                key="error.meta_jpeg_segments", limit=MAX_JPEG_SEGMENTS,
            )
        if fp.read(1) != b"\xff":
            return
        code = fp.read(1)
        while code == b"\xff":  # fill bytes
            code = fp.read(1)
        if not code:
            return
        code = code[0]
        if code in (0xD8, 0x01) or 0xD0 <= code <= 0xD7:
            continue
        if code in (0xDA, 0xD9):  # start of scan, end of image: no more metadata before the pixels
            return
        (length,) = struct.unpack(">H", fp.read(2))
        segment_start = fp.tell()
        if code in (0xE1, 0xE2) and length >= 10:
            tag = fp.read(6)
            if code == 0xE1 and tag == b"Exif\x00\x00":
                _check_tiff(fp, length - 8, what="EXIF", image=False)
            elif code == 0xE2 and tag[:4] == b"MPF\x00":
                fp.seek(segment_start + 4)
                _check_tiff(fp, length - 6, what="MPF", image=False)
        fp.seek(segment_start + length - 2)


def _check_gif(fp: IO[bytes], size: int) -> None:
    """Count the extension sub-blocks Pillow reads (and joins) before the first frame."""
    fp.seek(10)
    flags = fp.read(3)[0]
    if flags & 0x80:
        fp.seek(3 << ((flags & 7) + 1), 1)  # global colour table
    blocks = 0
    while True:
        kind = fp.read(1)
        if kind != b"!":  # an image descriptor, the trailer, or something Pillow rejects
            return
        fp.read(1)  # the extension's label
        blocks += 1  # even an empty extension costs Pillow a join
        while (length := fp.read(1)) not in (b"", b"\x00"):
            blocks += 1
            fp.seek(length[0], 1)
            if blocks > MAX_GIF_SUBBLOCKS:
                break
        if blocks > MAX_GIF_SUBBLOCKS:
            raise MetadataError(
                f"This GIF has more than {MAX_GIF_SUBBLOCKS:,} blocks of metadata before its first "
                "picture. Please save it again without comments, or use PNG.",
                key="error.meta_gif_blocks", limit=MAX_GIF_SUBBLOCKS,
            )


_PNG_PIXEL_CHUNKS = (b"IDAT", b"fdAT", b"fcTL")


def _check_png(fp: IO[bytes], size: int) -> None:
    """Count a PNG's chunks, reading 8 bytes of each."""
    fp.seek(8)
    chunks = metadata = 0
    while True:
        head = fp.read(8)
        if len(head) < 8:
            return
        length, kind = struct.unpack(">I", head[:4])[0], head[4:]
        chunks += 1
        metadata += kind not in _PNG_PIXEL_CHUNKS
        if chunks > MAX_PNG_CHUNKS or metadata > MAX_PNG_METADATA_CHUNKS:
            if chunks > MAX_PNG_CHUNKS:
                raise MetadataError(
                    f"This PNG is cut into more than {MAX_PNG_CHUNKS:,} chunks. Please save it again "
                    "(any image editor does).",
                    key="error.meta_png_chunks", limit=MAX_PNG_CHUNKS,
                )
            raise MetadataError(
                f"This PNG is cut into more than {MAX_PNG_METADATA_CHUNKS:,} chunks of metadata. Please save it again "
                "(any image editor does).",
                key="error.meta_png_metadata", limit=MAX_PNG_METADATA_CHUNKS,
            )
        if kind == b"IEND":
            return
        fp.seek(length + 4, 1)  # the data and its CRC
