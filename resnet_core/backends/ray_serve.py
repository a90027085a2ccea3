"""The Ray Serve backend: the model work on N replicas, the Gradio process a light front end.

Each replica of :class:`ModelReplica` (a Ray Serve deployment) holds its own
:class:`~resnet_core.serving.ModelService` and runs the same functions as the local backend
(the studies of :mod:`resnet_core.studies`, the inspection among them, and
:func:`~resnet_core.backends.base.predict_ready`).
Top-k requests are batched by Ray Serve's own dynamic batching (``@serve.batch``): concurrent
calls that reach a replica within ``batch_wait_timeout_s`` share one forward pass per model and
input shape. Inspections stream their ``(result, pending)`` pairs back through a streaming
handle, so the page shows the result before its timeline as it does in one process.

:class:`RayBackend` is what the front end calls. A request whose replica dies is sent once more
(the router picks a live replica); should that fail too, the caller gets one
:class:`~resnet_core.backends.base.BackendUnavailable`. Errors in the request itself (a bad
picture, a network over budget) come back as :class:`~resnet_core.backends.base.CallError`.

Needs ``ray[serve]`` (the ``scale`` extra); nothing else in ``resnet_core`` imports this module.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import ray
import torch
from ray import serve
from ray.serve.exceptions import (
    BackPressureError,
    DeploymentUnavailableError,
    RayServeException,
    ReplicaUnavailableError,
)
from ray.serve.handle import DeploymentHandle

from ..results import Inspection
from ..serving import DEFAULT_KEY, ModelService, ServiceConfig
from ..shapes import Architecture
from ..studies import Cancelled, StudyContext, run_study
from ..zoo import ModelKey, ServedModel
from .base import (
    BackendUnavailable,
    CallError,
    CheckpointRef,
    InspectCall,
    ModelInfo,
    PredictCall,
    Predicted,
    ReadyPredict,
    checkpoint_digest,
    predict_ready,
    ready_predict,
    served_model,
)

log = logging.getLogger("resnet_playground")

#: errors that mean "the replica or the cluster went away", not "the request was wrong"
_GONE: tuple[type[BaseException], ...] = (
    ray.exceptions.RayActorError,  # ActorDiedError, ActorUnavailableError
    ray.exceptions.WorkerCrashedError,
    ray.exceptions.NodeDiedError,
    ray.exceptions.OwnerDiedError,
    ray.exceptions.ObjectLostError,
    ReplicaUnavailableError,
    DeploymentUnavailableError,
)
_BUSY = "the model server is busy; please try again in a moment"
#: model info kept by the front end (names and categories, no models)
_INFO_CACHE = 64
#: people's checkpoints a replica keeps built (the least recently used are built again from bytes)
CHECKPOINTS_PER_REPLICA = 2
#: the named actor that carries "finish now" to the replicas, and its namespace (the front end's
#: own namespace is anonymous and the replicas live in "serve", so both name it explicitly)
FINISH_BOARD, BOARD_NAMESPACE = "resnet_finish_board", "resnet_playground"
#: seconds between a replica's looks at the board while a study runs
FINISH_POLL_S = 0.25


@ray.remote(num_cpus=0)
class FinishBoard:
    """The runs whose caller asked them to finish now, by token: a streamed request cannot be
    signalled once it runs, and the replica serving it may be any of several, so the front end
    raises a flag here and the replica running that token looks. A token is forgotten when its
    run ends (by the front end and by the replica), so the board holds only live runs."""

    def __init__(self) -> None:
        self._finished: set[str] = set()

    def finish(self, token: str) -> None:
        self._finished.add(token)

    def finished(self, token: str) -> bool:
        return token in self._finished

    def forget(self, token: str) -> None:
        self._finished.discard(token)

    def tokens(self) -> list[str]:
        """The flags raised and not yet forgotten (empty between runs)."""
        return sorted(self._finished)


def finish_board() -> Any:
    """The board's handle, made by the first caller (a front end) that asks; the others share it.

    Not detached: it lives while a front end holds it, and a front end that finds it gone asks again.
    """
    return FinishBoard.options(name=FINISH_BOARD, namespace=BOARD_NAMESPACE, get_if_exists=True).remote()


def _watch_board(board: Any, token: str, finish: threading.Event, done: threading.Event) -> None:
    """A replica's side: set ``finish`` once the board holds ``token``; look until ``done``."""
    while not done.wait(FINISH_POLL_S):
        try:
            if ray.get(board.finished.remote(token), timeout=10):
                finish.set()
                return
        except ray.exceptions.RayError as exc:  # the board went away: the run goes on to its end
            log.warning("the finish board cannot be read (%s); this run ignores Stop", type(exc).__name__)
            return


