"""Notebook 6's usual mistakes, for the hints that name them (instructors only, never shipped).

``python -m cnnlab.grade.expected 06_keras_cnn`` runs each wrong version on the visible
cases and stores what it returns next to the correct results (the solution notebook's own
answers) in ``cnnlab/checks/expected/keras_cnn.json``; a student whose output equals one
of them gets that mistake's hint (``MERGE_MISTAKES`` in ``cnnlab/checks/keras_cnn.py``).
The other exercises' hints come from properties of what the student's layer or model
holds (its kernel against w, its strides, its layer table), so they need no stored mistake.
"""

from scipy import signal

MISTAKES = {
    "merge_linear_convs": {
        # scipy's correlate2d in 'full' mode slides k2 without flipping it: the merged kernel comes out flipped
        "correlate_full": lambda k1, k2: signal.correlate2d(k1, k2, mode="full"),
        "correlate_full_swapped": lambda k1, k2: signal.correlate2d(k2, k1, mode="full"),
    },
}
