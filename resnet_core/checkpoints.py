"""Reading checkpoint files safely: formats told apart by content, sizes counted before loading.

A checkpoint is read as ``.safetensors`` (a JSON header and raw bytes) or as a ``torch.save``
pickle through ``torch.load(weights_only=True)``, whose unpickler only builds tensors and plain
containers; TorchScript archives, ``torch.export`` programs (``.pt2``) and pickles dressed up
as ``.safetensors`` are refused.

What a file *holds* is counted before any tensor is materialised, from the safetensors header
or from the pickle read onto the meta device (storages made, never read): at most
:data:`MAX_CHECKPOINT_ENTRIES` tensors and ``max_params`` parameters
(:data:`MAX_CHECKPOINT_PARAMS`), each tensor by its logical size, so a 100 KB file of stride-0
views (``torch.zeros(1).expand(...)``) counts as what it expands to, and every storage in full.
A torch zip's central directory is read first, so a small deflate-compressed file cannot make
the loader unpack hundreds of megabytes; torch's legacy format keeps each storage's bytes
inline, so what it materialises is bounded by the file, and its views are counted right after.
"""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import re
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import safetensors.torch
import torch
from torch import Tensor

from .errors import UserError
from .text import quote, shorten

__all__ = [
    "MAX_CHECKPOINT_BYTES",
    "MAX_CHECKPOINT_ENTRIES",
    "MAX_CHECKPOINT_PARAMS",
    "MAX_PICKLE_BYTES",
    "MAX_SAFETENSORS_HEADER_BYTES",
    "EXPORT_FORMAT",
    "WeightsError",
    "all_finite",
    "checkpoint_metadata",
    "read_checkpoint",
]

#: the ``format`` entry of the metadata of a checkpoint exported by the Train tab
#: (:mod:`resnet_core.transfer.export` writes it; :func:`checkpoint_metadata` reads it back)
EXPORT_FORMAT = "resnet-playground/transfer/1"

#: largest checkpoint accepted from a user (or from the hub cache), in bytes
MAX_CHECKPOINT_BYTES = 600 * 1024 * 1024
#: most parameters (logical elements of every tensor but BatchNorm's running statistics) a
#: checkpoint may hold; the app's architecture cap is the same number
MAX_CHECKPOINT_PARAMS = 100_000_000
#: most tensors in a checkpoint: the largest architecture the specs allow (four stages of 64
#: bottleneck blocks) has about 4,700
MAX_CHECKPOINT_ENTRIES = 5_000
#: largest safetensors JSON header, in bytes: about 160 bytes per entry at the entry cap, with
#: room for metadata (the safetensors library itself allows 100 MB, which parses for seconds)
MAX_SAFETENSORS_HEADER_BYTES = 2 * 1024 * 1024
#: largest ``data.pkl`` inside a torch zip (the pickle of the dict, not the tensors' data)
MAX_PICKLE_BYTES = 8 * 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_PROTO = 0x80  # torch's legacy (pre-1.6) format is a protocol-2 pickle
_SAFETENSORS_DTYPES = {  # name -> bytes per element
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "I16": 2,
    "U16": 2,
    "I32": 4,
    "U32": 4,
    "I64": 8,
    "U64": 8,
    "F16": 2,
    "BF16": 2,
    "F32": 4,
    "F64": 8,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "C64": 8,
}
#: BatchNorm's running statistics: buffers, not parameters; counted among the values only
_BUFFER_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked")
#: values (storages and views in full, buffers included) allowed per parameter of the cap
_VALUES_PER_PARAM = 1.25
_NATIVE_FINITE = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
#: elements checked at a time by the finiteness check
_FINITE_CHUNK = 1 << 20


class WeightsError(UserError):
    """Weights could not be loaded; the message says why in plain words."""