@dataclass(frozen=True)
class RayConfig:
    """How the deployment runs.

    Attributes:
        app_name: the Serve application's name (the front end connects to it by name).
        num_replicas: fixed number of replicas; ignored when ``autoscaling`` is given.
        autoscaling: Ray Serve's ``autoscaling_config``, e.g. ``{"min_replicas": 1,
            "max_replicas": 8, "target_ongoing_requests": 4}``.
        num_gpus: GPUs per replica (1 on a GPU machine, 0 on a CPU).
        num_cpus: CPUs per replica.
        torch_threads: torch's intra-op threads per replica (None: torch's default); on a CPU one
            per replica, so replicas do not fight over cores.
        max_batch_size: most top-k requests one forward pass serves (``@serve.batch``).
        batch_wait_timeout_s: how long a replica waits for a batch to fill.
        max_ongoing_requests: requests one replica accepts at once (more wait in the router).
        max_queued_requests: requests waiting in a front end's router before the next is turned
            away as busy (-1: no limit, Serve's default).
        service: each replica's model service (device, cache size, budgets).
    """

    app_name: str = "resnet"
    num_replicas: int = 2
    autoscaling: dict[str, Any] | None = None
    num_gpus: float = 0.0
    num_cpus: float = 1.0
    torch_threads: int | None = 1
    max_batch_size: int = 8
    batch_wait_timeout_s: float = 0.01
    max_ongoing_requests: int = 16
    max_queued_requests: int = -1
    service: ServiceConfig = field(default_factory=lambda: ServiceConfig(warm_up=False))

    def __post_init__(self) -> None:
        if self.num_replicas < 1 or self.max_batch_size < 1 or self.max_ongoing_requests < 1:
            raise ValueError("num_replicas, max_batch_size and max_ongoing_requests must be at least 1")
        if self.batch_wait_timeout_s < 0 or self.num_gpus < 0 or self.num_cpus < 0:
            raise ValueError("batch_wait_timeout_s, num_gpus and num_cpus must not be negative")

    @classmethod
    def for_gpus(cls, *, replicas: int = 1, service: ServiceConfig | None = None, **options: Any) -> RayConfig:
        """One GPU per replica, ``service`` (budgets, cache) on CUDA and warmed up, torch's own thread count."""
        service = dataclasses.replace(service or ServiceConfig(), device="cuda", warm_up=True)
        return cls(num_replicas=replicas, num_gpus=1.0, torch_threads=None, service=service, **options)

    def actor_options(self) -> dict[str, Any]:
        """``ray_actor_options`` of a replica."""
        options: dict[str, Any] = {"num_cpus": self.num_cpus}
        if self.num_gpus:
            options["num_gpus"] = self.num_gpus
        return options


def _plain(exc: BaseException) -> CallError:
    """A user error as a picklable :class:`CallError` with the same message."""
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return CallError(text or type(exc).__name__, key=getattr(exc, "key", None), **getattr(exc, "fields", {}))


