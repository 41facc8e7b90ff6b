"""Tests of cnnlab.datasets on tiny files in the official formats (offline, fast).

The tests marked ``data`` read the real data in ``$CNNLAB_DATA`` and are
skipped without it. Every other test runs with ``CNNLAB_DATA`` unset, the
cache in a temporary folder and the download URLs pointing at a closed local
port, so none of them can reach the internet or the user's cache.
"""

from __future__ import annotations

import collections
import functools
import gzip
import hashlib
import io
import os
import pickle
import struct
import tarfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from cnnlab import datasets
from cnnlab.datasets import DataError

REAL_DATA = os.environ.get(datasets.DATA_ENV)
needs_real_data = pytest.mark.skipif(
    not REAL_DATA, reason=f"set {datasets.DATA_ENV} to the folder with the real data sets"
)

CLASS_NAMES = tuple(f"class{i}" for i in range(10))
PER_BATCH = 7  # images per tiny CIFAR batch: not 10,000, like the offline subset
UNREACHABLE = "http://127.0.0.1:9/"  # the discard port: connection refused


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    monkeypatch.delenv(datasets.DATA_ENV, raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv(datasets.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "CIFAR10_URL", UNREACHABLE + "cifar-10-python.tar.gz")
    monkeypatch.setattr(datasets, "MNIST_BASE_URL", UNREACHABLE)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


# ------------------------------------------------------------------ writers of official formats


def cifar_rows(n, seed):
    """(n, 3072) uint8 rows in the official layout: 1024 R, 1024 G, 1024 B values."""
    return np.random.default_rng(seed).integers(0, 256, (n, 3072), dtype=np.uint8)


def write_cifar_batch(path, data, labels, protocol=2):
    batch = {b"batch_label": b"tiny batch", b"labels": [int(v) for v in labels], b"data": data}
    Path(path).write_bytes(pickle.dumps(batch, protocol=protocol))


def make_cifar(root, per_batch=PER_BATCH, n_test=PER_BATCH):
    """Write a tiny CIFAR-10 in root/cifar-10-batches-py; return the rows and labels written."""
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for i, name in enumerate([*datasets.CIFAR10_TRAIN_FILES, "test_batch"]):
        n = n_test if name == "test_batch" else per_batch
        data = cifar_rows(n, seed=i)
        labels = (np.arange(n) + i * per_batch) % 10
        write_cifar_batch(folder / name, data, labels)
        written[name] = (data, labels)
    meta = {b"label_names": [c.encode() for c in CLASS_NAMES], b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return written


def idx_bytes(array, code=0x08):
    array = np.asarray(array)
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    return header + array.astype(datasets._IDX_DTYPES[code]).tobytes()


def mnist_arrays(n, seed):
    """n distinct 28x28 images (the index is written in the first pixels) and balanced labels."""
    x = np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)
    x[:, 0, :2] = np.stack([np.arange(n) // 256, np.arange(n) % 256], axis=1)
    return x, np.arange(n, dtype=np.uint8) % 10


def make_mnist(root, n_test=50, n_train=None):
    folder = Path(root) / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    parts = {"t10k": mnist_arrays(n_test, seed=1)}
    if n_train:
        parts["train"] = mnist_arrays(n_train, seed=2)
    for prefix, (x, y) in parts.items():
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(x)))
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(y)))
    return parts


def cache_files(tmp_path):
    return sorted(p.name for p in (tmp_path / "cache").rglob("*") if p.is_file())