def read_checkpoint(
    source: str | os.PathLike | bytes | bytearray | memoryview,
    *,
    filename: str | None = None,
    max_params: int = MAX_CHECKPOINT_PARAMS,
) -> dict[str, Tensor]:
    """Read a checkpoint safely into a flat ``{name: tensor}`` dict on the CPU (no model needed).

    What the file holds is counted before it is materialised (see the module's size limits):
    every tensor by its logical size, every storage in full.

    Args:
        source: a file path, or the file's bytes.
        filename: the name the user gave the file (for messages).
        max_params: most parameters the checkpoint may hold.

    Raises:
        WeightsError: as :func:`load_checkpoint`, except the architecture checks.
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(os.fspath(source))
        raw = filename or path.name
        if not path.is_file():
            raise WeightsError(f"no checkpoint file at {quote(raw)}", key="error.checkpoint_no_file", name=quote(raw))
        return _read_state_dict(path, name=raw, max_params=max_params)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _read_state_dict(bytes(source), name=filename or "upload", max_params=max_params)
    raise WeightsError(f"a checkpoint is a file path or bytes, not {type(source).__name__}")


def checkpoint_metadata(
    source: str | os.PathLike | bytes | bytearray | memoryview, *, filename: str | None = None
) -> dict[str, str]:
    """The string-to-string metadata of a safetensors checkpoint; ``{}`` for any other file.

    Read from the header alone (bounded as :func:`read_checkpoint` bounds it), so it costs
    nothing next to loading the weights. An exported checkpoint's ``format`` is
    :data:`EXPORT_FORMAT`; its ``classes`` and ``preprocess`` say how to name and feed it.

    Raises:
        WeightsError: the file cannot be read or its header is malformed.
    """
    if isinstance(source, (str, os.PathLike)):
        data: Path | bytes = Path(os.fspath(source))
        try:
            size = data.stat().st_size
        except OSError as exc:
            shown = shorten(filename or data.name)
            raise WeightsError(f"{shown} could not be read", key="error.checkpoint_not_read", name=shown) from exc
    else:
        data = bytes(source)
        size = len(data)
    name = shorten(filename or (data.name if isinstance(data, Path) else "upload"))
    if size < 9 or _head_bytes(data, 9)[8:9] != b"{":
        return {}  # not safetensors: a torch.save file carries no metadata we read
    meta = _safetensors_header(data, name=name, size=size).get("__metadata__")
    if not isinstance(meta, dict):
        return {}
    return {str(k): v for k, v in meta.items() if isinstance(v, str)}


def _read_state_dict(
    source: Path | bytes, *, name: str, max_params: int = MAX_CHECKPOINT_PARAMS
) -> dict[str, Tensor]:
    """Read ``source``; ``name`` is the file's name as given (shortened here for messages)."""
    named_safetensors = name.lower().endswith(".safetensors")
    name = shorten(name)
    if isinstance(source, Path):
        try:
            size = source.stat().st_size
            with open(source, "rb") as f:
                head = f.read(9)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise WeightsError(f"{name} could not be read ({reason})", key="error.checkpoint_not_read_why", name=name,
                               reason=reason) from exc
    else:
        size, head = len(source), source[:9]
    if size > MAX_CHECKPOINT_BYTES:
        raise WeightsError(
            f"{name} is {size / 2**20:.0f} MB; the limit is {MAX_CHECKPOINT_BYTES // 2**20} MB",
            key="error.checkpoint_size", name=name, size=round(size / 2**20), limit=MAX_CHECKPOINT_BYTES // 2**20,
        )

    # Safetensors first: its u64 header length may well start with 0x80, a pickle's first byte,
    # but neither a zip (compression method at byte 8) nor torch's legacy pickle (its magic
    # number) has "{" at byte 8.
    if len(head) == 9 and head[8:9] == b"{":
        return _flat_state_dict(
            _safetensors_load(source, name=name, size=size, max_params=max_params), name=name
        )
    if not (head.startswith(_ZIP_MAGIC) or head[:1] == bytes([_PICKLE_PROTO])):
        raise WeightsError(
            f"{name} is not a checkpoint: expected a .safetensors file or a state dict saved with torch.save",
            key="error.not_a_checkpoint", name=name,
        )
    if named_safetensors:
        raise WeightsError(
            f"{name} is named .safetensors but holds a pickle (torch.save data); refused: "
            "rename it .pth if that is what it is",
            key="error.checkpoint_pickle_named_safetensors", name=name,
        )
    if head.startswith(_ZIP_MAGIC):
        records = _check_torch_zip(source, name=name, size=size)
        # The pickle alone, onto the meta device: shapes, strides and storage sizes, no data.
        meta = _flat_state_dict(_torch_load(source, name=name, meta=True), name=name, cpu=False)
        claimed = _check_budget(_tensor_sizes(meta), name=name, max_params=max_params)
        if records > claimed + 64 * len(meta):  # each record holds one storage, exactly
            raise WeightsError(f"{name}: its zip entries unpack to more than its tensors hold; refused",
                               key="error.checkpoint_zip_records", name=name)
        return _flat_state_dict(_torch_load(source, name=name), name=name)
    # torch's legacy format keeps each storage's bytes inline, read from the file as they are
    # allocated, so what it materialises is bounded by the file; views are counted right after.
    state = _flat_state_dict(_torch_load(source, name=name), name=name)
    _check_budget(_tensor_sizes(state), name=name, max_params=max_params)
    return state


