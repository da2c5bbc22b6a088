"""Saving and loading a model's weights as a NumPy ``.npz`` archive.

The archive holds one array per entry of ``model.params`` under the same name
(``"0.W"``, ``"2.b"``, …). Loading never unpickles anything
(``allow_pickle=False``), and it checks every array before it touches the
model: a file with object arrays, missing or extra names, wrong shapes or
non-finite values raises ``ValueError`` and leaves the model as it was.
"""
from __future__ import annotations

import os
import zipfile

import numpy as np


def _params_of(model) -> dict[str, np.ndarray]:
    params = getattr(model, "params", None)
    if not isinstance(params, dict):
        raise TypeError(f"expected a layer or model with a params dict, got {type(model).__name__}")
    return params


def save_weights(model, path) -> str:
    """Write every parameter of ``model`` to the ``.npz`` file ``path``.

    ``".npz"`` is appended when ``path`` does not end with it (as
    :func:`numpy.savez` does). Returns the path written.
    """
    params = _params_of(model)
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    np.savez(path, **{name: np.asarray(value) for name, value in params.items()})
    return path


def _read_archive(path) -> dict[str, np.ndarray]:
    """All arrays of the archive at ``path``, read without unpickling."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no weights file at {path!r}")
    # we open the file ourselves so that it is closed even when numpy gives up on it
    with open(path, "rb") as fh:
        try:
            loaded = np.load(fh, allow_pickle=False)
        except (ValueError, zipfile.BadZipFile, EOFError, OSError) as err:
            raise ValueError(f"{path!r} is not a readable .npz archive of float arrays: "
                             f"{err}") from None
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError(f"{path!r} holds a single array, expected an .npz archive "
                             "of named arrays")
        arrays = {}
        with loaded:
            for name in loaded.files:
                try:
                    arrays[name] = loaded[name]
                except ValueError as err:  # object arrays would need pickle
                    raise ValueError(f"{path!r}: array {name!r} holds Python objects, expected "
                                     f"an array of floats ({err})") from None
                except (zipfile.BadZipFile, EOFError, OSError) as err:
                    raise ValueError(f"{path!r}: array {name!r} cannot be read: {err}") from None
    return arrays


def load_weights(model, path):
    """Copy the weights saved in ``path`` into ``model``'s parameters, in place.

    The file must hold exactly the parameter names of ``model``, each a finite
    float array of the parameter's shape. Everything is checked first, so on
    any error the model keeps its old weights. Returns ``model``.
    """
    params = _params_of(model)
    arrays = _read_archive(path)
    missing = sorted(set(params) - set(arrays))
    extra = sorted(set(arrays) - set(params))
    if missing or extra:
        raise ValueError(f"{os.fspath(path)!r} does not match the model: expected the names "
                         f"{sorted(params)}; missing {missing}, unexpected {extra}")
    for name, value in arrays.items():
        want = params[name]
        if value.dtype.kind != "f":
            raise ValueError(f"weights {name!r} must be a float array, got dtype {value.dtype}")
        if value.shape != want.shape:
            raise ValueError(f"weights {name!r} must have shape {want.shape}, got {value.shape}")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"weights {name!r} must contain only finite numbers, found NaN or inf")
    for name, value in arrays.items():
        params[name][...] = value
    return model
