"""Weights: torchvision's ImageNet weights through the torch hub cache, and user checkpoints.

Two rules shape this module.

* **No code from a file ever runs.** A checkpoint is read as ``.safetensors`` (a JSON header and
  raw bytes) or as a ``torch.save`` pickle through ``torch.load(weights_only=True)``, whose
  unpickler only builds tensors and plain containers. The format is decided by the bytes, not
  the file name; TorchScript archives, ``torch.export`` programs (``.pt2``) and pickles dressed
  up as ``.safetensors`` are refused.
* **A bad file never half-modifies a model.** Every key, shape, dtype and value is checked
  against the architecture, the weights are loaded into a copy, and only then copied into the
  target. Any problem is one :class:`WeightsError` naming the first bad key.

Pretrained weights are torchvision's (``ResNet50_Weights.IMAGENET1K_V2`` and friends): their
URL, categories, preprocessing and metadata come from torchvision's weights enum, and the file
lives in the standard hub cache (``torch.hub.get_dir()/checkpoints/<file name>``), so a machine
that already holds the file works offline. Pass ``offline=True`` to never touch the network (the
app's ``--offline`` or ``RESNET_OFFLINE=1``).

Size limits: an uploaded checkpoint may be at most :data:`MAX_CHECKPOINT_BYTES` (600 MB; the
largest standard ResNet, ResNet-200, is about 260 MB in fp32), and what it holds is counted
before it is loaded (see :mod:`resnet_core.checkpoints`, which reads the files).
"""

from __future__ import annotations

import copy
import hashlib
import http.client
import json
import os
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torchvision.models import ResNet50_Weights, WeightsEnum, get_model_weights

from .checkpoints import (
    EXPORT_FORMAT,
    MAX_CHECKPOINT_BYTES,
    MAX_CHECKPOINT_ENTRIES,
    MAX_CHECKPOINT_PARAMS,
    MAX_SAFETENSORS_HEADER_BYTES,
    WeightsError,
    _read_state_dict,
    all_finite,
    checkpoint_metadata,
    read_checkpoint,
)
from .errors import Term
from .model import ResNet
from .preprocess import Preprocess
from .specs import STANDARD_DEPTHS, ResNetSpec, resolve_spec
from .text import quote, shorten

#: the app's environment variable for ``offline=True`` (read by playground.settings, named in notices)
OFFLINE_ENV = "RESNET_OFFLINE"
#: seconds a connection or a read may stall before a download is given up
DOWNLOAD_TIMEOUT_S = 10.0
#: after a failed download, seconds before the same URL is tried again (a server without
#: network should not pay a timeout for every request)
RETRY_AFTER_S = 300.0

#: weight names accepted by :func:`load_weights` (per depth, see :func:`weight_names`)
PRETRAINED_NAMES: tuple[str, ...] = ("DEFAULT", "IMAGENET1K_V1", "IMAGENET1K_V2")

class WeightsUnavailable(WeightsError):
    """The pretrained file could not be obtained (no network, not cached, corrupt cache)."""


@dataclass(frozen=True)
class LoadedWeights:
    """What a model's weights are and how to feed it.

    Attributes:
        source: "IMAGENET1K_V2", "random" or "checkpoint:<file name>".
        pretrained: True when the weights were trained (torchvision's or a user's checkpoint).
        categories: a name per output class: ImageNet's for 1000-class models, else "class i".
        preprocess: resize, crop and normalization the weights expect.
        notice: plain words for the user when we fell back to something else, else None.
    """

    source: str
    pretrained: bool
    categories: tuple[str, ...]
    preprocess: Preprocess
    notice: str | None = None


# --------------------------------------------------------------------------- categories


#: ImageNet's 1000 class names, in index order: the list every torchvision classification weight
#: carries in its metadata (part of torchvision's source, so available offline)
IMAGENET_CATEGORIES: tuple[str, ...] = tuple(ResNet50_Weights.IMAGENET1K_V2.meta["categories"])


