"""Every error a page user can cause names its words by key, so the page says it in its reader's language.

Read from the source with ``ast``: a ``raise X(...)`` of a :class:`resnet_core.errors.UserError`
subclass or a ``ValueError`` in resnet_core or playground must pass ``key=``. The exceptions are
listed below by file and the start of their message (fields written ``{}``): validation that only
an API client or a library caller can trip (types, choices the page offers as a fixed list,
settings read at start-up, the code's own invariants), and a short list of page-reachable
messages still owed a key. A new unkeyed error fails here; a fixed one must leave the lists.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("resnet_core", "playground")
#: the base of every user's mistake, and ValueError, which the page treats as one
BASES = {"UserError", "ValueError"}
#: picks its own key from its fields (the budget's three wordings)
SELF_KEYED = {"BudgetError"}

#: API-client-only or library-caller validation: the page cannot send these values (its controls
#: offer fixed choices or bounded sliders, or Gradio refuses an unknown choice first with
#: "error.not_a_choice"), or they guard the code's own invariants; they stay English.
API_ONLY: dict[str, tuple[str, ...]] = {
    "resnet_core/attributions/faithfulness.py": ('cells must be between 1 and {}', 'the map is {}, the input {}', 'steps must be between 1 and {}', 'n_perturb must be between 1 an',),
    "resnet_core/attributions/inputs.py": ('unknown baseline {}; use one o', 'the prepared input must be one', 'unknown feature mask {}; use o',),
    "resnet_core/attributions/methods.py": ('target must be a class index f', 'budget must be between 1 and {',),
    "resnet_core/attributions/metrics.py": ('maps of different shapes: {} a', 'need two 2-D maps of one shape',),
    "resnet_core/attributions/registry.py": ('layer {} does not produce a fe', 'layer must be a layer name suc', 'unknown method {}; use one of ', '{} must be between {} and {}, got ', '{} must be one of {}, got {}',),
    "resnet_core/attributions/sanity.py": ('judge at least one sanity chec', 'the sanity checks differ in th', 'choose 1 to {} methods for a s', 'budget must be between 1 and {',),
    "resnet_core/attributions/study.py": ('the number of pictures is a wh', 'the model is {} or a resnet_co', 'pick at least one method', 'each method once', 'the target is a class index, n', 'params must be a MethodParams', 'the input size is a whole numb',),
    "resnet_core/backends/base.py": ('the picture must be a decoded ', 'key must be a resnet_core.zoo.', "preprocessing is 'crop' or 'wh", 'the input size is a whole numb', 'top-k is a whole number from 1', 'checkpoint must be a Checkpoin', 'the layer is a module name suc', 'the target is a class index or',),
    "resnet_core/backends/ray_serve.py": ('unknown arguments {}; known: {', 'num_replicas, max_batch_size a', 'batch_wait_timeout_s, num_gpus',),
    "resnet_core/batching.py": ('max_batch must be a positive i',),
    "resnet_core/blocks.py": ('no {} block of variant {}',),
    "resnet_core/checkpoints.py": ('a checkpoint is a file path or',),
    "resnet_core/compare.py": ('Compare depths runs the standa', 'the depths are some of {}', 'passes is a whole number from ',),
    "resnet_core/device.py": ('CUDA was requested but this ma', 'unsupported device {}; use aut', 'unknown device {}; use auto, c',),
    "resnet_core/erf.py": ("the model is 'toy' or 'picked'", 'a picked model needs its Model', 'the input size is a whole numb', 'average over 1 to {} noise ima',),
    "resnet_core/fast.py": ('fold BatchNorm only into a mod', '{} does not support bf16',),
    "resnet_core/featureviz.py": ('{} is a whole number from {} to {}', "the model is 'toy' or 'picked'", 'a picked model needs its Model', 'give 1 to {} channel numbers (', 'the time budget is more than 0',),
    "resnet_core/images.py": ('Cannot read an image from a {}', 'Arrays of type {} are not supp', 'The image array has shape {}, ', 'The image array has shape {}; ', 'The image contains undefined v',),
    "resnet_core/inspection.py": ('the model is in training mode;', 'top_k must be a positive integ', 'max_channels must be between 1', 'requests batched together need', 'Guided Grad-CAM requests run o', 'layer {} did not produce a fea',),
    "resnet_core/lab/ablation.py": ('mode must be one of {}, not {}', 'expected one image, (3, H, W) ', 'top_k must be a positive integ', '{} categories given for {} classes',),
    "resnet_core/lab/degradation.py": ('give one finished race per see', 'the races differ in their netw',),
    "resnet_core/lab/flow.py": ('family must be one of {}, not ', 'after_lr must be a number in (', 'ImageNet ResNets have depth {}',),
    "resnet_core/lab/gradient_split.py": ('labels must be one class index',),
    "resnet_core/lab/hypothesis.py": ('expected a batch of images (B,',),
    "resnet_core/lab/landscape.py": ('directions have {} and {} tens',),
    "resnet_core/lab/lesion.py": ('network is one of {}, not {}',),
    "resnet_core/lab/studies.py": ('the family is one of {}, not {', 'norms is (True,), (False,) or ', 'key must be a resnet_core.zoo.', 'the ablation is one of {}, not', 'choose a block to ablate, such', 'checkpoint must be a Checkpoin',),
    "resnet_core/lab/synthetic.py": ('classes must be two or more di',),
    "resnet_core/lab/twins.py": ("kinds are 'plain' and 'residua",),
    "resnet_core/model.py": ('variant must be one of {}, not', 'num_classes must be an integer',),
    "resnet_core/preprocess.py": ('Unknown preprocessing mode {};', 'unknown interpolation {}', 'need 1 <= crop_size <= resize_', 'mean and std need 3 values eac', '{} carries no ImageClassification ',),
    "resnet_core/receptive.py": ('{} has a non-square {} {}; only sq', 'the input size is one or two w', "{}: the shortcut's stride {} diffe", '{}.{} is not a residual block',),
    "resnet_core/results.py": ('no stage named {} in this insp',),
    "resnet_core/serving.py": ('max_models must be at least 1',),
    "resnet_core/shapes.py": ('block must be one of {}, not {',),
    "resnet_core/specs.py": ('depth must be an int or block ', 'block must be one of {}, not {', 'no standard ResNet has depth {',),
    "resnet_core/studies.py": ('two studies are named {}',),
    "resnet_core/toy.py": ("cannot read the toy model's me",),
    "resnet_core/weights.py": ('weights must be a name, a Weig', '{} are not ResNet-{} weights (use ', 'unknown weights {}; use one of',),
    "resnet_core/zoo.py": ('variant must be one of {}, not', 'weights must be one of {}, not', "a custom depth is ('basic' or ", "depth must be an int or ('basi",),
    "playground/choices.py": ('pick a depth from {}, not {}', 'block type must be one of {}, ', 'variant must be one of {}, not', 'weights must be one of {}, not',),
    "playground/settings.py": ('{}={}: choose from {}', '{}={}: use 1/0, true/false, yes/no', '{}={} is not {}',),
    "playground/tabs/argument.py": ('depths are some of {}', 'steps must be between 1 and {}', 'depth is one of {}',),
    "playground/tabs/attributions.py": ('the model is one of {}', 'pick at least one method', 'the number of pictures is a wh',),
    "playground/tabs/inspect.py": ('preprocessing is “crop” or “wh',),
    "playground/tabs/receptive.py": ('the model is one of {}, not {}',),
    "playground/tabs/why_residual.py": ('batch normalization is one of ', 'the landscape runs at depth {}', 'the race runs at depth {}',),
}

#: page-reachable messages still owed a key (a debt: keyed, then removed from here; none today)
NOT_YET_KEYED: dict[str, tuple[str, ...]] = {}


def _classes() -> set[str]:
    """UserError, ValueError, and every class in the sources that derives from one of them."""
    found = set(BASES)
    defs = []
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            defs += [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for d in defs:
            bases = {getattr(b, "id", getattr(b, "attr", None)) for b in d.bases}
            if d.name not in found and bases & found:
                found.add(d.name)
                grew = True
    return found - SELF_KEYED


def _message(call: ast.Call) -> str:
    """The message's words with each field written ``{}``."""
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Constant):
        return str(first.value)
    if isinstance(first, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in first.values)
    return "{}"