@serve.deployment(name="ModelReplica")
class ModelReplica:
    """One replica: a model service of its own, the request-level calls, batched top-k.

    Args:
        service: the replica's model service settings.
        torch_threads: torch's intra-op threads (None: leave torch's default).
        max_batch_size, batch_wait_timeout_s: Ray Serve's dynamic batching of :meth:`predict`.
    """

    def __init__(
        self, service: ServiceConfig, *, torch_threads: int | None, max_batch_size: int, batch_wait_timeout_s: float
    ) -> None:
        if torch_threads:
            torch.set_num_threads(torch_threads)
        # the replica warms up itself, through the seeded path (see served_model)
        self.service = ModelService(dataclasses.replace(service, warm_up=False))
        if service.warm_up:
            threading.Thread(target=self._warm_up, daemon=True).start()
        self._predict_batch.set_max_batch_size(max_batch_size)
        self._predict_batch.set_batch_wait_timeout_s(batch_wait_timeout_s)
        self._checkpoints: OrderedDict[tuple[str, ModelKey], ServedModel] = OrderedDict()
        self._lock = threading.Lock()

    def _warm_up(self) -> None:
        try:
            self.service.engine(served_model(self.service, DEFAULT_KEY))
        except Exception:  # noqa: BLE001 - the first request reports it
            log.exception("warm-up failed")

    def info(self, key: ModelKey, size: int = 224) -> ModelInfo:
        try:
            return ModelInfo.of(served_model(self.service, key, size=size))
        except (ValueError, KeyError) as exc:
            raise _plain(exc) from None

    def check_checkpoint(self, key: ModelKey, handle: tuple, digest: str, filename: str) -> ModelInfo:
        """Build a person's checkpoint (checked by content) and keep it; its description."""
        try:
            return ModelInfo.of(self._checkpoint(key, handle, digest, filename))
        except (ValueError, KeyError) as exc:
            raise _plain(exc) from None

    async def predict(self, call: PredictCall) -> Predicted:
        # each request decodes its own picture in a thread of its own (Pillow lets go of the
        # GIL), so a batch's forward pass never waits for its members' resizing one by one
        try:
            ready = await asyncio.to_thread(ready_predict, self.service, call, self._resolve)
        except (ValueError, KeyError) as exc:
            raise _plain(exc) from None
        result = await self._predict_batch(ready)
        if isinstance(result, (ValueError, KeyError)):
            raise _plain(result)
        if isinstance(result, Exception):
            raise result
        return result

    @serve.batch(max_batch_size=8, batch_wait_timeout_s=0.01)
    async def _predict_batch(self, items: list[ReadyPredict]) -> list[Predicted | Exception]:
        # off the event loop, so requests keep arriving (and batching) during a forward pass
        return await asyncio.to_thread(predict_ready, self.service, items)

    def run(self, name: str, call: Any, finish: tuple[Any, str] | None = None) -> Iterator[Any]:
        """Streamed: the study's records (:mod:`resnet_core.studies`), each as soon as it is made (an
        inspection is the study ``"inspect"``: its ``(result, pending)`` pairs).

        ``finish`` is ``(board, token)``: while the study runs, a daemon thread looks at the
        :class:`FinishBoard` every :data:`FINISH_POLL_S` seconds and sets the study's finish flag
        once the caller raised the token's.
        """
        ctx, done = StudyContext(self.service, self.resolve), threading.Event()
        if finish is not None:
            board, token = finish
            threading.Thread(target=_watch_board, args=(board, token, ctx.finish, done), daemon=True,
                             name="finish-watch").start()
        try:
            yield from run_study(ctx, name, call)
        except (ValueError, KeyError, TypeError) as exc:
            raise _plain(exc) from None
        finally:
            ctx.cancel.set()  # the caller went away (or it ended): nothing further is computed
            done.set()
            if finish is not None:
                finish[0].forget.remote(finish[1])  # also done by the front end, should it have gone

    def _resolve(self, call: PredictCall) -> ServedModel:
        return self.resolve(call.key, call.checkpoint, call.size or 224)

    def resolve(self, key: ModelKey, checkpoint: CheckpointRef | None, size: int) -> ServedModel:
        """The served model of ``key`` (a person's checkpoint, built here from its bytes, where given)."""
        if checkpoint is None:
            return served_model(self.service, key, size=size)
        self.service.check_cost(key.depth, key.variant, size)
        if not isinstance(checkpoint, CheckpointRef) or not isinstance(checkpoint.handle, tuple):
            raise CallError("this checkpoint was loaded by another backend; load it again", key="error.checkpoint_other_backend")
        return self._checkpoint(checkpoint.key, checkpoint.handle, checkpoint.digest, checkpoint.filename)

    def _checkpoint(self, key: ModelKey, handle: tuple, digest: str, filename: str) -> ServedModel:
        """A person's model by content: built here once from the bytes in Ray's object store."""
        with self._lock:
            served = self._checkpoints.get((digest, key))
            if served is not None:
                self._checkpoints.move_to_end((digest, key))
                return served
        (bytes_ref,) = handle
        try:
            data = ray.get(bytes_ref, timeout=60)
        except ray.exceptions.RayError as exc:  # the session that held it has gone
            raise CallError("your checkpoint is no longer on the server; load it again", key="error.checkpoint_gone") from exc
        served = self.service.add_checkpoint(key, data, filename=filename)
        with self._lock:
            self._checkpoints[(digest, key)] = served
            while len(self._checkpoints) > CHECKPOINTS_PER_REPLICA:
                self._checkpoints.popitem(last=False)
        return served


