"""The paper's argument: Fig. 7 responses, the Eq. 5 gradient split, Veit's lesion study.

Each library function is checked against an independent reference: hand-counted paths, autograd
through hooks of the test's own, a network with the block physically removed, numpy's std of a
hooked tensor; the trained studies against the papers' findings (slow).
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Iterator

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from resnet_core.lab.gradient_split import SplitCall, gradient_split, network_split
from resnet_core.lab.hypothesis import (
    BlockResponses,
    ResidualResponses,
    ResponseCall,
    block_responses,
    residual_response,
)
from resnet_core.lab.lesion import (
    LesionCall,
    LesionCurve,
    LesionResult,
    lesion,
    lesioned,
    load_lesions,
    path_counts,
    path_length_distribution,
    save_lesions,
)
from resnet_core.lab.race import _race_model
from resnet_core.lab.twins import Progress, branch_response_module
from resnet_core.model import ResNet
from resnet_core.specs import cifar_spec
from resnet_core.studies import StudyContext, registry
from viz.lab import hypothesis as vhyp
from viz.lab import lesion as vlesion
from viz.lab import paper as vpaper

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: a second thread only stalls


CTX = StudyContext(service=None, resolve=None, cancel=threading.Event())  # type: ignore[arg-type]


def final(records: Iterator) -> object:
    *progress, last = list(records)
    assert all(isinstance(p, Progress) for p in progress)
    return last


def trained_like(depth: int = 20, *, shortcuts: bool = True, seed: int = 0) -> ResNet:
    """A race network in eval mode with non-trivial BN statistics (a few train-mode forwards)."""
    model = _race_model(depth, 8, shortcuts, seed, 5)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _ in range(3):
            model.train()(torch.randn(16, 3, 12, 12, generator=gen))
    return model.eval()


def images(n: int = 16, seed: int = 1) -> torch.Tensor:
    return torch.randn(n, 3, 12, 12, generator=torch.Generator().manual_seed(seed))


# ------------------------------------------------------------------------------ registry


def test_the_three_studies_are_registered() -> None:
    table = registry()
    assert {"residual_response", "gradient_split", "lesion"} <= set(table)
    assert table["lesion"].call_type is LesionCall


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (ResponseCall, {"depths": (21,)}),
        (ResponseCall, {"depths": (20, 20)}),
        (ResponseCall, {"steps": 0}),
        (SplitCall, {"depth": 1000}),
        (SplitCall, {"batch": 1}),
        (LesionCall, {"network": "vgg"}),
        (LesionCall, {"depth": 45}),
    ],
)
def test_bad_calls_are_one_plain_value_error(cls: type, kwargs: dict) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        cls(**kwargs)


# ------------------------------------------------------------------------------ paths (Veit, section 3)


def test_path_counts_match_hand_counts() -> None:
    # n = 3 blocks: 1 path through none, 3 through one, 3 through two, 1 through all three
    assert path_counts(1).tolist() == [1, 1]
    assert path_counts(3).tolist() == [1, 3, 3, 1]
    assert path_counts(4).tolist() == [1, 4, 6, 4, 1]
    assert path_counts(5).tolist() == [1, 5, 10, 10, 5, 1]
    assert int(sum(path_counts(54))) == 2**54  # ResNet-110 on CIFAR: 54 blocks, every path once
    assert path_length_distribution(3) == pytest.approx([1 / 8, 3 / 8, 3 / 8, 1 / 8])
    with pytest.raises(ValueError):
        path_counts(0)


def test_most_paths_are_about_half_as_long_as_the_network() -> None:
    lo, hi = vlesion.path_mass(54)
    assert lo > 10 and hi < 44  # Veit: the paths of a 54-block net concentrate around 27


# ------------------------------------------------------------------------------ Eq. 5: the gradient split


def _input_grads(model: ResNet, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """dL/d(block input) by autograd, with hooks of this test's own."""
    inputs: dict[str, torch.Tensor] = {}
    handles = [
        model.get_submodule(n).register_forward_pre_hook(lambda _m, a, n=n: inputs.__setitem__(n, a[0]))
        for n in model.block_names()
    ]
    try:
        loss = F.cross_entropy(model(x), y)
        grads = torch.autograd.grad(loss, [inputs[n] for n in model.block_names()])
    finally:
        for h in handles:
            h.remove()
    return {n: g.double() for n, g in zip(model.block_names(), grads)}


