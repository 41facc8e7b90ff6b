"""The kernel playground of notebook 2, without a browser.

``render`` (what the widget shows) is tested as a plain function; the widget is
built headlessly and driven by setting its controls' values, as a user would.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from scipy.signal import correlate2d

from cnnlab import playground


def _photo(shape=(12, 16, 3), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape).astype(np.float64)


def _decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


# --------------------------------------------------------------------------- render


def test_identity_shows_the_photo_unchanged():
    photo = _photo()
    kernel, factor = playground.PRESETS["identity"]
    out = playground.render(photo, kernel, factor)
    assert out.dtype == np.uint8 and out.shape == photo.shape
    np.testing.assert_array_equal(out, photo.astype(np.uint8))


def test_shift_preset_moves_the_photo_right_by_one_pixel():
    photo = _photo()
    out = playground.render(photo, *playground.PRESETS["shift right by one pixel"])
    np.testing.assert_array_equal(out[:, 1:], photo[:, :-1].astype(np.uint8))
    assert (out[:, 0] == 0).all()  # from the zero padding


def test_render_is_cross_correlation_with_zero_padding_per_channel():
    photo = _photo(seed=1)
    kernel = np.array([[0, 0, 1], [0, 0, 0], [0, 0, 0]], float)  # not symmetric: a flip would show
    out = playground.render(photo, kernel, mode="clip")
    for c in range(3):
        expected = np.clip(correlate2d(photo[..., c], kernel, mode="same"), 0, 255).round()
        np.testing.assert_array_equal(out[..., c], expected.astype(np.uint8))


def test_factor_multiplies_the_kernel():
    photo = np.full((6, 6), 90.0)
    out = playground.render(photo, np.ones((3, 3)), factor=1 / 9)
    assert out.shape == (6, 6)
    assert (out[1:-1, 1:-1] == 90).all()  # the box blur keeps a flat image


def test_grayscale_averages_the_channels():
    photo = _photo()
    out = playground.render(photo, playground.PRESETS["identity"][0], grayscale=True)
    assert out.shape == photo.shape[:2]
    np.testing.assert_array_equal(out, np.round(photo.mean(axis=2)).astype(np.uint8))


@pytest.mark.parametrize("name", list(playground.PRESETS))
def test_every_preset_renders_a_photo(name):
    photo = _photo((20, 24, 3), seed=3)
    kernel, factor = playground.PRESETS[name]
    assert kernel.shape == (3, 3)
    out = playground.render(photo, kernel, factor, mode="abs" if np.isclose(kernel.sum(), 0) else "clip")
    assert out.shape == photo.shape and out.dtype == np.uint8


def test_presets_are_the_lectures_kernels():
    p = {name: factor * kernel for name, (kernel, factor) in playground.PRESETS.items()}
    assert np.isclose(p["box blur (1/9)"].sum(), 1) and np.allclose(p["box blur (1/9)"], 1 / 9)
    for name in ("identity", "sharpen", "emboss", "shift right by one pixel"):
        assert np.isclose(p[name].sum(), 1), name
    for name in ("Laplacian", "edge detection"):
        assert np.isclose(p[name].sum(), 0), name
    np.testing.assert_array_equal(playground.PRESETS["sharpen"][0], [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])


def test_display_modes():
    values = np.array([[-100.0, 0.0], [50.0, 300.0]])
    np.testing.assert_array_equal(playground.to_display(values, "clip"), [[0, 0], [50, 255]])
    assert playground.to_display(values, "abs").dtype == np.uint8
    for mode in ("abs", "stretch"):
        assert (playground.to_display(np.zeros((2, 2)), mode) == 0).all()
    with pytest.raises(ValueError, match="display mode"):
        playground.to_display(values, "log")


def test_stretched_modes_ignore_a_few_extreme_pixels():
    values = np.tile(np.linspace(-10.0, 10.0, 100), (10, 1))  # 1,000 pixels from -10 to 10 ...
    values[0, 0], values[0, 1] = -1e6, 1e6  # ... and two extreme ones, like a border against the padding
    shown = playground.to_display(values, "abs")
    assert shown[5, 0] == 255 and shown[5, 99] == 255  # |±10| is white, not crushed by the 1e6
    assert 100 < shown[5, 25] < 155  # |−5| is mid-grey
    shown = playground.to_display(values, "stretch")
    assert shown[5, 0] == 0 and shown[5, 99] == 255
    assert 100 < shown[5, 50] < 155  # 0 is mid-grey


def test_render_uses_a_given_conv_function():
    calls = []

    def my_conv(image, kernel, padding=0):
        calls.append((image.shape, kernel.shape, padding))
        return correlate2d(np.pad(image, padding), kernel, mode="valid")

    photo = _photo((8, 10, 3))
    out = playground.render(photo, playground.PRESETS["sharpen"][0], conv=my_conv)
    assert calls == [((8, 10), (3, 3), 1)] * 3
    np.testing.assert_array_equal(out, playground.render(photo, playground.PRESETS["sharpen"][0]))


def test_render_explains_bad_inputs():
    with pytest.raises(ValueError, match="odd size"):
        playground.render(_photo(), np.ones((2, 2)))
    with pytest.raises(ValueError, match="expected an"):
        playground.render(np.zeros((2, 3, 4, 5)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="check its padding"):
        playground.render(_photo(), np.ones((3, 3)), conv=lambda image, kernel, padding: image[1:-1, 1:-1])


def test_load_photo_shrinks_by_block_averaging():
    full = playground.load_photo("chelsea", max_size=10_000)
    half = playground.load_photo("chelsea", max_size=240)
    assert full.shape == (300, 451, 3) and half.shape == (150, 225, 3)
    np.testing.assert_allclose(half[0, 0], full[:2, :2].mean(axis=(0, 1)))
    half[:] = 0  # a copy: the cache is not spoiled
    assert playground.load_photo("chelsea", max_size=240).max() > 0


def test_png_bytes_round_trip():
    image = _photo((5, 7, 3)).astype(np.uint8)
    np.testing.assert_array_equal(_decode(playground.png_bytes(image)), image)


# --------------------------------------------------------------------------- the widget


@pytest.fixture(scope="module")
def widget():
    return playground.kernel_playground(photos=("camera", "chelsea"), preset="sharpen", max_size=128)


def test_widget_starts_with_the_preset_and_shows_its_result(widget):
    np.testing.assert_array_equal(widget.kernel, playground.PRESETS["sharpen"][0])
    expected = playground.render(playground.load_photo("camera", 128), playground.PRESETS["sharpen"][0])
    np.testing.assert_array_equal(widget.result, expected)
    np.testing.assert_array_equal(_decode(widget.output.value), expected)
    photo = playground.to_display(playground.load_photo("camera", 128))
    np.testing.assert_array_equal(_decode(widget.original.value), photo)


def test_editing_a_cell_updates_the_result(widget):
    before = widget.result.copy()
    widget.cells[1][1].value = 9.0
    assert widget.kernel[1, 1] == 9.0
    expected = playground.render(playground.load_photo("camera", 128), widget.kernel, widget.factor.value)
    np.testing.assert_array_equal(widget.result, expected)
    np.testing.assert_array_equal(_decode(widget.output.value), expected)
    assert not np.array_equal(before, widget.result)


def test_choosing_a_preset_fills_the_cells_factor_and_display(widget):
    widget.preset.value = "box blur (1/9)"
    np.testing.assert_array_equal(widget.kernel, np.ones((3, 3)))
    assert widget.factor.value == pytest.approx(1 / 9)
    assert widget.mode.value == "clip"
    widget.preset.value = "edge detection"
    assert widget.mode.value == "abs"  # sum-0 kernels: show |result|
    expected = playground.render(playground.load_photo("camera", 128), widget.kernel, widget.factor.value, "abs")
    np.testing.assert_array_equal(widget.result, expected)


def test_photo_and_grayscale_controls(widget):
    widget.preset.value = "identity"
    widget.photo.value = "chelsea"
    photo = playground.load_photo("chelsea", 128)
    assert widget.result.shape == photo.shape
    widget.grayscale.value = True
    assert widget.result.shape == photo.shape[:2]
    np.testing.assert_array_equal(_decode(widget.original.value), playground.to_display(photo.mean(axis=2)))
    widget.grayscale.value = False
    widget.mode.value = "stretch"
    np.testing.assert_array_equal(widget.result, playground.render(photo, widget.kernel, mode="stretch"))


def test_in_colab_the_widget_manager_is_turned_on(monkeypatch):
    import sys
    import types

    calls = []
    output = types.SimpleNamespace(enable_custom_widget_manager=lambda: calls.append("on"))
    colab = types.ModuleType("google.colab")
    colab.output = output
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    playground.kernel_playground(photos=("camera",), max_size=64)
    assert calls == ["on"]


def test_unknown_preset_is_refused():
    with pytest.raises(ValueError, match="unknown preset"):
        playground.kernel_playground(preset="sobel")