def unkeyed() -> list[tuple[str, str]]:
    """(file, message) of every raise of a user's-mistake class without ``key=``."""
    classes = _classes()
    found = []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.parent.name == "locales":
                continue
            for n in ast.walk(ast.parse(path.read_text())):
                if isinstance(n, ast.Raise) and isinstance(n.exc, ast.Call):
                    name = getattr(n.exc.func, "id", getattr(n.exc.func, "attr", None))
                    if name in classes and not any(k.arg == "key" for k in n.exc.keywords):
                        found.append((str(path.relative_to(ROOT)), _message(n.exc)))
    return found


def _allowed(path: str, message: str) -> bool:
    return any(message.startswith(p) for table in (API_ONLY, NOT_YET_KEYED) for p in table.get(path, ()))


def test_every_user_error_names_its_words_by_key() -> None:
    assert [site for site in unkeyed() if not _allowed(*site)] == []


def test_the_exceptions_are_still_there() -> None:
    # an entry whose raise was keyed or removed must leave the lists, so they only shrink
    sites = unkeyed()
    stale = [(path, p) for table in (API_ONLY, NOT_YET_KEYED) for path, prefixes in table.items() for p in prefixes
             if not any(f == path and m.startswith(p) for f, m in sites)]
    assert stale == []


def test_the_scan_sees_an_unkeyed_error() -> None:
    # the scan must catch what it is for, or the test above checks nothing
    assert "WeightsError" in _classes() and "CallError" in _classes() and "BudgetError" not in _classes()
    tree = ast.parse('raise WeightsError(f"{name} holds no tensors")')
    raised = next(n for n in ast.walk(tree) if isinstance(n, ast.Raise))
    assert _message(raised.exc) == "{} holds no tensors"
    assert len(unkeyed()) > 50 and not _allowed("resnet_core/checkpoints.py", "{} holds no tensors")
