"""CIFAR-10 and MNIST loaders, and sample photos for the kernel notebooks.

Where the data comes from, in this order:

1. ``data_dir=`` if given, else the folder named by the ``CNNLAB_DATA``
   environment variable. Nothing is downloaded then; the folder holds the
   official files::

       <folder>/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}
       <folder>/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz

2. Otherwise the official files are downloaded once with :mod:`pooch` into a
   cache folder (``CNNLAB_CACHE``, default ``pooch.os_cache("cnnlab")``).

Every loader returns a :class:`Dataset` whose ``source`` sentence says where
the data came from and which subset was taken; notebooks print it. Problems
with the files raise :class:`DataError`, never a warning (nbgrader takes
points off cells that write to stderr).
"""

from __future__ import annotations

import gzip
import io
import operator
import os
import pickle
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_ENV = "CNNLAB_DATA"
CACHE_ENV = "CNNLAB_CACHE"

# Download locations and checksums, kept in one place (tests point them at a local server).
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
MNIST_BASE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

CIFAR10_DIR = "cifar-10-batches-py"
CIFAR10_TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_FILES = (*CIFAR10_TRAIN_FILES, "test_batch", "batches.meta")
MNIST_DIR = "mnist"
MNIST_CLASS_NAMES = tuple(str(d) for d in range(10))
# Share of the official MNIST test set used for training when the 60,000
# training images are not there (offline): 10,000 -> 8,000 / 2,000.
MNIST_OFFLINE_TRAIN_FRACTION = 0.8

SAMPLE_IMAGES = ("chelsea", "astronaut", "coffee", "rocket", "camera")

_CIFAR_ROW = 3 * 32 * 32
# IDX type codes (third magic byte) -> big-endian numpy dtypes.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DataError(RuntimeError):
    """A data file is missing, truncated or corrupt, or a download failed.

    The message names the file, says what is wrong and what to do. A notebook
    shows it as that one paragraph, without the loaders' traceback.
    """

    def _render_traceback_(self) -> list[str]:
        from cnnlab import messages

        return messages.render_paragraph(self, "The data could not be loaded.")


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """Images and labels of one data set, split into training and test parts.

    Attributes:
        x_train: (n_train, H, W, C) uint8 images, channels last (NHWC).
        y_train: (n_train,) int64 labels in ``range(len(class_names))``.
        x_test: (n_test, H, W, C) uint8 images.
        y_test: (n_test,) int64 labels.
        class_names: one name per label.
        source: one sentence: where the data came from and which subset.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str

    def __repr__(self) -> str:  # the default would print every pixel
        return (
            f"Dataset(x_train={self.x_train.shape}, x_test={self.x_test.shape}, "
            f"{len(self.class_names)} classes)\n{self.source}"
        )


# --------------------------------------------------------------------------- subsets


def stratified_subset(y, n=None, seed=0) -> np.ndarray:
    """Indices of a class-balanced random subset of ``n`` labels.

    Each class gets ``n * count / len(y)`` places, rounded by largest
    remainder so the total is exactly ``n``; the members of each class are
    drawn with ``np.random.default_rng(seed)``, so a seed always gives the
    same subset.

    Args:
        y: (N,) integer labels.
        n: subset size; ``None`` or ``len(y)`` means all of them.
        seed: random seed.

    Returns:
        (n,) sorted int64 indices into ``y``.

    Raises:
        ValueError: if ``n`` is negative or larger than ``len(y)``.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of labels, got shape {y.shape}")
    total = len(y)
    if n is None:
        return np.arange(total, dtype=np.int64)
    n = operator.index(n)
    if n < 0 or n > total:
        raise ValueError(f"cannot take {n:,} samples: only {total:,} are available")
    if n == total:
        return np.arange(total, dtype=np.int64)

    classes, counts = np.unique(y, return_counts=True)
    quota, remainder = np.divmod(counts * n, total)
    # Largest remainders get the places left over; ties go to the smaller label.
    order = np.argsort(-remainder, kind="stable")
    quota[order[: n - quota.sum()]] += 1

    rng = np.random.default_rng(seed)
    picked = [
        rng.choice(np.flatnonzero(y == c), size=k, replace=False)
        for c, k in zip(classes, quota, strict=True)
    ]
    return np.sort(np.concatenate(picked)).astype(np.int64)


