"""One error policy for every handler: a plain message in the page, the traceback in the log.

A user's mistake (a bad picture, a bad checkpoint, a choice past the budget) is shown as it
is; anything else gets a generic message and is logged. The ``gr.Error`` is raised outside the
``except`` block, so the failed call's frames (and any GPU tensors they hold) are released
before the next request runs. Messages are shown in the request's language where a
translation is known, and are cut at :data:`MESSAGE_LIMIT` characters.
"""

from __future__ import annotations

import functools
import inspect
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr
import torch

from resnet_core.images import ImageError
from resnet_core.inspection import InspectionError
from resnet_core.weights import WeightsError

from .locales import lang_of, t

log = logging.getLogger("resnet_playground")

#: what a user can cause. Not KeyError: the library raises it only for a lookup the code itself
#: got wrong (a missing curve, a missing text), which is the server's fault, so it is logged and
#: shown as one; a name a user gives is checked with a ValueError.
USER_ERRORS: tuple[type[BaseException], ...] = (ImageError, InspectionError, WeightsError, ValueError)
#: the most characters of a message (and so of any value it quotes) that reach the page or the log
MESSAGE_LIMIT = 600


# Chinese for the library's most common messages; anything else is shown as it is, after a
# Chinese lead-in, so a reader always sees what went wrong.
_ZH_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE | re.DOTALL), zh)
    for p, zh in (
        (r"^Upload an image in the Inspect tab first", "请先在“检视”页上传一张图片（或选一个示例）。"),
        (r"^Upload an image first", "请先上传一张图片（或选一个示例）。"),
        (r"^Run an inspection first", "请先运行一次检视。"),
        (r"^Your last inspection has expired", "你上一次的检视结果已过期；请重新运行。"),
        (r"^your checkpoint has expired", "你的检查点已从本会话中过期；请重新载入。"),
        (r"already has (\d+) jobs waiting or running", r"已经有 \1 个任务在排队或运行；请等它们完成（或读取它们的结果）后再发送。"),
        (r"^Too many uploads", "上传太频繁：请一分钟后再试。"),
        (r"upload space is full", "服务器的上传空间已满；请几分钟后再试。"),
        (r"^(.*) has ([\d.]+M) parameters; this server runs networks of up to ([\d.]+M)", r"\1 有 \2 个参数；本服务器只运行不超过 \3 个参数的网络（ResNet-152 有 60.2M）。网络结构页仍然可以显示它。"),
        (r"^(.*) at (\d+)×(\d+) takes (\d+) GMACs per pass; this server allows ([\d.]+)\.", r"\1 在 \2×\3 输入下每次前向需要 \4 GMACs；本服务器最多允许 \5。请选择更小的输入尺寸或更小的网络。"),
        (r"^input sides must be between 1 and (\d+) pixels", r"输入边长必须在 1 到 \1 像素之间。"),
        (r"not an image|cannot identify|could not be read as an image", "这个文件不是可读的图片。"),
        (r"^The file is empty", "文件是空的。"),
        (r"too many pixels|pixels; the limit", "图片像素太多，超过了服务器的上限。"),
        (r"^unknown class", "未知的类别：请从列表中选择，或输入类别编号。"),
        (r"^block counts", "每个阶段的残差块数应是四个整数，例如 2, 2, 2, 2。"),
        (r"^give one block count per stage \((\d+)\), got (\d+)", r"每个阶段给一个残差块数（共 \1 个），这里给了 \2 个。"),
        (r"^each stage needs between (\d+) and (\d+) blocks, got (.*)", r"每个阶段需要 \1 到 \2 个残差块，这里是 \3。"),
        (r"^choose a \.safetensors or \.pth file|^checkpoints are accepted as", "请选择一个 .safetensors 或 .pth 文件。"),
        (r"^upload a checkpoint", "请先上传检查点文件（.safetensors 或 .pth），或选择其他权重。"),
        (r"checkpoint was loaded for another architecture", "你的检查点是为另一个结构载入的；请为当前结构重新载入。"),
        (r"^Files are taken from uploads only", "文件只能通过上传提供，不能是网址。"),
        (r"^This session belongs to another browser", "这个会话属于另一个浏览器；请刷新页面，开始你自己的会话。"),
        (r"^The server is holding as much as it can", "服务器正在为运行中的任务保留内存，已无空间；请几分钟后再试，或选择更小的输入。"),
    )
)


def localize(message: str, lang: str) -> str:
    """``message`` (English, from the library) in ``lang``."""
    message = message if len(message) <= MESSAGE_LIMIT else message[: MESSAGE_LIMIT - 1] + "…"
    if lang != "zh":
        return message
    for pattern, zh in _ZH_PATTERNS:
        match = pattern.search(message)
        if match:
            return match.expand(zh) if "\\" in zh else zh
    return f"出错了：{message}"


def message_for(exc: BaseException, lang: str = "en") -> str:
    """What the page says about ``exc``."""
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return t("err_oom_gpu", lang)
    if isinstance(exc, MemoryError):
        return t("err_oom", lang)
    if isinstance(exc, USER_ERRORS):
        return localize(str(exc) or type(exc).__name__, lang)
    return t("err_generic", lang)


def _describe(exc: BaseException, handler: str, lang: str) -> tuple[str, type, str]:
    """Log what the user must not see; keep only the message, the type and the language (no frames)."""
    if not isinstance(exc, USER_ERRORS):
        log.exception("handler %s failed", handler)
    return message_for(exc, lang), type(exc), lang


def _error(message: str, exc_type: type, lang: str) -> gr.Error:
    if issubclass(exc_type, torch.cuda.OutOfMemoryError) and torch.cuda.is_available():
        torch.cuda.empty_cache()
    # the title reaches API clients; Gradio 6.31's page shows its own word, which locales.toast_css translates
    return gr.Error(message, title=t("err_title", lang))


def _request_lang(args: tuple, kwargs: dict) -> str:
    for value in (*args, *kwargs.values()):
        if isinstance(value, gr.Request):
            return lang_of(value)
    return "en"


def friendly(fn: Callable) -> Callable:
    """Decorate a handler: user mistakes and faults become a ``gr.Error`` with a plain message.

    A handler that takes a ``gr.Request`` gets its messages in the request's language.
    """
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Iterator:
            try:
                yield from fn(*args, **kwargs)
                return
            except gr.Error:
                raise
            except Exception as exc:  # noqa: BLE001 - every failure gets a clear message
                failure = _describe(exc, fn.__name__, _request_lang(args, kwargs))
            raise _error(*failure)

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure gets a clear message
            failure = _describe(exc, fn.__name__, _request_lang(args, kwargs))
        raise _error(*failure)

    return wrapper