# --------------------------------------------------------------------------- readers


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_read_cifar_batch_any_length_in_nhwc(tmp_path, protocol):
    data = np.zeros((PER_BATCH, 3072), np.uint8)
    data[0, 0] = 255  # image 0, red plane, pixel (0, 0): red only
    data[1, 1024 + 1 * 32 + 2] = 200  # image 1, green plane, pixel (row 1, col 2)
    data[2, 2048 + 31 * 32 + 31] = 100  # image 2, blue plane, last pixel
    write_cifar_batch(tmp_path / "b", data, [3, 1, 4, 1, 5, 9, 2], protocol)

    x, y = datasets.read_cifar_batch(tmp_path / "b")

    assert x.shape == (PER_BATCH, 32, 32, 3) and x.dtype == np.uint8
    assert y.dtype == np.int64 and y.tolist() == [3, 1, 4, 1, 5, 9, 2]
    assert x[0, 0, 0].tolist() == [255, 0, 0]
    assert x[1, 1, 2].tolist() == [0, 200, 0]
    assert x[2, 31, 31].tolist() == [0, 0, 100]
    assert x.sum() == 255 + 200 + 100
    assert x.flags.c_contiguous


def test_read_idx_gzip_and_plain(tmp_path):
    x, _ = mnist_arrays(5, seed=0)
    (tmp_path / "a.gz").write_bytes(gzip.compress(idx_bytes(x)))
    (tmp_path / "b").write_bytes(idx_bytes(x))
    ints = np.array([[1, -2], [70000, 4]], dtype=np.int32)
    (tmp_path / "c").write_bytes(idx_bytes(ints, code=0x0C))

    for name in ("a.gz", "b"):
        got = datasets.read_idx(tmp_path / name)
        assert got.dtype == np.uint8 and np.array_equal(got, x)
    got = datasets.read_idx(tmp_path / "c")
    assert got.dtype == np.int32 and got.dtype.isnative and np.array_equal(got, ints)


# --------------------------------------------------------------------------- stratified subsets


def test_stratified_subset_keeps_proportions_with_largest_remainder():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    idx = datasets.stratified_subset(y, 10, seed=0)
    assert np.bincount(y[idx]).tolist() == [5, 3, 2]
    # quotas 5*3/7 = 2.14, 2.14, 0.71: floors 2, 2, 0, the one place left goes to class 2
    y = np.repeat([0, 1, 2], [3, 3, 1])
    assert np.bincount(y[datasets.stratified_subset(y, 5)]).tolist() == [2, 2, 1]


def test_stratified_subset_sorted_deterministic_and_seeded():
    y = np.arange(1000) % 7
    a = datasets.stratified_subset(y, 100, seed=0)
    assert a.dtype == np.int64 and len(a) == 100 and len(np.unique(a)) == 100
    assert np.all(np.diff(a) > 0)
    assert np.array_equal(a, datasets.stratified_subset(y, 100, seed=0))
    assert not np.array_equal(a, datasets.stratified_subset(y, 100, seed=1))


def test_stratified_subset_edges():
    y = np.array([0, 1, 1, 2])
    assert datasets.stratified_subset(y, None).tolist() == [0, 1, 2, 3]
    assert datasets.stratified_subset(y, 4, seed=5).tolist() == [0, 1, 2, 3]
    assert datasets.stratified_subset(y, 0).tolist() == []
    with pytest.raises(ValueError, match="cannot take 5 samples: only 4 are available"):
        datasets.stratified_subset(y, 5)
    with pytest.raises(ValueError):
        datasets.stratified_subset(y, -1)


# --------------------------------------------------------------------------- loaders, data folder


def test_load_cifar10_from_data_folder(tmp_path, monkeypatch):
    written = make_cifar(tmp_path / "data")
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path / "data"))

    ds = datasets.load_cifar10()

    assert ds.x_train.shape == (5 * PER_BATCH, 32, 32, 3) and ds.x_train.dtype == np.uint8
    assert ds.x_test.shape == (PER_BATCH, 32, 32, 3)
    assert ds.y_train.dtype == np.int64 and ds.y_test.dtype == np.int64
    assert ds.class_names == CLASS_NAMES
    data, labels = written["data_batch_2"]  # batches are concatenated in order
    assert np.array_equal(ds.y_train[PER_BATCH : 2 * PER_BATCH], labels)
    assert np.array_equal(ds.x_train[PER_BATCH, :, :, 0].ravel(), data[0, :1024])
    assert np.array_equal(
        ds.x_test[..., 2].reshape(PER_BATCH, -1), written["test_batch"][0][:, 2048:]
    )
    folder = tmp_path / "data" / "cifar-10-batches-py"
    assert ds.source == f"CIFAR-10 from {folder}: all 35 training and 7 test images."
    assert "35 training" in repr(ds) and len(repr(ds)) < 300