def deployment(config: RayConfig = RayConfig()) -> serve.Deployment:  # noqa: B008 - frozen
    """:class:`ModelReplica` with ``config``'s replicas, resources and limits."""
    options: dict[str, Any] = dict(
        ray_actor_options=config.actor_options(), max_ongoing_requests=config.max_ongoing_requests,
        max_queued_requests=config.max_queued_requests,
    )
    if config.autoscaling is not None:
        options["autoscaling_config"] = config.autoscaling
    else:
        options["num_replicas"] = config.num_replicas
    return ModelReplica.options(**options)


def build_app(config: RayConfig = RayConfig()) -> serve.Application:  # noqa: B008 - frozen
    """The Serve application for ``config`` (``serve.run`` it, or name it in a Serve config file)."""
    return deployment(config).bind(
        config.service, torch_threads=config.torch_threads, max_batch_size=config.max_batch_size,
        batch_wait_timeout_s=config.batch_wait_timeout_s,
    )


def config_from_args(args: dict[str, str]) -> RayConfig:
    """The configuration from text arguments, as ``serve run`` and Serve config files (KubeRay) give them.

    ``serve run resnet_core.backends.ray_serve:app_builder num_replicas=2 num_gpus=1``; keys:
    ``num_replicas``, ``min_replicas`` and ``max_replicas`` (autoscaling, with
    ``target_ongoing_requests``), ``num_gpus``, ``num_cpus``, ``torch_threads``,
    ``max_batch_size``, ``batch_wait_timeout_s``, ``max_ongoing_requests``,
    ``max_queued_requests``, ``device``,
    ``max_gmacs``, ``max_models``.
    """
    known = {"num_replicas", "min_replicas", "max_replicas", "target_ongoing_requests", "num_gpus", "num_cpus",
             "torch_threads", "max_batch_size", "batch_wait_timeout_s", "max_ongoing_requests",
             "max_queued_requests", "device",
             "max_gmacs", "max_models"}
    unknown = sorted(set(args) - known)
    if unknown:
        raise ValueError(f"unknown arguments {', '.join(unknown)[:100]}; known: {', '.join(sorted(known))}")
    gpus = float(args.get("num_gpus", 0))
    service = ServiceConfig(
        device=args.get("device", "cuda" if gpus else "cpu"), warm_up=bool(gpus),
        max_gmacs=float(args.get("max_gmacs", ServiceConfig.max_gmacs)),
        max_models=int(args.get("max_models", ServiceConfig.max_models)),
    )
    autoscaling = None
    if "max_replicas" in args:
        autoscaling = {"min_replicas": int(args.get("min_replicas", 1)), "max_replicas": int(args["max_replicas"]),
                       "target_ongoing_requests": float(args.get("target_ongoing_requests", 4))}
    threads = args.get("torch_threads", "0" if gpus else "1")
    return RayConfig(
        num_replicas=int(args.get("num_replicas", 2)), autoscaling=autoscaling, num_gpus=gpus,
        num_cpus=float(args.get("num_cpus", 1)), torch_threads=int(threads) or None,
        max_batch_size=int(args.get("max_batch_size", RayConfig.max_batch_size)),
        batch_wait_timeout_s=float(args.get("batch_wait_timeout_s", RayConfig.batch_wait_timeout_s)),
        max_ongoing_requests=int(args.get("max_ongoing_requests", RayConfig.max_ongoing_requests)),
        max_queued_requests=int(args.get("max_queued_requests", RayConfig.max_queued_requests)), service=service,
    )


def app_builder(args: dict[str, str]) -> serve.Application:
    """``build_app(config_from_args(args))``: what ``serve run`` and Serve config files name."""
    return build_app(config_from_args(args))


