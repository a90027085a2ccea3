"""Pictures and picture files the tests make themselves (no network, no assets needed).

``natural_image`` gives a smooth, structured RGB picture, so maps are not pure noise;
``encode`` and the PNG builders give files as a person or an attacker would send them.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def natural_image(h: int = 240, w: int = 320, seed: int = 0) -> np.ndarray:
    """A smooth, structured RGB picture (blobs and edges), so maps are not pure noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for _ in range(6):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        r = rng.uniform(15, 60)
        color = rng.uniform(0, 1, 3)
        mask = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
        img += mask[..., None] * color
    img += 0.1 * np.sin(xx / 7.0)[..., None]
    img = (img - img.min()) / (img.max() - img.min())
    return (img * 255).astype(np.uint8)


def save_natural_image(path: Path, h: int, w: int, seed: int = 0) -> Path:
    """``natural_image(h, w, seed)`` written to ``path`` (format from its suffix); returns ``path``."""
    Image.fromarray(natural_image(h, w, seed=seed)).save(path)
    return path


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    """``image`` as the bytes of a ``fmt`` file (Pillow's writer, ``params`` passed on)."""
    buf = io.BytesIO()
    image.save(buf, fmt, **params)
    return buf.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int, *, idat_zeros: int = 64) -> bytes:
    """A valid PNG header declaring ``width`` x ``height`` 1-bit pixels, with almost no data
    (one IDAT of ``idat_zeros`` compressed zero bytes).

    A decompression bomb as an attacker sends it: a few dozen bytes whose header asks for
    gigabytes. Nothing reads past the header if the intake does its job.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * idat_zeros))
        + png_chunk(b"IEND", b"")
    )