@pytest.mark.parametrize("variant", ["v1", "preact"])
def test_shortcut_and_branch_parts_add_up_to_autograds_gradient(variant: str) -> None:
    from resnet_core.lab.flow import block_gradients

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = ResNet(cifar_spec(20), variant=variant, num_classes=5, shortcut_kind="A").train()
    x, y = images(8), torch.arange(8) % 5
    reference = _input_grads(model, x, y)
    _, split = block_gradients(model, x, y)
    for name, g in split.items():
        total = (g.via_shortcut + g.via_branch).double()
        assert torch.allclose(total, reference[name], rtol=1e-5, atol=1e-9), name
    result = network_split(model, x, y, name="net", kind="preact" if variant == "preact" else "residual")
    assert result.sum_error.max() < 1e-5


def test_preact_identity_blocks_pass_the_top_gradient_unchanged_and_v1_does_not() -> None:
    result = final(gradient_split(CTX, SplitCall(depth=20, batch=8)))
    pre, v1, plain = (result.network(k) for k in ("preact", "residual", "plain"))
    # Eq. 5's "1": with nothing after the addition the shortcut part IS dE/dx_{l+1}
    assert pre.identity.sum() == 7  # 9 blocks, two of which subsample
    np.testing.assert_allclose(pre.clean[pre.identity], 1.0, rtol=1e-6)
    # v1's ReLU after the addition zeroes the gradient where the sum is negative
    assert (v1.clean[v1.identity] < 0.999).all()
    assert (plain.via_shortcut == 0).all() and np.allclose(plain.via_branch, plain.grad_in)


# ------------------------------------------------------------------------------ the lesion


def test_a_block_whose_branch_is_zero_contributes_exactly_nothing() -> None:
    model = trained_like(20)
    block = model.get_submodule("layer2.1")
    x = images()
    with torch.no_grad():
        changed = not torch.equal(model(x), _lesioned_logits(model, "layer2.1", x))
        block.bn2.weight.zero_()
        block.bn2.bias.zero_()  # the branch's output is now exactly zero
        assert torch.equal(model(x), _lesioned_logits(model, "layer2.1", x))
    assert changed, "deleting a block with a live branch must change the output"


def _lesioned_logits(model: ResNet, block: str, x: torch.Tensor) -> torch.Tensor:
    with lesioned(model, [block]):
        return model(x)


@pytest.mark.parametrize("shortcuts", [True, False])
def test_deleting_a_block_equals_the_network_without_it(shortcuts: bool) -> None:
    # Reference: the same network with the block taken out of its stage (it keeps the shape, and its
    # input is post-ReLU, so v1's final ReLU on the shortcut alone changes nothing)
    model = trained_like(20, shortcuts=shortcuts)
    shorter = copy.deepcopy(model)
    del shorter.layer3[1]
    x = images()
    with torch.no_grad():
        np.testing.assert_allclose(_lesioned_logits(model, "layer3.1", x).numpy(), shorter(x).numpy(), rtol=1e-5, atol=1e-6)


def test_lesion_leaves_no_hook_behind_and_rejects_unknown_blocks() -> None:
    model = trained_like(20)
    before = sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())
    with lesioned(model, ["layer1.0", "layer2.0"]):
        pass
    assert sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules()) == before
    with pytest.raises(ValueError, match="no block"):
        with lesioned(model, ["layer9.9"]):
            pass


def _curve(single: list[float], k_mean: list[float], intact: float = 0.98, kind: str = "residual") -> LesionCurve:
    n = len(single)
    return LesionCurve(
        name="net", kind=kind, blocks=tuple(f"layer1.{i}" for i in range(n)), downsampling=np.zeros(n, bool),
        intact=intact, single=np.array(single), k=np.arange(1, len(k_mean) + 1), k_mean=np.array(k_mean),
        k_min=np.array(k_mean) - 0.05, k_max=np.array(k_mean) + 0.02, chance=0.2,
    )


