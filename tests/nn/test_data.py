"""Datasets and data helpers; MNIST from tiny IDX files built here (never downloaded)."""

from __future__ import annotations

import gzip
import hashlib
import io
import struct

import numpy as np
import pytest

import nn
from nn import data


@pytest.mark.parametrize(
    ("make", "classes"),
    [
        (lambda seed: data.moons(101, noise=0.1, seed=seed), 2),
        (lambda seed: data.circles(60, seed=seed), 2),
        (lambda seed: data.spiral(91, classes=3, seed=seed), 3),
    ],
)
def test_toy_sets_are_seeded_and_balanced(make, classes) -> None:
    X, y = make(0)
    X2, y2 = make(0)
    X3, _ = make(1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, X3)
    assert X.ndim == 2 and X.shape[1] == 2 and len(X) == len(y) and X.dtype == float
    counts = np.bincount(y)
    assert len(counts) == classes and counts.max() - counts.min() <= 1


def test_moons_geometry_without_noise() -> None:
    X, y = data.moons(200, noise=0.0, seed=0)
    outer, inner = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*outer.T), 1.0)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0)
    assert (outer[:, 1] >= -1e-12).all() and (inner[:, 1] <= 0.5 + 1e-12).all()


def test_circles_radii_and_xor() -> None:
    X, y = data.circles(100, noise=0.0, factor=0.3, seed=0)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.3)
    X, y = data.xor()
    assert (y == np.logical_xor(X[:, 0], X[:, 1])).all()
    with pytest.raises(ValueError, match="factor"):
        data.circles(10, factor=1.5)
    with pytest.raises(ValueError, match="n must be"):
        data.moons(1)


def test_digits_from_scikit_learn() -> None:
    pytest.importorskip("sklearn")
    X, y = data.digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0 and set(y.tolist()) == set(range(10))


def test_train_test_split_is_a_seeded_partition() -> None:
    X = np.arange(50.0).reshape(25, 2)
    y = np.arange(25)
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, test_size=0.2, seed=3)
    assert len(y_te) == 5 and len(y_tr) == 20
    assert sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(25))
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)  # rows stay with their labels
    again = data.train_test_split(X, y, test_size=0.2, seed=3)
    np.testing.assert_array_equal(again[3], y_te)
    assert len(data.train_test_split(X, y, test_size=7, seed=0)[1]) == 7
    with pytest.raises(ValueError, match="test_size"):
        data.train_test_split(X, y, test_size=1.5)
    with pytest.raises(ValueError, match="same number of samples"):
        data.train_test_split(X, y[:3])


def test_batches_cover_every_sample_once() -> None:
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    seen = []
    sizes = []
    for Xb, yb in data.batches(X, y, batch_size=3, shuffle=True, seed=0):
        np.testing.assert_array_equal(Xb[:, 0], 2 * yb)
        seen += yb.tolist()
        sizes.append(len(yb))
    assert sorted(seen) == list(range(10)) and sizes == [3, 3, 3, 1] and seen != list(range(10))
    assert [len(b) for _, b in data.batches(X, y)] == [10]
    with pytest.raises(ValueError, match="batch_size"):
        list(data.batches(X, y, batch_size=0))


def test_one_hot() -> None:
    np.testing.assert_array_equal(data.one_hot([1, 0, 2]), np.eye(3)[[1, 0, 2]])
    assert data.one_hot([0], 4).shape == (1, 4)
    with pytest.raises(ValueError, match="0..2"):
        data.one_hot([3], 3)
    with pytest.raises(ValueError, match="integer"):
        data.one_hot([0.5, 1.0])


# ------------------------------------------------------------------------- IDX / MNIST
def _write_mnist(folder, idx_bytes, n_train=6, n_test=4, gz=True, rows=28, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, rows, rows), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, rows, rows), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for key, (base, _) in data.MNIST_FILES.items():
        payload = idx_bytes(arrays[key])
        if gz:
            (folder / (base + ".gz")).write_bytes(gzip.compress(payload))
        else:
            (folder / base).write_bytes(payload)
    return arrays


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_reads_idx_files(tmp_path, gz, idx_bytes) -> None:
    arrays = _write_mnist(tmp_path, idx_bytes, gz=gz)
    X_train, X_test, y_train, y_test = data.mnist(tmp_path)
    assert X_train.shape == (6, 784) and X_test.shape == (4, 784)
    np.testing.assert_array_equal(X_train * 255.0, arrays["train_images"].reshape(6, -1))
    np.testing.assert_array_equal(y_test, arrays["test_labels"])
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0 and y_train.dtype == np.int64


def test_read_idx_other_types(tmp_path, idx_bytes) -> None:
    a = np.arange(12, dtype=">i4").reshape(3, 4)
    (tmp_path / "a.idx").write_bytes(idx_bytes(a))
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a.idx"), a)


