"""Plausible wrong answers for notebook 10, each with a fragment its message must contain.

MUTANTS maps the grade_id of an answer cell to a list of wrong versions; the
test cell ``<grade_id>_test`` must fail on each, with a message that helps.
PRELUDE is run before the answer cells outside the notebook (the autoencoder uses Keras).
"""

PRELUDE = """\
from cnnlab import runtime
runtime.quiet_tensorflow()
import keras
from keras import layers
"""

_AE = """\
def build_autoencoder(code_dim=2):
    inputs = keras.Input((28, 28, 1))
    {encoder_body}
    encoder = keras.Model(inputs, layers.Dense({code})(h))
    codes = keras.Input(({code},))
    h = layers.Dense(7 * 7 * 32, activation="relu")(codes)
    h = layers.Reshape((7, 7, 32))(h)
    h = layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu")(h)
    outputs = layers.Conv2DTranspose({channels}, 3, strides=2, padding="same", activation={activation})(h)
    decoder = keras.Model(codes, outputs)
    {autoencoder}
    return autoencoder, encoder, decoder
"""
_CONV_ENCODER = """h = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(inputs)
    h = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Flatten()(h)"""
_SHARED = "autoencoder = keras.Model(inputs, decoder(encoder(inputs)))"
_SEPARATE = """# a second copy of the layers: the encoder returned is never trained
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(inputs)
    x = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Dense(code_dim)(layers.Flatten()(x))
    x = layers.Reshape((7, 7, 32))(layers.Dense(7 * 7 * 32, activation="relu")(x))
    x = layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid")(x)
    autoencoder = keras.Model(inputs, x)"""


def _ae(encoder_body=_CONV_ENCODER, code="code_dim", channels=1, activation='"sigmoid"', autoencoder=_SHARED):
    return _AE.format(encoder_body=encoder_body, code=code, channels=channels, activation=activation,
                      autoencoder=autoencoder)