def test_data_dir_argument_overrides_environment(tmp_path, monkeypatch):
    make_cifar(tmp_path / "data")
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path / "elsewhere"))
    assert len(datasets.load_cifar10(data_dir=tmp_path / "data").y_test) == PER_BATCH


def test_load_cifar10_subset_is_stratified_and_seeded(tmp_path):
    make_cifar(tmp_path, per_batch=20, n_test=20)  # 100 training images, 10 per class
    a = datasets.load_cifar10(n_train=30, n_test=10, seed=0, data_dir=tmp_path)
    assert a.x_train.shape == (30, 32, 32, 3) and a.x_test.shape == (10, 32, 32, 3)
    assert np.bincount(a.y_train).tolist() == [3] * 10
    assert np.bincount(a.y_test).tolist() == [1] * 10
    assert a.source.endswith(": 30 of 100 training and 10 of 20 test images, stratified, seed 0.")
    b = datasets.load_cifar10(n_train=30, n_test=10, seed=0, data_dir=tmp_path)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    c = datasets.load_cifar10(n_train=30, seed=1, data_dir=tmp_path)
    assert not np.array_equal(a.x_train, c.x_train)
    assert c.source.endswith("30 of 100 training and all 20 test images, stratified, seed 1.")
    with pytest.raises(ValueError, match="only 100 are available"):
        datasets.load_cifar10(n_train=101, data_dir=tmp_path)


def test_load_mnist_with_only_the_test_set_splits_it(tmp_path):
    ((x_all, y_all),) = make_mnist(tmp_path, n_test=50).values()

    ds = datasets.load_mnist(data_dir=tmp_path)

    assert ds.x_train.shape == (40, 28, 28, 1) and ds.x_test.shape == (10, 28, 28, 1)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64
    assert ds.class_names == tuple("0123456789")
    assert np.bincount(ds.y_train).tolist() == [4] * 10  # stratified split

    # train and test are a partition of the official test set, labels kept with their images
    def pairs(x, y):
        return collections.Counter(zip(map(bytes, x.reshape(len(x), -1)), y.tolist(), strict=True))

    assert pairs(ds.x_train, ds.y_train) + pairs(ds.x_test, ds.y_test) == pairs(x_all, y_all)
    assert "the 60,000 training images are not available offline" in ds.source
    assert (
        "50 official test images were split" in ds.source and "40 for training and 10" in ds.source
    )

    # The split does not depend on the subset seed: test images never move into training.
    small = datasets.load_mnist(n_train=20, n_test=10, seed=3, data_dir=tmp_path)
    assert pairs(small.x_test, small.y_test) == pairs(ds.x_test, ds.y_test)
    assert small.source.endswith(
        "using 20 of 40 training and all 10 test images, stratified, seed 3."
    )


def test_load_mnist_uses_training_files_when_present(tmp_path, monkeypatch):
    parts = make_mnist(tmp_path, n_test=20, n_train=30)
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path))
    ds = datasets.load_mnist()
    assert np.array_equal(ds.x_train[..., 0], parts["train"][0])
    assert np.array_equal(ds.y_test, parts["t10k"][1])
    assert "not available" not in ds.source
    assert ds.source == f"MNIST from {tmp_path / 'mnist'}: all 30 training and 20 test images."


