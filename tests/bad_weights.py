"""Weights files damaged on purpose, one way each, for test_io.py and the bad-input catalogue.

An ``.npz`` archive is written member by member (``archive``), so that one ``.npy``
member can be damaged while the others stay good (``damaged_members``);
``damaged_file`` writes such an archive into a temporary folder removed at exit.
"""
from __future__ import annotations

import atexit
import io
import pickle
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np

_FOLDER = Path(tempfile.mkdtemp(prefix="lecture_nn_bad_weights_"))
atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)

KINDS = ("not npy data", "pickle", "garbled header", "header cut short", "data cut short",
         "data too long", "unknown version", "object array")


def npy(array) -> bytes:
    """The .npy bytes numpy writes for ``array``."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def archive(path, members: dict[str, bytes], stored: bool = True):
    """An .npz archive written member by member (names with their ".npy"); returns ``path``."""
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def good_members(params: dict) -> dict[str, bytes]:
    return {f"{name}.npy": npy(value) for name, value in params.items()}


def damaged_members(params: dict) -> dict[str, tuple[dict[str, bytes], str]]:
    """For each kind in ``KINDS``: the members of an archive of ``params`` whose '0.W' is damaged
    that way, and a regular expression the error message must match."""
    W = params["0.W"]
    data = npy(W)
    header_end = data.index(b"\n") + 1
    garbled = bytearray(data[:header_end])
    cut = garbled.index(b"(")                     # an unclosed parenthesis: numpy's tokenizer gives up
    garbled[cut + 1:header_end - 1] = b" " * (header_end - 2 - cut)
    shape = str(W.shape).replace("(", r"\(").replace(")", r"\)")
    cases = {
        "not npy data": (b"these are not the weights you are looking for", r"not \.npy array data"),
        "pickle": (pickle.dumps(W), r"not \.npy array data"),
        "garbled header": (bytes(garbled) + data[header_end:], r"garbled \.npy header"),
        "header cut short": (data[:9], r"cut short inside its \.npy header"),
        "data cut short": (data[:-5], rf"cut short: its header announces shape {shape} of float64 "
                                      rf"\({W.nbytes} bytes of data\), but only {W.nbytes - 5} bytes follow"),
        "data too long": (data + b"\x00" * 8, "more data than its header announces"),
        "unknown version": (data[:6] + b"\x07\x00" + data[8:], r"format version 7\.0"),
        "object array": (data[:header_end].replace(b"'<f8'", b"'|O' "), "Python objects"),
    }
    good = good_members(params)
    return {kind: (dict(good, **{"0.W.npy": member}), words) for kind, (member, words) in cases.items()}


def damaged_file(params: dict, kind: str) -> str:
    """An .npz of ``params`` whose '0.W' is damaged as ``kind`` says, in a temporary folder."""
    members, _ = damaged_members(params)[kind]
    return str(archive(_FOLDER / f"{kind.replace(' ', '_')}.npz", members))


def overflowing_file(sizes) -> str:
    """A float64 ``mlp(sizes)`` saved with one weight of 1e300, beyond float32's range."""
    import lecture_nn as nn

    model = nn.mlp(list(sizes), rng=np.random.default_rng(0))
    model.params[f"{2 * (len(sizes) - 2)}.W"][0, 0] = 1e300      # the last layer's, read last
    return nn.save_weights(model, _FOLDER / "overflowing.npz")
