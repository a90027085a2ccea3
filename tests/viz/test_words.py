"""The one word catalogue: both languages hold the same keys and fields, every key is used, Chinese is Chinese.

The catalogue (``viz/locales/{en,zh}.py``) holds every word the figures and the page show and
every error a :class:`resnet_core.errors.UserError` names by key. This file is its one parity
test: it replaces the per-module ``TEXT`` checks that each figure module's tests used to carry.
"""

from __future__ import annotations

import ast
import re
import string
from functools import cache
from pathlib import Path

import pytest

from viz.locales import LANGS, TABLES, check_lang, section, t

ROOT = Path(__file__).resolve().parents[2]
#: where words are asked for by key (the catalogue's own files are not scanned)
SOURCES = ("viz", "playground", "resnet_core", "app.py")
#: format fields that only English needs: plural endings (Chinese has no plural forms)
PLURAL_FIELDS = {"s", "s_verb"}
#: Latin words a Chinese entry may hold: names, units, code and PyTorch names, letters of formulas
ALLOWED_LATIN = {
    "ResNet", "PyTorch", "Grad", "CAM", "BN", "ReLU", "RGB", "MACs", "GMACs", "MMACs", "CIFAR", "ImageNet",
    "torchvision", "captum", "SmoothGrad", "VarGrad", "Shapley", "Integrated", "Gradients", "Occlusion", "Feature",
    "Ablation", "SkipInit", "Fixup", "PCA", "JSON", "PNG", "JPEG", "WebP", "GIF", "BMP", "TIFF", "safetensors",
    "pth", "pickle", "state_dict", "torch", "save", "top", "et", "al",
}


class _Anything:
    """A value any format field accepts: a number spec, an index, an attribute."""

    def __format__(self, spec: str) -> str:
        return format(1.5, spec) if spec and spec[-1] in "defgn%," else "x"

    def __getitem__(self, _: object) -> _Anything:
        return self

    def __getattr__(self, _: str) -> _Anything:
        return self