def test_veits_robustness_rule_separates_a_surviving_net_from_a_breaking_one() -> None:
    # Veit's Fig. 3: a ResNet loses about a point per deleted block; a plain net falls to chance
    survives = _curve([0.97] * 9 + [0.6], [0.96, 0.93, 0.9, 0.85])
    breaks = _curve([0.25] * 10, [0.22, 0.21, 0.2, 0.2])
    assert survives.robust and survives.smooth
    assert not breaks.robust and not breaks.smooth
    assert LesionCurve.from_dict(survives.to_dict()).robust


def test_saved_lesions_round_trip(tmp_path) -> None:
    run = LesionResult((_curve([0.9] * 4, [0.8, 0.7]),), path_counts(4), "race", 10, 100, "data", 1.0)
    path = save_lesions([run], [0], tmp_path / "lesion.json", meta={"device": "cpu", "device_name": "test CPU"})
    back = load_lesions(path)
    assert back.seeds == (0,) and back.runs[0].curves[0].intact == pytest.approx(0.98)
    assert back.runs[0].paths.tolist() == [1, 4, 6, 4, 1]
    (tmp_path / "bad.json").write_text('{"format": "x"}')
    with pytest.raises(ValueError, match="not a lesion file"):
        load_lesions(tmp_path / "bad.json")


# ------------------------------------------------------------------------------ Fig. 7 responses


def test_block_responses_read_each_branch_after_its_last_bn() -> None:
    model = trained_like(20)
    x = images()
    kept: dict[str, torch.Tensor] = {}
    handles = [
        model.get_submodule(f"{n}.bn2").register_forward_hook(lambda _m, _a, out, n=n: kept.__setitem__(n, out))
        for n in model.block_names()
    ]
    try:
        got = block_responses(model, x, name="ResNet-20", kind="residual", depth=20)
    finally:
        for h in handles:
            h.remove()
    expected = [float(np.std(kept[n].detach().double().numpy(), ddof=1)) for n in model.block_names()]
    np.testing.assert_allclose(got.std, expected, rtol=1e-9)
    assert branch_response_module(model.layer1[0]) is model.layer1[0].bn2


def test_a_zero_branch_has_zero_response() -> None:
    model = trained_like(20)
    with torch.no_grad():
        model.layer2[2].bn2.weight.zero_()
        model.layer2[2].bn2.bias.zero_()
    got = block_responses(model, images(), name="ResNet-20", kind="residual", depth=20)
    i = model.block_names().index("layer2.2")
    assert got.std[i] == 0.0 and got.relative[i] == 0.0
    assert (np.delete(got.std, i) > 0).all()


def _responses(res: dict[int, float], plain: dict[int, float]) -> ResidualResponses:
    nets = []
    for d in res:
        for kind, level in (("plain", plain[d]), ("residual", res[d])):
            nets.append(BlockResponses(f"{kind}-{d}", kind, d, ("a", "b"), np.array([level, level]), np.array([0.5, 0.5]), 0.9))
    return ResidualResponses(tuple(nets), 10, 0, 100, "data", "cpu", 1.0)


def test_fig7_reading_is_judged_from_the_numbers() -> None:
    paper_like = _responses({20: 0.9, 56: 0.7}, {20: 1.1, 56: 1.5}).findings
    assert paper_like.smaller_than_plain == (True, True) and paper_like.deeper_smaller is True
    reversed_ = _responses({20: 0.7, 56: 0.9}, {20: 0.5, 56: 1.5}).findings
    assert reversed_.smaller_than_plain == (False, True) and reversed_.deeper_smaller is False
    en = vhyp.residual_response_verdict(_responses({20: 0.7, 56: 0.9}, {20: 0.5, 56: 1.5}), "en")
    assert "does not fully hold" in en
    assert "holds here" in vhyp.residual_response_verdict(_responses({20: 0.9, 56: 0.7}, {20: 1.1, 56: 1.5}), "en")


# ------------------------------------------------------------------------------ words and figures


