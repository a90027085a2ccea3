"""Hooks that live for exactly one call, in one thread.

A served model is shared by every user. A forward hook registered by one request fires for
*every* forward that runs while it is registered, including another user's running in another
worker thread. So each hook here remembers the thread that registered it and ignores the
others, keeps its own storage, and is removed in ``finally``, whatever happened in between
(the pattern of captum's ``LayerGradCam``, made thread-aware).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
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
def capture_outputs(
    model: nn.Module, names: Sequence[str], *, leaves: Collection[str] = ()
) -> Iterator[dict[str, Tensor]]:
    """Record the outputs of the named modules during forwards run by this thread.

    Yields a dict filled as the forward runs: ``{name: output}``. The tensors are the live
    outputs (still in the autograd graph), which is safe because no op in our blocks is
    in-place. Hooks are removed when the block exits, also on error.

    Args:
        model: the model the names belong to.
        names: dotted module names; duplicates are recorded once.
        leaves: names whose output, when it is outside the autograd graph (a frozen model
            records none before the first op that needs a gradient), is replaced by a detached
            copy that requires grad, so gradients can be taken with respect to it (captum's
            layer-gradient trick); the recorded tensor is that leaf.

    Raises:
        HookError: a name is unknown.
    """
    owner = threading.get_ident()
    store: dict[str, Tensor] = {}
    leaf_names = frozenset(leaves)
    handles = []
    try:
        for name in dict.fromkeys(names):
            module = resolve_module(model, name)

            def hook(_m: nn.Module, _args: tuple, out: Tensor, name: str = name) -> Tensor | None:
                if threading.get_ident() != owner:
                    return None
                if name in leaf_names and isinstance(out, Tensor) and not out.requires_grad:
                    out = out.detach().requires_grad_(True)
                    store[name] = out
                    return out
                store[name] = out
                return None

            handles.append(module.register_forward_hook(hook))
        yield store
    finally:
        for h in handles:
            h.remove()


@contextmanager
def patch_modules(
    modules: Iterable[nn.Module], fn: Callable[[Tensor], Tensor], *, prepend: bool = False
) -> Iterator[None]:
    """Replace the output of each of ``modules`` by ``fn(output)``, for this thread only.

    ``prepend=True`` runs ``fn`` before any hook already registered on a module, so other
    hooks (say, :func:`capture_outputs`) see the patched output.
    """
    owner = threading.get_ident()

    def hook(_m: nn.Module, _args: tuple, out: Tensor) -> Tensor | None:
        return fn(out) if threading.get_ident() == owner else None

    handles = []
    try:
        for module in modules:
            handles.append(module.register_forward_hook(hook, prepend=prepend))
        yield
    finally:
        for h in handles:
            h.remove()


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