MUTANTS = {
    "one_hot": [
        {"why": "no check of the labels: np.eye(n)[-1] silently gives the last class",
         "expect": "ValueError",
         "source": "def one_hot(labels, num_classes):\n"
                   "    return np.eye(num_classes, dtype=np.float32)[np.asarray(labels)]\n"},
        {"why": "length labels.max() + 1 instead of num_classes",
         "expect": "use num_classes",
         "source": "def one_hot(labels, num_classes):\n"
                   "    labels = np.asarray(labels)\n"
                   "    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):\n"
                   "        raise ValueError('bad label')\n"
                   "    return np.eye(labels.max() + 1, dtype=np.float32)[labels]\n"},
        {"why": "classes as rows: the transpose",
         "expect": "not its transpose",
         "source": "def one_hot(labels, num_classes):\n"
                   "    labels = np.asarray(labels)\n"
                   "    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):\n"
                   "        raise ValueError('bad label')\n"
                   "    return np.eye(num_classes, dtype=np.float32)[labels].T\n"},
        {"why": "1-based: the 1 at labels[i] - 1",
         "expect": "not labels[i] - 1",
         "source": "def one_hot(labels, num_classes):\n"
                   "    labels = np.asarray(labels)\n"
                   "    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):\n"
                   "        raise ValueError('bad label')\n"
                   "    return np.eye(num_classes, dtype=np.float32)[labels - 1]\n"},
        {"why": "integer vectors (np.zeros default is float64; here int)",
         "expect": "float32",
         "source": "def one_hot(labels, num_classes):\n"
                   "    labels = np.asarray(labels)\n"
                   "    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):\n"
                   "        raise ValueError('bad label')\n"
                   "    out = np.zeros((len(labels), num_classes), dtype=int)\n"
                   "    out[np.arange(len(labels)), labels] = 1\n"
                   "    return out\n"},
    ],
    "relative_contrast": [
        {"why": "squared distances (no square root)",
         "expect": "SQUARED distances",
         "source": "def relative_contrast(points, query):\n"
                   "    d = ((points.astype(float) - query) ** 2).sum(axis=1)\n"
                   "    return (d.max() - d.min()) / d.min()\n"},
        {"why": "the ratio farthest / nearest",
         "expect": "contrast + 1",
         "source": "def relative_contrast(points, query):\n"
                   "    d = np.sqrt(((points.astype(float) - query) ** 2).sum(axis=1))\n"
                   "    return d.max() / d.min()\n"},
        {"why": "divides by the farthest distance",
         "expect": "NEAREST distance",
         "source": "def relative_contrast(points, query):\n"
                   "    d = np.sqrt(((points.astype(float) - query) ** 2).sum(axis=1))\n"
                   "    return (d.max() - d.min()) / d.max()\n"},
        {"why": "uint8 arithmetic wraps around",
         "expect": "wraps around",
         "source": "def relative_contrast(points, query):\n"
                   "    d = np.sqrt(((points - query) ** 2).sum(axis=1))\n"
                   "    return float((d.max() - d.min()) / d.min())\n"},
        {"why": "L1 distance",
         "expect": "L1 (Manhattan)",
         "source": "def relative_contrast(points, query):\n"
                   "    d = np.abs(points.astype(float) - query).sum(axis=1)\n"
                   "    return (d.max() - d.min()) / d.min()\n"},
    ],
    "pca_fit": [
        {"why": "no centring (SVD of X itself)",
         "expect": "UNCENTRED",
         "source": "def pca_fit(X, k):\n"
                   "    _, _, Vt = np.linalg.svd(X, full_matrices=False)\n"
                   "    return X.mean(axis=0), Vt[:k]\n"},
        {"why": "columns of Vt instead of rows",
         "expect": "ROWS of Vt",
         "source": "def pca_fit(X, k):\n"
                   "    mean = X.mean(axis=0)\n"
                   "    _, _, Vt = np.linalg.svd(X - mean, full_matrices=False)\n"
                   "    return mean, Vt[:, :k].T\n"},
        {"why": "U instead of Vt",
         "expect": "columns of U",
         "source": "def pca_fit(X, k):\n"
                   "    mean = X.mean(axis=0)\n"
                   "    U, _, _ = np.linalg.svd(X - mean, full_matrices=False)\n"
                   "    return mean, U[:, :k].T\n"},
        {"why": "returns (D, k)",
         "expect": "not its transpose (D, k)",
         "source": "def pca_fit(X, k):\n"
                   "    mean = X.mean(axis=0)\n"
                   "    _, _, Vt = np.linalg.svd(X - mean, full_matrices=False)\n"
                   "    return mean, Vt[:k].T\n"},
        {"why": "eigen-decomposition of the uncentred Gram matrix X.T @ X",
         "expect": "UNCENTRED",
         "source": "def pca_fit(X, k):\n"
                   "    values, vectors = np.linalg.eigh(X.T @ X)\n"
                   "    order = np.argsort(values)[::-1]\n"
                   "    return X.mean(axis=0), vectors[:, order[:k]].T\n"},
        {"why": "eigh of the covariance, eigenvalues left in increasing order",
         "expect": "INCREASING order",
         "source": "def pca_fit(X, k):\n"
                   "    mean = X.mean(axis=0)\n"
                   "    Xc = X - mean\n"
                   "    values, vectors = np.linalg.eigh(Xc.T @ Xc / (len(X) - 1))\n"
                   "    return mean, vectors[:, :k].T\n"},
        {"why": "standardised the features (correlation PCA)",
         "expect": "standard deviation",
         "source": "def pca_fit(X, k):\n"
                   "    mean = X.mean(axis=0)\n"
                   "    _, _, Vt = np.linalg.svd((X - mean) / X.std(axis=0), full_matrices=False)\n"
                   "    return mean, Vt[:k]\n"},
        {"why": "components scaled by the singular values",
         "expect": "unit vector",
         "source": "def pca_fit(X, k):\n"
                   "    mean = X.mean(axis=0)\n"
                   "    _, S, Vt = np.linalg.svd(X - mean, full_matrices=False)\n"
                   "    return mean, S[:k, None] * Vt[:k]\n"},
    ],
    "pca_transform": [
        {"why": "forgets to centre",
         "expect": "subtract the mean",
         "source": "def pca_transform(X, mean, components):\n"
                   "    return X @ components.T\n"},
        {"why": "centres with the new data's own mean",
         "expect": "not X's own mean",
         "source": "def pca_transform(X, mean, components):\n"
                   "    return (X - X.mean(axis=0)) @ components.T\n"},
        {"why": "returns (k, N)",
         "expect": "not (k, N)",
         "source": "def pca_transform(X, mean, components):\n"
                   "    return components @ (X - mean).T\n"},
    ],
    "build_autoencoder": [
        {"why": "the autoencoder has its own copy of the layers: the encoder is never trained",
         "expect": "not in the autoencoder",
         "source": _ae(autoencoder=_SEPARATE)},
        {"why": "linear output: pixels outside [0, 1]",
         "expect": "sigmoid",
         "source": _ae(activation="None")},
        {"why": "bottleneck hard-coded to 2",
         "expect": "use the code_dim argument",
         "source": _ae(code="2")},
        {"why": "a dense encoder, no convolution",
         "expect": "no Conv2D layer",
         "source": _ae(encoder_body='h = layers.Dense(128, activation="relu")(layers.Flatten()(inputs))')},
        {"why": "the last layer keeps 16 channels",
         "expect": "channel",
         "source": _ae(channels=16)},
    ],
}