def test_paper_table_shows_their_numbers_and_our_count() -> None:
    md = vpaper.paper_numbers_markdown("en", macs={18: 1_814_000_000})
    for number in ("8.75", "7.51", "7.17", "6.97", "6.43", "7.93"):
        assert number in md
    assert "1.814" in md and "not ours" in md
    assert "论文" in vpaper.paper_numbers_markdown("zh")


# ------------------------------------------------------------------------------ the studies, trained (slow)


@pytest.mark.slow
def test_toy_model_does_not_show_veits_robustness() -> None:
    result = final(lesion(CTX, LesionCall(network="toy")))
    (curve,) = result.curves
    assert curve.intact > 0.95
    assert not curve.robust  # the measurement: 0.22-0.996 against 0.998 intact
    assert curve.single.min() < 0.5
    words = vlesion.lesion_verdict(result, "en")
    assert "does not appear" in words and "Huang" in words
    assert vlesion.lesion_verdict(result, "zh") != words


@pytest.mark.slow
def test_a_deeper_trained_resnet_survives_single_deletions_and_its_plain_twin_does_not() -> None:
    result = final(lesion(CTX, LesionCall(network="race", depth=44, steps=450, max_seconds=600)))
    res, plain = result.curves
    assert len(res.blocks) == 21 and res.intact > 0.9
    assert res.robust and not plain.robust  # Veit et al., Fig. 3
    assert math.comb(21, 10) == int(result.paths[10])


@pytest.mark.slow
def test_trained_resnet_responses_are_smaller_than_plain_and_smaller_when_deeper() -> None:
    result = final(residual_response(CTX, ResponseCall(depths=(20, 56), steps=200, max_seconds=900)))
    f = result.findings
    assert all(f.smaller_than_plain), f  # He et al., Fig. 7
    assert f.deeper_smaller, f
    assert "holds here" in vhyp.residual_response_verdict(result, "en")


def test_a_net_that_never_left_chance_is_not_called_robust() -> None:
    flat = _curve([0.24] * 10, [0.23, 0.22], intact=0.25)  # plain-56 after 450 steps of the race
    assert not flat.trained and not flat.robust
    result = LesionResult((flat,), path_counts(10), "race", 450, 500, "data", 1.0)
    assert "did not train" in vlesion.lesion_verdict(result, "en")


# ------------------------------------------------------------------------------ without BN


def test_without_bn_the_default_stream_grows_and_the_cures_start_as_identity() -> None:
    from resnet_core.lab.no_bn import METHODS, no_bn_model, stream_std

    x = images(32)
    growth = {}
    for method in METHODS:
        model = no_bn_model(32, method, seed=0, width=8, num_classes=5).eval()
        growth[method] = stream_std(model, x)
    # x + F(x) with F about as large as x: the variance grows block after block (15 blocks here;
    # the two option-A stage starts pass only half the channels on, so less than 2x per block)
    assert growth["default"][-1] / growth["default"][0] > 10
    # every cure starts each block as the identity: the three streams are identical at init
    for method in ("zero-init", "SkipInit", "Fixup"):
        np.testing.assert_allclose(growth[method], growth["zero-init"], rtol=1e-6)


def test_fixup_follows_its_three_rules() -> None:
    from resnet_core.lab.no_bn import Biased, ScaledAdd, no_bn_model

    plain = no_bn_model(20, "default", seed=0, width=8, num_classes=5)
    fixup = no_bn_model(20, "Fixup", seed=0, width=8, num_classes=5)
    block, ref = fixup.layer2[1], plain.layer2[1]
    assert not fixup.fc.module.weight.detach().any() and not block.conv2.module.weight.detach().any()  # rule 1
    # rule 2: L = 9 branches of m = 2 layers: scale 9 ** (-1/2) = 1/3 on the other branch layer
    torch.testing.assert_close(block.conv1.module.weight, ref.conv1.weight / 3)
    # rule 3: a multiplier (1) per branch and a bias (0) before each conv, activation and the linear layer
    assert isinstance(block.add, ScaledAdd) and block.add.scale.item() == 1.0 and block.add.bias.item() == 0.0
    assert all(isinstance(m, Biased) for m in (block.conv1, block.relu1, block.conv2, fixup.fc))


