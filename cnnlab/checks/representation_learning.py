"""Checks for notebook 10: one-hot vectors, distance concentration, PCA and a convolutional autoencoder.

The references are the libraries': ``keras.utils.to_categorical`` for one-hot
vectors, ``scipy.spatial.distance.cdist`` for distances, and
``sklearn.decomposition.PCA`` for principal components (compared up to the
sign of each component, which an SVD does not fix). Keras is imported only
when a check needs it, after :func:`cnnlab.runtime.quiet_tensorflow`, so that
importing this module writes nothing to stderr.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .core import call, expect_array, expect_scalar, fail, passed, require_function


def _keras():
    """Import Keras quietly (TensorFlow's start-up logs go to stderr otherwise)."""
    from cnnlab import runtime

    runtime.quiet_tensorflow()
    import keras

    return keras


# --------------------------------------------------------------------------- exercise 1: one_hot


def one_hot_reference(labels, num_classes: int) -> np.ndarray:
    """Keras' one-hot encoding: (N,) integer labels → (N, num_classes) float32."""
    _keras()
    from keras.utils import to_categorical

    labels = np.asarray(labels, dtype=np.int64)
    return np.asarray(to_categorical(labels, num_classes), dtype=np.float32).reshape(len(labels), num_classes)


def _one_hot_hint(got: Any, labels: np.ndarray, num_classes: int) -> str:
    n = len(labels)
    if isinstance(got, np.ndarray) and got.shape == (num_classes, n) and n != num_classes:
        return "rows are samples and columns are classes: return shape (N, num_classes), not its transpose."
    if isinstance(got, np.ndarray) and got.ndim == 2 and got.shape[0] == n and n and \
            got.shape[1] == labels.max() + 1 != num_classes:
        return (f"the vectors have labels.max() + 1 = {labels.max() + 1} entries; use num_classes = {num_classes}: "
                "a batch need not contain the largest class, and every vector must have the same length.")
    if isinstance(got, np.ndarray) and got.shape == (n, num_classes) and n:
        if np.array_equal(got.argmax(axis=1), (labels - 1) % num_classes):
            return "label 0 is the first class: put the 1 at index labels[i], not labels[i] - 1."
        if not np.all(got.sum(axis=1) == 1):
            return "each row has exactly one 1 (at index labels[i]) and num_classes - 1 zeros."
    return "row i is all zeros except a 1 at column labels[i]; `np.eye(num_classes)[labels]` builds that."


def one_hot_case(func: Callable, labels, num_classes: int, *, case: str, name: str = "one_hot") -> None:
    """Check one case of ``one_hot(labels, num_classes)`` against ``keras.utils.to_categorical``."""
    labels_arr = np.asarray(labels)
    got = call(name, func, labels if isinstance(labels, list) else labels_arr.copy(), num_classes, case=case)
    expected = one_hot_reference(labels_arr, num_classes)
    hint = _one_hot_hint(got, labels_arr.astype(np.int64), num_classes)
    if isinstance(got, np.ndarray) and got.shape == expected.shape and got.dtype != np.float32:
        fail(name, case, f"expected dtype float32\ngot dtype      {got.dtype}",
             "one-hot vectors are the input of a network's layers, which compute in float32: "
             "`.astype(np.float32)` (as keras.utils.to_categorical returns).")
    expect_array(name, got, expected, case=case, hint=hint)


def _expect_value_error(name: str, func: Callable, labels, num_classes: int, case: str) -> None:
    try:
        got = func(np.asarray(labels), num_classes)
    except NotImplementedError:
        call(name, func, np.asarray(labels), num_classes, case=case)  # raises NotDoneError
        raise
    except ValueError:
        return
    except Exception as err:
        fail(name, case, f"expected a ValueError, got {type(err).__name__}: {err}",
             "check the labels first and `raise ValueError(...)` with a message that names the bad label.")
    shown = got.argmax(axis=1).tolist() if isinstance(got, np.ndarray) and got.ndim == 2 else got
    fail(name, case, f"expected a ValueError; your function returned {shown!r}",
         "a label outside 0 … num_classes - 1 is a bug in the data, and NumPy's `np.eye(n)[-1]` would "
         "silently give the LAST class's vector: check `labels.min() >= 0 and labels.max() < num_classes` "
         "and raise ValueError otherwise.")


def one_hot(func: Callable) -> None:
    """Check ``one_hot(labels, num_classes) -> (N, num_classes) float32``, ValueError for bad labels."""
    require_function("one_hot", func)
    cases = [
        ("labels [0, 2, 1], 3 classes", np.array([0, 2, 1]), 3),
        ("MNIST labels [3, 0, 9, 3], 10 classes", np.array([3, 0, 9, 3]), 10),
        ("labels [1, 1, 0] with num_classes=5: the batch has no 2, 3 or 4, the vectors still have 5 entries",
         np.array([1, 1, 0]), 5),
        ("a Python list [2, 0], 4 classes", [2, 0], 4),
        ("no labels at all (shape (0,)), 10 classes", np.zeros(0, np.int64), 10),
    ]
    for case, labels, n in cases:
        one_hot_case(func, labels, n, case=case)
    _expect_value_error("one_hot", func, [0, -1, 2], 3, "labels [0, -1, 2], 3 classes: -1 is not a class")
    _expect_value_error("one_hot", func, [0, 3], 3, "labels [0, 3], 3 classes: 3 is not a class (0, 1, 2 are)")
    passed("one_hot", len(cases) + 2)


# --------------------------------------------------------------------------- exercise 2: relative contrast


def distances_reference(points, query) -> np.ndarray:
    """Euclidean distances from ``query`` (D,) to every row of ``points`` (N, D), float64."""
    from scipy.spatial.distance import cdist

    points = np.asarray(points, np.float64)
    return cdist(np.asarray(query, np.float64)[None, :], points)[0]


def relative_contrast_reference(points, query) -> float:
    """(farthest − nearest) / nearest of the Euclidean distances from ``query`` to ``points``."""
    d = distances_reference(points, query)
    return float((d.max() - d.min()) / d.min())


def _contrast_hint(got: float, points, query) -> str:
    p, q = np.asarray(points, np.float64), np.asarray(query, np.float64)
    d = distances_reference(p, q)
    candidates = [
        ((d.max() ** 2 - d.min() ** 2) / d.min() ** 2,
         "you used SQUARED distances: take the square root, d = sqrt(sum((x - q)²))."),
        (d.max() / d.min(), "that is farthest / nearest = contrast + 1: subtract the nearest distance first, "
                            "(d_max - d_min) / d_min."),
        ((d.max() - d.min()) / d.max(), "divide by the NEAREST distance, d_min, not by the farthest."),
        (d.min() / d.max(), "that is nearest / farthest; the contrast is (d_max - d_min) / d_min."),
    ]
    l1 = np.abs(p - q).sum(axis=1)
    candidates.append(((l1.max() - l1.min()) / l1.min(),
                       "that is the L1 (Manhattan) distance; use the Euclidean (L2) distance."))
    for value, hint in candidates:
        if got is not None and np.isfinite(got) and np.isclose(got, value, rtol=1e-6):
            return hint
    if np.asarray(points).dtype == np.uint8:
        return ("the points are uint8 images: `points - query` wraps around at 0 and 255 (notebook 1's trap). "
                "Convert to float first: `points.astype(np.float64)`.")
    return "d = the Euclidean distance from the query to each row; return (d.max() - d.min()) / d.min()."


def contrast_case(func: Callable, points, query, *, case: str, expected: float | None = None,
                  name: str = "relative_contrast") -> None:
    """Check one case of ``relative_contrast(points, query)``."""
    got = call(name, func, np.asarray(points), np.asarray(query), case=case)
    if isinstance(got, np.ndarray) and got.size == 1:
        got = got.reshape(())
    reference = relative_contrast_reference(points, query) if expected is None else expected
    try:
        value = float(got)
    except (TypeError, ValueError):
        value = None
    expect_scalar(name, got, reference, case=case, rtol=1e-6, atol=1e-9,
                  hint=_contrast_hint(value, points, query))


def relative_contrast(func: Callable) -> None:
    """Check ``relative_contrast(points, query) -> float``: (d_max - d_min) / d_min of Euclidean distances."""
    require_function("relative_contrast", func)
    rng = np.random.default_rng(9)
    cases = [
        ("query (0, 0), points (3, 4), (6, 8), (1, 0): distances 5, 10, 1 → (10 - 1) / 1 = 9",
         np.array([[3.0, 4.0], [6.0, 8.0], [1.0, 0.0]]), np.array([0.0, 0.0]), 9.0),
        ("query (1, 1), points (4, 5), (7, 9): distances 5, 10 → (10 - 5) / 5 = 1",
         np.array([[4.0, 5.0], [7.0, 9.0]]), np.array([1.0, 1.0]), 1.0),
        ("100 random points in 50 dimensions", rng.random((100, 50)), rng.random(50), None),
        ("20 uint8 'images' of 64 pixels and a uint8 query (values 0–255)",
         rng.integers(0, 256, (20, 64), dtype=np.uint8), rng.integers(0, 256, 64, dtype=np.uint8), None),
    ]
    for case, points, query, expected in cases:
        contrast_case(func, points, query, case=case, expected=expected)
    passed("relative_contrast", len(cases))


# --------------------------------------------------------------------------- exercises 3–4: PCA


def pca_reference(X, k: int):
    """scikit-learn's PCA with k components (full SVD): (mean_ (D,), components_ (k, D))."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=k, svd_solver="full").fit(np.asarray(X, np.float64))
    return pca.mean_, pca.components_


def align_signs(components: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Flip each row of ``components`` so that it points the way the same row of ``reference`` does.

    An SVD fixes each singular vector only up to its sign (v and −v are equally
    good directions), so PCA results are compared after this.
    """
    components = np.asarray(components, np.float64)
    signs = np.sign(np.sum(components * reference, axis=1))
    signs[signs == 0] = 1
    return components * signs[:, None]


def _pca_fit_hint(comps: np.ndarray, X: np.ndarray, k: int, reference: np.ndarray) -> str:
    X = np.asarray(X, np.float64)
    Xc = X - X.mean(axis=0)
    _, _, vt_raw = np.linalg.svd(X, full_matrices=False)
    _, _, vt = np.linalg.svd(Xc, full_matrices=False)

    def same(candidate):
        return candidate.shape == comps.shape and np.allclose(align_signs(comps, candidate), candidate, atol=1e-6)

    norms = np.linalg.norm(comps, axis=1)
    if not np.allclose(norms, 1, atol=1e-6):
        return (f"the components have lengths {np.round(norms, 4).tolist()}; each must be a unit vector. "
                "The rows of Vt are; did you scale them by the singular values?")
    if same(vt_raw[:k]):
        return ("these are the directions of the UNCENTRED data: subtract the mean first, "
                "Xc = X - X.mean(axis=0), then take the SVD of Xc (an eigen-decomposition of X.T @ X without "
                "centring makes the same mistake).")
    if vt.shape[1] >= k and same(vt[:, :k].T):
        return "the principal directions are the ROWS of Vt: take Vt[:k], not the columns Vt[:, :k]."
    for cand in (vt[:k][::-1], vt[-k:], vt[-k:][::-1]):
        if same(cand):
            return ("right directions, wrong ones or wrong order: sort by decreasing variance. "
                    "np.linalg.svd returns singular values in decreasing order (take Vt[:k]); "
                    "np.linalg.eigh returns eigenvalues in INCREASING order (reverse them).")
    std = X.std(axis=0)
    if np.all(std > 0):
        _, _, vt_std = np.linalg.svd(Xc / std, full_matrices=False)
        if same(vt_std[:k]):
            return "do not divide by the standard deviation: PCA centres the data but does not rescale it."
    return ("centre X (subtract its mean), take `U, S, Vt = np.linalg.svd(Xc, full_matrices=False)`, "
            "and return Vt[:k]: its rows are the directions of decreasing variance.")


def pca_fit_case(func: Callable, X, k: int, *, case: str, name: str = "pca_fit") -> None:
    """Check one case of ``pca_fit(X, k) -> (mean (D,), components (k, D))`` against scikit-learn."""
    X = np.asarray(X, np.float64)
    n, d = X.shape
    got = call(name, func, X, k, case=case)
    if got is None:
        fail(name, case, "your function returned None.", "did you forget `return mean, components`?")
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(name, case, f"expected a pair (mean, components), got {type(got).__name__}",
             "return both: `return mean, components`.")
    mean, comps = (np.asarray(v) if isinstance(v, (list, tuple)) else v for v in got)
    ref_mean, ref_comps = pca_reference(X, k)
    expect_array(name, mean, ref_mean, case=f"{case}: the mean", rtol=1e-7, atol=1e-9,
                 hint="the mean of each column (feature) over all samples: X.mean(axis=0), shape (D,).")
    if isinstance(comps, np.ndarray) and comps.shape != (k, d):
        if comps.shape == (d, k):
            hint = f"one component per ROW: return shape (k, D) = {(k, d)}, not its transpose (D, k)."
        elif comps.shape[-1] == n or comps.shape == (k, n):
            hint = (f"shape {comps.shape}: these look like columns of U (one entry per SAMPLE). "
                    "The directions in feature space are the rows of Vt, shape (D,) each.")
        elif comps.shape[0] != k:
            hint = f"keep only the first k = {k} rows of Vt: Vt[:k]."
        else:
            hint = "components has one row per component and one column per feature."
        fail(name, f"{case}: the components", f"expected shape {(k, d)}\ngot shape      {comps.shape}", hint)
    if not isinstance(comps, np.ndarray):
        fail(name, f"{case}: the components", f"expected a NumPy array, got {type(comps).__name__}",
             "return Vt[:k], a NumPy array.")
    comps = comps.astype(np.float64)
    expect_array(name, align_signs(comps, ref_comps), ref_comps, case=f"{case}: the components (up to sign)",
                 rtol=1e-5, atol=1e-6, hint=_pca_fit_hint(comps, X, k, ref_comps))


def _correlated(rng, n: int, d: int) -> np.ndarray:
    """n samples of d correlated features with distinct variances (so that the components are unique)."""
    scales = np.linspace(3, 0.5, d)
    return (rng.normal(size=(n, d)) * scales) @ np.linalg.qr(rng.normal(size=(d, d)))[0] + rng.normal(size=d) * 4


LINE_POINTS = np.array([[1.0, 3.0], [2.0, 5.0], [3.0, 7.0], [4.0, 9.0]])  # on the line y = 2x + 1


def pca_fit(func: Callable) -> None:
    """Check ``pca_fit(X, k) -> (mean (D,), components (k, D))`` against sklearn.decomposition.PCA."""
    require_function("pca_fit", func)
    rng = np.random.default_rng(3)
    cases = [
        ("4 points on the line y = 2x + 1, k=1: mean (2.5, 6), direction ±(1, 2)/√5 = ±(0.4472, 0.8944)", LINE_POINTS, 1),
        ("200 samples of 5 correlated features, k=3", _correlated(rng, 200, 5), 3),
        ("6 samples of 10 features (fewer samples than features), k=4", _correlated(rng, 6, 10), 4),
        ("50 samples of 4 features, all k=4 components", _correlated(rng, 50, 4), 4),
    ]
    for case, X, k in cases:
        pca_fit_case(func, X, k, case=case)
    passed("pca_fit", len(cases))


def pca_transform_case(func: Callable, X, k: int, *, case: str, X_new=None,
                       name: str = "pca_transform") -> None:
    """Check ``pca_transform(X_new, mean, components)`` with scikit-learn's PCA fitted on X."""
    from sklearn.decomposition import PCA

    X = np.asarray(X, np.float64)
    X_new = X if X_new is None else np.asarray(X_new, np.float64)
    pca = PCA(n_components=k, svd_solver="full").fit(X)
    got = call(name, func, X_new, pca.mean_, pca.components_, case=case)
    expected = pca.transform(X_new)
    hint = "Z = (X - mean) @ components.T: centre with the TRAINING mean, then project on each component."
    if isinstance(got, np.ndarray) and got.shape == expected.shape:
        if np.allclose(got, X_new @ pca.components_.T, atol=1e-6):
            hint = "subtract the mean before projecting: (X - mean) @ components.T."
        elif np.allclose(got, (X_new - X_new.mean(axis=0)) @ pca.components_.T, atol=1e-6):
            hint = ("centre with the `mean` argument (the training data's mean), not X's own mean: "
                    "new data must go through the same map as the training data.")
    elif isinstance(got, np.ndarray) and got.shape == expected.shape[::-1]:
        hint = f"one row per sample: return shape (N, k) = {expected.shape}, not (k, N)."
    expect_array(name, got, expected, case=case, rtol=1e-6, atol=1e-8, hint=hint)


def pca_transform(func: Callable) -> None:
    """Check ``pca_transform(X, mean, components) -> (N, k)`` against sklearn's PCA.transform."""
    require_function("pca_transform", func)
    rng = np.random.default_rng(4)
    X, X_new = _correlated(rng, 100, 6), None
    cases = 0
    case = "the 4 points on y = 2x + 1 with k=1: component (0.4472, 0.8944): codes −3.3541, −1.1180, 1.1180, 3.3541"
    pca_transform_case(func, LINE_POINTS, 1, case=case)
    cases += 1
    pca_transform_case(func, X, 3, case="100 samples of 6 features, k=3")
    cases += 1
    X_new = _correlated(rng, 7, 6) + 5
    pca_transform_case(func, X, 2, X_new=X_new, case="7 NEW samples, with the mean and components of the 100 above, k=2")
    cases += 1
    passed("pca_transform", cases)


# --------------------------------------------------------------------------- exercise 5: the autoencoder

MAX_AUTOENCODER_PARAMS = 1_000_000  # more would not train in a minute on a laptop CPU


def _find_layers(model, kind) -> list:
    """Every layer of type ``kind`` in ``model``, looking inside nested models."""
    keras = _keras()
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += _find_layers(layer, kind)
        elif isinstance(layer, kind):
            found.append(layer)
    return found


def _numpy(tensor) -> np.ndarray:
    return np.asarray(_keras().ops.convert_to_numpy(tensor), np.float64)


def autoencoder_case(func: Callable, code_dim: int, *, case: str, image_shape=(28, 28, 1),
                     name: str = "build_autoencoder") -> None:
    """Check one case of ``build_autoencoder(code_dim) -> (autoencoder, encoder, decoder)``."""
    keras = _keras()
    got = call(name, func, code_dim, case=case)
    if got is None:
        fail(name, case, "your function returned None.", "return all three: `return autoencoder, encoder, decoder`.")
    if isinstance(got, keras.Model) or not isinstance(got, (tuple, list)) or len(got) != 3:
        fail(name, case, f"expected a tuple of three models, got {type(got).__name__}",
             "return all three: `return autoencoder, encoder, decoder` (in that order).")
    for label, model in zip(("autoencoder", "encoder", "decoder"), got):
        if not isinstance(model, keras.Model):
            fail(name, case, f"the {label} is a {type(model).__name__}, not a keras.Model",
                 "build each with `keras.Model(inputs, outputs)` (or keras.Sequential).")
    autoencoder, encoder, decoder = got
    image, batch = tuple(image_shape), (None,)

    def io(model):
        return tuple(model.inputs[0].shape), tuple(model.outputs[0].shape)

    enc_in, enc_out = io(encoder)
    if enc_in != batch + image:
        fail(name, f"{case}: the encoder", f"expected input shape {batch + image}\ngot input shape      {enc_in}",
             "the encoder reads an image: `keras.Input(shape=(28, 28, 1))`.")
    if enc_out != (None, code_dim):
        hint = (f"the encoder ends in the bottleneck: Flatten(), then Dense(code_dim) = Dense({code_dim}); "
                "use the code_dim argument, not a fixed number.")
        fail(name, f"{case}: the encoder", f"expected output shape {(None, code_dim)}\ngot output shape      {enc_out}",
             hint)
    if not _find_layers(encoder, keras.layers.Conv2D):
        fail(name, f"{case}: the encoder", "the encoder has no Conv2D layer.",
             "this is a CONVOLUTIONAL autoencoder: start the encoder with Conv2D layers (strides=2 halves the size), "
             "then Flatten and Dense(code_dim).")
    dec_in, dec_out = io(decoder)
    if dec_in != (None, code_dim):
        fail(name, f"{case}: the decoder", f"expected input shape {(None, code_dim)}\ngot input shape      {dec_in}",
             "the decoder reads a code: `keras.Input(shape=(code_dim,))`.")
    if dec_out != batch + image:
        if dec_out[:3] == (None, *image[:2]):
            hint = f"the last layer must output {image[2]} channel(s), one grey value per pixel: e.g. Conv2DTranspose({image[2]}, 3, ...)."
        elif len(dec_out) == 2 or dec_out[1:3] != image[:2]:
            hint = ("from the code back to 28×28×1: Dense(7 * 7 * 32), Reshape((7, 7, 32)), then two "
                    "Conv2DTranspose(..., strides=2, padding=\"same\") layers: 7 → 14 → 28.")
        else:
            hint = "check the decoder's last layers."
        fail(name, f"{case}: the decoder", f"expected output shape {batch + image}\ngot output shape      {dec_out}", hint)
    ae_in, ae_out = io(autoencoder)
    if (ae_in, ae_out) != (batch + image, batch + image):
        fail(name, f"{case}: the autoencoder",
             f"expected input and output shape {batch + image}\ngot {ae_in} → {ae_out}",
             "the autoencoder maps an image to its reconstruction: "
             "`keras.Model(inputs, decoder(encoder(inputs)))`.")
    ae_vars = {id(v) for v in autoencoder.weights}
    missing = [v.path for v in encoder.weights + decoder.weights if id(v) not in ae_vars]
    if missing:
        fail(name, f"{case}: shared weights",
             f"{len(missing)} weight(s) of the encoder/decoder are not in the autoencoder, e.g. {missing[0]!r}.",
             "build the encoder and the decoder once, then the autoencoder FROM them: "
             "`autoencoder = keras.Model(inputs, decoder(encoder(inputs)))`. Otherwise training the "
             "autoencoder leaves the encoder you use for the codes untrained.")
    rng = np.random.default_rng(code_dim)
    x = rng.random((4, *image)).astype(np.float32)
    through = _numpy(decoder(encoder(x)))
    direct = _numpy(autoencoder(x))
    if not np.allclose(direct, through, atol=1e-5):
        fail(name, f"{case}: shared weights", "autoencoder(x) differs from decoder(encoder(x)).",
             "the autoencoder must be exactly the encoder followed by the decoder: "
             "`keras.Model(inputs, decoder(encoder(inputs)))`, with no layer of its own.")
    codes = rng.normal(scale=50.0, size=(8, code_dim)).astype(np.float32)
    out = _numpy(decoder(codes))
    if out.min() < 0 or out.max() > 1:
        fail(name, f"{case}: the output range",
             f"for large codes the decoder outputs values from {out.min():.3g} to {out.max():.3g}.",
             "pixels are in [0, 1]: end the decoder with activation=\"sigmoid\" (which also suits the "
             "binary cross-entropy loss).")
    n_params = autoencoder.count_params()
    if n_params > MAX_AUTOENCODER_PARAMS:
        fail(name, f"{case}: its size", f"the autoencoder has {n_params:,} parameters (at most "
             f"{MAX_AUTOENCODER_PARAMS:,} allowed here).",
             "keep it small so that it trains in a minute: 16 and 32 filters, and no big Dense layer "
             "other than the one into and the one out of the bottleneck.")
    if n_params != encoder.count_params() + decoder.count_params():
        fail(name, f"{case}: its size",
             f"the autoencoder has {n_params:,} parameters, the encoder and the decoder "
             f"{encoder.count_params():,} + {decoder.count_params():,}.",
             "the autoencoder is the encoder followed by the decoder, with no layer of its own.")


def build_autoencoder(func: Callable) -> None:
    """Check ``build_autoencoder(code_dim) -> (autoencoder, encoder, decoder)`` for code_dim 2 and 16."""
    require_function("build_autoencoder", func)
    autoencoder_case(func, 2, case="code_dim=2")
    autoencoder_case(func, 16, case="code_dim=16")
    passed("build_autoencoder", 2)
