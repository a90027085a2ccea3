"""A person's own data set: named classes of images, from uploaded files or one zip.

Every picture goes through :func:`resnet_core.images.load_image`, the project's one guarded
image door. A zip is read member by member into memory, never extracted, so nothing is written
anywhere; its central directory is checked before a single member is read (member count, path
forms, symlinks, encryption, declared sizes and compression ratios) and every read is capped
again, because the declared sizes are the attacker's to choose. Any problem is one
:class:`TransferError` with a plain message.
"""

from __future__ import annotations

import io
import os
import re
import stat
import time
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from PIL import Image

from ..errors import UserError
from ..images import MAX_BYTES, MAX_SIDE, ImageError, load_image

#: classes a data set must have (a classifier needs two; ten keep the page and memory small)
MIN_CLASSES = 2
MAX_CLASSES = 10
#: images per class: at least two (one to train on, one to hold out), at most this many
MIN_IMAGES_PER_CLASS = 2
MAX_IMAGES_PER_CLASS = 100
MAX_TOTAL_IMAGES = 400
#: pictures are kept with their longest side at most this (memory per session: 400 images x
#: 224 x 224 x 3 bytes, about 60 MB at most)
STORED_SIDE = 224
#: the longest class name kept for display (characters)
MAX_NAME_CHARS = 40

#: zip caps: file size, entries (files and folders), total and per-member uncompressed bytes,
#: and the largest compression ratio a member may declare (images barely compress; a zip bomb
#: is thousands to millions to one)
MAX_ZIP_BYTES = 200 * 1024 * 1024
MAX_ZIP_MEMBERS = 1000
MAX_ZIP_UNCOMPRESSED = 400 * 1024 * 1024
MAX_MEMBER_BYTES = MAX_BYTES
MAX_COMPRESSION_RATIO = 100
#: the whole archive: its members may declare at most this many times the zip's own bytes
#: (each small member may compress well; four hundred of them together may not)
MAX_ARCHIVE_RATIO = 20
#: pixels one data set may decode, all images together, read from their headers before any is
#: decoded (bytes alone do not bound the work: a 1 KB PNG may declare 40 megapixels); JPEGs count
#: at the reduced scale they are decoded at. About 20 s of PNG decoding on a 2-core CPU.
MAX_DECODE_PIXELS = 1_000_000_000

IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff")
# Entries that archivers add on their own; skipped silently rather than refused.
_JUNK = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$|\._)", re.IGNORECASE)
_MARKUP = re.compile(r"[<>&\"'`\\{}\[\]|]")


class TransferError(UserError):
    """A data set, setting or file that cannot be used; the message is meant for the person
    (in English; ``key`` and ``fields`` name the same words in the catalogue)."""