def test_missing_mnist_names_the_folder(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte\[\.gz\] not found in .*download=True"):
        data.mnist(tmp_path / "empty")


@pytest.mark.parametrize(
    ("corrupt", "match"),
    [
        (lambda raw: b"\x00\x00\x08\x02" + struct.pack(">2I", 6, 784) + raw[16:], r"uint8 images \(n, rows, cols\)"),
        (lambda raw: b"\x12\x34" + raw[2:], "bad magic number 1234"),
        (lambda raw: raw[:-1], "should hold"),
        (lambda raw: b"", "bad magic number empty"),
        (lambda raw: raw[:4] + raw[4:6], "truncated header"),
    ],
)
def test_corrupt_idx_is_a_clear_error_naming_the_file(tmp_path, corrupt, match, idx_bytes) -> None:
    _write_mnist(tmp_path, idx_bytes, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(corrupt(path.read_bytes()))
    with pytest.raises(ValueError, match=match) as info:
        data.mnist(tmp_path)
    assert "train-images-idx3-ubyte" in str(info.value)


def test_broken_gzip_and_inconsistent_files(tmp_path, idx_bytes) -> None:
    _write_mnist(tmp_path, idx_bytes)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:20])
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz"):
        data.mnist(tmp_path)
    labels.write_bytes(gzip.compress(idx_bytes(np.zeros(3, dtype=np.uint8))))
    with pytest.raises(ValueError, match="4 images but its label file has 3 labels"):
        data.mnist(tmp_path)
    labels.write_bytes(gzip.compress(idx_bytes(np.full(4, 11, dtype=np.uint8))))
    with pytest.raises(ValueError, match="label 11 outside 0..9"):
        data.mnist(tmp_path)
    labels.write_bytes(gzip.compress(idx_bytes(np.zeros((4, 2), dtype=np.uint8))))
    with pytest.raises(ValueError, match="uint8 labels"):
        data.mnist(tmp_path)


class _FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_download_verifies_checksums(tmp_path, monkeypatch, idx_bytes) -> None:
    """download=True fetches from the mirrors (faked here) and refuses bytes whose MD5 does not match."""
    source = tmp_path / "source"
    source.mkdir()
    _write_mnist(source, idx_bytes)
    payloads = {base + ".gz": (source / (base + ".gz")).read_bytes() for base, _ in data.MNIST_FILES.values()}
    good = {k: (base, hashlib.md5(payloads[base + ".gz"]).hexdigest()) for k, (base, _) in data.MNIST_FILES.items()}
    requested = []

    def fake_urlopen(url, timeout):
        requested.append(url)
        return _FakeResponse(payloads[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(data.urllib.request, "urlopen", fake_urlopen)
    target = tmp_path / "target"
    with pytest.raises(FileNotFoundError):
        data.mnist(target)
    assert requested == []  # never downloads unless asked

    with pytest.raises(OSError, match="checksum mismatch"):
        data.mnist(target, download=True)  # the real checksums do not match our tiny files
    assert not list(target.glob("*.gz"))

    monkeypatch.setattr(data, "MNIST_FILES", good)
    X_train, X_test, y_train, y_test = data.mnist(target, download=True)
    assert X_train.shape == (6, 784) and len(y_test) == 4
    assert requested[-1].startswith(data.MNIST_MIRRORS[0])
    requested.clear()
    data.mnist(target, download=True)
    assert requested == []  # files present: nothing fetched


def test_unreachable_mirrors_are_reported(tmp_path, monkeypatch) -> None:
    def offline(url, timeout):
        raise OSError("network is unreachable")

    monkeypatch.setattr(data.urllib.request, "urlopen", offline)
    with pytest.raises(OSError, match="could not download train-images-idx3-ubyte.gz.*unreachable"):
        nn.mnist(tmp_path, download=True)


# ------------------------------------------------------------------------- hostile IDX files
def _peak_bytes(read) -> tuple[BaseException | None, int]:
    """Run ``read()``; return what it raised and the peak of Python allocations meanwhile."""
    import tracemalloc

    tracemalloc.start()
    try:
        read()
        raised = None
    except (ValueError, OSError) as e:
        raised = e
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return raised, peak


def test_a_gzip_bomb_is_not_inflated_past_its_header(tmp_path) -> None:
    """10 bytes announced, 64 MiB of zeros behind them (a 64 KiB file): only 11 bytes get inflated."""
    path = tmp_path / "bomb-idx1-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(bytes([0, 0, 0x08, 1]) + struct.pack(">I", 10))
        block = bytes(1 << 20)
        for _ in range(64):
            f.write(block)
    assert path.stat().st_size < 200_000
    raised, peak = _peak_bytes(lambda: data.read_idx(path))
    assert isinstance(raised, ValueError)
    assert "should hold 10 data bytes for shape (10,), has more than 10" in str(raised)
    assert "bomb-idx1-ubyte.gz" in str(raised)
    assert peak < 4 << 20


@pytest.mark.parametrize("gz", [True, False])
def test_a_header_announcing_more_than_the_file_holds_reads_only_what_is_there(tmp_path, gz) -> None:
    payload = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 60000, 28, 28) + bytes(100)
    path = tmp_path / ("short.gz" if gz else "short")
    path.write_bytes(gzip.compress(payload) if gz else payload)
    raised, peak = _peak_bytes(lambda: data.read_idx(path))
    assert isinstance(raised, ValueError)
    assert "should hold 47040000 data bytes for shape (60000, 28, 28), has 100" in str(raised)
    assert peak < 20 << 20  # one bounded chunk at most, never the 47 MB the header announces


@pytest.mark.parametrize("gz", [True, False])
def test_a_header_whose_shape_product_overflows_is_named(tmp_path, gz) -> None:
    payload = bytes([0, 0, 0x0E, 4]) + struct.pack(">4I", *([2**32 - 1] * 4)) + bytes(8)
    path = tmp_path / ("huge.gz" if gz else "huge")
    path.write_bytes(gzip.compress(payload) if gz else payload)
    with pytest.raises(ValueError, match=r"huge(\.gz)?': its header's shape \(4294967295, .*more than numpy can"):
        data.read_idx(path)


def test_read_idx_of_a_directory_names_it(tmp_path) -> None:
    with pytest.raises(IsADirectoryError, match="is a directory, not an IDX file"):
        data.read_idx(tmp_path)
