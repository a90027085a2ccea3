"""The library's mistakes reach the page in the reader's language, by key, with no English left.

Each case is a real failing call into resnet_core or the page's parsing, run through the page's
error policy (:func:`playground.errors.friendly`) as a Chinese request; the catalogue's entry is
filled with the error's own fields. An error raised without a key falls back to its English.
"""

from __future__ import annotations

import io
import pickle
import re
import zipfile
from collections.abc import Callable, Iterator

import gradio as gr
import httpx
import pytest
from _pictures import natural_image

from playground.choices import parse_depth, parse_side, top_k
from playground.errors import friendly
from playground.sessions import SessionStore
from playground.tabs.receptive import parse_channels, parse_position
from playground.tabs.train import current
from resnet_core.attributions.registry import layer_of
from resnet_core.checkpoints import read_checkpoint
from resnet_core.errors import Term, UserError
from resnet_core.images import ImageError, load_image
from resnet_core.lab.landscape import loss_landscape_steps
from resnet_core.lab.lesion import load_lesions, path_counts
from resnet_core.model import build_resnet
from resnet_core.receptive import field_boxes, receptive_fields
from resnet_core.serving import BudgetError, ModelService, ServiceConfig
from resnet_core.text import parse_int
from resnet_core.transfer.data import from_sources, from_zip
from resnet_core.weights import load_checkpoint
from viz.locales import TABLES

ZH = gr.Request(query_params={"lang": "zh"}, headers={})
EN = gr.Request(query_params={"lang": "en"}, headers={})
#: Latin words a Chinese message may quote: the network's name, file formats, numbers' units
NAMES = {"ResNet", "CIFAR", "GMACs", "M", "PNG", "JPEG", "WebP", "GIF", "BMP", "TIFF", "CPU", "safetensors", "pth"}
#: what a message quotes from a checkpoint or a network: its entries' and layers' names
QUOTED = {"fc", "weight", "layer"}


def shown(call: Callable[[], object], request: gr.Request) -> str:
    """What the page says when ``call`` fails inside a handler answering ``request``."""

    @friendly
    def handler(request: gr.Request) -> object:
        return call()

    with pytest.raises(gr.Error) as err:
        handler(request)
    return err.value.message


def english(text: str) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in NAMES | QUOTED}


def over_budget() -> None:
    ModelService(ServiceConfig(device="cpu", max_params=30e6, warm_up=False)).check_cost(152, "v1.5", 224)


def too_much_work() -> None:
    ModelService(ServiceConfig(device="cpu", max_gmacs=5, warm_up=False)).check_cost(50, "v1.5", 448)


