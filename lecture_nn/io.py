"""Saving and loading a model's weights as a NumPy ``.npz`` archive.

The archive holds one array per entry of ``model.params`` under the same name
(``"0.W"``, ``"2.b"``, …). Loading never unpickles anything: it reads each
``.npy`` member itself, and it checks every array — and converts it to the
model's dtype — before it touches the model. A damaged file, object arrays,
missing or extra names, wrong shapes, non-finite values or values that
overflow the model's dtype raise ``ValueError`` and leave the model as it was.
"""
from __future__ import annotations

import io
import math
import os
import zipfile
import zlib

import numpy as np
from numpy.lib import format as npy_format

from lecture_nn.checks import as_path

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")     # a zip's first entry, or an empty zip
_NPY_VERSIONS = {(1, 0): 2, (2, 0): 4, (3, 0): 4}  # .npy format version → bytes of its header length
_MAX_HEADER = 10_000                             # numpy's own limit on a header it will parse
# what reading a damaged zip member can raise (RuntimeError: an encrypted member),
# besides a wrong length, which is checked here
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError)


def _params_of(model) -> dict[str, np.ndarray]:
    params = getattr(model, "params", None)
    if not isinstance(params, dict):
        raise TypeError(f"expected a layer or model with a params dict, got {type(model).__name__}")
    for name, value in params.items():
        if not isinstance(value, np.ndarray):
            raise TypeError(f"the model's parameter {name!r} must be a numpy array, "
                            f"got {type(value).__name__}")
    return params


def save_weights(model, path) -> str:
    """Write every parameter of ``model`` to the ``.npz`` file ``path``.

    Parameters
    ----------
    model : Layer
        Any layer or model with a ``params`` dict (name → array).
    path : str or os.PathLike
        ``".npz"`` is appended when it does not end with it (as :func:`numpy.savez` does).

    Returns
    -------
    str
        The path written.
    """
    params = _params_of(model)
    path = as_path(path)
    if not path.endswith(".npz"):
        path += ".npz"
    np.savez(path, **{name: np.asarray(value) for name, value in params.items()})
    return path


class _Member:
    """One ``.npy`` member of an archive, read step by step so that each kind of damage is named."""

    def __init__(self, fh, size: int, where: str):
        self.fh, self.size, self.where = fh, size, where

    def read(self, n: int, what: str) -> bytes:
        data = self.fh.read(n)
        if len(data) < n:
            raise ValueError(f"{self.where} is cut short inside its {what}: {len(data)} of {n} bytes")
        return data

    def array(self) -> np.ndarray:
        magic = self.fh.read(len(npy_format.MAGIC_PREFIX))
        if magic != npy_format.MAGIC_PREFIX:
            raise ValueError(f"{self.where} is not .npy array data: it does not begin with the .npy "
                             "signature (b'\\x93NUMPY') that numpy writes")
        version = tuple(self.read(2, ".npy header"))
        if version not in _NPY_VERSIONS:
            raise ValueError(f"{self.where} has .npy format version {version[0]}.{version[1]}, "
                             f"expected one of {', '.join(f'{a}.{b}' for a, b in _NPY_VERSIONS)}")
        length_bytes = self.read(_NPY_VERSIONS[version], ".npy header")
        header_length = int.from_bytes(length_bytes, "little")
        if header_length > _MAX_HEADER:
            raise ValueError(f"{self.where} has a garbled .npy header: it announces {header_length} "
                             f"bytes of header, numpy writes at most {_MAX_HEADER}")
        header = self.read(header_length, ".npy header")
        reader = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
        try:
            shape, fortran_order, dtype = reader(io.BytesIO(length_bytes + header))
        except Exception:  # numpy's parser of a damaged header can raise several kinds of errors
            raise ValueError(f"{self.where} has a garbled .npy header (expected a dict with 'descr', "
                             f"'fortran_order' and 'shape'): {header[:80]!r}") from None
        if dtype.hasobject:
            raise ValueError(f"{self.where} holds Python objects (it would need pickle), "
                             "expected an array of floats")
        if dtype.kind != "f":
            raise ValueError(f"{self.where} must be a float array, got dtype {dtype}")
        expected = math.prod(shape) * dtype.itemsize
        # one byte more than announced: a longer member is damaged too; never more than the member holds
        data = self.fh.read(min(expected, self.size) + 1)
        if len(data) < expected:
            raise ValueError(f"{self.where} is cut short: its header announces shape {shape} of {dtype} "
                             f"({expected} bytes of data), but only {len(data)} bytes follow")
        if len(data) > expected:
            raise ValueError(f"{self.where} holds more data than its header announces (shape {shape} "
                             f"of {dtype}, {expected} bytes): the file is damaged")
        order = "F" if fortran_order else "C"
        return np.frombuffer(data, dtype=dtype, count=math.prod(shape)).reshape(shape, order=order)


