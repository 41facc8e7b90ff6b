"""An interactive kernel playground: edit a 3×3 kernel, pick a photo, see the result.

In a notebook (JupyterLab, Jupyter Notebook, VS Code or Colab)::

    from cnnlab import playground
    playground.kernel_playground()

shows the photo and the result side by side, a 3×3 grid of numbers for the
kernel, a factor in front of it (the lectures write ``1/9`` there), the
lecture's kernels as presets, and how to display results outside 0–255.

Everything the widget shows comes from :func:`render`, a pure function of the
photo and the settings, so it can be used (and tested) without widgets::

    result = playground.render(photo, kernel, factor=1 / 9)  # (H, W, 3) uint8

The widget uses only ipywidgets' built-in controls and an ``Image`` widget
showing PNG bytes, which JupyterLab displays without extensions; in Colab,
:func:`kernel_playground` first turns on Colab's widget manager.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Callable

import ipywidgets as widgets
import numpy as np
from scipy import ndimage

from . import datasets, runtime

# The lecture's 3×3 kernels (lectures 000 and 002): name → (kernel, factor in front of it).
PRESETS: dict[str, tuple[np.ndarray, float]] = {
    "identity": (np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], float), 1.0),
    "shift right by one pixel": (np.array([[0, 0, 0], [1, 0, 0], [0, 0, 0]], float), 1.0),
    "box blur (1/9)": (np.ones((3, 3)), 1 / 9),
    "sharpen": (np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], float), 1.0),
    "Laplacian": (np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], float), 1.0),
    "emboss": (np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], float), 1.0),
    "edge detection": (np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], float), 1 / 9),
}

# How results outside 0–255 are shown.
DISPLAY_MODES = {
    "clip to 0–255": "clip",
    "|value|, stretched": "abs",
    "value, stretched": "stretch",
}

MAX_SIZE = 512  # photos are shrunk to at most this many pixels on their long side


def load_photo(name: str, max_size: int = MAX_SIZE) -> np.ndarray:
    """A sample photo (:data:`cnnlab.datasets.SAMPLE_IMAGES`) shrunk for speed, as float64.

    The photo is averaged over blocks of ``k×k`` pixels, the smallest whole
    ``k`` that brings its long side to at most ``max_size``.

    Returns:
        (H, W, 3) float64 for colour photos, (H, W) for "camera"; values 0–255.
    """
    return _load_photo(name, max_size).copy()


@lru_cache(maxsize=8)
def _load_photo(name: str, max_size: int) -> np.ndarray:
    image = datasets.sample_image(name).astype(np.float64)
    k = max(1, -(-max(image.shape[:2]) // max_size))
    h, w = image.shape[0] // k * k, image.shape[1] // k * k
    image = image[:h, :w]
    return image.reshape(h // k, k, w // k, k, *image.shape[2:]).mean(axis=(1, 3))


def correlate_same(image2d: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Cross-correlation of a 2-D image with zero padding that keeps its size (fast, SciPy)."""
    return ndimage.correlate(np.asarray(image2d, dtype=np.float64), kernel, mode="constant", cval=0.0)


def to_display(result: np.ndarray, mode: str = "clip") -> np.ndarray:
    """Turn a convolution result (any real values) into a uint8 image.

    Args:
        result: (H, W) or (H, W, 3) real values.
        mode: "clip": values below 0 become 0 and above 255 become 255, as image
            editors do. "abs": the absolute value, scaled so that the brightest
            0.5 % of pixels become white (edge kernels give small positive and
            negative values on the two sides of an edge; a few very large ones,
            such as the photo's border against the zero padding, do not set the
            scale). "stretch": the same for the values themselves: the lowest
            0.5 % black, the highest 0.5 % white.
    """
    result = np.asarray(result, dtype=np.float64)
    if mode == "abs":
        result = np.abs(result)
        top = np.percentile(result, 99.5)
        result = result * (255.0 / top) if top > 0 else result
    elif mode == "stretch":
        lo, hi = np.percentile(result, [0.5, 99.5])
        result = (result - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(result)
    elif mode != "clip":
        raise ValueError(f"unknown display mode {mode!r}; choose 'clip', 'abs' or 'stretch'")
    return np.clip(np.round(result), 0, 255).astype(np.uint8)


def render(image: np.ndarray, kernel, factor: float = 1.0, mode: str = "clip", grayscale: bool = False,
           conv: Callable | None = None) -> np.ndarray:
    """What the playground shows: ``factor × kernel`` applied to each channel of ``image``.

    Args:
        image: (H, W) or (H, W, 3) photo, values 0–255.
        kernel: (k, k) kernel with k odd; zero padding keeps the photo's size.
        factor: number multiplied into the kernel (1/9 for the box blur).
        mode: how values outside 0–255 are shown, see :func:`to_display`.
        grayscale: average the colour channels first.
        conv: optional ``conv(image2d, kernel, padding=...) -> 2-D array``, e.g. your
            own ``conv2d`` from notebook 2 (slow with loops: use a small photo);
            default: SciPy's correlation.

    Returns:
        (H, W, 3) or (H, W) uint8: the image to show.
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1] or kernel.shape[0] % 2 == 0:
        raise ValueError(f"the kernel must be square with an odd size (3×3, 5×5, …), got shape {kernel.shape}")
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3 and grayscale:
        image = image.mean(axis=2)
    if image.ndim not in (2, 3):
        raise ValueError(f"expected an (H, W) or (H, W, 3) image, got shape {image.shape}")
    kernel = factor * kernel
    channels = image[..., None] if image.ndim == 2 else image
    maps = []
    for c in range(channels.shape[2]):
        if conv is None:
            out = correlate_same(channels[..., c], kernel)
        else:
            out = np.asarray(conv(channels[..., c], kernel, padding=kernel.shape[0] // 2))
            if out.shape != channels.shape[:2]:
                raise ValueError(f"conv returned shape {out.shape} for a {channels.shape[:2]} image with "
                                 f"padding {kernel.shape[0] // 2}; expected {channels.shape[:2]}: "
                                 "check its padding and output size")
        maps.append(out)
    result = np.stack(maps, axis=-1)
    return to_display(result[..., 0] if image.ndim == 2 else result, mode)


def png_bytes(image: np.ndarray) -> bytes:
    """A uint8 image encoded as PNG, for ``ipywidgets.Image``."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def kernel_playground(photos=datasets.SAMPLE_IMAGES, preset: str = "sharpen", conv: Callable | None = None,
                      max_size: int = MAX_SIZE):
    """Build the playground widget (display it by making it a cell's last expression).

    Args:
        photos: names of sample photos to choose from.
        preset: the kernel shown first, a key of :data:`PRESETS`.
        conv: optional convolution function for :func:`render` (default SciPy's).
        max_size: photos are shrunk to at most this many pixels on the long side.

    Returns:
        A :class:`KernelPlayground` (an ``ipywidgets.VBox``).
    """
    _colab_widgets()
    return KernelPlayground(photos=photos, preset=preset, conv=conv, max_size=max_size)