def zipped(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def truncated_safetensors() -> None:
    import safetensors.torch
    import torch

    data = safetensors.torch.save({"w": torch.zeros(100)})
    read_checkpoint(data[:-64], filename="模型.safetensors")


def pth_for_ten_classes() -> None:
    # a ResNet-18 fine-tuned for 10 classes, loaded into torchvision's 1000-class layout
    import torch

    model = build_resnet(18)
    state = model.state_dict()
    state["fc.weight"], state["fc.bias"] = torch.zeros(10, 512), torch.zeros(10)
    buf = io.BytesIO()
    torch.save(state, buf)
    load_checkpoint(model, buf.getvalue(), filename="模型.pth")


def png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(natural_image(32, 32)).save(buf, format="PNG")
    return buf.getvalue()


CASES = {
    "a text file": (lambda: load_image(b"just some words, not a picture\n" * 4), "error.image_text"),
    "random bytes": (lambda: load_image(bytes(range(256)) * 8), "error.not_an_image"),
    "an empty file": (lambda: load_image(b""), "error.image_empty"),
    "a depth over the parameter budget": (over_budget, "error.budget_params"),
    "a depth and size over the work budget": (too_much_work, "error.budget_macs_fits"),
    "block counts that are not numbers": (lambda: parse_depth("custom", "a, b, c, d", "basic"), "error.block_counts"),
    "three block counts": (lambda: parse_depth("custom", "3, 4, 6", "basic"), "error.block_count_number"),
    "a stage with no block": (lambda: parse_depth("custom", "0, 1, 1, 1", "basic"), "error.blocks_per_stage"),
    "an input side past the limit": (lambda: parse_side(100000), "error.input_sides"),
    "a zip with no pictures": (lambda: from_zip(zipped({"readme/": b""})), "error.transfer_zip_empty"),
    "a file that is not a zip": (lambda: from_zip(b"these are words, not an archive"), "error.transfer_not_zip"),
    "a class with one picture": (lambda: from_sources({"猫": [png()], "狗": [png(), png()]}), "error.transfer_class_few"),
    "one class": (lambda: from_sources({"猫": [png(), png()]}), "error.transfer_one_class"),
    # the picture's own error is a field of the data set's, said in the same language
    "a text file among a class's pictures": (
        lambda: from_sources({"猫": [png(), b"just some words, not a picture\n" * 4], "狗": [png(), png()]}),
        "error.transfer_image",
    ),
    "an export before any training": (lambda: current(SessionStore(), None, ZH), "error.train_first"),
    # whole numbers people type: the number's name is said in the page's language too
    "a number with an underscore": (lambda: parse_int("6_4"), "error.whole_number_digits"),
    "a number past its range": (lambda: parse_int("12", low=1, high=10), "error.whole_number_range"),
    "an input size that is not a number": (lambda: parse_side("7x"), "error.size_whole"),
    "a top-k that is not a number": (lambda: top_k("七"), "error.top_k_whole"),
    "a position of one number": (lambda: parse_position("7"), "error.position"),
    "channel numbers that are not numbers": (lambda: parse_channels("一, 二"), "error.channels"),
    # the lab's checks name the argument as the code does (quoted as code in Chinese)
    "a lab count out of range": (lambda: path_counts(0), "error.lab_integer"),
    "a landscape depth that is not 6n+2": (lambda: next(loss_landscape_steps(depth=21)), "error.cifar_depth"),
    # a user's checkpoint: cut short, or trained for another number of classes (the hint is said too)
    "a truncated safetensors file": (truncated_safetensors, "error.safetensors_truncated"),
    "a .pth with the wrong shapes": (pth_for_ten_classes, "error.checkpoint_shape"),
    # a position past a small input's last block output (a 32-pixel input leaves layer4 one cell)
    "a position outside a small input's output": (
        lambda: field_boxes(receptive_fields(build_resnet(18), 32), "layer4.1", (3, 3)), "error.position_outside"),
    # a layer typed by hand for Grad-CAM that the network lacks
    "a Grad-CAM layer the network lacks": (lambda: layer_of(build_resnet(18), "layer9"), "error.attr_no_layer"),
    "a landscape grid too large for a CPU": (
        lambda: next(loss_landscape_steps(grid=51, depth=20, device="cpu")), "error.landscape_cpu_grid"),
}


def expected(exc: UserError, lang: str) -> str:
    """The catalogue's entry of ``exc`` in ``lang``, an error among its fields said by its own entry."""
    if exc.key is None:  # a Term that is a name (a network's) or nothing: the same in every language
        return str(exc)
    fields = {k: expected(v, lang) if isinstance(v, (UserError, Term)) else v for k, v in exc.fields.items()}
    return TABLES[lang][exc.key].format(**fields)


@pytest.mark.parametrize("case", CASES)
def test_a_real_mistake_is_said_in_chinese_from_its_key(case: str) -> None:
    call, key = CASES[case]
    with pytest.raises(UserError) as err:
        call()
    assert err.value.key == key
    zh = shown(call, ZH)
    assert zh == expected(err.value, "zh")
    assert not english(zh), zh
    assert re.search(r"[\u4e00-\u9fff]", zh)
    # the English page says the catalogue's English, which is the library's own wording (what
    # server tests and API clients match)
    assert shown(call, EN) == expected(err.value, "en") == str(err.value)


@pytest.mark.parametrize(
    ("content", "key"),
    [('{"format": "resnet-lab-race/1"}', "error.saved_format"), ('{"format": "resnet-lesion', "error.saved_malformed")],
    ids=["another-kind-of-run", "cut-short"],
)
def test_a_corrupt_saved_run_is_said_in_chinese_with_its_kind(tmp_path, content: str, key: str) -> None:
    # the Argument tab reads the saved lesion study (playground/tabs/argument.py) through this reader
    path = tmp_path / "lesions.json"
    path.write_text(content)
    with pytest.raises(UserError) as err:
        load_lesions(path)
    assert err.value.key == key and err.value.fields["what"].key == "error.term_lesion"
    zh = shown(lambda: load_lesions(path), ZH)
    assert zh == expected(err.value, "zh")
    assert TABLES["zh"]["error.term_lesion"] in zh and "lesion " not in zh
    assert shown(lambda: load_lesions(path), EN) == str(err.value)
    assert str(err.value).startswith("lesions.json is not a lesion file")


def test_the_budget_names_its_numbers_in_both_languages() -> None:
    with pytest.raises(BudgetError) as err:
        over_budget()
    assert err.value.fields["name"] == "ResNet-152" and err.value.kind == "params"
    zh = shown(over_budget, ZH)
    assert "ResNet-152" in zh and "60.2M" in zh and "30.0M" in zh  # torchvision's resnet152: 60.19M parameters


def test_an_error_without_a_key_is_shown_in_its_own_words_after_a_chinese_lead_in() -> None:
    def fails() -> None:
        raise ValueError("the flux capacitor is not charged")

    assert shown(fails, ZH) == "出错了：the flux capacitor is not charged"
    assert shown(fails, EN) == "the flux capacitor is not charged"


def test_a_keyed_error_keeps_its_key_and_fields_across_a_process_boundary() -> None:
    # Ray Serve replicas send a user's mistake back pickled
    with pytest.raises(ImageError) as err:
        load_image(b"")
    again = pickle.loads(pickle.dumps(err.value))
    assert (type(again), str(again), again.key, again.fields) == (ImageError, str(err.value), "error.image_empty", {})
    with pytest.raises(UserError) as err:
        parse_depth("custom", "0, 1, 1, 1", "basic")
    again = pickle.loads(pickle.dumps(err.value))
    assert (again.key, again.fields) == (err.value.key, err.value.fields)


# ------------------------------------------------------------------ refusals before any handler


def refused_upload(server_url: str, headers: dict[str, str]) -> httpx.Response:
    """An upload sent with no Content-Length (a chunked body): the guard refuses it unread."""

    def body() -> Iterator[bytes]:
        yield b"--x\r\nContent-Disposition: form-data; name=files; filename=a.png\r\n\r\n"
        yield b"0" * 1000
        yield b"\r\n--x--\r\n"

    with httpx.Client(base_url=server_url, timeout=60, trust_env=False) as h:
        return h.post("gradio_api/upload", content=body(),
                      headers={"content-type": "multipart/form-data; boundary=x", **headers})


def test_a_refused_upload_is_said_in_the_browser_s_language(app_server) -> None:
    zh = refused_upload(app_server.url, {"Accept-Language": "zh-CN,zh;q=0.9"})
    assert zh.status_code == 411
    assert zh.json()["detail"] == TABLES["zh"]["error.upload_length"]
    assert re.search(r"[\u4e00-\u9fff]", zh.json()["detail"])
    en = refused_upload(app_server.url, {"Accept-Language": "en-GB,en;q=0.9"})
    assert (en.status_code, en.json()["detail"]) == (411, "Uploads need a Content-Length.")
    # a page opened as ?lang=zh in an English browser: the page's address rides in the Referer
    zh = refused_upload(app_server.url, {"Accept-Language": "en-GB", "Referer": f"{app_server.url}?lang=zh"})
    assert zh.json()["detail"] == TABLES["zh"]["error.upload_length"]