def fields(text: str) -> set[str]:
    """The names ``str.format`` fills in ``text``."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_hold_the_same_keys() -> None:
    assert set(TABLES) == set(LANGS) == {"en", "zh"}
    assert set(TABLES["en"]) == set(TABLES["zh"])
    assert all(isinstance(v, str) and v for table in TABLES.values() for v in table.values())


def test_both_languages_fill_the_same_fields() -> None:
    differ = {}
    for key, text in TABLES["en"].items():
        en, zh = fields(text), fields(TABLES["zh"][key])
        if not (zh <= en and en - zh <= PLURAL_FIELDS):
            differ[key] = en ^ zh
        # both format with the English fields, so neither side fails where the other works
        values = dict.fromkeys(en, _Anything())
        for lang in LANGS:
            TABLES[lang][key].format(**values)
    assert differ == {}


def _latin_runs(text: str) -> list[str]:
    """Runs of three or more Latin words (an English phrase), after markup, fields, formulas and links."""
    text = re.sub(r"<[^>]*>|%\{[^}]*\}|\{[^}]*\}|\$\$.*?\$\$|\$[^$]*\$|`[^`]*`|\]\([^)]*\)|https?://\S+", " ", text,
                  flags=re.S)
    runs = re.findall(r"[A-Za-z][\w'’-]*(?:[ ,]+[A-Za-z][\w'’-]*){2,}", text)
    return [r for r in runs if sum(len(w) > 1 and w not in ALLOWED_LATIN for w in re.findall(r"[A-Za-z][\w'’-]*", r)) >= 2]


def test_chinese_entries_have_no_english_phrases() -> None:
    english = {k: runs for k, v in TABLES["zh"].items() if (runs := _latin_runs(v))}
    assert english == {}


def test_the_phrase_check_catches_english() -> None:
    # the English catalogue must trip it, or the check above checks nothing
    caught = [k for k, v in TABLES["en"].items() if _latin_runs(v)]
    assert len(caught) > len(TABLES["en"]) // 2
    assert _latin_runs("ResNet-50 的权重 is not ready yet") and not _latin_runs("ResNet-50 的 Grad-CAM 与 BN")


def test_keys_the_browser_sees_have_no_dots() -> None:
    # Gradio's I18n reads "a.b" as entry b of group a: the page's keys go there without "page."
    from playground.locales import I18N, L

    assert not [k for k in section("page", "en") if "." in k]
    assert L("tab_arch").key == "rp_tab_arch"
    sent = {k for table in I18N.translations_dict.values() for k in table}
    assert {k for k in sent if "." in k} == {"common.complete", "status.queue_position"}  # Gradio's own gaps


def test_one_language_check() -> None:
    assert check_lang("zh") == "zh"
    with pytest.raises(ValueError, match="en, zh"):
        check_lang("fr")
    with pytest.raises(ValueError, match="en, zh"):
        t("page.title", "de")
    assert t("page.title", "zh") == TABLES["zh"]["page.title"]
    assert section("lab.race", "zh")["title"] == TABLES["zh"]["lab.race.title"]
    defined = [str(f.relative_to(ROOT)) for f in _source_files() if re.search(r"^\s*def check_lang\(", f.read_text(), re.M)]
    assert defined == ["viz/locales/__init__.py"]


# ------------------------------------------------------------------------------ every key is used


def _source_files() -> list[Path]:
    files = []
    for name in SOURCES:
        path = ROOT / name
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [f for f in files if not (f.parent.name == "locales" and f.name in ("en.py", "zh.py"))]


@cache
def _usage() -> tuple[dict[str, tuple[set[str], set[str]]], set[str], set[str], set[str]]:
    """What the code asks for: per namespace opened with ``section(ns, ...)``, its literals and
    f-string heads; and across all code every literal, every f-string head, and every literal
    used as a value (not as a dict key or a subscript: what a record carries, like "projection")."""
    opened: dict[str, tuple[set[str], set[str]]] = {}
    literals: set[str] = set()
    heads: set[str] = set()
    values: set[str] = set()
    for path in _source_files():
        tree = ast.parse(path.read_text())
        not_values = {id(k) for n in ast.walk(tree) if isinstance(n, ast.Dict) for k in n.keys if k is not None}
        not_values |= {id(n.slice) for n in ast.walk(tree) if isinstance(n, ast.Subscript)}
        lits, prefs = set(), set()
        for n in ast.walk(tree):
            if isinstance(n, ast.Constant) and isinstance(n.value, str):
                lits.add(n.value)
                if id(n) not in not_values:
                    values.add(n.value)
            elif isinstance(n, ast.JoinedStr) and n.values:
                if isinstance(n.values[0], ast.Constant):
                    prefs.add(n.values[0].value)
                # f"{kind}/{variant}/title": the parts after a field are values too
                values.update(p.value.strip("/") for p in n.values[1:] if isinstance(p, ast.Constant))
        spaces = {n.args[0].value for n in ast.walk(tree)
                  if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "section"
                  and n.args and isinstance(n.args[0], ast.Constant)}
        if path.relative_to(ROOT).parts[0] == "playground":
            spaces.add("page")  # playground.locales.t / L / choices read the page's namespace
        for space in spaces:
            opened.setdefault(space, (set(), set()))
            opened[space][0].update(lits)
            opened[space][1].update(prefs)
        literals |= lits
        heads |= prefs
    return opened, literals, heads, values


def _used(key: str) -> bool:
    opened, literals, heads, values = _usage()
    if key in literals or any(key.startswith(h) for h in heads if "." in h and not h.endswith(".")):
        return True  # asked for by its full key ("error.image_empty", f"lab.flow.trend_{x}"); not by
        # a bare namespace (playground.locales.t reads f"page.{key}" for every key it is given)
    space = max((s for s in opened if key.startswith(s + ".")), key=len, default=None)
    if space is None:
        return False
    short = key[len(space) + 1 :]
    lits, prefs = opened[space]
    if short in lits or any(short.startswith(p) for p in prefs | lits if p.endswith("_") and len(p) > 1):
        return True  # section(space)["short"], t(f"short_{x}"), choices("short_", ...)
    # a value a record carries, used as the key (a block's shortcut kind, a flow's trend, a
    # stop reason); "kind/variant/title" is made of such values
    return all(part in values for part in short.split("/"))


def test_every_key_is_used() -> None:
    assert [k for k in TABLES["en"] if not _used(k)] == []


def test_the_usage_scan_finds_an_unused_key() -> None:
    assert not _used("lab.race.no_such_entry") and not _used("page.no_such_entry") and not _used("nowhere.title")
    assert _used("lab.race.title") and _used("page.tab_arch") and _used("error.image_empty")


# ------------------------------------------------------------------------------ errors named by key


@cache
def raised_keys() -> dict[str, set[frozenset[str]]]:
    """Every ``key="error..."`` in a call in the code, with the other keyword names of that call."""
    found: dict[str, set[frozenset[str]]] = {}
    for path in _source_files():
        for n in ast.walk(ast.parse(path.read_text())):
            if not isinstance(n, ast.Call):
                continue
            kw = {k.arg: k.value for k in n.keywords if k.arg}
            key = kw.get("key")
            if isinstance(key, ast.Constant) and str(key.value).startswith("error."):
                found.setdefault(key.value, set()).add(frozenset(kw) - {"key"})
    return found


def test_every_error_raised_by_key_has_words_with_its_fields() -> None:
    keys = raised_keys()
    assert len(keys) > 30  # the scan sees the code's raises
    for key, calls in keys.items():
        assert key in TABLES["en"] and key in TABLES["zh"], key
        for given in calls:
            assert fields(TABLES["en"][key]) == set(given), (key, given)


def test_every_error_entry_is_raised() -> None:
    # the budget's keys are picked inside BudgetError, so they are looked for as plain strings too
    _, literals, _, _ = _usage()
    entries = [k for k in TABLES["en"] if k.startswith("error.")]
    assert [k for k in entries if k not in raised_keys() and k not in literals] == []