def test_sample_images():
    for name in datasets.SAMPLE_IMAGES:
        img = datasets.sample_image(name)
        assert img.dtype == np.uint8
        assert img.shape[-1] == 3 and img.ndim == 3 if name != "camera" else img.ndim == 2
    assert datasets.sample_image().shape == (300, 451, 3)
    with pytest.raises(ValueError, match="chelsea"):
        datasets.sample_image("nope")


# --------------------------------------------------------------------------- broken files


def test_missing_file_with_data_env_set(tmp_path, monkeypatch):
    make_cifar(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "data_batch_3").unlink()
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path))
    with pytest.raises(DataError) as err:
        datasets.load_cifar10()
    msg = str(err.value)
    assert f"CNNLAB_DATA={tmp_path} is set but" in msg
    assert str(tmp_path / "cifar-10-batches-py" / "data_batch_3") + " is missing" in msg
    assert "copy the official files there or unset CNNLAB_DATA to download" in msg

    with pytest.raises(DataError, match="mnist/t10k-images-idx3-ubyte.gz is missing"):
        datasets.load_mnist()  # no mnist folder at all
    with pytest.raises(DataError, match="leave data_dir out"):
        datasets.load_mnist(data_dir=tmp_path)


def test_half_a_training_pair_is_reported(tmp_path):
    make_mnist(tmp_path, n_test=20, n_train=30)
    (tmp_path / "mnist" / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz is missing"):
        datasets.load_mnist(data_dir=tmp_path)


def test_truncated_pickle(tmp_path, monkeypatch):
    make_cifar(tmp_path)
    path = tmp_path / "cifar-10-batches-py" / "test_batch"
    path.write_bytes(path.read_bytes()[:5000])
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path))
    with pytest.raises(DataError) as err:
        datasets.load_cifar10()
    msg = str(err.value)
    assert str(path) in msg and "not a CIFAR-10 batch: unpickling failed" in msg
    assert "Replace it with the official file, or unset CNNLAB_DATA to download." in msg


def test_not_a_pickle_and_wrong_content(tmp_path):
    (tmp_path / "junk").write_bytes(b"hello, not a pickle")
    with pytest.raises(DataError, match="unpickling failed"):
        datasets.read_cifar_batch(tmp_path / "junk")
    (tmp_path / "evil").write_bytes(pickle.dumps({b"data": os.system}))
    with pytest.raises(DataError, match="unpickling failed .*posix.system is not allowed"):
        datasets.read_cifar_batch(tmp_path / "evil")
    (tmp_path / "dict").write_bytes(pickle.dumps({b"other": 1}))
    with pytest.raises(DataError, match="no 'data' and 'labels'"):
        datasets.read_cifar_batch(tmp_path / "dict")
    with pytest.raises(DataError, match="cannot be read"):
        datasets.read_cifar_batch(tmp_path / "absent")


def test_wrong_length_data_array(tmp_path):
    write_cifar_batch(tmp_path / "short", np.zeros((1, 1000), np.uint8), range(7))
    with pytest.raises(DataError) as err:
        datasets.read_cifar_batch(tmp_path / "short")
    assert str(tmp_path / "short") in str(err.value)
    assert "truncated: 21,504 bytes of image data expected for 7 labels, 1,000 found" in str(
        err.value
    )
    write_cifar_batch(tmp_path / "long", cifar_rows(8, 0), range(7))
    with pytest.raises(DataError, match="too long"):
        datasets.read_cifar_batch(tmp_path / "long")


def test_bad_idx_magic(tmp_path):
    (tmp_path / "bad.gz").write_bytes(gzip.compress(b"\x12\x34\x56\x78" + bytes(100)))
    with pytest.raises(DataError, match=r"bad\.gz: not an IDX file: bad magic number 12345678"):
        datasets.read_idx(tmp_path / "bad.gz")
    (tmp_path / "broken.gz").write_bytes(gzip.compress(bytes(1000))[:-6])
    with pytest.raises(DataError, match="corrupt gzip file"):
        datasets.read_idx(tmp_path / "broken.gz")