# --------------------------------------------------------------------------- file readers


def read_cifar_batch(path) -> tuple[np.ndarray, np.ndarray]:
    """Read one batch file of the official CIFAR-10 python version.

    The file is a pickled dict with ``b"data"``, a uint8 array (n, 3072) whose
    rows hold 1024 red, then 1024 green, then 1024 blue values of a 32x32
    image, and ``b"labels"``, n ints. Batches of any length are accepted.

    Returns:
        x: (n, 32, 32, 3) uint8 images, channels last.
        y: (n,) int64 labels.

    Raises:
        DataError: the file is missing, not a CIFAR-10 batch, or truncated.
    """
    path = Path(path)
    batch = _unpickle(path)
    data, labels = _get(batch, "data"), _get(batch, "labels")
    if data is None or labels is None:
        raise DataError(f"{path}: not a CIFAR-10 batch: no 'data' and 'labels' entries.")
    data = np.asarray(data)
    labels = np.asarray(labels)
    if data.dtype != np.uint8:
        raise DataError(f"{path}: not a CIFAR-10 batch: data is {data.dtype}, not uint8.")
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"{path}: not a CIFAR-10 batch: labels are not a list of integers.")
    expected = len(labels) * _CIFAR_ROW
    if data.size != expected:
        what = "truncated" if data.size < expected else "too long"
        raise DataError(
            f"{path}: {what}: {expected:,} bytes of image data expected "
            f"for {len(labels):,} labels, {data.size:,} found."
        )
    # Rows are channel-major (3, 32, 32); the course uses NHWC.
    x = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(x), labels.astype(np.int64)


def read_cifar_meta(path) -> tuple[str, ...]:
    """Class names from the CIFAR-10 ``batches.meta`` file (``label_names``)."""
    path = Path(path)
    names = _get(_unpickle(path), "label_names")
    if names is None:
        raise DataError(f"{path}: not a CIFAR-10 batches.meta file: no 'label_names' entry.")
    return tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)


def read_idx(path) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzip-compressed or plain.

    The header is a magic number ``00 00 <type> <ndim>`` followed by ``ndim``
    big-endian uint32 sizes; the payload must hold exactly that many values.

    Returns:
        An array of the stored shape, e.g. (n, 28, 28) uint8 images or (n,) uint8 labels.

    Raises:
        DataError: the file is missing, not gzip/IDX, or truncated.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if raw[:2] == b"\x1f\x8b":  # gzip magic
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{path}: corrupt gzip file ({exc}).") from exc
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in _IDX_DTYPES or raw[3] == 0:
        raise DataError(f"{path}: not an IDX file: bad magic number {raw[:4].hex() or 'none'}.")
    dtype, ndim = np.dtype(_IDX_DTYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated: the IDX header is incomplete.")
    shape = tuple(int(s) for s in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected, found = int(np.prod(shape)) * dtype.itemsize, len(raw) - header
    if found != expected:
        what = "truncated" if found < expected else "too long"
        raise DataError(
            f"{path}: {what}: {expected:,} bytes of data expected for shape {shape}, "
            f"{found:,} found."
        )
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc}).") from exc


class _BatchUnpickler(pickle.Unpickler):
    """Unpickles only what CIFAR-10 files hold (dicts, lists, numpy arrays).

    A pickle can run any code it names; refusing other names keeps a wrong or
    malicious file in the data folder from doing so.
    """

    ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),  # written by numpy < 2, as in the official files
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.numeric", "_frombuffer"),  # protocol 5
        ("numpy._core.numeric", "_frombuffer"),
        ("_codecs", "encode"),  # bytes in protocol-2 pickles written by Python 3
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a CIFAR-10 file")
        return super().find_class(module, name)


def _unpickle(path: Path):
    raw = _read_bytes(path)
    try:
        return _BatchUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except Exception as exc:  # truncated or foreign pickles fail in many ways
        raise DataError(
            f"{path}: not a CIFAR-10 batch: unpickling failed ({type(exc).__name__}: {exc})."
        ) from exc


def _get(d, key):
    """``d[key]`` for the bytes keys of the official pickles (or str keys)."""
    if not isinstance(d, dict):
        return None
    return d.get(key.encode(), d.get(key))


# --------------------------------------------------------------------------- where files are


