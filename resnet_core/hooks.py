"""Hooks that live for exactly one call, in one thread.

A served model is shared by every user. A forward hook registered by one request fires for
*every* forward that runs while it is registered, including another user's running in another
worker thread. So each hook here remembers the thread that registered it and ignores the
others, keeps its own storage, and is removed in ``finally``, whatever happened in between
(the pattern of captum's ``LayerGradCam``, made thread-aware).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from torch import Tensor, nn


class HookError(RuntimeError):
    """A requested layer does not exist, or its hook never fired."""


def resolve_module(model: nn.Module, name: str) -> nn.Module:
    """The submodule with dotted ``name``; raises :class:`HookError` naming the bad part."""
    try:
        return model.get_submodule(name)
    except AttributeError as exc:
        raise HookError(f"the model has no layer called {name!r}") from exc


@contextmanager
def capture_outputs(model: nn.Module, names: Sequence[str]) -> Iterator[dict[str, Tensor]]:
    """Record the outputs of the named modules during forwards run by this thread.

    Yields a dict filled as the forward runs: ``{name: output}``. The tensors are the live
    outputs (still in the autograd graph), which is safe because no op in our blocks is
    in-place. Hooks are removed when the block exits, also on error.

    Raises:
        HookError: a name is unknown.
    """
    owner = threading.get_ident()
    store: dict[str, Tensor] = {}
    handles = []
    try:
        for name in dict.fromkeys(names):
            module = resolve_module(model, name)

            def hook(_m: nn.Module, _args: tuple, out: Tensor, name: str = name) -> None:
                if threading.get_ident() == owner:
                    store[name] = out

            handles.append(module.register_forward_hook(hook))
        yield store
    finally:
        for h in handles:
            h.remove()


@contextmanager
def patch_output(model: nn.Module, name: str, fn: Callable[[Tensor], Tensor]) -> Iterator[None]:
    """Replace the output of module ``name`` by ``fn(output)``, for this thread only."""
    owner = threading.get_ident()
    module = resolve_module(model, name)

    def hook(_m: nn.Module, _args: tuple, out: Tensor) -> Tensor | None:
        return fn(out) if threading.get_ident() == owner else None

    handle = module.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


@contextmanager
def patch_inputs(model: nn.Module, name: str, fn: Callable[[tuple], tuple]) -> Iterator[None]:
    """Replace the positional inputs of module ``name`` by ``fn(inputs)``, for this thread only."""
    owner = threading.get_ident()
    module = resolve_module(model, name)

    def hook(_m: nn.Module, args: tuple) -> tuple | None:
        return fn(args) if threading.get_ident() == owner else None

    handle = module.register_forward_pre_hook(hook)
    try:
        yield
    finally:
        handle.remove()


def hook_count(model: nn.Module) -> int:
    """How many hooks are registered anywhere in ``model`` (0 when nobody is using it)."""
    n = 0
    for m in model.modules():
        n += len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
        n += len(getattr(m, "_backward_pre_hooks", {}))
    return n