def test_truncated_idx_payload(tmp_path, monkeypatch):
    make_mnist(tmp_path, n_test=20)
    path = tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:1016]))
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path))
    with pytest.raises(DataError) as err:
        datasets.load_mnist()
    msg = str(err.value)
    assert str(path) in msg
    assert "truncated: 15,680 bytes of data expected for shape (20, 28, 28), 1,000 found" in msg
    assert "unset CNNLAB_DATA" in msg


def test_labels_not_matching_images(tmp_path):
    make_mnist(tmp_path, n_test=20)
    labels = tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(idx_bytes(np.zeros(19, np.uint8))))
    with pytest.raises(DataError, match="19 labels for 20 images"):
        datasets.load_mnist(data_dir=tmp_path)


# --------------------------------------------------------------------------- downloads


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the default writes every request to stderr
        pass


@pytest.fixture
def server(tmp_path):
    """(folder, base URL) of an HTTP server on 127.0.0.1 serving that folder."""
    root = tmp_path / "www"
    root.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=root))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def cifar_archive(tmp_path) -> bytes:
    """A tiny cifar-10-python.tar.gz in the official layout (cifar-10-batches-py/...)."""
    make_cifar(tmp_path / "build")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(tmp_path / "build" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    return buf.getvalue()


def test_download_cifar10(tmp_path, server, monkeypatch):
    root, url = server
    archive = cifar_archive(tmp_path)
    (root / "cifar-10-python.tar.gz").write_bytes(archive)
    monkeypatch.setattr(datasets, "CIFAR10_URL", url + "cifar-10-python.tar.gz")
    monkeypatch.setattr(datasets, "CIFAR10_MD5", md5(archive))

    ds = datasets.load_cifar10()

    assert ds.x_train.shape == (35, 32, 32, 3) and ds.class_names == CLASS_NAMES
    assert ds.source.startswith(f"CIFAR-10 downloaded from {url}cifar-10-python.tar.gz: all 35")
    assert "cifar-10-python.tar.gz" in cache_files(tmp_path)

    # A second load reads the cache: the server is not needed any more.
    monkeypatch.setattr(datasets, "CIFAR10_URL", UNREACHABLE + "cifar-10-python.tar.gz")
    assert np.array_equal(datasets.load_cifar10().x_test, ds.x_test)

    # A damaged cached file says how to recover.
    extracted = (
        tmp_path / "cache" / "cifar10" / "extracted" / "cifar-10-batches-py" / "data_batch_1"
    )
    extracted.write_bytes(extracted.read_bytes()[:100])
    with pytest.raises(DataError) as err:
        datasets.load_cifar10()
    assert str(extracted) in str(err.value)
    assert f"Delete {tmp_path / 'cache' / 'cifar10'} and run again to re-download." in str(
        err.value
    )


def test_download_with_wrong_hash_keeps_nothing(tmp_path, server, monkeypatch):
    root, url = server
    (root / "cifar-10-python.tar.gz").write_bytes(cifar_archive(tmp_path))
    monkeypatch.setattr(datasets, "CIFAR10_URL", url + "cifar-10-python.tar.gz")
    monkeypatch.setattr(datasets, "CIFAR10_MD5", md5(b"the real archive"))
    with pytest.raises(DataError) as err:
        datasets.load_cifar10()
    msg = str(err.value)
    assert f"Downloading {url}cifar-10-python.tar.gz failed" in msg
    assert "does not match the known hash" in msg and "No partial file was left" in msg
    assert cache_files(tmp_path) == []


def test_download_unreachable(tmp_path):
    with pytest.raises(DataError, match=f"Downloading {UNREACHABLE}.* failed.*set CNNLAB_DATA"):
        datasets.load_mnist()
    assert cache_files(tmp_path) == []


def test_download_mnist(tmp_path, server, monkeypatch):
    root, url = server
    hashes = {}
    for prefix, n in (("train", 30), ("t10k", 20)):
        x, y = mnist_arrays(n, seed=len(prefix))
        for kind, arr in (("images-idx3", x), ("labels-idx1", y)):
            name = f"{prefix}-{kind}-ubyte.gz"
            data = gzip.compress(idx_bytes(arr))
            (root / name).write_bytes(data)
            hashes[name] = md5(data)
    monkeypatch.setattr(datasets, "MNIST_BASE_URL", url)
    monkeypatch.setattr(datasets, "MNIST_MD5", hashes)

    ds = datasets.load_mnist()
    assert ds.x_train.shape == (30, 28, 28, 1) and ds.x_test.shape == (20, 28, 28, 1)
    assert ds.source == f"MNIST downloaded from {url}: all 30 training and 20 test images."
    assert cache_files(tmp_path) == sorted(hashes)

    # One file served with the wrong hash: an error, and that file is not kept.
    for p in (tmp_path / "cache").rglob("*.gz"):
        p.unlink()
    monkeypatch.setitem(hashes, "t10k-images-idx3-ubyte.gz", md5(b"other"))
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz failed.*does not match"):
        datasets.load_mnist()
    assert cache_files(tmp_path) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]


