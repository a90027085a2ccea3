"""The page in a real browser (issue 4.4): Playwright drives Debian's Chromium against the real
server (``_server.py``), as a person would: load, read the notice, see the block graph, open
*Inspect*, upload an example, press the button, and wait for every picture to arrive.

Never downloads a browser. Without Chromium the tests skip, unless
``RESNET_PLAYGROUND_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where they fail. Screenshots go
to ``tests/artifacts/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _server import ROOT, Server

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

CHROMIUM = Path(os.environ.get("RESNET_PLAYGROUND_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
EXAMPLE = ROOT / "assets" / "examples" / "cat.jpg"
VIEWPORT = {"width": 1400, "height": 1000}
LOAD_MS = 120_000  # the first page load waits for the status and the architecture events
INSPECT_MS = 180_000  # a ResNet-50 forward, backward and timeline on a busy 2-core CPU


def _unavailable(reason: str) -> None:
    if os.environ.get("RESNET_PLAYGROUND_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (RESNET_PLAYGROUND_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, or a skip (a failure on CI) that says why; checked before any server starts."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("playwright (python) is not installed")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium); these tests never download a browser")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=str(chromium), headless=True, args=LAUNCH_ARGS, timeout=60_000)
        except PlaywrightError as exc:
            _unavailable(f"Chromium at {chromium} would not start: {exc}")
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page_for(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``page_for(locale)``: a fresh context and page; closed after the test, screenshotted if it failed."""
    contexts: list[Any] = []
    failures_before = request.session.testsfailed

    def make(locale: str) -> Any:
        context = browser.new_context(locale=locale, viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        return page

    try:
        yield make
    finally:
        failed = request.session.testsfailed > failures_before  # the call's report is counted before teardown
        for i, context in enumerate(contexts):
            for page in context.pages if failed else ():
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                try:
                    page.screenshot(path=ARTIFACTS / f"failed-{request.node.name}-{i}.png", full_page=True, timeout=10_000)
                except Exception:  # noqa: BLE001 - a screenshot is a courtesy, not the test
                    pass
            context.close()


def _no_error_toast(page: Any) -> None:
    toasts = page.locator("[data-testid=toast-body]")
    assert toasts.count() == 0, f"the page shows an error: {toasts.first.inner_text()}"


def _decoded(page: Any, selector: str) -> Any:
    """The first ``<img>`` under ``selector``, once the browser has fully decoded it."""
    img = page.locator(selector).first
    img.wait_for(state="visible", timeout=INSPECT_MS)
    img.evaluate("el => el.decode()")  # rejects when the file is not a picture
    assert img.evaluate("el => el.naturalWidth > 0 && el.naturalHeight > 0"), f"{selector} is broken"
    return img


def test_page_inspects_an_example_end_to_end(chromium: Path, app_server: Server, page_for: Any) -> None:
    from playwright.sync_api import expect

    page = page_for("en-US")
    page.goto(app_server.url, wait_until="domcontentloaded", timeout=LOAD_MS)

    # the warning about random weights comes first, above the controls and the tabs
    notice = page.locator("#notice")
    expect(notice).to_contain_text("random weights", timeout=LOAD_MS)
    expect(notice).to_contain_text("Device: CPU")
    tabs = page.get_by_role("tab", name="Architecture")
    assert notice.bounding_box()["y"] < page.locator("#depth").bounding_box()["y"] < tabs.bounding_box()["y"]

    # the block graph is drawn by plotly, and the shape table is filled in
    expect(page.locator("#graph svg.main-svg").first).to_be_visible(timeout=LOAD_MS)
    assert page.locator("#graph .scatterlayer .trace").count() > 0, "the block graph has no traces"
    expect(page.locator("#shape-table")).to_contain_text("⌊(224 + 2·3 − 7)/2⌋ + 1 = 112", timeout=LOAD_MS)

    page.get_by_role("tab", name="Inspect").click()
    page.locator("#image input[type=file]").set_input_files(EXAMPLE)
    _decoded(page, "#image img")  # the upload shows as a preview
    page.locator("#run").click()

    overlay = _decoded(page, "#overlay img")
    assert overlay.bounding_box()["width"] > 50
    _decoded(page, "#gallery img")
    expect(page.get_by_text("Grad-CAM at the stem and every stage")).to_be_visible()  # its heading
    _decoded(page, "#timeline img")
    expect(page.get_by_text("Grad-CAM at layer4 for")).to_be_visible(timeout=INSPECT_MS)
    _no_error_toast(page)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "inspect.png", full_page=True)

    # "Top-k only": one fast forward pass, the predictions and the timing line replaced
    page.locator("#quick").click()
    expect(page.get_by_text("forward pass only: no Grad-CAM")).to_be_visible(timeout=INSPECT_MS)
    _no_error_toast(page)