def categories_for(num_classes: int) -> tuple[str, ...]:
    """ImageNet's names for a 1000-class model, "class 0", "class 1", ... otherwise."""
    if num_classes == 1000:
        return IMAGENET_CATEGORIES
    return tuple(f"class {i}" for i in range(num_classes))


def random_weights(model: ResNet, *, notice: str | None = None) -> LoadedWeights:
    """The description of a model whose weights are its random initialization."""
    return LoadedWeights(
        source="random",
        pretrained=False,
        categories=categories_for(model.num_classes),
        preprocess=Preprocess(),
        notice=notice,
    )


# --------------------------------------------------------------------------- pretrained


def _standard_depth(spec: ResNetSpec) -> int | None:
    """The torchvision depth whose architecture ``spec`` is, or None."""
    for depth in STANDARD_DEPTHS:
        if spec == resolve_spec(depth):
            return depth
    return None


def _weights_enum(depth: int) -> Any:
    return get_model_weights(f"resnet{depth}")


def weight_names(depth: int | tuple | list | ResNetSpec, variant: str = "v1.5") -> tuple[str, ...]:
    """Torchvision's ImageNet weights for a depth, e.g. ``("IMAGENET1K_V1", "IMAGENET1K_V2")``.

    Empty for depths torchvision has no weights for (10, 200, custom counts) and for the
    "v1" and "preact" variants, whose layout differs from torchvision's.
    """
    if variant != "v1.5":
        return ()
    try:
        spec = resolve_spec(depth)
    except ValueError:
        return ()
    d = _standard_depth(spec)
    if d is None:
        return ()
    return tuple(member.name for member in _weights_enum(d))  # aliases such as DEFAULT skipped


def _pretrained_problem(model: ResNet) -> Term | None:
    """Why ImageNet weights cannot fit ``model`` (words the catalogue holds too), or None when they can."""
    depth = _standard_depth(model.spec)
    standard = "/".join(map(str, STANDARD_DEPTHS))
    if depth is None:
        return Term(f"ImageNet weights exist only for ResNet-{standard}, not for {model.spec.name}",
                    "error.imagenet_depth", standard=standard, name=model.spec.name)
    if model.variant != "v1.5":
        return Term(
            f"ImageNet weights exist only for torchvision's v1.5 layout, not for the {model.variant} variant",
            "error.imagenet_variant", variant=model.variant,
        )
    if not (model.norm and model.shortcuts):
        return Term("ImageNet weights need BatchNorm and shortcuts, which this lab model lacks", "error.imagenet_lab")
    if model.num_classes != 1000:
        return Term(f"ImageNet weights have 1000 classes, this model has {model.num_classes}", "error.imagenet_classes",
                    classes=model.num_classes)
    return None


def _resolve_member(model: ResNet, weights: Any) -> Any:
    """Turn "DEFAULT"/"IMAGENET1K_V1"/a WeightsEnum member into torchvision's member.

    Raises:
        WeightsError: the model cannot take ImageNet weights, or this depth has no such weights.
    """
    problem = _pretrained_problem(model)
    if problem is not None:
        raise WeightsError(problem, key=problem.key, **problem.fields)
    depth = _standard_depth(model.spec)
    enum_cls = _weights_enum(depth)
    if isinstance(weights, str):
        name = weights.strip().upper()
        try:
            return enum_cls[name]
        except KeyError:
            names = ", ".join(["DEFAULT", *weight_names(depth)])
            raise WeightsError(f"ResNet-{depth} has no {quote(weights)} weights (choose from {names})",
                               key="error.weights_no_such", depth=depth, name=quote(weights), names=names) from None
    if type(weights) is not enum_cls:
        raise WeightsError(f"{weights} are not ResNet-{depth} weights (use {enum_cls.__name__})")
    return weights


