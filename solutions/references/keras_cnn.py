"""Notebook 6's usual mistakes, for the hints that name them (instructors only, never shipped).

``python -m cnnlab.grade.expected 06_keras_cnn`` runs each wrong version on the visible
cases and stores what it returns next to the correct results (the solution notebook's own
answers) in ``cnnlab/checks/expected/keras_cnn.json``; a student whose output equals one
of them gets that mistake's hint (``MERGE_MISTAKES`` and ``OCCLUSION_MISTAKES`` in
``cnnlab/checks/keras_cnn.py``).
The other exercises' hints come from properties of what the student's layer or model
holds (its kernel against w, its strides, its layer table), so they need no stored mistake.
"""

import numpy as np
from scipy import signal


def _occlusion(predict, image, label, patch=8, stride=4, fill=0.0, *, mistake):
    """Wrong occlusion maps: each ``mistake`` is one of OCCLUSION_MISTAKES' labels."""
    image = np.array(image, dtype=np.float64)
    step = patch if mistake == "stride_is_patch" else stride
    fill = 0.0 if mistake == "fill_ignored" else fill
    channels = slice(0, 1) if mistake == "one_channel" else slice(None)
    rows, cols = (image.shape[0] - patch) // step + 1, (image.shape[1] - patch) // step + 1
    batch = np.repeat(image[None], rows * cols + 1, axis=0)
    for n, (i, j) in enumerate(np.ndindex(rows, cols), start=1):
        batch[n, i * step:i * step + patch, j * step:j * step + patch, channels] = fill
    probabilities = np.asarray(predict(batch), np.float64)
    p = probabilities[:, (label + 1) % probabilities.shape[1] if mistake == "other_class" else label]
    if mistake == "occluded_probability":
        return p[1:].reshape(rows, cols)
    drop = (p[0] - p[1:]).reshape(rows, cols)
    return -drop if mistake == "negated" else drop


MISTAKES = {
    "merge_linear_convs": {
        # scipy's correlate2d in 'full' mode slides k2 without flipping it: the merged kernel comes out flipped
        "correlate_full": lambda k1, k2: signal.correlate2d(k1, k2, mode="full"),
        "correlate_full_swapped": lambda k1, k2: signal.correlate2d(k2, k1, mode="full"),
    },
    "occlusion_map": {m: (lambda m: lambda predict, image, label, patch=8, stride=4, fill=0.0:
                          _occlusion(predict, image, label, patch, stride, fill, mistake=m))(m)
                      for m in ("occluded_probability", "negated", "stride_is_patch", "one_channel", "fill_ignored",
                                "other_class")},
}