def _quote(value: Any, limit: int = 60) -> str:
    """A user's value for a message: printable, at most ``limit`` characters."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(value))
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def clean_class_name(name: Any) -> str:
    """The display form of a class name: NFKC, no markup or control characters, one space.

    Raises:
        TransferError: the name is not text or nothing is left of it.
    """
    if not isinstance(name, str):
        raise TransferError(f"A class name must be text, not {type(name).__name__}.", key="error.transfer_name_type",
                            kind=type(name).__name__)
    text = unicodedata.normalize("NFKC", name)
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    text = _MARKUP.sub("", text)
    text = " ".join(text.split())[:MAX_NAME_CHARS].strip()
    if not text:
        raise TransferError(f"The class name {_quote(name)} is empty once markup and spaces are removed.",
                            key="error.transfer_name_empty", name=_quote(name))
    return text


def _check_names(names: Sequence[Any]) -> tuple[str, ...]:
    if len(names) == 1:
        raise TransferError(
            f"Give between {MIN_CLASSES} and {MAX_CLASSES} classes; got 1. A classifier needs at least two classes "
            "to choose between.", key="error.transfer_one_class", low=MIN_CLASSES, high=MAX_CLASSES,
        )
    if not MIN_CLASSES <= len(names) <= MAX_CLASSES:
        raise TransferError(f"Give between {MIN_CLASSES} and {MAX_CLASSES} classes; got {len(names)}.",
                            key="error.transfer_class_count", low=MIN_CLASSES, high=MAX_CLASSES, got=len(names))
    cleaned = tuple(clean_class_name(n) for n in names)
    seen: dict[str, str] = {}
    for raw, name in zip(names, cleaned):
        key = name.casefold()
        if key in seen:
            raise TransferError(
                f"Two classes have the same name once tidied: {_quote(seen[key])} and {_quote(raw)}. "
                "Give every class its own name.", key="error.transfer_name_twice", first=_quote(seen[key]),
                second=_quote(raw),
            )
        seen[key] = str(raw)
    return cleaned


@dataclass(frozen=True)
class ImageSet:
    """Images with class labels, checked and decoded.

    Attributes:
        class_names: display names, one per class, in label order.
        images: one ``(H, W, 3)`` uint8 picture per image, longest side at most :data:`STORED_SIDE`.
        labels: ``(N,)`` int64 class index of each image.
        names: a short name per image (its file name, or "<class> 3"), for hover text.
    """

    class_names: tuple[str, ...]
    images: tuple[np.ndarray, ...]
    labels: np.ndarray
    names: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def __len__(self) -> int:
        return len(self.images)

    def counts(self) -> np.ndarray:
        """``(K,)`` images per class."""
        return np.bincount(self.labels, minlength=self.num_classes)


def _store(image: Image.Image) -> np.ndarray:
    if max(image.size) > STORED_SIDE:
        image = image.copy()
        image.thumbnail((STORED_SIDE, STORED_SIDE), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.uint8).copy()


def decode_cost(source: Any) -> int:
    """Pixels decoding ``source`` will produce, read from its header only (0 if unreadable:
    :func:`load_image` says what is wrong with it later). JPEGs count at their draft scale."""
    if isinstance(source, np.ndarray):
        return int(source.shape[0] * source.shape[1]) if source.ndim >= 2 else 0
    if isinstance(source, Image.Image):
        return source.width * source.height
    if isinstance(source, (bytes, bytearray, memoryview)):
        opener: Any = io.BytesIO(bytes(source))
    elif isinstance(source, (str, os.PathLike)):
        opener = os.fspath(source)
    else:
        return 0
    try:
        with Image.open(opener) as image:
            if image.format in ("JPEG", "MPO"):
                image.draft(None, (MAX_SIDE, MAX_SIDE))
            return image.width * image.height
    except Exception:  # noqa: BLE001 - any failure is load_image's to report
        return 0


def _source_name(source: Any, fallback: str) -> str:
    if isinstance(source, (str, os.PathLike)):
        return Path(os.fspath(source)).name[:80] or fallback
    return fallback


def _check_counts(class_names: Sequence[str], counts: Sequence[int]) -> None:
    for name, n in zip(class_names, counts):
        if n == 0:
            raise TransferError(f"The class {_quote(name)} has no images; add at least {MIN_IMAGES_PER_CLASS}.",
                                key="error.transfer_class_empty", name=_quote(name), low=MIN_IMAGES_PER_CLASS)
        if n < MIN_IMAGES_PER_CLASS:
            raise TransferError(
                f"The class {_quote(name)} has {n} image; give at least {MIN_IMAGES_PER_CLASS} "
                "(one to learn from, one to test on).", key="error.transfer_class_few", name=_quote(name), n=n,
                low=MIN_IMAGES_PER_CLASS,
            )
        if n > MAX_IMAGES_PER_CLASS:
            raise TransferError(
                f"The class {_quote(name)} has {n} images; at most {MAX_IMAGES_PER_CLASS} per class are allowed.",
                key="error.transfer_class_many", name=_quote(name), n=n, high=MAX_IMAGES_PER_CLASS,
            )
    total = sum(counts)
    if total > MAX_TOTAL_IMAGES:
        raise TransferError(f"{total} images in all; at most {MAX_TOTAL_IMAGES} are allowed.",
                            key="error.transfer_total", total=total, high=MAX_TOTAL_IMAGES)


def from_sources(
    classes: Mapping[str, Sequence[Any]] | Sequence[tuple[str, Sequence[Any]]],
    *,
    file_names: Sequence[Sequence[str]] | None = None,
    max_pixels: int = MAX_DECODE_PIXELS,
    deadline: float | None = None,
) -> ImageSet:
    """A data set from a name and a list of images per class (uploads, webcam snapshots).

    Args:
        classes: ``{name: [image, ...]}`` or ``[(name, [image, ...]), ...]``; an image is
            anything :func:`~resnet_core.images.load_image` accepts (a path, bytes, an array, a
            PIL picture).
        file_names: a name per image of each class, for messages and hover text (default: the
            file name of a path, else "<class> <n>").
        max_pixels: the most pixels all images together may decode (from their headers,
            checked before any is decoded).
        deadline: a ``time.monotonic()`` instant; reading stops with an error once it passes
            (a run's time budget covers its decoding).

    Raises:
        TransferError: too few or too many classes or images, a duplicate or empty name, or an
            image that cannot be read (naming its class and file).
    """
    pairs = list(classes.items()) if isinstance(classes, Mapping) else list(classes)
    if any(not isinstance(p, (tuple, list)) or len(p) != 2 for p in pairs):
        raise TransferError("Give each class as a (name, images) pair.", key="error.transfer_pairs")
    names = _check_names([p[0] for p in pairs])
    sources = [list(p[1] or []) for p in pairs]
    _check_counts(names, [len(s) for s in sources])
    pixels = sum(decode_cost(source) for items in sources for source in items)
    if pixels > max_pixels:
        raise TransferError(
            f"These pictures hold {pixels / 1e6:,.0f} megapixels in all; at most {max_pixels / 1e6:,.0f} "
            "are read per data set. Use fewer or smaller pictures.", key="error.transfer_megapixels",
            pixels=pixels / 1e6, limit=max_pixels / 1e6,
        )
    images: list[np.ndarray] = []
    labels: list[int] = []
    image_names: list[str] = []
    for k, (name, items) in enumerate(zip(names, sources)):
        for i, source in enumerate(items):
            label = file_names[k][i][:80] if file_names is not None else _source_name(source, f"{name} {i + 1}")
            if deadline is not None and time.monotonic() > deadline:
                raise TransferError(
                    "Reading the pictures took longer than this run's time budget; use fewer or smaller "
                    "pictures, or allow more seconds.", key="error.transfer_read_time",
                )
            try:
                picture = load_image(source)
            except ImageError as exc:
                # the picture's own error travels whole, so a page words it in its language too
                raise TransferError(f"Class {_quote(name)}, image {_quote(label)}: {exc}", key="error.transfer_image",
                                    name=_quote(name), label=_quote(label), problem=exc) from exc
            images.append(_store(picture))
            labels.append(k)
            image_names.append(label)
    return ImageSet(names, tuple(images), np.asarray(labels, dtype=np.int64), tuple(image_names))


def from_folder(root: str | os.PathLike) -> ImageSet:
    """A data set from a local folder holding one sub-folder of images per class (the bundled set).

    Files whose suffix is not an image suffix are skipped; sub-folders are sorted by name.
    """
    base = Path(root)
    if not base.is_dir():
        raise TransferError(f"No folder at {_quote(base.name)}.", key="error.transfer_no_folder", name=_quote(base.name))
    folders = sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
    classes = [
        (p.name, sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES))
        for p in folders
    ]
    return from_sources(classes)


# ---------------------------------------------------------------------------------------------
# zip


def _member_parts(info: zipfile.ZipInfo) -> tuple[str, ...]:
    """The member's path parts, after refusing every form that could point outside a folder."""
    raw = info.filename
    if "\x00" in raw or "\\" in raw:
        raise TransferError(f"The zip member {_quote(raw)} has a backslash or NUL in its path; refused.",
                            key="error.transfer_zip_backslash", member=_quote(raw))
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw):
        raise TransferError(f"The zip member {_quote(raw)} has an absolute path; refused.",
                            key="error.transfer_zip_absolute", member=_quote(raw))
    parts = PurePosixPath(raw).parts
    if any(p == ".." for p in parts):
        raise TransferError(f"The zip member {_quote(raw)} points outside the archive ('..'); refused.",
                            key="error.transfer_zip_outside", member=_quote(raw))
    return tuple(p for p in parts if p not in ("", "."))


