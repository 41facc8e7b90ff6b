"""Notebook 7's usual mistakes, for the hints that name them (instructors only, never shipped).

``python -m cnnlab.grade.expected 07_case_studies`` runs each wrong version on the visible
cases and stores what it returns next to the correct results in
``cnnlab/checks/expected/case_studies.json``; a student whose output equals one of them
gets that mistake's hint (``INCEPTION_MISTAKES``, ``BN_MISTAKES_OUT`` and
``BN_MOMENTUM_HINT`` in ``cnnlab/checks/case_studies.py``). The correct answers are the
solution notebook's own; tests/test_case_studies.py verifies them against Keras.
"""

import numpy as np


def _conv(f, channels, filters, bias=True):
    return (f * f * channels + bias) * filters


def _inception(c_in, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj, reductions=True, bias=True,
               pool_projection=None):
    pool_projection = reductions if pool_projection is None else pool_projection
    total = _conv(1, c_in, n1x1, bias) + (_conv(1, c_in, pool_proj, bias) if pool_projection else 0)
    if reductions:
        return (total + _conv(1, c_in, n3x3_reduce, bias) + _conv(3, n3x3_reduce, n3x3, bias)
                + _conv(1, c_in, n5x5_reduce, bias) + _conv(5, n5x5_reduce, n5x5, bias))
    return total + _conv(3, c_in, n3x3, bias) + _conv(5, c_in, n5x5, bias)


def _batchnorm(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, epsilon=1e-3, *,
               flip_mode=False, swap_momentum=False):
    use_batch = training != flip_mode
    axes = tuple(range(x.ndim - 1))
    mean, var = (x.mean(axis=axes), x.var(axis=axes)) if use_batch else (moving_mean, moving_var)
    out = gamma * (x - mean) / np.sqrt(var + epsilon) + beta
    if not training:
        return out, moving_mean, moving_var
    batch_mean, batch_var = x.mean(axis=axes), x.var(axis=axes)
    keep = 1 - momentum if swap_momentum else momentum
    return out, keep * moving_mean + (1 - keep) * batch_mean, keep * moving_var + (1 - keep) * batch_var


MISTAKES = {
    "inception_params": {
        "no_bias": lambda reductions=True, **widths: _inception(**widths, reductions=reductions, bias=False),
        "pool_projection": lambda reductions=True, **widths: _inception(**widths, reductions=reductions,
                                                                        pool_projection=True),
    },
    "batchnorm_forward": {
        "other_mode": lambda *a, **k: _batchnorm(*a, **k, flip_mode=True),
        "momentum_swapped": lambda *a, **k: _batchnorm(*a, **k, swap_momentum=True),
    },
}