ZH_LABELS = ("网络结构", "检视", "深度", "变体", "权重", "选择深度，上传图片")


def test_page_speaks_chinese(chromium: Path, app_server: Server, page_for: Any) -> None:
    from playwright.sync_api import expect

    page = page_for("zh-CN")
    page.goto(app_server.url, wait_until="domcontentloaded", timeout=LOAD_MS)
    expect(page.get_by_role("tab", name="检视")).to_be_visible(timeout=LOAD_MS)
    body = page.locator("body")
    for text in ZH_LABELS:
        expect(body).to_contain_text(text)
    page.get_by_role("tab", name="检视").click()
    label = page.locator("#image [data-testid=block-label]")
    expect(label).to_have_text("图片")  # not "[object Object]": the i18n key must not clash with Gradio's own
    expect(page.locator("#run")).to_have_text("检视")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "inspect-zh.png", full_page=True)


# Words a Chinese page may show in Latin letters: names, code, units and identifiers.
ALLOWED_LATIN = {
    "resnet", "resnet-", "grad-cam", "gradcam", "pytorch", "torchvision", "torch", "captum", "gradio", "api", "cpu", "gpu",
    "cuda", "bn", "relu", "conv", "fc", "avgpool", "maxpool", "stem", "downsample", "v1", "v1.5", "preact", "default",
    "imagenet", "imagenet1k", "imagenet1k_v1", "imagenet1k_v2", "cifar", "safetensors", "pth", "pt", "macs", "gmacs",
    "flops", "mmacs", "m", "k", "g", "b", "ms", "s", "x", "f", "he", "logit", "top-k", "plain", "plain-", "spearman", "ssim",
    "pca", "sgd", "adam", "id", "jet", "viridis", "inferno", "turbo", "gray", "png", "jpeg", "jpg", "zip", "webcam",
    "smoothgrad", "vargrad", "shap", "deeplift", "lrp", "rise", "auc", "n", "h", "w", "c", "et", "al", "arxiv",
    "bn-relu", "top-1", "top-5", "json", "skipinit", "autograd", "cifar-10", "log10", "e", "d", "dt", "t", "python", "scripts", "zero-init", "zero_init_residual",
    # authors the page cites, and the machine a saved run names
    "li", "yang", "balduzzi", "adebayo", "petsiuk", "goyal", "zhang", "fixup", "veit", "huang", "de", "smith", "amd", "epyc", "intel", "xeon", "nvidia",
} | {f"layer{i}" for i in range(1, 5)}


def latin_words(text: str) -> list[str]:
    """The words of ``text`` written in Latin letters, lower-cased, outside the allow-list."""
    import re

    text = re.sub(r"“[^”]*”", " ", text)  # quoted names are the data set's own (ImageNet classes)
    words = re.findall(r"[A-Za-z][A-Za-z0-9_\-.']*[A-Za-z0-9]|[A-Za-z]", text)
    names = r"(?:layer\d(?:\.\d+)?|(?:resnet|plain)-(?:\d+|n)|imagenet-?\d*|v\d(?:\.\d)?|cu\d+|[a-z]\d?|\w+\.py)"
    return [w for w in words if w.lower().strip(".-'") not in ALLOWED_LATIN and not re.fullmatch(names, w, re.IGNORECASE)]