def _colab_widgets() -> None:
    """In Colab, turn on its widget manager for the installed ipywidgets (Colab's documented way)."""
    if not runtime.in_colab():
        return
    try:
        from google.colab import output

        output.enable_custom_widget_manager()
    except (ImportError, AttributeError):  # an old or unusual Colab: its built-in manager may still work
        pass


class KernelPlayground(widgets.VBox):
    """The widget: photo and result side by side, kernel cells, presets, display options.

    Attributes: ``cells`` (3×3 list of FloatText), ``factor``, ``preset``,
    ``photo``, ``mode``, ``grayscale``, ``original`` and ``output`` (Image
    widgets), ``result`` (the last rendered uint8 array).
    """

    def __init__(self, photos, preset, conv, max_size):
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
        self._conv, self._max_size, self._quiet = conv, max_size, False
        self.result = None
        cell_layout = widgets.Layout(width="72px")
        self.cells = [[widgets.FloatText(step=0.1, layout=cell_layout) for _ in range(3)] for _ in range(3)]
        self.factor = widgets.FloatText(value=1.0, step=0.1, description="factor ×",
                                        layout=widgets.Layout(width="170px"))
        self.preset = widgets.Dropdown(options=list(PRESETS), value=preset, description="preset")
        self.photo = widgets.Dropdown(options=list(photos), description="photo")
        self.mode = widgets.Dropdown(options=list(DISPLAY_MODES.items()), value="clip", description="show")
        self.grayscale = widgets.Checkbox(value=False, description="grayscale")
        self.original = widgets.Image(format="png", layout=widgets.Layout(max_width="48%"))
        self.output = widgets.Image(format="png", layout=widgets.Layout(max_width="48%"))
        grid = widgets.GridBox([c for row in self.cells for c in row],
                               layout=widgets.Layout(grid_template_columns="repeat(3, 76px)"))
        controls = widgets.HBox([
            widgets.VBox([widgets.Label("kernel (3×3)"), grid, self.factor]),
            widgets.VBox([self.preset, self.photo, self.mode, self.grayscale]),
        ])
        super().__init__([widgets.HBox([self.original, self.output]), controls])
        self._set_kernel(preset)  # fills the cells and renders the first result
        self.preset.observe(lambda change: self._set_kernel(change["new"]), names="value")
        for control in [c for row in self.cells for c in row] + [
                self.factor, self.photo, self.mode, self.grayscale]:
            control.observe(lambda change: self.update(), names="value")

    @property
    def kernel(self) -> np.ndarray:
        """The 3×3 kernel in the cells (without the factor)."""
        return np.array([[c.value for c in row] for row in self.cells], dtype=np.float64)

    def image(self) -> np.ndarray:
        """The selected photo, shrunk, float64 (grayscale if that box is ticked)."""
        image = load_photo(self.photo.value, self._max_size)
        return image.mean(axis=2) if self.grayscale.value and image.ndim == 3 else image

    def update(self) -> np.ndarray:
        """Render the result for the current settings and show it; returns it."""
        if self._quiet:
            return self.result
        image = self.image()
        self.result = render(image, self.kernel, self.factor.value, self.mode.value, conv=self._conv)
        self.original.value = png_bytes(to_display(image))
        self.output.value = png_bytes(self.result)
        return self.result

    def _set_kernel(self, name: str):
        kernel, factor = PRESETS[name]
        self._quiet = True  # one update for the whole kernel, not one per cell
        try:
            for row, values in zip(self.cells, kernel):
                for cell, v in zip(row, values):
                    cell.value = float(v)
            self.factor.value = factor
            self.mode.value = "abs" if np.isclose(kernel.sum(), 0) else "clip"
        finally:
            self._quiet = False
        self.update()