def _read_archive(path: str) -> dict[str, np.ndarray]:
    """All arrays of the ``.npz`` archive at ``path``, read without unpickling."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no weights file at {path!r}")
    with open(path, "rb") as fh:
        start = fh.read(len(npy_format.MAGIC_PREFIX))
        if start == npy_format.MAGIC_PREFIX:
            raise ValueError(f"{path!r} holds a single array (.npy), expected an .npz archive "
                             "of named arrays (as save_weights writes)")
        if not start:
            raise ValueError(f"{path!r} is empty, expected an .npz archive of named arrays")
        if start[:4] not in _ZIP_MAGIC:
            raise ValueError(f"{path!r} is not an .npz archive (a zip file of .npy arrays): "
                             f"it begins with {start!r}")
        fh.seek(0)
        try:
            archive = zipfile.ZipFile(fh)
        except _ZIP_ERRORS as err:
            raise ValueError(f"{path!r} is a damaged .npz archive: its zip directory cannot be read "
                             f"({err})") from None
        arrays = {}
        with archive:
            for info in archive.infolist():
                name = info.filename.removesuffix(".npy")
                where = f"{path!r}: array {name!r}"
                if not info.filename.endswith(".npy"):
                    raise ValueError(f"{path!r} holds {info.filename!r}, which is not an .npy array "
                                     "(every member of an .npz archive is NAME.npy)")
                if name in arrays:
                    raise ValueError(f"{where} appears twice in the archive")
                try:
                    with archive.open(info) as member:
                        arrays[name] = _Member(member, info.file_size, where).array()
                except _ZIP_ERRORS as err:
                    raise ValueError(f"{where} cannot be read: the zip archive is damaged "
                                     f"({err})") from None
    return arrays


def load_weights(model, path):
    """Copy the weights saved in ``path`` into ``model``'s parameters, in place.

    The file must hold exactly the parameter names of ``model``, each a finite
    float array of the parameter's shape whose values fit the parameter's dtype
    (a float64 file may load into a float32 model; a value beyond float32's range
    is refused, not turned into inf). Everything is checked and converted first,
    so on any error the model keeps its old weights. Returns ``model``.

    Parameters
    ----------
    model : Layer
        Any layer or model with a ``params`` dict (name → array); its arrays are
        overwritten in place, so an optimiser holding them sees the new values.
    path : str or os.PathLike
        An ``.npz`` file written by :func:`save_weights`.
    """
    params = _params_of(model)
    path = as_path(path)
    arrays = _read_archive(path)
    missing = sorted(set(params) - set(arrays))
    extra = sorted(set(arrays) - set(params))
    if missing or extra:
        raise ValueError(f"{path!r} does not match the model: expected the names "
                         f"{sorted(params)}; missing {missing}, unexpected {extra}")
    converted = {}
    for name, value in arrays.items():
        want = params[name]
        if value.shape != want.shape:
            raise ValueError(f"weights {name!r} must have shape {want.shape}, got {value.shape}")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"weights {name!r} must contain only finite numbers, found NaN or inf")
        with np.errstate(over="ignore", under="ignore"):   # an overflow is refused just below, by name
            converted[name] = value.astype(want.dtype)
        if not np.all(np.isfinite(converted[name])):
            largest = np.format_float_scientific(np.max(np.abs(value)), precision=2, unique=False)
            limit = np.format_float_scientific(np.finfo(want.dtype).max, precision=2, unique=False)
            raise ValueError(f"weights {name!r} hold values up to {largest}, beyond the range of the "
                             f"model's {want.dtype} (largest {limit})")
        if not want.flags.writeable:
            raise ValueError(f"the model's parameter {name!r} is read-only; cannot load into it")
    for name, value in converted.items():
        params[name][...] = value
    return model