# --------------------------------------------------------------------------- the real data


@pytest.fixture(scope="module")
def real_cifar():
    return datasets.load_cifar10(data_dir=REAL_DATA)


@pytest.mark.data
@needs_real_data
def test_real_cifar10_subset(real_cifar):
    ds = real_cifar
    assert ds.x_train.shape == (5170, 32, 32, 3) and ds.x_test.shape == (1017, 32, 32, 3)
    assert ds.class_names == (
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    )
    assert np.bincount(ds.y_train, minlength=10).min() > 400
    assert set(ds.y_test.tolist()) == set(range(10))
    # Known CIFAR-10 channel means are about R 125, G 123, B 114: this checks the channel order.
    means = ds.x_train.reshape(-1, 3).mean(axis=0)
    assert np.all((100 < means) & (means < 140)) and means[0] > means[2] + 5
    assert 50 < ds.x_train.std() < 80
    assert "5,170" in ds.source and "1,017" in ds.source


@pytest.mark.data
@needs_real_data
def test_real_cifar10_stratified_subset():
    ds = datasets.load_cifar10(n_train=5000, n_test=1000, data_dir=REAL_DATA)
    assert len(ds.y_train) == 5000 and len(ds.y_test) == 1000
    assert ds.source.endswith(
        ": 5,000 of 5,170 training and 1,000 of 1,017 test images, stratified, seed 0."
    )


@pytest.mark.data
@needs_real_data
def test_real_mnist_offline_split():
    ds = datasets.load_mnist(data_dir=REAL_DATA)
    if "not available offline" not in ds.source:
        pytest.skip("this data folder has the MNIST training files")
    assert ds.x_train.shape == (8000, 28, 28, 1) and ds.x_test.shape == (2000, 28, 28, 1)
    assert "10,000 official test images were split" in ds.source
    train_share = np.bincount(ds.y_train) / 8000
    test_share = np.bincount(ds.y_test) / 2000
    assert np.abs(train_share - test_share).max() < 0.002
    official = datasets.read_idx(Path(REAL_DATA) / "mnist" / "t10k-images-idx3-ubyte.gz")
    assert official.shape == (10000, 28, 28)
    both = np.concatenate([ds.x_train, ds.x_test])[..., 0]
    assert sorted(map(bytes, both.reshape(10000, -1))) == sorted(
        map(bytes, official.reshape(10000, -1))
    )
    assert 25 < ds.x_train.mean() < 45  # MNIST pixel mean is about 33
    assert (ds.x_train == 0).mean() > 0.7  # mostly black background