# what a panel shows that is data, not the page's words: class names of ImageNet, code, file names
_VISIBLE_TEXT_JS = """
(root) => {
  const skip = el => el.closest('#block-code, #preds, #compare-table, .data-en, .cm-editor, code, pre, [data-testid=image] button');
  const out = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const el = node.parentElement;
      if (!el || skip(el)) return;
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden' || style.fontSize === '0px' || !el.getClientRects().length) return;
      out.push(node.textContent);
      return;
    }
    for (const child of node.childNodes) walk(child);
  };
  walk(root);
  return out.join(' ');
}
"""


def method_words() -> set[str]:
    """The words of captum's method names (Guided Backprop, Integrated Gradients, ...)."""
    import re

    from resnet_core.attributions.registry import METHODS

    return {w.lower() for info in METHODS.values() for w in re.findall(r"[A-Za-z0-9²\-]+", info.label)}


def _visible_text(page: Any) -> str:
    """The words a person sees now, once nothing is pending (Gradio's queue and progress texts)."""
    page.wait_for_function("() => !document.querySelector('.progress-text, .eta-bar, .meta-text')", timeout=INSPECT_MS)
    return page.locator("body").evaluate(_VISIBLE_TEXT_JS)


def test_every_tab_speaks_chinese_after_use(chromium: Path, app_server: Server, page_for: Any) -> None:
    """With the browser in zh-CN, use each tab as a person would, then read every visible word:
    nothing in English outside names, code, units and the data set's own class names."""
    from playwright.sync_api import expect

    page = page_for("zh-CN")
    page.goto(app_server.url, wait_until="domcontentloaded", timeout=LOAD_MS)
    expect(page.locator("#notice")).to_contain_text("随机权重", timeout=LOAD_MS)
    expect(page.locator("#graph svg.main-svg").first).to_be_visible(timeout=LOAD_MS)
    found: dict[str, list[str]] = {}
    found["arch"] = latin_words(_visible_text(page))

    page.get_by_role("tab", name="检视").click()
    page.locator("#image input[type=file]").set_input_files(EXAMPLE)
    _decoded(page, "#image img")
    page.locator("#run").click()
    _decoded(page, "#timeline img")
    expect(page.locator("#cam-caption")).to_contain_text("Grad-CAM", timeout=INSPECT_MS)
    page.wait_for_timeout(1000)
    found["inspect"] = latin_words(_visible_text(page))

    page.get_by_role("tab", name="为什么要残差？").click()
    page.locator("#lab-run").click()
    expect(page.locator("#flow-text")).not_to_be_empty(timeout=INSPECT_MS)
    page.wait_for_timeout(1000)
    found["lab"] = latin_words(_visible_text(page))
    _no_error_toast(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "lab-zh.png", full_page=True)

    # attributions on the shipped toy model; the methods' names are proper names
    page.get_by_role("tab", name="归因方法").click()
    page.locator("#attr-image input[type=file]").set_input_files(ROOT / "assets/examples/synthetic/1_ring.png")
    _decoded(page, "#attr-image img")
    page.locator("#attr-run").click()
    expect(page.locator("#attr-verdict")).to_contain_text("归因图", timeout=INSPECT_MS)
    found["attributions"] = [w for w in latin_words(_visible_text(page)) if w.lower() not in method_words()]
    _no_error_toast(page)

    # training: start on the bundled set, stop after the first updates
    page.get_by_role("tab", name="用你的图片训练").click()
    page.locator("#train-run").click()
    expect(page.locator("#train-status")).to_contain_text("个类别", timeout=INSPECT_MS)
    page.locator("#train-stop").click()
    # Stop keeps what was trained: the status says where it stopped, the analysis is drawn
    expect(page.locator("#train-status")).to_contain_text("你停止时（第", timeout=INSPECT_MS)
    classes = {p.name for p in (ROOT / "assets/datasets/textures").iterdir()}  # the data's own names, on the axes
    found["train"] = [w for w in latin_words(_visible_text(page)) if w not in classes]
    _no_error_toast(page)
    page.screenshot(path=ARTIFACTS / "train-zh.png", full_page=True)
    english = {tab: sorted(set(words)) for tab, words in found.items() if words}
    assert not english, f"English words on the Chinese page: {english}"