def hub_checkpoint_dir() -> Path:
    """Where torch hub keeps downloaded weights (``$TORCH_HOME/hub/checkpoints``)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def _display_path(path: Path) -> str:
    # notices are shown to the public: do not print the server's home directory
    try:
        home = str(Path.home())
    except RuntimeError:  # no HOME and no passwd entry
        return str(path)
    text = str(path)
    return "~" + text[len(home):] if home not in ("", "/") and text.startswith(home) else text


_failures: dict[str, tuple[float, str]] = {}  # url -> (monotonic time, reason)
_download_locks: dict[str, threading.Lock] = {}
_state_lock = threading.Lock()


def forget_download_failures() -> None:
    """Let the next request try the network again at once (tests, or after reconnecting)."""
    with _state_lock:
        _failures.clear()


def _download(url: str, dest: Path) -> None:
    """Fetch ``url`` into ``dest`` atomically, with a timeout, a size cap and the hash check.

    ``torch.hub.load_state_dict_from_url`` would do this too, but without a timeout (a server
    whose network drops packets would hang a request forever), printing to stdout, and reading
    the file with ``weights_only=False``. We keep its cache layout and its hash convention.
    """
    with _state_lock:
        failed = _failures.get(url)
        if failed is not None and time.monotonic() - failed[0] < RETRY_AFTER_S:
            raise WeightsUnavailable(failed[1], key=failed[1].key, **failed[1].fields)
        lock = _download_locks.setdefault(url, threading.Lock())
    with lock:  # two requests for the same file download it once
        if dest.exists():
            return
        match = torch.hub.HASH_REGEX.search(dest.name)
        hash_prefix = match.group(1) if match else ""
        tmp = dest.with_name(f"{dest.name}.{uuid.uuid4().hex}.partial")
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            request = urllib.request.Request(url, headers={"User-Agent": "resnet-playground"})
            digest = hashlib.sha256()
            size = 0
            with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as response, open(tmp, "wb") as f:
                while chunk := response.read(1 << 20):
                    size += len(chunk)
                    if size > MAX_CHECKPOINT_BYTES:
                        raise WeightsUnavailable(f"the download of {url} is larger than expected",
                                                 key="error.download_large", url=url)
                    digest.update(chunk)
                    f.write(chunk)
            if hash_prefix and not digest.hexdigest().startswith(hash_prefix):
                raise WeightsUnavailable(f"the download of {url} is corrupt (hash mismatch)",
                                         key="error.download_corrupt", url=url)
            os.replace(tmp, dest)
        # timeouts are OSErrors; a connection cut mid-file is an http.client.HTTPException
        except (OSError, http.client.HTTPException, ValueError, WeightsUnavailable) as exc:
            reason = (Term(str(exc), exc.key, **exc.fields) if isinstance(exc, WeightsUnavailable)
                      else _network_reason(exc))
            with _state_lock:
                _failures[url] = (time.monotonic(), reason)
            raise WeightsUnavailable(reason, key=reason.key, **reason.fields) from exc
        finally:
            tmp.unlink(missing_ok=True)


def _network_reason(exc: BaseException) -> Term:
    if isinstance(exc, urllib.error.HTTPError):
        return Term(f"the download failed (HTTP {exc.code})", "error.download_http", code=exc.code)
    if isinstance(exc, urllib.error.URLError) or isinstance(exc, (ConnectionError, TimeoutError)):
        return Term("no network", "error.download_no_network")
    return Term(f"the file could not be saved ({type(exc).__name__})", "error.download_not_saved",
                kind=type(exc).__name__)


def _load_pretrained(model: ResNet, member: Any, *, offline: bool) -> LoadedWeights:
    url: str = member.url
    path = hub_checkpoint_dir() / Path(url.split("?")[0]).name
    if not path.exists():
        cache = _display_path(path.parent)
        where = f"not in the torch hub cache at {cache}"
        if offline:
            raise WeightsUnavailable(f"offline mode ({OFFLINE_ENV}=1) and {where}", key="error.weights_offline",
                                     env=OFFLINE_ENV, cache=cache)
        try:
            _download(url, path)
        except WeightsUnavailable as exc:
            raise WeightsUnavailable(f"{exc.args[0]} and {where}", key="error.weights_not_cached", reason=exc,
                                     cache=cache) from exc
    try:
        state = _read_state_dict(path, name=path.name)
        _apply(model, state, label=f"the cached file {_display_path(path)}")
    except WeightsError as exc:
        raise WeightsUnavailable(
            f"the cached file {_display_path(path)} is unusable ({exc.args[0]}); delete it to download again",
            key="error.weights_cache_unusable", path=_display_path(path), problem=exc,
        ) from exc

    return LoadedWeights(
        source=member.name,
        pretrained=True,
        categories=tuple(member.meta["categories"]),
        preprocess=Preprocess.from_weights(member),
        notice=None,
    )


def try_pretrained(model: ResNet, name: Any = "DEFAULT", *, offline: bool = False) -> LoadedWeights:
    """Load ImageNet weights if at all possible, else keep the random ones and say so.

    Never raises because the file cannot be had (no network, offline mode, a corrupt cache)
    or because the model has no ImageNet weights (depth 10/200, custom counts, v1, preact):
    the model then keeps its weights (random when freshly built) and the result carries a
    ``notice`` for the user.

    Args:
        model: the model to fill, modified in place only on success.
        name: "DEFAULT", "IMAGENET1K_V1", "IMAGENET1K_V2" or a torchvision WeightsEnum member.
        offline: never download, use only the hub cache.

    Raises:
        WeightsError: ``name`` is not a weight name at all (a programming error).
    """
    if isinstance(name, str) and name.strip().upper() not in PRETRAINED_NAMES:
        raise WeightsError(f"unknown weights {quote(name)}; use one of {', '.join(PRETRAINED_NAMES)}")
    try:
        member = _resolve_member(model, name)
    except WeightsError as exc:
        return random_weights(model, notice=f"{exc.args[0]}; showing random weights: predictions are meaningless.")
    try:
        return _load_pretrained(model, member, offline=offline)
    except WeightsUnavailable as exc:
        return random_weights(
            model,
            notice=(
                f"Pretrained ImageNet weights for {model.spec.name} could not be loaded "
                f"({exc.args[0]}); showing random weights: predictions are meaningless."
            ),
        )


def load_weights(model: ResNet, weights: Any, *, offline: bool = False) -> LoadedWeights:
    """Put weights into ``model``; strict: anything short of success raises.

    Args:
        model: the model to fill; left untouched when anything fails.
        weights: "random" or None (keep the initialization); "DEFAULT", "IMAGENET1K_V1" or
            "IMAGENET1K_V2"; a torchvision ``WeightsEnum`` member; a path (str or Path) to a
            ``.safetensors``/``.pth``/``.pt`` checkpoint; or the checkpoint's bytes.
        offline: never download, use only the hub cache.

    Raises:
        WeightsError: the weights do not exist for this model, cannot be had, or the
            checkpoint is unsafe, unreadable or does not fit.
    """
    if weights is None or (isinstance(weights, str) and weights.strip().lower() == "random"):
        return random_weights(model)
    if isinstance(weights, WeightsEnum) or (
        isinstance(weights, str) and weights.strip().upper() in PRETRAINED_NAMES
    ):
        return _load_pretrained(model, _resolve_member(model, weights), offline=offline)
    if isinstance(weights, (str, os.PathLike, bytes, bytearray, memoryview)):
        return load_checkpoint(model, weights)
    raise WeightsError(f"weights must be a name, a WeightsEnum member or a file path, not {type(weights).__name__}")


# --------------------------------------------------------------------------- checkpoints


def load_checkpoint(
    model: ResNet,
    source: str | os.PathLike | bytes | bytearray | memoryview,
    *,
    filename: str | None = None,
    max_params: int = MAX_CHECKPOINT_PARAMS,
) -> LoadedWeights:
    """Load a user's ``.safetensors`` or ``torch.save`` state dict into ``model``.

    Accepts a raw state dict or a dict holding one under "state_dict" or "model", with or
    without DataParallel's "module." prefix. The model is changed only when every check passed.

    Args:
        model: the model to fill.
        source: a file path, or the file's bytes.
        filename: the name the user gave the file (for messages; defaults to the path's name).
        max_params: most parameters the file may hold, counted before it is loaded.

    Raises:
        WeightsError: the file is too big or holds too much, not a checkpoint, unsafe (TorchScript, ``.pt2``,
            a pickle that would run code) or does not fit the architecture.
    """
    name = filename or (Path(os.fspath(source)).name if isinstance(source, (str, os.PathLike)) else "upload")
    return apply_checkpoint(model, read_checkpoint(source, filename=name, max_params=max_params), name=name)


def apply_checkpoint(
    model: ResNet, state: Mapping[str, Tensor], *, name: str = "upload", metadata: Mapping[str, str] | None = None
) -> LoadedWeights:
    """Load a state dict from :func:`read_checkpoint` into ``model``, all checks first.

    Args:
        model: the architecture the checkpoint is for.
        state: its tensors.
        name: the file's name, for the source and for messages.
        metadata: the file's metadata (:func:`checkpoint_metadata`): a checkpoint exported by the
            Train tab brings its class names and preprocessing along; any other keeps
            "class i" and ImageNet's preprocessing.

    Raises:
        WeightsError: naming the first key that does not fit; ``model`` is then unchanged.
    """
    name = shorten(name)
    _apply(model, state, label=name)
    categories, preprocess = exported_labels(metadata or {}, model.num_classes) or (
        categories_for(model.num_classes), Preprocess())
    return LoadedWeights(
        source=f"checkpoint:{name}", pretrained=True, categories=categories, preprocess=preprocess, notice=None,
    )


def exported_labels(metadata: Mapping[str, str], num_classes: int) -> tuple[tuple[str, ...], Preprocess] | None:
    """The class names and preprocessing an exported checkpoint's metadata gives, when they fit
    ``num_classes``; None for any other metadata (a damaged export is served as "class i")."""
    if metadata.get("format") != EXPORT_FORMAT:
        return None
    try:
        names = tuple(str(c) for c in json.loads(metadata["classes"]))
        pre = json.loads(metadata["preprocess"])
        preprocess = Preprocess(**{k: tuple(v) if isinstance(v, list) else v for k, v in pre.items()})
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
    return (names, preprocess) if len(names) == num_classes else None


def check_state_dict(model: ResNet, state: Mapping[str, Tensor], *, label: str = "the checkpoint") -> None:
    """Check key by key and shape by shape that ``state`` fits ``model``.

    Raises:
        WeightsError: naming the first missing, unexpected, misshapen, mistyped or non-finite
            entry (missing ``num_batches_tracked`` counters are allowed: old files lack them).
    """
    expected = model.state_dict()
    arch = (Term(f"{model.name} with {model.num_classes} classes", "error.term_arch_classes", model=model.name,
                 classes=model.num_classes) if model.num_classes != 1000 else Term(model.name))
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    if missing:
        more = Term(f" (and {len(missing) - 1} more)", "error.term_and_more", n=len(missing) - 1) if len(missing) > 1 else Term("")
        raise WeightsError(f"{label} does not fit {arch}: missing key {quote(missing[0])}{more}",
                           key="error.checkpoint_missing_key", name=label, arch=arch, entry=quote(missing[0]), more=more)
    unexpected = [k for k in state if k not in expected]
    if unexpected:
        more = (Term(f" (and {len(unexpected) - 1} more)", "error.term_and_more", n=len(unexpected) - 1)
                if len(unexpected) > 1 else Term(""))
        raise WeightsError(f"{label} does not fit {arch}: unexpected key {quote(unexpected[0])}{more}",
                           key="error.checkpoint_unexpected_key", name=label, arch=arch, entry=quote(unexpected[0]),
                           more=more)
    for key, ref in expected.items():
        if key not in state:
            continue
        t = state[key]
        if t.shape != ref.shape:
            hint = Term("")
            if (key == "fc.weight" or key == "fc.bias") and t.dim() >= 1:
                hint = Term(f"; it was trained for {t.shape[0]} classes", "error.term_trained_for", classes=t.shape[0])
            raise WeightsError(
                f"{label} does not fit {arch}: {key!r} has shape {tuple(t.shape)}, "
                f"the model needs {tuple(ref.shape)}{hint}",
                key="error.checkpoint_shape", name=label, arch=arch, entry=repr(key), shape=tuple(t.shape),
                needed=tuple(ref.shape), hint=hint,
            )
        if ref.dtype.is_floating_point:
            if not t.dtype.is_floating_point:
                raise WeightsError(f"{label}: {key!r} has dtype {t.dtype}, a floating-point tensor is needed",
                                   key="error.checkpoint_dtype_float", name=label, entry=repr(key), dtype=str(t.dtype))
            if not all_finite(t):
                raise WeightsError(f"{label}: {key!r} holds NaN or infinite values", key="error.checkpoint_not_finite",
                                   name=label, entry=repr(key))
        elif t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
            raise WeightsError(f"{label}: {key!r} has dtype {t.dtype}, an integer tensor is needed",
                               key="error.checkpoint_dtype_int", name=label, entry=repr(key), dtype=str(t.dtype))


def _apply(model: ResNet, state: Mapping[str, Tensor], *, label: str) -> None:
    """Check, load into a copy, then copy into ``model``: a failure leaves ``model`` as it was."""
    check_state_dict(model, state, label=label)
    fresh = copy.deepcopy(model)
    full = dict(state)
    for key, value in fresh.state_dict().items():
        full.setdefault(key, value)  # only num_batches_tracked can be absent here
    try:
        fresh.load_state_dict(full, strict=True)
    except RuntimeError as exc:
        raise WeightsError(f"{label} could not be loaded into {model.name}: {shorten(str(exc))}",
                           key="error.checkpoint_load_failed", name=label, model=model.name, detail=shorten(str(exc))) from exc
    for key, value in fresh.state_dict().items():
        # float64 values past float32's range became infinite in the copy above
        if value.dtype.is_floating_point and not all_finite(value):
            raise WeightsError(f"{label}: {quote(key)} holds values too large for {value.dtype}",
                               key="error.checkpoint_too_large_values", name=label, entry=quote(key), dtype=str(value.dtype))
    with torch.no_grad():
        model.load_state_dict(fresh.state_dict(), strict=True)


__all__ = [
    "DOWNLOAD_TIMEOUT_S",
    "IMAGENET_CATEGORIES",
    "MAX_CHECKPOINT_BYTES",
    "MAX_CHECKPOINT_ENTRIES",
    "MAX_CHECKPOINT_PARAMS",
    "MAX_SAFETENSORS_HEADER_BYTES",
    "OFFLINE_ENV",
    "PRETRAINED_NAMES",
    "LoadedWeights",
    "WeightsError",
    "WeightsUnavailable",
    "apply_checkpoint",
    "categories_for",
    "checkpoint_metadata",
    "exported_labels",
    "check_state_dict",
    "forget_download_failures",
    "hub_checkpoint_dir",
    "load_checkpoint",
    "load_weights",
    "random_weights",
    "read_checkpoint",
    "try_pretrained",
    "weight_names",
]