def _tensor_sizes(state: Mapping[str, Tensor]) -> list[tuple[str, int, int]]:
    """(key, logical elements, elements of its storage) per tensor; works on the meta device."""
    sizes = []
    for key, t in state.items():
        item = max(t.element_size(), 1)
        sizes.append((key, t.numel(), t.untyped_storage().nbytes() // item))
    return sizes


def _check_budget(sizes: list[tuple[str, int, int]], *, name: str, max_params: int) -> int:
    """Refuse a checkpoint holding too many tensors, parameters or values; returns its bytes' bound.

    Parameters are the logical elements of every tensor but BatchNorm's running statistics;
    values count every tensor and its whole storage (the larger of the two), which is what the
    loader and the checks may materialise.
    """
    if len(sizes) > MAX_CHECKPOINT_ENTRIES:
        raise WeightsError(
            f"{name} holds {len(sizes)} tensors; a ResNet has at most {MAX_CHECKPOINT_ENTRIES}; refused",
            key="error.checkpoint_tensors", name=name, n=len(sizes), limit=MAX_CHECKPOINT_ENTRIES,
        )
    params = sum(n for key, n, _ in sizes if not key.endswith(_BUFFER_SUFFIXES))
    values = sum(max(n, s) for _, n, s in sizes)
    if params > max_params:
        raise WeightsError(
            f"{name} holds {params / 1e6:.1f}M parameters; this server loads checkpoints of up to "
            f"{max_params / 1e6:.1f}M (ResNet-152 has 60.2M); refused before loading",
            key="error.checkpoint_params", name=name, value=params / 1e6, limit=max_params / 1e6,
        )
    if values > max_params * _VALUES_PER_PARAM:
        raise WeightsError(
            f"{name} holds {values / 1e6:.1f}M values (its tensors and storages in full); this server "
            f"loads up to {max_params * _VALUES_PER_PARAM / 1e6:.1f}M; refused before loading",
            key="error.checkpoint_values", name=name, value=values / 1e6, limit=max_params * _VALUES_PER_PARAM / 1e6,
        )
    return 8 * values  # no dtype a checkpoint may use has more than 8 bytes per element


def _safetensors_load(
    source: Path | bytes, *, name: str, size: int, max_params: int = MAX_CHECKPOINT_PARAMS
) -> dict[str, Tensor]:
    header = _safetensors_header(source, name=name, size=size)
    data_len = size - 8 - int.from_bytes(_head_bytes(source, 8), "little")
    sizes = []
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        ok = (
            isinstance(entry, dict)
            and entry.get("dtype") in _SAFETENSORS_DTYPES
            and isinstance(entry.get("shape"), list)
            and isinstance(entry.get("data_offsets"), list)
            and len(entry["data_offsets"]) == 2
            and all(type(v) is int and v >= 0 for v in entry["data_offsets"] + entry["shape"])
        )
        if not ok:
            raise WeightsError(f"{name}: malformed safetensors entry for {quote(key)}", key="error.safetensors_entry",
                               name=name, entry=quote(key))
        start, end = entry["data_offsets"]
        if start > end or end > data_len:
            raise WeightsError(
                f"{name} is truncated or corrupt: {quote(key)} ends at byte {end} but the data has {data_len} bytes",
                key="error.safetensors_truncated", name=name, entry=quote(key), end=end, size=data_len,
            )
        numel = math.prod(entry["shape"])
        if end - start != numel * _SAFETENSORS_DTYPES[entry["dtype"]]:
            raise WeightsError(
                f"{name} is corrupt: the data of {quote(key)} does not match its shape and dtype",
                key="error.safetensors_data", name=name, entry=quote(key),
            )
        sizes.append((key, numel, numel))
    _check_budget(sizes, name=name, max_params=max_params)
    try:
        if isinstance(source, bytes):
            return safetensors.torch.load(source)
        return safetensors.torch.load_file(source, device="cpu")
    except Exception as exc:  # SafetensorError and whatever else malformed bytes provoke
        raise WeightsError(f"{name} is not a valid safetensors file", key="error.checkpoint_unreadable", name=name) from exc


def _safetensors_header(source: Path | bytes, *, name: str, size: int) -> dict[str, Any]:
    """The parsed JSON header, after its length is checked against the cap and the file."""
    n = int.from_bytes(_head_bytes(source, 8), "little")
    if n > MAX_SAFETENSORS_HEADER_BYTES:
        raise WeightsError(
            f"{name}: the safetensors header claims {n} bytes; a ResNet needs under "
            f"{MAX_SAFETENSORS_HEADER_BYTES // 2**20} MB; refused",
            key="error.safetensors_header_size", name=name, n=n, limit=MAX_SAFETENSORS_HEADER_BYTES // 2**20,
        )
    if n < 2 or 8 + n > size:
        raise WeightsError(
            f"{name}: the safetensors header length ({n}) runs past the end of the file ({size} bytes)",
            key="error.safetensors_header_length", name=name, n=n, size=size,
        )
    raw = source[8 : 8 + n] if isinstance(source, bytes) else _read_range(source, 8, n)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: [[[[...]]]]
        raise WeightsError(f"{name}: the safetensors header is not valid JSON", key="error.safetensors_header_json",
                           name=name) from exc
    if not isinstance(header, dict):
        raise WeightsError(f"{name}: the safetensors header is not a JSON object", key="error.safetensors_header_object",
                           name=name)
    return header


def _head_bytes(source: Path | bytes, n: int) -> bytes:
    return source[:n] if isinstance(source, bytes) else _read_range(source, 0, n)


def _read_range(path: Path, offset: int, length: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(length)


def _torch_load(source: Path | bytes, *, name: str, meta: bool = False) -> Any:
    try:
        return torch.load(
            source if isinstance(source, Path) else io.BytesIO(source),
            map_location="meta" if meta else "cpu",  # meta: storages are made, never read
            weights_only=True,  # the restricted unpickler: tensors and plain containers only
        )
    except pickle.UnpicklingError as exc:
        # torch names the refused callable ("GLOBAL posix.system"); its wording varies by release
        what = re.search(r"GLOBAL ([\w.]+)", str(exc))
        detail = f" ({what.group(1)[:100]})" if what else ""
        raise WeightsError(
            f"{name} was refused: its pickle asks to build objects{detail} that a weights file never "
            "needs; only tensors and plain containers are loaded (save a state_dict, or use safetensors)",
            key="error.checkpoint_pickle_refused", name=name,
        ) from exc
    except Exception as exc:  # arbitrary bytes reach a parser: any failure means "unreadable"
        raise WeightsError(f"{name} is not a readable torch.save checkpoint (truncated or corrupt?)",
                           key="error.checkpoint_unreadable", name=name) from exc


def _zip_entry_count(source: Path | bytes, *, size: int) -> int | None:
    """The entry count in a zip's end-of-central-directory record (zip64 too), or None."""
    tail_len = min(size, 65_536 + 22 + 20 + 56)
    tail = source[-tail_len:] if isinstance(source, bytes) else _read_range(source, size - tail_len, tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    count = int.from_bytes(tail[at + 10 : at + 12], "little")
    locator = tail.rfind(b"PK\x06\x07", 0, at)
    if count == 0xFFFF and locator >= 0:
        record_at = int.from_bytes(tail[locator + 8 : locator + 16], "little")
        record = (
            source[record_at : record_at + 56]
            if isinstance(source, bytes)
            else _read_range(source, record_at, 56)
        )
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            count = int.from_bytes(record[32:40], "little")
    return count


def _check_torch_zip(source: Path | bytes, *, name: str, size: int) -> int:
    """Refuse zip archives that are programs rather than weights, or unpack past what they hold.

    Read from the central directory only, before torch reads anything. Returns the unpacked
    size of the tensor records, to be compared with what the pickle says they hold.
    """
    count = _zip_entry_count(source, size=size)
    if count is not None and count > 2 * MAX_CHECKPOINT_ENTRIES + 16:  # a record per storage, a few files
        raise WeightsError(f"{name} is a zip of {count} entries; a ResNet checkpoint has far fewer; refused",
                           key="error.checkpoint_zip_entries", name=name, n=count)
    try:
        with zipfile.ZipFile(source if isinstance(source, Path) else io.BytesIO(source)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise WeightsError(f"{name} is a damaged zip archive, not a checkpoint", key="error.checkpoint_zip_damaged",
                           name=name) from exc
    if len(infos) > 2 * MAX_CHECKPOINT_ENTRIES + 16:
        raise WeightsError(
            f"{name} is a zip of {len(infos)} entries; a ResNet checkpoint has far fewer; refused",
            key="error.checkpoint_zip_entries", name=name, n=len(infos),
        )
    names = [i.filename for i in infos]
    if any(n.endswith("/constants.pkl") or "/code/" in n for n in names):
        raise WeightsError(
            f"{name} is a TorchScript program (torch.jit.save), which is refused; upload its state_dict instead",
            key="error.checkpoint_torchscript", name=name,
        )
    if any(n.endswith("/archive_format") or "/models/" in n for n in names):
        raise WeightsError(
            f"{name} is a torch.export program (.pt2), which is refused; upload its state_dict instead",
            key="error.checkpoint_export", name=name,
        )
    pickles = [i for i in infos if i.filename.endswith("/data.pkl") or i.filename == "data.pkl"]
    if not pickles:
        raise WeightsError(f"{name} is a zip archive but not a torch.save checkpoint", key="error.checkpoint_zip_other",
                           name=name)
    if sum(i.file_size for i in infos) > MAX_CHECKPOINT_BYTES:
        raise WeightsError(f"{name} unpacks to more than {MAX_CHECKPOINT_BYTES // 2**20} MB; refused",
                           key="error.checkpoint_unpacks", name=name, limit=MAX_CHECKPOINT_BYTES // 2**20)
    if any(i.file_size > MAX_PICKLE_BYTES for i in pickles):
        raise WeightsError(f"{name}: its pickle unpacks to more than {MAX_PICKLE_BYTES // 2**20} MB; refused",
                           key="error.checkpoint_pickle_size", name=name, limit=MAX_PICKLE_BYTES // 2**20)
    return sum(i.file_size for i in infos if "/data/" in i.filename or i.filename.startswith("data/"))


def _flat_state_dict(obj: Any, *, name: str, cpu: bool = True) -> dict[str, Tensor]:
    """A raw state dict, or one under "state_dict"/"model", without a "module." prefix."""
    if not isinstance(obj, Mapping):
        raise WeightsError(f"{name} holds a {type(obj).__name__}, not a state dict", key="error.checkpoint_not_state_dict",
                           name=name, kind=type(obj).__name__)
    for wrapper in ("state_dict", "model"):
        if isinstance(obj.get(wrapper), Mapping):
            obj = obj[wrapper]
            break
    if len(obj) > MAX_CHECKPOINT_ENTRIES:
        raise WeightsError(
            f"{name} holds {len(obj)} entries; a ResNet has at most {MAX_CHECKPOINT_ENTRIES}; refused",
            key="error.checkpoint_entries", name=name, n=len(obj), limit=MAX_CHECKPOINT_ENTRIES,
        )
    state: dict[str, Tensor] = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            raise WeightsError(f"{name}: state dict keys must be strings, found {quote(key)}",
                               key="error.checkpoint_key_type", name=name, entry=quote(key))
        if not isinstance(value, Tensor):
            raise WeightsError(f"{name}: {quote(key)} is a {type(value).__name__}, not a tensor",
                               key="error.checkpoint_not_tensor", name=name, entry=quote(key), kind=type(value).__name__)
        if value.layout != torch.strided or value.is_quantized or (cpu and value.device.type != "cpu"):
            raise WeightsError(f"{name}: {quote(key)} is not a plain dense tensor", key="error.checkpoint_not_dense",
                               name=name, entry=quote(key))
        state[key] = value
    if state and all(k.startswith("module.") for k in state):  # saved from nn.DataParallel
        state = {k[len("module.") :]: v for k, v in state.items()}
    if not state:
        raise WeightsError(f"{name} holds no tensors", key="error.checkpoint_empty", name=name)
    return state


def all_finite(t: Tensor, *, chunk: int = _FINITE_CHUNK) -> bool:
    """Whether every element of a floating-point tensor is finite, in bounded memory.

    Works for every floating dtype, float8 included (``torch.isfinite`` has no float8 kernel,
    so float8 pieces are converted to float32): pieces of at most ``chunk`` elements are
    checked one at a time, so an expanded (stride-0) view is never materialised whole.
    """
    for piece in _pieces(t, chunk):
        # float8 has no isfinite kernel; its values are exact in float32. Wider types are
        # checked as they are (float64's 1e300 is finite here; the model's float32 copy is
        # checked again after loading).
        if piece.dtype not in _NATIVE_FINITE:
            piece = piece.to(torch.float32)
        if not bool(torch.isfinite(piece).all()):
            return False
    return True


def _pieces(t: Tensor, chunk: int) -> Iterator[Tensor]:
    """Views of ``t`` of at most about ``chunk`` elements that together cover it."""
    if t.dim() == 0 or t.numel() <= chunk:
        yield t
        return
    inner = math.prod(t.shape[1:])
    if inner <= chunk:
        step = max(1, chunk // max(inner, 1))
        for i in range(0, t.shape[0], step):
            yield t[i : i + step]
    else:
        for i in range(t.shape[0]):
            yield from _pieces(t[i], chunk)
