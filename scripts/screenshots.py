"""Screenshots of every tab in English and Chinese, for a person to look at.

Run the app first (``python app.py``), then ``python scripts/screenshots.py --url http://127.0.0.1:7860/
--out shots/``. Drives Debian's Chromium (``/usr/bin/chromium``) through Playwright; never
downloads a browser. Each tab is used the way a person would (an example inspected, depths
compared, gradient flow measured) before its picture is taken. Each language is asked for in
the address (``?lang=zh``) by a browser set to the other one, at every width of ``--widths``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
expect.set_options(timeout=180_000)
EXAMPLE = ROOT / "assets" / "examples" / "cat.jpg"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
TABS = {
    "en": {"arch": "Architecture", "inspect": "Inspect", "compare": "Compare depths", "attr": "Attributions",
           "lab": "Why residual?", "train": "Train on your images"},
    "zh": {"arch": "网络结构", "inspect": "检视", "compare": "深度对比", "attr": "归因方法", "lab": "为什么要残差？",
           "train": "用你的图片训练"},
}


def shoot(url: str, out: Path, lang: str, tabs: list[str], chromium: str, width: int = 1400) -> None:
    names = TABS[lang]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
        # the address decides the language, so the browser is set to the other one
        context = browser.new_context(locale="en-US" if lang == "zh" else "zh-CN", viewport={"width": width, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(180_000)
        page.goto(f"{url}?lang={lang}", wait_until="domcontentloaded")
        expect(page.locator("#notice")).not_to_be_empty()
        expect(page.locator("#graph svg.main-svg").first).to_be_visible()
        page.wait_for_timeout(1500)
        page.screenshot(path=out / f"{lang}-{width}-architecture.png", full_page=True)
        if "inspect" in tabs or "compare" in tabs:
            page.get_by_role("tab", name=names["inspect"]).click()
            page.locator("#image input[type=file]").set_input_files(EXAMPLE)
            expect(page.locator("#image img").first).to_be_visible()
            page.wait_for_timeout(1000)
            page.locator("#run").click()
            expect(page.locator("#timeline img").first).to_be_visible()
            page.wait_for_timeout(1500)
            page.screenshot(path=out / f"{lang}-{width}-inspect.png", full_page=True)
        for tab in tabs:
            if tab in ("arch", "inspect"):
                continue
            page.get_by_role("tab", name=names[tab]).click()
            page.wait_for_timeout(500)
            button = page.locator(f"#{tab}-run, #{tab}").first
            if tab == "attr":
                page.locator("#attr-image input[type=file]").set_input_files(ROOT / "assets/examples/synthetic/1_ring.png")
                page.wait_for_timeout(1500)
            if button.count():
                button.click()
                page.wait_for_timeout(3000)
                page.wait_for_function("() => !document.querySelector('.progress-text, .eta-bar')", timeout=300_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=out / f"{lang}-{width}-{tab}.png", full_page=True)
        (out / f"{lang}-{width}-text.txt").write_text(page.locator("body").inner_text())
        browser.close()


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--url", default="http://127.0.0.1:7860/")
    a.add_argument("--out", type=Path, default=Path("shots"))
    a.add_argument("--langs", default="en,zh")
    a.add_argument("--tabs", default="arch,inspect,compare,lab")
    a.add_argument("--chromium", default="/usr/bin/chromium")
    a.add_argument("--widths", default="1400,1920", help="window widths in pixels, each a fresh page")
    args = a.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for lang in args.langs.split(","):
        for width in (int(w) for w in args.widths.split(",")):
            shoot(args.url, args.out, lang, args.tabs.split(","), args.chromium, width)


if __name__ == "__main__":
    main()
