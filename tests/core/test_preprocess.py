"""prepare(): torchvision's ``weights.transforms()`` is the reference (resnet_core/preprocess.py).

Crop mode is compared with the preset torchvision ships with each weights entry; whole mode with
Pillow's own antialiased resize; the picture the network saw with the tensor un-normalised.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.models import ResNet18_Weights, ResNet50_Weights
from torchvision.transforms._presets import ImageClassification

import resnet_core.preprocess as preprocess
from resnet_core.images import ImageError
from resnet_core.preprocess import IMAGENET_MEAN, IMAGENET_STD, Prepared, Preprocess, prepare


def assert_plain(err: pytest.ExceptionInfo) -> None:
    """One ImageError, with a message for a person: no object reprs, no library jargon."""
    assert err.type is ImageError
    message = str(err.value)
    assert message and message[0].isupper() and message.endswith(".")
    for jargon in ("0x", "<_io", "Traceback", "PIL", "cannot identify", "Errno"):
        assert jargon not in message, message


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    rng = np.random.default_rng(7)
    smooth = rng.integers(0, 256, (12, 17, 3), dtype=np.uint8)
    base = Image.fromarray(smooth).resize((341, 257), Image.Resampling.BICUBIC)
    noise = rng.integers(-20, 21, (257, 341, 3))
    return Image.fromarray(np.clip(np.asarray(base).astype(int) + noise, 0, 255).astype(np.uint8))


@pytest.mark.parametrize(
    "weights",
    [ResNet50_Weights.IMAGENET1K_V1, ResNet50_Weights.IMAGENET1K_V2, ResNet18_Weights.IMAGENET1K_V1],
)
def test_crop_mode_equals_torchvision(weights, photo):
    preprocess = Preprocess.from_weights(weights)
    prepared = prepare(photo, preprocess)
    expected = weights.transforms()(photo)
    assert prepared.tensor.shape == (1, 3, 224, 224) and prepared.tensor.dtype == torch.float32
    torch.testing.assert_close(prepared.tensor[0], expected, atol=1e-5, rtol=0)
    tall = photo.transpose(Image.Transpose.TRANSPOSE)
    torch.testing.assert_close(
        prepare(tall, preprocess).tensor[0], weights.transforms()(tall), atol=1e-5, rtol=0
    )


def test_from_weights_reads_the_transforms():
    assert Preprocess.from_weights(ResNet50_Weights.IMAGENET1K_V1) == Preprocess()
    v2 = Preprocess.from_weights(ResNet50_Weights.IMAGENET1K_V2)
    assert (v2.resize_size, v2.crop_size, v2.interpolation) == (232, 224, "bilinear")
    assert v2.mean == IMAGENET_MEAN and v2.std == IMAGENET_STD
    with pytest.raises(ValueError):
        Preprocess.from_weights("not weights")


@pytest.mark.parametrize(("size", "resize"), [(320, 366), (160, 183)])
def test_crop_mode_with_a_size_scales_the_resize(size, resize, photo):
    prepared = prepare(photo, mode="crop", size=size)
    expected = ImageClassification(crop_size=size, resize_size=resize)(photo)
    torch.testing.assert_close(prepared.tensor[0], expected, atol=1e-5, rtol=0)


def test_view_is_the_picture_the_network_saw(photo):
    prepared = prepare(photo, Preprocess.from_weights(ResNet50_Weights.IMAGENET1K_V2))
    assert isinstance(prepared, Prepared)
    assert prepared.view.dtype == np.uint8 and prepared.view.shape == (224, 224, 3)
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    unnormalised = (prepared.tensor[0] * std + mean) * 255  # (3, H, W)
    diff = np.abs(unnormalised.permute(1, 2, 0).numpy() - prepared.view.astype(np.float32))
    assert diff.max() <= 1.0


def test_crop_for_thin_pictures_matches_torchvision_within_one_level(photo, monkeypatch):
    # Force the path used for very thin pictures onto a normal one, where the reference is cheap.
    monkeypatch.setattr(preprocess, "_MAX_RESIZED_PIXELS", 0)
    for weights in (ResNet50_Weights.IMAGENET1K_V1, ResNet50_Weights.IMAGENET1K_V2):
        prepared = prepare(photo, Preprocess.from_weights(weights))
        expected = weights.transforms()(photo)
        one_level = 1 / 255 / min(IMAGENET_STD) + 1e-5
        assert (prepared.tensor[0] - expected).abs().max() <= one_level


@pytest.mark.parametrize(
    ("size", "width", "height", "shape"), [(224, 341, 257, (169, 224)), (100, 257, 341, (100, 75))]
)
def test_whole_mode_keeps_the_aspect_ratio(size, width, height, shape, photo):
    image = photo.resize((width, height))
    prepared = prepare(image, mode="whole", size=size)
    assert prepared.tensor.shape == (1, 3, *shape)
    assert prepared.view.shape == (*shape, 3)
    # Reference: Pillow's own antialiased bilinear resize of the whole picture.
    expected = np.asarray(image.resize((shape[1], shape[0]), Image.Resampling.BILINEAR))
    np.testing.assert_array_equal(prepared.view, expected)


@pytest.mark.parametrize("size", [0, -5, 1025, 10_000, 2.5, float("nan"), "224", True])
def test_bad_sizes_are_refused(size, photo):
    with pytest.raises(ImageError) as err:
        prepare(photo, mode="whole", size=size)
    assert_plain(err)


def test_sizes_from_sliders_and_bad_modes(photo):
    assert prepare(photo, mode="whole", size=224.0).tensor.shape == (1, 3, 169, 224)
    with pytest.raises(ImageError, match="mode"):
        prepare(photo, mode="stretch")


def test_prepare_accepts_what_load_image_accepts(photo):
    rgba = photo.convert("RGBA")
    np.testing.assert_array_equal(prepare(rgba).view, prepare(photo).view)
    np.testing.assert_array_equal(prepare(np.asarray(photo)).view, prepare(photo).view)
