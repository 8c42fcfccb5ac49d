"""Datasets as numpy arrays, and the helpers to split, batch and encode them.

Every generator is seedable: equal seeds give equal data. Features are float
arrays of shape (n, d); labels are int class indices of shape (n,).

>>> X, y = moons(100, noise=0.1, seed=0)
>>> X.shape, y.shape, sorted(set(y.tolist()))
((100, 2), (100,), [0, 1])
>>> one_hot([2, 0], 3).tolist()
[[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
"""

from __future__ import annotations

import gzip
import hashlib
import math
import numbers
import os
import shutil
import struct
import tempfile
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .numpy_support import numpy_or_none, require_numpy
from .seeding import Seed, rng_from

if TYPE_CHECKING:
    import numpy as np
else:
    np = numpy_or_none()  # None in a Python without numpy: the toy sets are then lists (see _toy_lists)

__all__ = [
    "xor",
    "moons",
    "circles",
    "spiral",
    "sine",
    "digits",
    "mnist",
    "read_idx",
    "train_test_split",
    "batches",
    "one_hot",
    "MNIST_FILES",
    "MNIST_MIRRORS",
]


# ---------------------------------------------------------------------------- toy sets
def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points: y = x₁ XOR x₂ (without numpy: a list of rows and a list of labels)."""
    if np is None:
        return [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0]  # type: ignore[return-value]
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, np.array([0, 1, 1, 0])


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return X[order], y[order]


def _two_classes(
    outer: np.ndarray, inner: np.ndarray, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Points of class 0 (``outer``) and class 1 (``inner``) with Gaussian noise of std ``noise``, shuffled."""
    X = np.vstack([outer, inner])
    X = X + rng.normal(0.0, noise, X.shape)
    y = np.concatenate([np.zeros(len(outer), dtype=np.int64), np.ones(len(inner), dtype=np.int64)])
    return _shuffled(X, y, rng)


