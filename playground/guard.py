"""The web surface: uploads, Gradio's file routes, request bodies, and the pictures we send.

Each piece closes one hole a public demo must not have (see docs/reliability.md): uploads reach
the handlers unread, as paths, and only through :func:`resnet_core.images.load_image`; file routes
never fetch web addresses and never serve a file as a page; request bodies are capped even when
they carry a base64 image; and every response's pictures are files of its own.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from resnet_core.errors import UserError

from .errors import said
from .limits import Ledger
from .locales import lang_of, lang_of_scope, t


def served_picture(pixels: np.ndarray | None) -> Image.Image | None:
    """An output picture (H x W x 3 uint8) that shares no bytes with any other response.

    Gradio stores an output under the hash of its encoded bytes and rewrites that file in
    place, so two users who get byte-identical pictures at the same moment (the same example,
    the same settings) could be served a half-written file. A tag of this response's own in the
    picture's metadata (a PNG text chunk, an EXIF ImageUniqueID in a JPEG) gives every response
    a file of its own; the pixels are untouched.
    """
    if pixels is None:
        return None
    img = Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8))
    tag = uuid.uuid4().hex
    img.info["response"] = tag  # PNG: Gradio copies text-valued info into the file
    exif = Image.Exif()
    exif[0xA420] = tag  # ImageUniqueID; JPEG: Gradio writes info["exif"]
    img.info["exif"] = exif.tobytes()
    return img



# "http:", "HTTPS:", "data:", "file:", "//host": anything that is not a path on this server
_NOT_A_LOCAL_PATH = re.compile(r"^\s*(?:[a-z][a-z0-9+.\-]*:|[/\\]{2})", re.IGNORECASE)


def unread_uploads(component: gr.Image | gr.File) -> gr.Image | gr.File:
    """Make ``component`` hand each upload to the handler as its path, unread, and only uploads.

    * Gradio's own ``gr.Image.preprocess`` opens every upload with ``PIL.Image.open`` before the
      handler runs, so a file that is not an image (a text file renamed ``.jpg``, random bytes,
      a picture far past Pillow's pixel cap) failed there with Gradio's "Could not preprocess
      input" text and the server's temp path, never reaching :func:`load_image`, the one door
      that reads uploads and says plainly what is wrong. ``gr.File``'s leaves an empty temp
      file behind on every call.
    * Only the payload's ``path`` is used, and Gradio has checked by then that it is an upload.
      Its ``url`` is never read: a base64 data URL there would be decoded by Gradio with every
      Pillow plugin and no limits of ours (Gradio 6 overwrites ``url`` before ``preprocess``,
      but that is its business; ours is never to decode it).
    * A web address as the path is refused: Gradio would download it from the server.

    Set on the instance, not by subclassing: Gradio writes a ``.pyi`` stub next to any module
    that defines a component class.
    """
    move, async_move = component.move_resource_to_block_cache, component.async_move_resource_to_block_cache

    def preprocess(payload: Any) -> str | None:
        if isinstance(payload, gr.data_classes.ListFiles):  # a list sent to a single-file gr.File
            payload = payload[0] if payload.root else None
        return None if payload is None else str(payload.path)

    def local_only(path: Any) -> None:
        if isinstance(path, str) and _NOT_A_LOCAL_PATH.match(path):
            raise _said_error(UserError("Files are taken from uploads only, not from web addresses.",
                                        key="error.uploads_only"))

    def move_resource(path: Any) -> Any:
        local_only(path)
        return move(path)

    async def async_move_resource(path: Any) -> Any:
        local_only(path)
        return await async_move(path)

    component.preprocess = preprocess
    component.move_resource_to_block_cache = move_resource
    component.async_move_resource_to_block_cache = async_move_resource
    return component


#: the most characters of a refused choice quoted back (Gradio's own text quotes the whole value
#: sent, and every choice: a 1 MB value came back as 1 MB)
CHOICE_QUOTE = 40


class _NothingToDelete:
    """A ``gr.State``'s delete callback that does nothing, copies as itself and prints as a word
    (Gradio's default is a function, and its config prints it with a heap address)."""

    def __call__(self, value: Any) -> None:
        return None

    def __deepcopy__(self, memo: dict) -> _NothingToDelete:
        return self

    def __repr__(self) -> str:
        return "nothing-to-delete"

    __str__ = __repr__


#: the request whose inputs Gradio is reading now: its components' checks run before any
#: handler (and so before :func:`~playground.errors.friendly`), with no request of their own
_REQUEST: ContextVar[Any] = ContextVar("resnet_playground_request", default=None)


def _said_error(refusal: UserError) -> gr.Error:
    """A refusal raised while Gradio reads a request's inputs, said in that request's language."""
    request = _REQUEST.get()
    lang = lang_of(request[0] if isinstance(request, list) and request else request)
    return gr.Error(said(refusal, lang), title=t("err_title", lang))


def _remember_request(process_api: Callable) -> Callable:
    """``Blocks.process_api`` that keeps its request where the input checks can read its language."""

    @functools.wraps(process_api)
    async def remembered(*args: Any, **kwargs: Any) -> Any:
        token = _REQUEST.set(kwargs.get("request"))
        try:
            return await process_api(*args, **kwargs)
        finally:
            _REQUEST.reset(token)

    return remembered


def tidy_config(blocks: gr.Blocks) -> None:
    """What every page load copies and sends: no heap addresses, and refusals that echo nothing.

    * A ``gr.State``'s delete callback is part of the config Gradio deep-copies and sends on
      every page load: Gradio's default prints a heap address (ours, :class:`sessions.Discard`,
      neither copies the store nor prints one).
    * Every choice control refuses an unknown value with one short, generic line, and the input
      checks say their refusals in the request's language (``process_api`` keeps the request).
    """
    blocks.process_api = _remember_request(blocks.process_api)
    for block in list(blocks.blocks.values()):
        if isinstance(block, gr.State) and getattr(block.delete_callback, "__name__", "") == "default_delete_callback":
            block.delete_callback = _NothingToDelete()
        if isinstance(block, (gr.Dropdown, gr.Radio, gr.CheckboxGroup)):
            block.preprocess = _short_refusal(block.preprocess)


def _short_refusal(preprocess: Callable) -> Callable:
    def checked(payload: Any) -> Any:
        try:
            return preprocess(payload)
        except gr.Error:
            pass  # raised outside the except: the long message (and the value) is dropped
        shown = " ".join(str(payload).split())
        shown = shown if len(shown) <= CHOICE_QUOTE else shown[: CHOICE_QUOTE - 1] + "…"
        raise _said_error(UserError(f'"{shown}" is not in the list of choices.', key="error.not_a_choice", value=shown))

    return checked


#: what an MCP refusal may say at most (the MCP schema check quotes the whole value it refuses)
MCP_MESSAGE_LIMIT = 300
_URL = re.compile(r"\b(?:https?|wss?)://\S+", re.IGNORECASE)


def short_mcp_message(text: str) -> str:
    """An MCP error text with no web address (the server calls itself at an internal one) and
    no more than :data:`MCP_MESSAGE_LIMIT` characters (never the whole value it refuses)."""
    text = _URL.sub("the server", str(text))
    return text if len(text) <= MCP_MESSAGE_LIMIT else text[: MCP_MESSAGE_LIMIT - 1] + "…"


#: marks the requests of Gradio's own MCP loopback client (never leaves this process)
_MCP_SECRET = secrets.token_hex(16)


def _from_mcp(scope: dict) -> bool:
    """Whether a request is Gradio's MCP server calling its own queue (its agent was counted)."""
    return dict(scope.get("headers") or []).get(b"x-resnet-mcp", b"").decode(errors="replace") == _MCP_SECRET


def mend_mcp() -> None:
    """Three faults of Gradio's MCP server (``--mcp``), mended where they arise.

    * Its tool results drop a ``gr.State`` output by position from a list that never held it
      (the queued path returns one value): ``predict`` and ``inspect_image`` failed on every
      valid image with "pop index out of range". State values are dropped only where present.
    * A dropdown of numbers is described as ``{"type": "string", "enum": [20, 32, ...]}``,
      which no value satisfies: the type follows the choices.
    * Error texts: see :func:`short_mcp_message`.
    * Every public endpoint became a tool; which ones an agent sees was decided by hiding the
      rest from ``/info``, which also took their parameter names from API clients (gradio_client
      then refused keyword arguments). The tools are now the endpoints a Blocks names in
      ``mcp_tools`` (all public ones where it names none); ``/info`` still lists every endpoint.
    * Its tool calls reach the queue from one loopback client, so every agent shared one job
      share: the guard counts each call at the MCP door against the agent's own address, and
      the loopback client's joins carry a secret header that exempts them from a second count.
    """
    from gradio.components import State
    from gradio.mcp import GradioMCPServer
    from mcp.server.lowlevel.server import Server

    if getattr(GradioMCPServer, "_mended", False):
        return

    def pop_returned_state(components: Any, data: Any) -> list:
        data = list(data)
        if len(data) != len(components):  # the queued path: State outputs were never sent
            return data
        return [value for value, c in zip(data, components) if not isinstance(c, State)]

    schema_of = GradioMCPServer.get_input_schema

    def get_input_schema(self: Any, tool_name: str, parameters: Any = None) -> tuple:
        schema, positions = schema_of(self, tool_name, parameters)
        for prop in (schema.get("properties") or {}).values():
            enum = prop.get("enum") if isinstance(prop, dict) else None
            if enum and prop.get("type") == "string" and all(isinstance(v, int) and not isinstance(v, bool) for v in enum):
                prop["type"] = "integer"
        return schema, positions

    make_error = Server._make_error_result

    def make_error_result(self: Any, error_message: str) -> Any:
        return make_error(self, short_mcp_message(error_message))

    client_of = GradioMCPServer._get_or_create_client

    def get_or_create_client(self: Any) -> Any:
        client = client_of(self)
        client.headers["x-resnet-mcp"] = _MCP_SECRET
        return client

    tools_of = GradioMCPServer.get_tool_to_endpoint

    def get_tool_to_endpoint(self: Any) -> dict[str, str]:
        wanted = getattr(self.blocks, "mcp_tools", None)
        tools = tools_of(self)
        if wanted is None:
            return tools
        return {tool: endpoint for tool, endpoint in tools.items() if endpoint.lstrip("/") in wanted}

    GradioMCPServer.get_tool_to_endpoint = get_tool_to_endpoint
    GradioMCPServer._get_or_create_client = get_or_create_client
    GradioMCPServer.pop_returned_state = staticmethod(pop_returned_state)
    GradioMCPServer.get_input_schema = get_input_schema
    Server._make_error_result = make_error_result
    GradioMCPServer._mended = True


# a job joining the queue: the page's /queue/join, the REST API's /call/<name>, /run/<name>, /api/<name>
_JOB_ROUTE = re.compile(r"/(queue/join|(?:call|run|api)/(?:v2/)?([A-Za-z0-9_\-]+))/?$")
_MCP_ROUTE = re.compile(r"/mcp(?:/|$)")  # Gradio's MCP server (streamable HTTP and SSE messages)
_FILE_ROUTE = re.compile(r"/(?:file=|file/|proxy=)(.*)$", re.DOTALL)  # /gradio_api/file=..., /file/...


class GuardFileRoutes:
    """ASGI middleware: Gradio's file routes serve files from this disk only, never as a page.

    * ``/gradio_api/file=<url>`` makes Gradio fetch an http(s) URL from the server. It first
      checks that the host is public, but to decide that it asks dns.google when the local
      resolver has only private addresses: a request for ``http://169.254.169.254/`` makes the
      server reach out, and any public URL turns it into a proxy. This app serves no remote
      files, so every file route asked for a URL is refused here, before Gradio sees it.
    * Every answer from a file route carries ``X-Content-Type-Options: nosniff``: an upload
      named ``.png`` that holds HTML or SVG is never sniffed into a page with script.
    * A request body longer than ``max_body`` is refused: a base64 data URL rides inside the
      JSON of an API call and so skips the upload route's size limit. With a Content-Length the
      body is refused before it is read; a chunked body (no Content-Length) is read here, at
      most ``max_body`` bytes of it, and handed on only once it is known to fit. Uploads
      themselves are limited per file by Gradio (``max_file_size``).
    """

    def __init__(self, app: Any, max_body: int, ledger: Ledger | None = None) -> None:
        self.app = app
        self.max_body = max_body
        self.ledger = ledger

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        route = _FILE_ROUTE.search(path)
        if route and _NOT_A_LOCAL_PATH.match(route.group(1)):
            await _refuse(scope, send, 403, UserError("Only files on this server are served, not web addresses.",
                                                      key="error.remote_file"))
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        length = dict(scope.get("headers") or []).get(b"content-length")
        if scope.get("method") == "POST" and path.endswith("/upload") and self.ledger is not None:
            if length is None or not length.isdigit():
                await _refuse(scope, send, 411, UserError("Uploads need a Content-Length.", key="error.upload_length"))
                return
            refused = self.ledger.admit_upload(client, int(length))
            if refused is not None:
                await _refuse(scope, send, *refused)
                return
        reservation = None
        if scope.get("method") in ("POST", "PUT", "PATCH") and not path.endswith("/upload"):
            receive, reservation = await self._guard_post(scope, receive, send, path, client, length)
            if receive is None:
                return
        try:
            if route is None:
                await self.app(scope, receive, send)
                return

            async def send_nosniff(message: dict) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", []), (b"x-content-type-options", b"nosniff")]
                await send(message)

            await self.app(scope, receive, send_nosniff)
        finally:
            if reservation is not None:  # the job is in Gradio's queue now (or was refused there)
                self.ledger.release(reservation)

    async def _guard_post(self, scope: dict, receive: Callable, send: Callable, path: str, client: str,
                          length: bytes | None) -> tuple[Callable | None, int | None]:
        """A request body's checks: its size, a model job's share, an MCP call's upload rate and share.

        Returns:
            (the ``receive`` to hand on, a ledger reservation to release once the request is
            answered, or None), or (None, None) when the request was refused here.
        """
        ledger = self.ledger
        mb = self.max_body // 2**20 or 1
        too_large = UserError(f"The request is larger than {mb} MB.", key="error.request_too_large", mb=mb)
        job = ledger is not None and _JOB_ROUTE.search(path) is not None
        mcp = ledger is not None and _MCP_ROUTE.search(path) is not None
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _refuse(scope, send, 413, too_large)
            return None, None
        if length is not None and not (job or mcp):
            return receive, None
        body = await _read_at_most(receive, self.max_body)
        if body is None:
            await _refuse(scope, send, 413, too_large)
            return None, None
        receive = _replay(body, receive)
        if mcp:
            # an agent's files arrive as base64 inside its MCP calls: the page's upload rate and
            # quota apply per address; a tool call is a job of that address while it runs
            refused = ledger.admit_upload(client, len(body))
            if refused is not None:
                await _refuse(scope, send, *refused)
                return None, None
            if b'"tools/call"' not in body:
                return receive, None
            admitted = ledger.admit_job(client, None)
        elif job and not _from_mcp(scope):  # Gradio's MCP server calling itself: counted at its door
            admitted = self._admit_job(path, body, client)
        else:
            return receive, None
        if isinstance(admitted, UserError):
            await _refuse(scope, send, 429, admitted)
            return None, None
        return receive, admitted

    def _admit_job(self, path: str, body: bytes, client: str) -> int | UserError | None:
        """Whether a job may join the queue: model jobs count against their client's share
        (None: not a model job; an error: the refusal; else the ledger's reservation)."""
        route = _JOB_ROUTE.search(path)
        api_name = route.group(2) if route and route.group(2) else None
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return None  # Gradio answers malformed bodies itself
        if not isinstance(payload, dict):
            return None
        key = ("api", api_name) if api_name else ("fn", payload.get("fn_index"))
        if key not in self.ledger.job_events:
            return None
        session = payload.get("session_hash")
        return self.ledger.admit_job(client, str(session)[:64] if session else None)


async def _read_at_most(receive: Callable, limit: int) -> bytes | None:
    """The whole request body, or None once it passes ``limit`` bytes (the rest is not read)."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":  # the client left: nothing to hand on
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Callable) -> Callable:
    """A ``receive`` that gives the app ``body`` in one message, then what the client sends."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive_again() -> dict:
        return pending.pop() if pending else await receive()

    return receive_again


async def _refuse(scope: dict, send: Callable, status: int, refusal: UserError) -> None:
    """Answer ``status`` with the refusal said in the request's language (no handler has run, so
    the language is read from the request itself: :func:`~playground.locales.lang_of_scope`)."""
    body = json.dumps({"detail": said(refusal, lang_of_scope(scope))}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def max_request_body(max_file_size: int) -> int:
    """The largest API request body: an image at the upload limit, base64-encoded, plus the rest."""
    return max_file_size * 4 // 3 + 2**20