def _check_member(info: zipfile.ZipInfo) -> None:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise TransferError(f"The zip member {_quote(info.filename)} is a symbolic link; refused.",
                            key="error.transfer_zip_link", member=_quote(info.filename))
    if info.flag_bits & 0x1:
        raise TransferError(f"The zip member {_quote(info.filename)} is encrypted; use a plain zip.",
                            key="error.transfer_zip_encrypted", member=_quote(info.filename))
    if info.filename.lower().endswith((".zip", ".tar", ".gz", ".7z", ".rar", ".tgz", ".bz2", ".xz")):
        raise TransferError(f"The zip member {_quote(info.filename)} is an archive; nested archives are refused.",
                            key="error.transfer_zip_nested", member=_quote(info.filename))
    if info.file_size > MAX_MEMBER_BYTES:
        raise TransferError(
            f"The zip member {_quote(info.filename)} declares {info.file_size} bytes; "
            f"at most {MAX_MEMBER_BYTES // (1024 * 1024)} MB per image.", key="error.transfer_zip_member_size",
            member=_quote(info.filename), size=info.file_size, limit=MAX_MEMBER_BYTES // (1024 * 1024),
        )
    if info.file_size > max(1, info.compress_size) * MAX_COMPRESSION_RATIO and info.file_size > 1024 * 1024:
        raise TransferError(
            f"The zip member {_quote(info.filename)} would expand {info.file_size // max(1, info.compress_size)} "
            "times; refused as a possible zip bomb.", key="error.transfer_zip_ratio", member=_quote(info.filename),
            ratio=info.file_size // max(1, info.compress_size),
        )


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """The member's bytes, never more than it declared nor than what is left of the budget."""
    limit = min(info.file_size, MAX_MEMBER_BYTES, budget)
    try:
        with zf.open(info) as fp:
            data = fp.read(limit + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
        raise TransferError(f"The zip member {_quote(info.filename)} cannot be read ({type(exc).__name__}).",
                            key="error.transfer_zip_unreadable", member=_quote(info.filename),
                            kind=type(exc).__name__) from exc
    except Exception as exc:  # zlib.error and friends from a forged stream
        raise TransferError(f"The zip member {_quote(info.filename)} is damaged.", key="error.transfer_zip_damaged",
                            member=_quote(info.filename)) from exc
    if len(data) > limit:
        raise TransferError(
            f"The zip member {_quote(info.filename)} holds more than it declares or than the caps allow; "
            "refused as a possible zip bomb.", key="error.transfer_zip_overflow", member=_quote(info.filename),
        )
    if data[:4] == b"PK\x03\x04":
        raise TransferError(f"The zip member {_quote(info.filename)} is itself a zip; nested archives are refused.",
                            key="error.transfer_zip_in_zip", member=_quote(info.filename))
    return data


def _zip_layout(infos: list[zipfile.ZipInfo]) -> list[tuple[str, str, zipfile.ZipInfo]]:
    """(class folder, file name, info) of every image member; one top folder is looked through."""
    files: list[tuple[tuple[str, ...], zipfile.ZipInfo]] = []
    total = 0
    for info in infos:
        parts = _member_parts(info)
        if info.is_dir() or not parts or _JUNK.search(info.filename):
            continue
        _check_member(info)
        total += info.file_size
        if total > MAX_ZIP_UNCOMPRESSED:
            raise TransferError(f"The zip expands to more than {MAX_ZIP_UNCOMPRESSED // (1024 * 1024)} MB; refused.",
                                key="error.transfer_zip_expands", limit=MAX_ZIP_UNCOMPRESSED // (1024 * 1024))
        if not parts[-1].lower().endswith(IMAGE_SUFFIXES):
            raise TransferError(
                f"The zip member {_quote(info.filename)} is not an image (allowed: {', '.join(IMAGE_SUFFIXES)}).",
                key="error.transfer_zip_not_image", member=_quote(info.filename), allowed=", ".join(IMAGE_SUFFIXES),
            )
        files.append((parts, info))
    if not files:
        raise TransferError("The zip holds no images; put one folder of images per class in it.",
                            key="error.transfer_zip_empty")
    tops = {p[0] for p, _ in files}
    if len(tops) == 1 and all(len(p) == 3 for p, _ in files):
        files = [(p[1:], i) for p, i in files]  # "dataset/cats/1.jpg": look through "dataset/"
    out = []
    for parts, info in files:
        if len(parts) != 2:
            raise TransferError(
                f"The zip member {_quote(info.filename)} is not inside a class folder; "
                "use one folder per class with the images directly in it.", key="error.transfer_zip_no_folder",
                member=_quote(info.filename),
            )
        out.append((parts[0], parts[1], info))
    return out


def from_zip(source: str | os.PathLike | bytes | bytearray | memoryview, *, deadline: float | None = None) -> ImageSet:
    """A data set from one zip holding a folder of images per class (folder name = class name).

    Read in memory only, nothing extracted. macOS and Windows junk entries (``__MACOSX/``,
    ``.DS_Store``, ``Thumbs.db``) are skipped; everything else must be an image in a class folder.

    Raises:
        TransferError: not a zip, too big, too many members, a member with ``..``, an absolute
            path, a symlink, encryption, a nested archive, a declared or actual size or ratio
            over the caps, a non-image member, or any of :func:`from_sources`' problems.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        size = memoryview(source).nbytes
        opener: Any = io.BytesIO(bytes(source))
    elif isinstance(source, (str, os.PathLike)):
        path = Path(os.fspath(source))
        if not path.is_file():
            raise TransferError(f"No zip file at {_quote(path.name)}.", key="error.transfer_no_zip", name=_quote(path.name))
        size = path.stat().st_size
        opener = path
    else:
        raise TransferError(f"A zip is a file path or bytes, not {type(source).__name__}.",
                            key="error.transfer_zip_type", kind=type(source).__name__)
    if size > MAX_ZIP_BYTES:
        raise TransferError(f"The zip is {size // (1024 * 1024)} MB; at most {MAX_ZIP_BYTES // (1024 * 1024)} MB.",
                            key="error.transfer_zip_size", size=size // (1024 * 1024), limit=MAX_ZIP_BYTES // (1024 * 1024))
    try:
        zf = zipfile.ZipFile(opener)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise TransferError("This file is not a readable zip archive.", key="error.transfer_not_zip") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise TransferError(f"The zip has {len(infos)} entries; at most {MAX_ZIP_MEMBERS} are allowed.",
                                key="error.transfer_zip_entries", n=len(infos), limit=MAX_ZIP_MEMBERS)
        layout = _zip_layout(infos)
        declared = sum(info.file_size for _, _, info in layout)
        if declared > max(size, 1) * MAX_ARCHIVE_RATIO and declared > 16 * 1024 * 1024:
            raise TransferError(
                f"The zip declares {declared // (1024 * 1024)} MB of images in {size // 1024 + 1} KB; "
                "refused as a possible zip bomb (pictures barely compress).", key="error.transfer_zip_bomb",
                declared=declared // (1024 * 1024), size=size // 1024 + 1,
            )
        order: dict[str, list[tuple[str, zipfile.ZipInfo]]] = {}
        for folder, name, info in sorted(layout, key=lambda t: (t[0], t[1])):
            order.setdefault(folder, []).append((name, info))
        names = _check_names(list(order))
        _check_counts(names, [len(v) for v in order.values()])
        budget = MAX_ZIP_UNCOMPRESSED
        classes: list[tuple[str, list[bytes]]] = []
        for folder, members in order.items():
            blobs = []
            for _, info in members:
                data = _read_member(zf, info, budget)
                budget -= len(data)
                blobs.append(data)
            classes.append((folder, blobs))
    return from_sources(classes, file_names=[[name for name, _ in members] for members in order.values()],
                        deadline=deadline)


# ---------------------------------------------------------------------------------------------
# split


def split(labels: np.ndarray, *, held_out: float = 0.25, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A stratified, seeded split into training and held-out indices.

    Each class keeps ``round(held_out * n)`` images aside, at least one, and at least one for
    training.

    Returns:
        ``(train, held)``: sorted int64 index arrays.
    """
    if not 0.05 <= float(held_out) <= 0.5:
        raise TransferError(f"The held-out share must be between 0.05 and 0.5, got {_quote(held_out)}.",
                            key="error.transfer_held_out", got=_quote(held_out))
    rng = np.random.default_rng(seed)
    train, held = [], []
    for k in np.unique(labels):
        idx = np.flatnonzero(labels == k)
        rng.shuffle(idx)
        n_held = min(max(1, round(held_out * len(idx))), len(idx) - 1)
        held.extend(idx[:n_held])
        train.extend(idx[n_held:])
    return np.sort(np.asarray(train, dtype=np.int64)), np.sort(np.asarray(held, dtype=np.int64))


__all__ = [
    "MAX_ARCHIVE_RATIO",
    "MAX_CLASSES",
    "MAX_DECODE_PIXELS",
    "MAX_COMPRESSION_RATIO",
    "MAX_IMAGES_PER_CLASS",
    "MAX_TOTAL_IMAGES",
    "MAX_ZIP_MEMBERS",
    "MAX_ZIP_UNCOMPRESSED",
    "MIN_CLASSES",
    "ImageSet",
    "TransferError",
    "clean_class_name",
    "decode_cost",
    "from_folder",
    "from_sources",
    "from_zip",
    "split",
]