def test_saved_deep_lesions_are_read_and_judged_seed_by_seed() -> None:
    from pathlib import Path

    saved = load_lesions(Path(__file__).resolve().parents[2] / "assets" / "curves" / "lesion.json")
    assert len(saved.seeds) >= 3 and saved.meta["device_name"] and saved.meta["produced_by"] == "scripts/lesion.py"
    res = [run.curves[0] for run in saved.runs]
    assert all(len(c.blocks) >= 20 for c in res)  # deep enough for Veit's finding
    n = sum(c.robust for c in res)
    words = vlesion.saved_lesion_verdict(saved, "en")
    assert f"appears in {n} of {len(res)} seeds" in words
    assert "种子" in vlesion.saved_lesion_verdict(saved, "zh")


def test_saved_no_bn_runs_round_trip_with_their_non_finite_losses(tmp_path) -> None:
    from resnet_core.lab.no_bn import NoBNRace, NoBNRun, load_no_bn, save_no_bn
    from viz.lab.no_bn import saved_no_bn_verdict

    blown = NoBNRun("default", np.array([1.0, 50.0]), np.array([1150.0, np.nan]), 0.2, math.log(5))
    fine = NoBNRun("SkipInit", np.array([1.0, 1.0]), np.array([1.6, 1.4]), 0.35, math.log(5))
    race = NoBNRace(20, 2, 0, (blown, fine), "data", "cpu", 1.0)
    races, meta = load_no_bn(save_no_bn([race], tmp_path / "no_bn.json", meta={"device_name": "test CPU"}))
    back = {r.method: r for r in races[0].runs}
    assert back["default"].diverged and not back["SkipInit"].diverged
    assert np.isnan(back["default"].loss[1]) and back["default"].growth == 50.0
    assert "trains: SkipInit; does not: default" in saved_no_bn_verdict(races, meta, "en")


def test_saved_no_bn_runs_show_the_default_failing_and_skipinit_training() -> None:
    from pathlib import Path

    from resnet_core.lab.no_bn import load_no_bn

    races, meta = load_no_bn(Path(__file__).resolve().parents[2] / "assets" / "curves" / "no_bn.json")
    assert len(races) >= 3 and meta["produced_by"] == "scripts/no_bn.py" and meta["device_name"]
    for race in races:
        runs = {r.method: r for r in race.runs}
        assert runs["default"].diverged and runs["default"].growth > 10  # x + F(x) without BN
        assert not runs["SkipInit"].diverged  # De & Smith: trains without BN


def test_pretrained_resnet50_is_measured_only_where_its_weights_are_present() -> None:
    from types import SimpleNamespace

    from resnet_core.lab.hypothesis import pretrained_responses
    from resnet_core.model import build_resnet
    from resnet_core.preprocess import Preprocess

    model = build_resnet(50).eval()

    def resolve(pretrained: bool):  # a served model as the zoo hands it out
        weights = SimpleNamespace(source="test weights", pretrained=pretrained, preprocess=Preprocess())
        return lambda key, ckpt, size: SimpleNamespace(model=model, weights=weights, device=torch.device("cpu"))

    none, note = pretrained_responses(StudyContext(service=None, resolve=resolve(False)))  # type: ignore[arg-type]
    assert none is None and "no pretrained" in note
    net, note = pretrained_responses(StudyContext(service=None, resolve=resolve(True)))  # type: ignore[arg-type]
    assert len(net.blocks) == 16 and (net.std > 0).all() and "4 example photos" in note


@pytest.mark.parametrize(
    ("run", "call"),
    [(residual_response, ResponseCall(depths=(20,), steps=50)), (lesion, LesionCall(network="toy")),
     (gradient_split, SplitCall(depth=20))],
    ids=["residual_response", "lesion", "gradient_split"],
)
def test_a_stopped_study_ends_at_its_next_check(run, call) -> None:
    from resnet_core.studies import Cancelled

    stop = threading.Event()
    stop.set()  # the caller's Stop button
    with pytest.raises(Cancelled):
        list(run(StudyContext(service=None, resolve=None, cancel=stop), call))  # type: ignore[arg-type]