def _spaced(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    """``n`` evenly spaced numbers from ``start`` to ``stop`` (numpy's ``linspace``, for the list path)."""
    steps = (n - 1 if endpoint else n) or 1
    return [start + (stop - start) * i / steps for i in range(n)]


def _toy_lists(outer: list[list[float]], inner: list[list[float]], noise: float, rng: Any) -> Any:
    """:func:`_two_classes` on lists, where numpy is missing: noisy points of classes 0 and 1, shuffled."""
    rows = outer + inner
    noises = rng.normal(0.0, noise, (len(rows), 2))
    X = [[a + e for a, e in zip(row, row_noise)] for row, row_noise in zip(rows, noises)]
    y = [0] * len(outer) + [1] * len(inner)
    order = rng.permutation(len(y))
    return [X[i] for i in order], [y[i] for i in order]


def _count(n: Any, where: str, minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < minimum:
        raise ValueError(f"{where}: n must be an int >= {minimum}, got {n!r}")
    return int(n)


def moons(n: int = 100, noise: float = 0.1, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (as scikit-learn's ``make_moons``), Gaussian noise of std ``noise``."""
    n = _count(n, "moons", 2)
    rng = rng_from(seed)
    if np is None:
        outer_t, inner_t = _spaced(0.0, math.pi, n // 2), _spaced(0.0, math.pi, n - n // 2)
        outer_rows = [[math.cos(t), math.sin(t)] for t in outer_t]
        return _toy_lists(outer_rows, [[1.0 - math.cos(t), 0.5 - math.sin(t)] for t in inner_t], noise, rng)
    n_outer = n // 2
    n_inner = n - n_outer
    t_outer = np.linspace(0.0, np.pi, n_outer)
    t_inner = np.linspace(0.0, np.pi, n_inner)
    outer = np.column_stack([np.cos(t_outer), np.sin(t_outer)])
    inner = np.column_stack([1.0 - np.cos(t_inner), 0.5 - np.sin(t_inner)])
    return _two_classes(outer, inner, noise, rng)


def circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """A circle of radius ``factor`` (class 1) inside one of radius 1 (class 0), with Gaussian noise."""
    n = _count(n, "circles", 2)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"circles: factor must lie in (0, 1), got {factor}")
    rng = rng_from(seed)
    if np is None:
        outer_t = _spaced(0.0, 2 * math.pi, n // 2, endpoint=False)
        inner_t = _spaced(0.0, 2 * math.pi, n - n // 2, endpoint=False)
        outer_rows = [[math.cos(t), math.sin(t)] for t in outer_t]
        return _toy_lists(outer_rows, [[factor * math.cos(t), factor * math.sin(t)] for t in inner_t], noise, rng)
    n_outer = n // 2
    n_inner = n - n_outer
    t_outer = np.linspace(0.0, 2 * np.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0.0, 2 * np.pi, n_inner, endpoint=False)
    outer = np.column_stack([np.cos(t_outer), np.sin(t_outer)])
    inner = factor * np.column_stack([np.cos(t_inner), np.sin(t_inner)])
    return _two_classes(outer, inner, noise, rng)


def spiral(n: int = 300, classes: int = 3, noise: float = 0.2, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` interleaved spiral arms (CS231n's example), ``n`` points in total.

    Arm k has radius r ∈ [0, 1] and angle t = 4k + 4r (+ noise): point (r sin t, r cos t).
    """
    n = _count(n, "spiral", 1)
    classes = _count(classes, "spiral: classes", 2)
    rng = rng_from(seed)
    sizes = [n // classes + (k < n % classes) for k in range(classes)]
    if np is None:
        rows, labels = [], []
        for k, size in enumerate(sizes):
            noises = rng.normal(0.0, noise, size)
            for r, t, e in zip(_spaced(0.0, 1.0, size), _spaced(4.0 * k, 4.0 * (k + 1), size), noises):
                rows.append([r * math.sin(t + e), r * math.cos(t + e)])
                labels.append(k)
        order = rng.permutation(len(labels))
        return [rows[i] for i in order], [labels[i] for i in order]  # type: ignore[return-value]
    X, y = [], []
    for k, size in enumerate(sizes):
        r = np.linspace(0.0, 1.0, size)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), size) + rng.normal(0.0, noise, size)
        X.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        y.append(np.full(size, k, dtype=np.int64))
    return _shuffled(np.vstack(X), np.concatenate(y), rng)


def sine(n: int = 50, noise: float = 0.1, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """A 1-D regression set: x drawn uniformly from [−π, π], y = sin(x) + ε with ε ~ N(0, ``noise``²).

    X has shape (n, 1) (one feature), y shape (n,) of floats (without numpy: a list of one-number rows and a list).
    """
    n = _count(n, "sine", 1)
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not 0 <= noise < math.inf:
        raise ValueError(f"sine: noise must be a finite number >= 0, got {noise!r}")
    rng = rng_from(seed)
    if np is None:
        xs = rng.uniform(-math.pi, math.pi, n)
        return [[x] for x in xs], [math.sin(x) + e for x, e in zip(xs, rng.normal(0.0, noise, n))]  # type: ignore[return-value]
    x = rng.uniform(-np.pi, np.pi, n)
    return x.reshape(n, 1), np.sin(x) + rng.normal(0.0, noise, n)


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8×8 handwritten digits (1,797 images, offline): X in [0, 1], shape (1797, 64)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError(
            "digits() needs scikit-learn, which bundles the data: pip install scikit-learn (or deltagrad[data])"
        ) from None
    bunch = load_digits()
    return bunch.data.astype(float) / 16.0, bunch.target.astype(np.int64)


# ---------------------------------------------------------------------------- MNIST
MNIST_FILES = {
    "train_images": ("train-images-idx3-ubyte", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train_labels": ("train-labels-idx1-ubyte", "d53e105ee54ea40749a09fcbcd1e9432"),
    "test_images": ("t10k-images-idx3-ubyte", "9fb629c4189551a2d022fa330f9573f3"),
    "test_labels": ("t10k-labels-idx1-ubyte", "ec29112dd5afa0611ce80d1b7f02629c"),
}
"""The four MNIST files: base name, and the MD5 of the published ``.gz`` file."""

MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://yann.lecun.com/exdb/mnist/")

_IDX_TYPES: dict[int, str] = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (plain, or gzip-compressed if its name ends in ``.gz``).

    Format: magic ``0 0 type ndim``, then ndim big-endian uint32 sizes, then
    the data. The header is read and checked first; then exactly the number of
    bytes its shape calls for is read (inflated, for ``.gz``), in bounded
    chunks, so a small hostile file cannot make it inflate gigabytes. Raises
    ValueError naming the file when it is truncated, too long or malformed.
    """
    require_numpy("nn.data.read_idx")
    path = Path(path)
    where = f"read_idx: {str(path)!r}"
    try:
        with gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as f:
            return _read_idx(f, where)
    except FileNotFoundError:
        raise FileNotFoundError(f"read_idx: no such file {str(path)!r}") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"{where} is a directory, not an IDX file") from None
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{where} is not a readable gzip file ({e})") from None


_CHUNK = 1 << 24  # bytes read (inflated) at a time: memory follows the data actually present


def _read_idx(f: Any, where: str) -> np.ndarray:
    magic = f.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_TYPES:
        raise ValueError(f"{where} is not an IDX file (bad magic number {magic.hex() or 'empty'})")
    ndim = magic[3]
    sizes = f.read(4 * ndim)
    if ndim == 0 or len(sizes) < 4 * ndim:
        raise ValueError(f"{where} has a truncated header ({ndim} dimensions)")
    shape = struct.unpack(f">{ndim}I", sizes)
    dtype = np.dtype(_IDX_TYPES[magic[2]])
    expected = math.prod(shape) * dtype.itemsize  # a Python int: no overflow
    if expected > np.iinfo(np.intp).max:
        raise ValueError(
            f"{where}: its header's shape {shape} needs {expected} bytes, more than numpy can address; "
            "the header is corrupt"
        )
    chunks, remaining = [], expected
    while remaining:
        chunk = f.read(min(remaining, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    if remaining or f.read(1):
        held = expected - remaining if remaining else f"more than {expected}"
        raise ValueError(f"{where} should hold {expected} data bytes for shape {shape}, has {held}")
    return np.frombuffer(b"".join(chunks), dtype=dtype).reshape(shape)


def _find(folder: Path, base: str) -> Path | None:
    for name in (base, base + ".gz", base.replace("-idx", ".idx"), base.replace("-idx", ".idx") + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _download(folder: Path, base: str, md5: str) -> Path:
    """Fetch ``base.gz`` from the first mirror that answers, verify its MD5, then move it into place."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (base + ".gz")
    errors = []
    for mirror in MNIST_MIRRORS:
        url = mirror + base + ".gz"
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                payload = response.read()
        except OSError as e:
            errors.append(f"{url}: {e}")
            continue
        digest = hashlib.md5(payload).hexdigest()
        if digest != md5:
            errors.append(f"{url}: checksum mismatch (md5 {digest}, expected {md5})")
            continue
        with tempfile.NamedTemporaryFile(dir=folder, delete=False) as tmp:
            tmp.write(payload)
        shutil.move(tmp.name, target)
        return target
    raise OSError(f"mnist: could not download {base}.gz into {str(folder)!r}:\n  " + "\n  ".join(errors))


def mnist(
    path: str | os.PathLike[str], download: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST from the four standard IDX files in the folder ``path`` (``.gz`` or not).

    Returns ``X_train, X_test, y_train, y_test`` (the order of
    :func:`train_test_split`): images flattened to 784 floats in [0, 1],
    labels as ints 0..9. Missing files raise FileNotFoundError naming the
    folder; with ``download=True`` they are fetched first and their MD5 checked.
    """
    require_numpy("nn.data.mnist")
    folder = Path(path)
    found = {}
    for key, (base, md5) in MNIST_FILES.items():
        file = _find(folder, base)
        if file is None and download:
            file = _download(folder, base, md5)
        if file is None:
            names = ", ".join(b + "[.gz]" for b, _ in MNIST_FILES.values())
            raise FileNotFoundError(
                f"mnist: {base}[.gz] not found in {str(folder)!r}; the folder needs {names} "
                "(pass download=True to fetch them)"
            )
        found[key] = file
    arrays = {}
    for split in ("train", "test"):
        images, labels = read_idx(found[f"{split}_images"]), read_idx(found[f"{split}_labels"])
        where = f"mnist: {str(found[split + '_images'])!r}"
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"{where} should hold uint8 images (n, rows, cols), got {images.dtype} {images.shape}")
        if labels.ndim != 1 or labels.dtype != np.uint8:
            raise ValueError(f"mnist: {str(found[split + '_labels'])!r} should hold uint8 labels (n,)")
        if len(images) != len(labels):
            raise ValueError(f"{where} has {len(images)} images but its label file has {len(labels)} labels")
        if labels.size and labels.max() > 9:
            raise ValueError(f"mnist: {str(found[split + '_labels'])!r} has a label {labels.max()} outside 0..9")
        arrays[split] = (images.reshape(len(images), -1).astype(float) / 255.0, labels.astype(np.int64))
    (X_train, y_train), (X_test, y_test) = arrays["train"], arrays["test"]
    return X_train, X_test, y_train, y_test


# ---------------------------------------------------------------------------- helpers
def _check_pair(X: Any, y: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    if np is None:
        if not isinstance(X, (list, tuple)) or not isinstance(y, (list, tuple)) or len(X) != len(y):
            raise ValueError(f"{where}: X and y need the same number of samples (lists), got {X!r:.60} and {y!r:.60}")
        return X, y  # type: ignore[return-value]
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(f"{where}: X and y need the same number of samples, got shapes {X.shape} and {y.shape}")
    return X, y


def train_test_split(
    X: Any, y: Any, test_size: float = 0.2, seed: Seed = None, shuffle: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split into ``X_train, X_test, y_train, y_test`` (scikit-learn's order).

    ``test_size`` is a fraction in (0, 1) or a number of samples.

    >>> X_tr, X_te, y_tr, y_te = train_test_split(np.arange(10.0)[:, None], np.arange(10), seed=0)
    >>> len(X_tr), len(X_te), sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(10))
    (8, 2, True)
    """
    require_numpy("nn.data.train_test_split")
    X, y = _check_pair(X, y, "train_test_split")
    n = len(y)
    if isinstance(test_size, float) and 0.0 < test_size < 1.0:
        n_test = int(np.ceil(test_size * n))
    elif isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool) and 0 < test_size < n:
        n_test = int(test_size)
    else:
        raise ValueError(f"train_test_split: test_size must be a fraction in (0, 1) or a count in 1..{n - 1}")
    if not 0 < n_test < n:
        raise ValueError(f"train_test_split: {n} samples are too few to split with test_size={test_size}")
    order = rng_from(seed).permutation(n) if shuffle else np.arange(n)
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def batches(
    X: Any, y: Any, batch_size: int | None = None, shuffle: bool = True, seed: Seed = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Mini-batches ``(X_batch, y_batch)`` covering every sample once (the last may be smaller).

    ``batch_size=None`` gives one full batch. With ``shuffle`` the order is a
    fresh permutation drawn from ``seed`` (an int or a Generator).

    >>> [len(yb) for _, yb in batches(np.zeros((5, 2)), np.zeros(5), batch_size=2, shuffle=False)]
    [2, 2, 1]
    """
    X, y = _check_pair(X, y, "batches")
    n = len(y)
    size = n if batch_size is None else int(batch_size)
    if size < 1:
        raise ValueError(f"batches: batch_size must be >= 1, got {batch_size}")
    if np is None:
        order = rng_from(seed).permutation(n) if shuffle else list(range(n))
        for start in range(0, n, size):
            idx = order[start : start + size]
            yield [X[i] for i in idx], [y[i] for i in idx]  # type: ignore[misc]
        return
    order = rng_from(seed).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, size):
        idx = order[start : start + size]
        yield X[idx], y[idx]


def one_hot(y: Any, num_classes: int | None = None) -> np.ndarray:
    """Class indices (n,) → rows of zeros with a single 1: shape (n, num_classes), float."""
    require_numpy("nn.data.one_hot")
    y = np.asarray(y)
    if y.ndim != 1 or (y.size and not np.issubdtype(y.dtype, np.integer)):
        raise ValueError(f"one_hot: expected a 1-D array of integer class indices, got {y.dtype} {y.shape}")
    k = (int(y.max()) + 1 if y.size else 0) if num_classes is None else int(num_classes)
    if y.size and (y.min() < 0 or y.max() >= k):
        raise ValueError(f"one_hot: labels must lie in 0..{k - 1}, got values from {y.min()} to {y.max()}")
    out = np.zeros((len(y), k))
    out[np.arange(len(y)), y] = 1.0
    return out