def _data_folder(data_dir):
    """(folder, why that folder, how to download instead) from ``data_dir`` or ``$CNNLAB_DATA``.

    (None, None, None) when neither is set: then the loaders download.
    """
    if data_dir is not None:
        return Path(data_dir), f"data_dir={data_dir} was given", "leave data_dir out"
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env), f"{DATA_ENV}={env} is set", f"unset {DATA_ENV}"
    return None, None, None


def _require(path: Path, how: str, undo: str) -> Path:
    if not path.is_file():
        raise DataError(
            f"{how} but {path} is missing: copy the official files there or {undo} to download."
        )
    return path


@contextmanager
def _advice(text: str):
    """Append what to do to any DataError raised while reading files."""
    try:
        yield
    except DataError as exc:
        raise DataError(f"{exc} {text}") from exc


def cache_dir() -> Path:
    """The download cache: ``$CNNLAB_CACHE``, else ``pooch.os_cache("cnnlab")``."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    import pooch

    return Path(pooch.os_cache("cnnlab"))


def _download(url: str, md5: str, folder: Path, processor=None):
    """Download ``url`` into ``folder`` once; pooch checks the MD5 before keeping the file."""
    import pooch

    from cnnlab.runtime import is_autograding

    pooch.get_logger().setLevel("WARNING")  # its INFO lines go to stderr
    try:
        # pooch writes to a temporary file and moves it into place only after
        # the hash matches, so a failed download leaves nothing in the cache.
        return pooch.retrieve(
            url,
            known_hash=f"md5:{md5}",
            fname=url.rsplit("/", 1)[-1],
            path=folder,
            processor=processor,
            progressbar=not is_autograding(),
        )
    except Exception as exc:
        reason = str(exc).rstrip(".")
        raise DataError(
            f"Downloading {url} failed: {reason}. No partial file was left in {folder}. "
            f"Check the internet connection and run again, or set {DATA_ENV} to a folder "
            f"with the official files."
        ) from exc


def _subset_sentence(n_train, of_train, n_test, of_test, seed) -> str:
    """E.g. "5,000 of 5,170 training and all 1,017 test images, stratified, seed 0." """
    if n_train == of_train and n_test == of_test:
        return f"all {of_train:,} training and {of_test:,} test images."

    def part(n, of, what):
        return f"all {of:,} {what}" if n == of else f"{n:,} of {of:,} {what}"

    return (
        f"{part(n_train, of_train, 'training')} and {part(n_test, of_test, 'test')} images, "
        f"stratified, seed {seed}."
    )


def _take(x, y, n, seed):
    idx = stratified_subset(y, n, seed)
    return x[idx], y[idx]


# --------------------------------------------------------------------------- loaders


def load_cifar10(n_train=None, n_test=None, seed=0, data_dir=None) -> Dataset:
    """Load CIFAR-10 (or a stratified random subset of it).

    Args:
        n_train: number of training images; ``None`` for all (50,000 officially).
        n_test: number of test images; ``None`` for all (10,000 officially).
        seed: seed of the subsets (see :func:`stratified_subset`).
        data_dir: folder holding ``cifar-10-batches-py/``; overrides ``$CNNLAB_DATA``.
            With neither, the official archive (163 MB) is downloaded once.

    Returns:
        A :class:`Dataset` with x of shape (n, 32, 32, 3) uint8 and 10 class names
        (airplane ... truck).
    """
    folder, how, undo = _data_folder(data_dir)
    if folder is not None:
        folder = folder / CIFAR10_DIR
        files = [_require(folder / name, how, undo) for name in CIFAR10_FILES]
        origin = f"CIFAR-10 from {folder}"
        advice = f"Replace it with the official file, or {undo} to download."
    else:
        import pooch

        cache = cache_dir() / "cifar10"
        members = [f"{CIFAR10_DIR}/{name}" for name in CIFAR10_FILES]
        _download(CIFAR10_URL, CIFAR10_MD5, cache, pooch.Untar(members, extract_dir="extracted"))
        folder = cache / "extracted" / CIFAR10_DIR
        files = [folder / name for name in CIFAR10_FILES]
        origin = f"CIFAR-10 downloaded from {CIFAR10_URL}"
        advice = f"Delete {cache} and run again to re-download."

    with _advice(advice):
        batches = [read_cifar_batch(f) for f in files[:5]]
        x_test, y_test = read_cifar_batch(files[5])
        class_names = read_cifar_meta(files[6])
        x_train = np.concatenate([b[0] for b in batches])
        y_train = np.concatenate([b[1] for b in batches])
        for y in (y_train, y_test):
            if y.size and (y.min() < 0 or y.max() >= len(class_names)):
                raise DataError(f"{folder}: labels outside 0..{len(class_names) - 1}.")

    of_train, of_test = len(y_train), len(y_test)
    x_train, y_train = _take(x_train, y_train, n_train, seed)
    x_test, y_test = _take(x_test, y_test, n_test, seed)
    sentence = _subset_sentence(len(y_train), of_train, len(y_test), of_test, seed)
    return Dataset(x_train, y_train, x_test, y_test, class_names, f"{origin}: {sentence}")


def load_mnist(n_train=None, n_test=None, seed=0, data_dir=None) -> Dataset:
    """Load MNIST (or a stratified random subset of it).

    If the data folder holds only the official test files (``t10k-*``), as on
    the offline course machines, those 10,000 images are split once, stratified
    with a fixed seed, into 8,000 training and 2,000 test images before any
    subset is taken; ``source`` says so.

    Args:
        n_train: number of training images; ``None`` for all.
        n_test: number of test images; ``None`` for all.
        seed: seed of the subsets (see :func:`stratified_subset`).
        data_dir: folder holding ``mnist/``; overrides ``$CNNLAB_DATA``.
            With neither, the four official files (11 MB) are downloaded once.

    Returns:
        A :class:`Dataset` with x of shape (n, 28, 28, 1) uint8 and class names "0" ... "9".
    """
    names = MNIST_FILES
    folder, how, undo = _data_folder(data_dir)
    if folder is not None:
        folder = folder / MNIST_DIR
        present = [(folder / name).is_file() for name in names]
        # The training files are optional offline (only the test set is shipped),
        # but half a pair is a mistake worth reporting.
        if present[0] != present[1]:
            _require(folder / names[int(present[0])], how, undo)
        files = [folder / name for name in names[:2]] if present[0] else [None, None]
        files += [_require(folder / name, how, undo) for name in names[2:]]
        origin = f"MNIST from {folder}"
        advice = f"Replace it with the official file, or {undo} to download."
    else:
        cache = cache_dir() / "mnist"
        files = [Path(_download(MNIST_BASE_URL + n, MNIST_MD5[n], cache)) for n in names]
        origin = f"MNIST downloaded from {MNIST_BASE_URL}"
        advice = f"Delete {cache} and run again to re-download."

    with _advice(advice):
        x_test, y_test = _read_mnist_pair(files[2], files[3])
        if files[0] is not None:
            x_train, y_train = _read_mnist_pair(files[0], files[1])
        else:
            n_split = round(MNIST_OFFLINE_TRAIN_FRACTION * len(y_test))
            in_train = np.zeros(len(y_test), bool)
            in_train[stratified_subset(y_test, n_split, seed=0)] = True
            x_train, y_train = x_test[in_train], y_test[in_train]
            x_test, y_test = x_test[~in_train], y_test[~in_train]
            origin += (
                f": the 60,000 training images are not available offline, so the "
                f"{len(in_train):,} official test images were split (stratified, seed 0) into "
                f"{len(y_train):,} for training and {len(y_test):,} for testing; using"
            )

    of_train, of_test = len(y_train), len(y_test)
    x_train, y_train = _take(x_train, y_train, n_train, seed)
    x_test, y_test = _take(x_test, y_test, n_test, seed)
    sentence = _subset_sentence(len(y_train), of_train, len(y_test), of_test, seed)
    source = f"{origin} {sentence}" if files[0] is None else f"{origin}: {sentence}"
    return Dataset(x_train, y_train, x_test, y_test, MNIST_CLASS_NAMES, source)


def _read_mnist_pair(images_path: Path, labels_path: Path):
    x, y = read_idx(images_path), read_idx(labels_path)
    if x.ndim != 3 or x.dtype != np.uint8:
        raise DataError(f"{images_path}: not MNIST images: shape {x.shape}, {x.dtype}.")
    if y.ndim != 1 or len(y) != len(x):
        raise DataError(
            f"{labels_path}: {y.size:,} labels for {len(x):,} images in {images_path.name}."
        )
    if y.size and y.max() > 9:
        raise DataError(f"{labels_path}: labels outside 0..9.")
    return x[..., np.newaxis], y.astype(np.int64)


# --------------------------------------------------------------------------- sample photos


def sample_image(name="chelsea") -> np.ndarray:
    """A photo that ships with scikit-image (no download), for the kernel notebooks.

    Args:
        name: one of :data:`SAMPLE_IMAGES`: "chelsea" (a cat, 300x451),
            "astronaut" (512x512), "coffee" (400x600), "rocket" (427x640),
            or "camera" (512x512, grayscale).

    Returns:
        (H, W, 3) uint8 RGB, except "camera": (H, W) uint8 grayscale.
    """
    if name not in SAMPLE_IMAGES:
        raise ValueError(f"unknown sample image {name!r}; choose from {', '.join(SAMPLE_IMAGES)}")
    import skimage.data

    return np.asarray(getattr(skimage.data, name)(), dtype=np.uint8)


# --------------------------------------------------------------------------- the capstone's data

# Notebook 11 (the capstone) trains on CIFAR-10's training images and is graded on test images it
# never sees. The test set is split once, here, into a *public* half (the notebook's test data, for
# the student's self-check) and a *held-out* half (the grader's). The split depends only on the
# labels and this seed, so the student's kernel and the grader's process always agree on it.
CAPSTONE_SPLIT_SEED = 11
# As many images as the course's offline subset holds, so that an online student (official
# CIFAR-10: 50,000 + 10,000) works with as much data as the class and the grader.
CAPSTONE_N_TRAIN, CAPSTONE_N_TEST = 5170, 1017


def capstone_split(y_test) -> tuple[np.ndarray, np.ndarray]:
    """The public and held-out halves of a test set: ``(public, held_out)`` sorted index arrays.

    Stratified: each class is shuffled with :data:`CAPSTONE_SPLIT_SEED` and its first half
    (rounded up) is public. Every index is in exactly one half.

    Args:
        y_test: (n,) integer labels of the test images.
    """
    y = np.asarray(y_test)
    if y.ndim != 1:
        raise ValueError(f"y_test must be a 1-D array of labels, got shape {y.shape}")
    rng = np.random.default_rng(CAPSTONE_SPLIT_SEED)
    public, held_out = [], []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        half = (len(members) + 1) // 2
        public.append(members[:half])
        held_out.append(members[half:])
    join = (lambda parts: np.sort(np.concatenate(parts)).astype(np.int64) if parts else np.zeros(0, np.int64))
    return join(public), join(held_out)


def _capstone_full(data_dir=None) -> Dataset:
    data = load_cifar10(data_dir=data_dir)
    n_train, n_test = min(CAPSTONE_N_TRAIN, len(data.y_train)), min(CAPSTONE_N_TEST, len(data.y_test))
    if (n_train, n_test) == (len(data.y_train), len(data.y_test)):
        return data
    return load_cifar10(n_train=n_train, n_test=n_test, seed=0, data_dir=data_dir)


def load_capstone(data_dir=None) -> Dataset:
    """The capstone's data: CIFAR-10's training images, and the *public* half of its test images.

    The other half of the test images (:func:`capstone_held_out`) is the grader's: it
    scores the trained model there. Offline (the course's subset) that is 5,170 training
    images and 509 of the 1,017 test images; online, a stratified subset of the same size.

    Returns:
        A :class:`Dataset`: x_train (5170, 32, 32, 3) uint8, x_test (509, 32, 32, 3) uint8.
    """
    data = _capstone_full(data_dir)
    public, held_out = capstone_split(data.y_test)
    source = (f"{data.source} Test images: the public half, {len(public):,} of {len(data.y_test):,} "
              f"(the other {len(held_out):,} are the grader's held-out images).")
    return Dataset(data.x_train, data.y_train, data.x_test[public], data.y_test[public], data.class_names, source)


def capstone_held_out(data_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """The grader's half of the capstone's test images: ``(x, y)``, (n, 32, 32, 3) uint8 and (n,) int64."""
    data = _capstone_full(data_dir)
    _, held_out = capstone_split(data.y_test)
    return data.x_test[held_out], data.y_test[held_out]