class _FinishRelay:
    """The front end's side of one run's finish flag: a daemon thread raises the token on the
    board once ``finish`` is set; :meth:`close` stops it and forgets the token (under one lock,
    so a flag raised as the run ends cannot outlive it on the board)."""

    def __init__(self, board: Any, finish: threading.Event) -> None:
        self.board, self.token, self.finish = board, uuid.uuid4().hex, finish
        self._closed, self._lock = False, threading.Lock()
        threading.Thread(target=self._watch, daemon=True, name="finish-relay").start()

    def _watch(self) -> None:
        while not self.finish.wait(FINISH_POLL_S):
            if self._closed:
                return
        with self._lock:
            if not self._closed:
                self.board.finish.remote(self.token)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self.board.forget.remote(self.token)


class RayBackend:
    """Send calls to a running :class:`ModelReplica` deployment.

    Args:
        handle: the deployment's handle (:meth:`deploy` or :meth:`connect` make one).
        service: the replicas' service settings; the front end checks budgets with them before
            sending anything (no model is built here).
        timeout_s: longest wait for one answer before :class:`BackendUnavailable`.
        retries: times a request whose replica died is sent again.
    """

    def __init__(
        self, handle: DeploymentHandle, *, service: ServiceConfig | None = None, timeout_s: float = 300.0, retries: int = 1
    ) -> None:
        self.handle = handle
        self.timeout_s, self.retries = float(timeout_s), int(retries)
        base = service or ServiceConfig()
        # the budget only: on the meta device, nothing is built or cached
        self._budget = ModelService(dataclasses.replace(base, device="cpu", warm_up=False, max_models=1))
        self._infos: OrderedDict[tuple, ModelInfo] = OrderedDict()
        self._lock = threading.Lock()
        self._board: Any = None  # the FinishBoard, looked up on the first run that can be finished
        self._board_lock = threading.Lock()  # not _lock: a look at the board must not hold up info()

    @classmethod
    def deploy(cls, config: RayConfig = RayConfig(), **options: Any) -> RayBackend:  # noqa: B008 - frozen
        """Start (or update) the deployment on the connected Ray cluster and return its backend."""
        handle = serve.run(build_app(config), name=config.app_name, route_prefix=None)
        return cls(handle, service=config.service, **options)

    @classmethod
    def connect(cls, app_name: str = "resnet", *, service: ServiceConfig | None = None, **options: Any) -> RayBackend:
        """The backend of an application already running on the connected Ray cluster."""
        try:
            handle = serve.get_app_handle(app_name)
        except RayServeException as exc:
            raise BackendUnavailable(f"no Ray Serve application named {app_name[:100]!r} is running") from exc
        return cls(handle, service=service, **options)

    # ------------------------------------------------------------------ the Backend protocol
    def check_cost(self, depth: int | tuple, variant: str, size: int) -> Architecture:
        return self._budget.check_cost(depth, variant, size)

    def info(self, key: ModelKey, *, size: int = 224) -> ModelInfo:
        self.check_cost(key.depth, key.variant, size)
        with self._lock:
            known = self._infos.get((key, size))
        if known is not None:
            return known
        made = self._call(lambda: self.handle.info.remote(key, size).result(timeout_s=self.timeout_s))
        with self._lock:
            self._infos[(key, size)] = made
            while len(self._infos) > _INFO_CACHE:
                self._infos.popitem(last=False)
        return made

    def add_checkpoint(self, key: ModelKey, data: bytes, *, filename: str) -> CheckpointRef:
        """Put a person's checkpoint in Ray's object store and have a replica check it.

        The bytes stay in the object store as long as the returned reference lives (the
        session's ``gr.State``); any replica builds the model from them on first use.

        Raises:
            CallError: the checkpoint is unsafe, unreadable or does not fit the architecture.
        """
        self.check_cost(key.depth, key.variant, 224)
        data, key = bytes(data), dataclasses.replace(key, weights="checkpoint")  # the key later calls carry
        digest, handle = checkpoint_digest(data), (ray.put(data),)
        info = self._call(
            lambda: self.handle.check_checkpoint.remote(key, handle, digest, filename).result(timeout_s=self.timeout_s)
        )
        return CheckpointRef(key, digest, filename, info, handle)

    def predict(self, call: PredictCall) -> Predicted:
        return self._call(lambda: self.handle.predict.remote(call).result(timeout_s=self.timeout_s))

    def inspect(self, call: InspectCall, *, cancel: threading.Event | None = None) -> Iterator[tuple[Inspection, bool]]:
        """Streams the replica's pairs through :meth:`run` (the study ``"inspect"``): the same
        retry, the same skipping of pairs already delivered, the same ``cancel``."""
        yield from self.run("inspect", call, cancel=cancel)

    def run(
        self, name: str, call: Any, *, cancel: threading.Event | None = None, finish: threading.Event | None = None
    ) -> Iterator[Any]:
        """The study's records, streamed from a replica as they are made.

        Setting ``cancel`` cancels the replica's request and raises :class:`Cancelled` here at the
        next record. Setting ``finish`` raises this run's flag on the :class:`FinishBoard`, where
        the replica running it looks (within :data:`FINISH_POLL_S` seconds). After a replica died
        the study is sent once more and the records already delivered are skipped (a study's
        records do not depend on the replica that makes them).
        """
        if finish is None:
            yield from self._stream(name, call, cancel, None)
            return
        relay = _FinishRelay(self._finish_board(), finish)
        try:
            yield from self._stream(name, call, cancel, (relay.board, relay.token))
        finally:
            relay.close()

    def _finish_board(self) -> Any:
        """The shared :class:`FinishBoard` (made again when the front end that made it has gone)."""
        with self._board_lock:
            if self._board is not None:
                try:
                    ray.get(self._board.tokens.remote(), timeout=10)
                    return self._board
                except ray.exceptions.RayError:
                    self._board = None
            self._board = finish_board()
            return self._board

    def _stream(self, name: str, call: Any, cancel: threading.Event | None, finish: tuple[Any, str] | None
                ) -> Iterator[Any]:
        delivered = 0
        for attempt in range(self.retries + 1):
            stream = None
            try:
                stream = self.handle.options(stream=True).run.remote(name, call, finish)
                for i, record in enumerate(stream):
                    if cancel is not None and cancel.is_set():
                        stream.cancel()
                        raise Cancelled("stopped")
                    if i >= delivered:
                        delivered += 1
                        yield record
                return
            except _GONE as exc:
                self._give_up_after(attempt, exc)
            except BackPressureError as exc:
                raise BackendUnavailable(_BUSY) from exc
            except ray.exceptions.RayTaskError as exc:
                raise self._unwrap(exc) from None
            except GeneratorExit:  # the front end stopped listening: stop the replica's work too
                if stream is not None:
                    stream.cancel()
                raise

    # ------------------------------------------------------------------ errors and retries
    def _call(self, send: Any) -> Any:
        for attempt in range(self.retries + 1):
            try:
                return send()
            except _GONE as exc:
                self._give_up_after(attempt, exc)
            except TimeoutError as exc:
                raise BackendUnavailable(f"the model server did not answer within {self.timeout_s:g} s; try again") from exc
            except BackPressureError as exc:  # past the deployment's max_queued_requests
                raise BackendUnavailable(_BUSY) from exc
            except ray.exceptions.RayTaskError as exc:
                raise self._unwrap(exc) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _give_up_after(self, attempt: int, exc: BaseException) -> None:
        log.warning("a model replica went away (attempt %d): %s", attempt + 1, type(exc).__name__)
        if attempt >= self.retries:
            raise BackendUnavailable("the model server lost this request (a replica stopped); please try again") from exc

    @staticmethod
    def _unwrap(exc: ray.exceptions.RayTaskError) -> BaseException:
        """The replica's own error: a :class:`CallError` as it is, anything else with its message."""
        cause = getattr(exc, "cause", None)
        if isinstance(cause, BaseException):
            return cause
        return RuntimeError(f"the model server failed: {str(exc)[:200]}")


__all__ = [
    "BOARD_NAMESPACE",
    "CHECKPOINTS_PER_REPLICA",
    "FINISH_BOARD",
    "FINISH_POLL_S",
    "FinishBoard",
    "ModelReplica",
    "RayBackend",
    "RayConfig",
    "app_builder",
    "build_app",
    "config_from_args",
    "deployment",
    "finish_board",
]