def _cjk(text: str) -> list[str]:
    """The runs of Chinese characters in ``text``."""
    import re

    return re.findall(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+", text)


@pytest.mark.parametrize(("lang", "browser_locale"), [("zh", "en-US"), ("en", "zh-CN")])
def test_the_address_decides_the_language_over_the_browser(chromium: Path, app_server: Server, page_for: Any,
                                                          lang: str, browser_locale: str) -> None:
    """``?lang=`` wins over the browser's language for every word: the tab title, the tabs, the
    labels and buttons Gradio draws, the handlers' text, and an error toast with its title."""
    from playwright.sync_api import expect

    page = page_for(browser_locale)
    page.goto(f"{app_server.url}?lang={lang}", wait_until="domcontentloaded", timeout=LOAD_MS)
    names = {"zh": ("网络结构", "检视", "随机权重", "ResNet 游乐场"), "en": ("Architecture", "Inspect", "random weights", "ResNet playground")}
    arch, inspect_tab, random_words, title = names[lang]
    expect(page.locator("#notice")).to_contain_text(random_words, timeout=LOAD_MS)
    expect(page.get_by_role("tab", name=arch)).to_be_visible()
    expect(page.locator("#graph svg.main-svg").first).to_be_visible(timeout=LOAD_MS)
    assert page.title() == title

    # an error toast, from Inspect without a picture: its title and its message in the page's language
    page.get_by_role("tab", name=inspect_tab).click()
    page.locator("#run").click()
    toast = page.locator("[data-testid=toast-body]").first
    expect(toast).to_be_visible(timeout=INSPECT_MS)
    # Gradio writes the toast's type as its title; the page's CSS shows its own word instead
    shown_title = page.locator("[data-testid=toast-body] .toast-title").first.evaluate(
        "el => getComputedStyle(el).fontSize === '0px' ? getComputedStyle(el, '::before').content : el.innerText"
    )
    assert shown_title.strip().strip('"') == ("出错了" if lang == "zh" else "Error")
    expect(toast).to_contain_text("请先" if lang == "zh" else "Upload an image")
    text = _visible_text(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"address-{lang}-in-{browser_locale}.png", full_page=True)
    if lang == "zh":
        english = sorted(set(latin_words(text)))
        assert not english, f"English words on the ?lang=zh page in an {browser_locale} browser: {english}"
    else:
        chinese = sorted(set(_cjk(text)))
        assert not chinese, f"Chinese words on the ?lang=en page in a {browser_locale} browser: {chinese}"


def test_the_banner_follows_custom_counts_and_a_bad_count_is_said_once(chromium: Path, app_server: Server,
                                                                       page_for: Any) -> None:
    """3, 4, 6, 3 bottlenecks are torchvision's ResNet-50: the banner says so (it used to keep the
    last standard depth); a count that does not parse is said once, by the totals, with no toast."""
    from playwright.sync_api import expect

    page = page_for("en-US")
    page.goto(f"{app_server.url}?lang=en", wait_until="domcontentloaded", timeout=LOAD_MS)
    expect(page.locator("#notice")).to_contain_text("ResNet-50", timeout=LOAD_MS)
    page.locator("#depth input").click()
    page.get_by_role("option", name="ResNet-18").click()
    expect(page.locator("#notice")).to_contain_text("ResNet-18", timeout=LOAD_MS)
    page.locator("#depth input").click()
    page.get_by_role("option", name="custom").click()
    page.get_by_role("radio", name="bottleneck").click()
    counts = page.locator("#counts textarea, #counts input").first
    counts.fill("3, 4, 6, 3")
    counts.press("Enter")
    expect(page.locator("#notice")).to_contain_text("ResNet-50", timeout=LOAD_MS)
    expect(page.locator("#totals")).to_contain_text("ResNet-50", timeout=LOAD_MS)

    counts.fill("3, 4")
    counts.press("Enter")
    counts.blur()  # submit and blur both fire: still one message
    expect(page.locator("#totals")).to_contain_text("give one block count per stage (4), got 2", timeout=LOAD_MS)
    page.wait_for_timeout(2000)
    _no_error_toast(page)
    assert page.get_by_text("give one block count per stage").count() == 1
    assert page.locator("#totals [data-testid=status-tracker] .error").count() == 0  # no "Error" badge over it
