"""The bad-input catalogue: wrong calls across the public API fail clearly and change nothing.

Every entry builds fresh objects, makes one bad call and expects a
``ValueError`` or ``TypeError`` (never an ``IndexError`` or a bare numpy
broadcasting error) whose message names what was expected (the ``match``
regular expression). Every layer involved must keep its parameters.
"""
from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn import data, init
from lecture_nn.lessons.convolution import Conv2D, conv2d, conv2d_fast, conv_matrix, output_size
from lecture_nn.dropout import Dropout
from lecture_nn.layers import Flatten
from lecture_nn.penalties import l1_penalty, l2_penalty
from lecture_nn.pooling import AvgPool2D, MaxPool2D
from lecture_nn.residual import Residual


def rng():
    return np.random.default_rng(0)


@dataclass
class Bad:
    """One bad call: ``call(*watched)`` must raise ``error`` with a message matching ``match``."""
    name: str
    make: Callable[[], list]            # fresh layers/models whose params must not change
    call: Callable[..., object]
    match: str
    error: type | tuple = (ValueError, TypeError)
    watched: list = field(default_factory=list)


def linear():
    return [nn.Linear(3, 2, rng=rng())]


def model():
    return [nn.mlp([3, 4, 2], rng=rng())]


def conv():
    return [Conv2D(2, 3, 3, rng=rng())]


def none():
    return []


X3 = np.ones((5, 3))
IMG = np.ones((2, 2, 6, 6))


def fit_call(X=X3, y=np.array([0, 1, 0, 1, 1]), **kw):
    def call(m):
        args = dict(epochs=1, batch_size=2, lr=0.1, rng=rng(), progress=False)
        args.update(kw)
        return nn.fit(m, X, y, "softmax_cross_entropy", **args)
    return call


def forward_then_backward(x, grad):
    def call(layer):
        layer.forward(x)
        return layer.backward(grad)
    return call


CATALOGUE = [
    # --- dense layer: shapes, dtypes, sizes, names ----------------------------------
    Bad("linear 1-D input", linear, lambda m: m.forward(np.ones(3)), r"2-D array, got shape \(3,\)"),
    Bad("linear wrong width", linear, lambda m: m.forward(np.ones((4, 5))), r"\(n, 3\)"),
    Bad("linear string input", linear, lambda m: m.forward(np.array([["a", "b", "c"]])),
        r"real numbers", TypeError),
    Bad("linear object input", linear, lambda m: m.forward(np.array([[None, 1, 2]], dtype=object)),
        r"real numbers", TypeError),
    Bad("linear complex input", linear, lambda m: m.forward(np.ones((2, 3)) * 1j), r"real numbers",
        TypeError),
    Bad("linear empty batch", linear, lambda m: m.forward(np.ones((0, 3))), r"not be empty"),
    Bad("linear backward wrong shape", linear,
        forward_then_backward(np.ones((4, 3)), np.ones((4, 3))), r"grad_out of shape \(4, 2\)"),
    Bad("linear zero width", none, lambda: nn.Linear(0, 2, rng=rng()), r"n_in must be an integer >= 1"),
    Bad("linear float width", none, lambda: nn.Linear(2.5, 2, rng=rng()), r"integer >= 1", TypeError),
    Bad("linear unknown initialiser", none, lambda: nn.Linear(2, 2, rng=rng(), init="glorious"),
        r"expected one of .*'he'"),
    Bad("linear integer dtype", none, lambda: nn.Linear(2, 2, rng=rng(), dtype=np.int32),
        r"float32 or float64", TypeError),
    Bad("linear without rng", none, lambda: nn.Linear(2, 2), r"numpy.random.Generator", TypeError),
    Bad("unknown activation", none, lambda: nn.get_activation("swish"), r"expected one of .*'relu'"),
    Bad("mlp single size", none, lambda: nn.mlp([3], rng=rng()), r"at least the input and output"),
    Bad("sequential non-layer", none, lambda: nn.Sequential(nn.ReLU(), "dense"),
        r"takes layers, got str at position 1", TypeError),
    Bad("model wrong width", model, lambda m: m.forward(np.ones((2, 4))), r"\(n, 3\)"),
    Bad("gaussian negative sigma", none, lambda: init.gaussian(-1.0), r"sigma must be >= 0"),
    # --- losses: labels and scores --------------------------------------------------
    Bad("softmax labels out of range", none,
        lambda: nn.softmax_cross_entropy(np.array([0, 3]), np.zeros((2, 3))), r"0\.\.2"),
    Bad("softmax negative label", none,
        lambda: nn.softmax_cross_entropy(np.array([-1, 0]), np.zeros((2, 3))), r"0\.\.2"),
    Bad("softmax non-integer labels", none,
        lambda: nn.softmax_cross_entropy(np.array([0.5, 1.0]), np.zeros((2, 3))),
        r"integer class labels", TypeError),
    Bad("softmax string labels", none,
        lambda: nn.softmax_cross_entropy(np.array(["cat", "dog"]), np.zeros((2, 3))),
        r"integer class labels", TypeError),
    Bad("softmax label count", none,
        lambda: nn.softmax_cross_entropy(np.array([0, 1, 2]), np.zeros((2, 3))), r"shape \(2,\)"),
    Bad("softmax one score per example", none,
        lambda: nn.softmax_cross_entropy(np.array([0, 0]), np.zeros((2, 1))), r"K >= 2, got shape \(2, 1\)"),
    Bad("softmax 1-D scores", none,
        lambda: nn.softmax_cross_entropy(np.array([0, 1]), np.zeros(2)), r"2-D array"),
    Bad("softmax NaN scores", none,
        lambda: nn.softmax_cross_entropy(np.array([0, 1]), np.array([[0.0, np.nan], [1, 2]])),
        r"finite"),
    Bad("softmax empty batch", none,
        lambda: nn.softmax_cross_entropy(np.zeros(0, int), np.zeros((0, 3))), r"not be empty"),
    Bad("hinge 0/1 labels", none, lambda: nn.hinge(np.array([0.0, 1.0]), np.zeros(2)),
        r"values in \{-1\.0, 1\.0\}"),
    Bad("logistic two-column scores", none, lambda: nn.logistic(np.ones(2), np.zeros((2, 2))),
        r"\(n,\) or \(n, 1\)"),
    Bad("logistic inf scores", none, lambda: nn.logistic(np.ones(2), np.array([0.0, np.inf])),
        r"finite"),
    Bad("squared shape mismatch", none, lambda: nn.squared(np.zeros((3, 2)), np.zeros((3, 4))),
        r"shape of z \(3, 4\)"),
    Bad("sigmoid cross-entropy label 2", none,
        lambda: nn.sigmoid_cross_entropy(np.array([[2.0]]), np.zeros((1, 1))), r"\{0\.0, 1\.0\}"),
    Bad("unknown loss", none, lambda: nn.get_loss("cross"), r"expected one of .*'hinge'"),
    # --- training, optimiser, penalties ---------------------------------------------
    Bad("fit zero epochs", model, fit_call(epochs=0), r"epochs must be an integer >= 1"),
    Bad("fit negative batch size", model, fit_call(batch_size=-2), r"batch_size must be an integer >= 1"),
    Bad("fit seed instead of rng", model, fit_call(rng=42), r"numpy.random.Generator", TypeError),
    Bad("fit NaN in X", model, fit_call(X=np.array([[np.nan, 0, 0]] * 5)), r"finite"),
    Bad("fit optimizer and lr", model,
        lambda m: fit_call(optimizer=nn.SGD(m, lr=0.01))(m), r"optimizer=.* and lr=0\.1: .*ignored"),
    Bad("fit optimizer and momentum", model,
        lambda m: nn.fit(m, X3, np.array([0, 1, 0, 1, 1]), epochs=1, rng=rng(), progress=False,
                         momentum=0.9, optimizer=nn.SGD(m, lr=0.01)), r"and momentum=0\.9"),
    Bad("fit softmax on one output", lambda: [nn.mlp([3, 4, 1], rng=rng())], fit_call(),
        r"z: softmax cross-entropy needs at least 2 scores per example.*got shape \(5, 1\).*sigmoid_cross_entropy"),
    Bad("fit label count", model, fit_call(y=np.array([0, 1])), r"one entry per row of X \(5\)"),
    Bad("fit labels out of range late", model,
        fit_call(X=np.ones((40, 3)), y=np.array([0, 1] * 19 + [0, 7])), r"0\.\.1"),
    Bad("fit bad validation labels", model,
        fit_call(validation=(np.ones((3, 3)), np.array([0, 1, 9]))), r"0\.\.1"),
    Bad("fit validation width", model,
        fit_call(validation=(np.ones((3, 4)), np.array([0, 1, 1]))), r"\(n, 3\)"),
    Bad("fit unknown penalty", model, fit_call(penalty="l3"), r"'l1' or 'l2'"),
    Bad("fit hinge with 0/1 labels", model,
        lambda m: nn.fit(nn.mlp([3, 1], rng=rng()), X3, np.array([0, 1, 0, 1, 1]), "hinge",
                         rng=rng(), progress=False), r"\{-1\.0, 1\.0\}"),
    Bad("fit 3-D X", model, fit_call(X=np.ones((5, 3, 1))), r"X of shape \(5, 3, 1\) does not fit.*2-D"),
    Bad("fit string labels", model, fit_call(y=np.array(list("abcab"))), r"numeric labels",
        TypeError),
    Bad("fit unknown loss", model,
        lambda m: nn.fit(m, X3, np.zeros(5, int), "crossentropy", rng=rng(), progress=False),
        r"expected one of"),
    Bad("predict 1-D", model, lambda m: nn.predict(m, np.ones(3)), r"at least 2-D\), got shape \(3,\)"),
    Bad("sgd on a non-model", none, lambda: nn.SGD(object(), lr=0.1), r"params and grads",
        TypeError),
    Bad("sgd zero step", model, lambda m: nn.SGD(m, lr=0.0), r"> 0"),
    Bad("sgd momentum one", model, lambda m: nn.SGD(m, lr=0.1, momentum=1.0), r"\[0, 1\)"),
    Bad("negative penalty", model, lambda m: l2_penalty(m.params, -0.1), r">= 0"),
    Bad("NaN penalty", model, lambda m: l1_penalty(m.params, float("nan")), r">= 0"),
    Bad("predict NaN", model, lambda m: nn.predict(m, np.full((2, 3), np.nan)), r"finite"),
    # --- convolution ------------------------------------------------------------------
    Bad("conv zero stride", none, lambda: Conv2D(1, 1, 3, stride=0, rng=rng()), r"stride must be an integer >= 1"),
    Bad("conv negative padding", none, lambda: Conv2D(1, 1, 3, padding=-1, rng=rng()),
        r"padding must be an integer >= 0"),
    Bad("conv float kernel", none, lambda: Conv2D(1, 1, 2.5, rng=rng()), r"integer >= 1", TypeError),
    Bad("conv channel mismatch", conv, lambda m: m.forward(np.ones((1, 3, 6, 6))), r"\(N, 2, H, W\)"),
    Bad("conv kernel larger than input", conv, lambda m: m.forward(np.ones((1, 2, 2, 2))),
        r"kernel 3x3 is larger than the input 2x2"),
    Bad("conv 3-D input", conv, lambda m: m.forward(np.ones((2, 6, 6))), r"4-D array"),
    Bad("conv backward wrong shape", conv, forward_then_backward(IMG, np.ones((2, 3, 6, 6))),
        r"grad_out of shape \(2, 3, 4, 4\)"),
    Bad("conv2d negative stride", none, lambda: conv2d_fast(IMG, np.ones((1, 2, 3, 3)), stride=-1),
        r"stride must be an integer >= 1"),
    Bad("conv2d channel mismatch", none, lambda: conv2d_fast(IMG, np.ones((1, 3, 3, 3))),
        r"expect 3"),
    Bad("conv2d bias shape", none,
        lambda: conv2d_fast(IMG, np.ones((4, 2, 3, 3)), b=np.ones(3)), r"shape \(4,\)"),
    Bad("conv matrix of a filter bank", none, lambda: conv_matrix((5, 5), np.ones((1, 1, 2, 2))),
        r"2-D array"),
    Bad("conv string image", none, lambda: conv2d(np.full((4, 4), "a"), np.ones((2, 2))),
        r"real numbers", TypeError),
    Bad("output size kernel too big", none, lambda: output_size(4, 5), r"larger than the input"),
    # --- pooling, flatten, dropout, residual ------------------------------------------
    Bad("maxpool zero size", none, lambda: MaxPool2D(0), r"size must be an integer >= 1"),
    Bad("avgpool zero stride", none, lambda: AvgPool2D(2, stride=0), r"stride must be an integer >= 1"),
    Bad("maxpool window larger than map", none, lambda: MaxPool2D(4).forward(np.ones((1, 1, 3, 3))),
        r"at least 4×4"),
    Bad("maxpool 2-D input", none, lambda: MaxPool2D(2).forward(np.ones((4, 4))), r"4-D array"),
    Bad("flatten 1-D input", none, lambda: Flatten().forward(np.ones(4)), r"at least 2 dimensions"),
    Bad("dropout p = 1", none, lambda: Dropout(1.0, rng=rng()), r"\[0, 1\)"),
    Bad("dropout negative p", none, lambda: Dropout(-0.1, rng=rng()), r"\[0, 1\)"),
    Bad("dropout p as text", none, lambda: Dropout("half", rng=rng()), r"number in \[0, 1\)", TypeError),
    Bad("dropout without rng", none, lambda: Dropout(0.5), r"numpy.random.Generator", TypeError),
    Bad("dropout unknown mode", none, lambda: Dropout(0.5, rng=rng(), mode="scaled"),
        r"'classic', 'inverted'"),
    Bad("dropout non-binary mask", none, lambda: Dropout(0.5, rng=rng()).fix_mask([0.5, 1.0]),
        r"only 0 \(dropped\) and 1 \(kept\)"),
    Bad("dropout mask of the wrong shape", none,
        lambda: Dropout(0.5, rng=rng()).fix_mask(np.ones(3)).forward(np.ones((2, 4))),
        r"expected the input's shape \(2, 4\)"),
    Bad("residual unknown activation", none, lambda: Residual(nn.ReLU(), activation="gelu"),
        r"expected one of"),
    Bad("residual shape change", linear, lambda m: Residual(m).forward(np.ones((2, 3))),
        r"projection"),
    Bad("residual non-layer block", none, lambda: Residual(np.eye(3)), r"must be a Layer", TypeError),
    # --- data ---------------------------------------------------------------------------
    Bad("unknown toy set", none, lambda: data.make_toy("swirl", rng=rng()), r"expected one of"),
    Bad("toy set negative noise", none, lambda: data.make_moons(10, noise=-1, rng=rng()), r">= 0"),
    Bad("toy set zero size", none, lambda: data.make_xor(0, rng=rng()), r"n must be an integer >= 1"),
    Bad("to_pm1 three classes", none, lambda: data.to_pm1([0, 1, 2]), r"\{0, 1\}"),
    Bad("mnist unknown kind", none, lambda: data.load_mnist("/tmp", kind="val"), r"'train' or 'test'"),
    Bad("shift out of view", none, lambda: data.shift_images(np.ones((1, 4, 4)), 4, 0), r"out of view"),
    Bad("shift by a fraction", none, lambda: data.shift_images(np.ones((1, 4, 4)), 1.5, 0),
        r"dx must be a whole number of pixels", TypeError),
    Bad("shift a single image", none, lambda: data.shift_images(np.ones(16), 1, 0),
        r"\(n, H, W\)"),
    Bad("shift string images", none, lambda: data.shift_images(np.full((1, 4, 4), "a"), 1, 0),
        r"real numbers", TypeError),
    # --- issue 20: training helpers (accuracy, predict, fit, modes, the layer guard) -----
    Bad("accuracy 1-D 0/1 labels of a one-output model", none,
        lambda: nn.accuracy(nn.mlp([3, 1], rng=rng()), X3, np.array([0, 1, 0, 1, 1])),
        r"0/1 labels of shape \(5,\).*±1 labels.*\(5, 1\)"),
    Bad("accuracy class labels as a column", model,
        lambda m: nn.accuracy(m, X3, np.array([[0], [1], [0], [1], [1]])),
        r"integer class labels of shape \(5,\) \(softmax cross-entropy\)"),
    Bad("accuracy label out of range", model, lambda m: nn.accuracy(m, X3, np.array([0, 1, 7, 1, 0])),
        r"0\.\.1"),
    Bad("accuracy ±1 labels of a two-output model", model,
        lambda m: nn.accuracy(m, X3, np.array([1, -1, 1, -1, 1])), r"0\.\.1"),
    Bad("accuracy NaN label", model, lambda m: nn.accuracy(m, X3, np.array([0, 1, np.nan, 1, 0])),
        r"finite"),
    Bad("accuracy string labels", model, lambda m: nn.accuracy(m, X3, np.array(list("abcab"))),
        r"numeric labels", TypeError),
    Bad("accuracy label count", model, lambda m: nn.accuracy(m, X3, np.array([0, 1])),
        r"one label per row of X \(5\)"),
    Bad("predict_labels of image-shaped scores", none,
        lambda: nn.predict_labels(nn.Sequential(nn.ReLU()), IMG), r"scores of shape \(n,\) or \(n, K\)"),
    Bad("fit lam without a penalty", model, fit_call(lam=0.5),
        r"lam=0\.5 was given without a penalty.*penalty='l2' or penalty='l1'"),
    Bad("fit negative lam", model, fit_call(penalty="l2", lam=-0.1), r"lam .*>= 0"),
    Bad("fit validation not a pair", model, fit_call(validation=X3),
        r"validation must be a pair \(X_val, y_val\), got an array of shape \(5, 3\)", TypeError),
    Bad("predict zero batch size", model, lambda m: nn.predict(m, X3, batch_size=0),
        r"batch_size must be an integer >= 1, got 0"),
    Bad("predict negative batch size", model, lambda m: nn.predict(m, X3, batch_size=-1),
        r"batch_size must be an integer >= 1, got -1"),
    Bad("predict fractional batch size", model, lambda m: nn.predict(m, X3, batch_size=2.5),
        r"batch_size must be an integer >= 1, got 2\.5", TypeError),
    Bad("evaluate zero batch size", model,
        lambda m: nn.evaluate(m, "softmax_cross_entropy", X3, np.zeros(5, int), batch_size=0),
        r"batch_size must be an integer >= 1"),
    Bad("linear float16", none, lambda: nn.Linear(2, 2, rng=rng(), dtype=np.float16),
        r"dtype must be float32 or float64, got float16", TypeError),
    Bad("layer appended at a second place", model,
        lambda m: (rebuilt := nn.Sequential(*m.layers)).layers.append(m[0]) or rebuilt.forward(X3),
        r"same layer object Linear\(3, 4\) is used at two places, '0' and '3'"),
    Bad("fit after a layer was appended at a second place", model,
        lambda m: (rebuilt := nn.Sequential(*m.layers)).layers.append(m[0]) or fit_call()(rebuilt),
        r"two places, '0' and '3'"),
    Bad("two layers sharing one params dict", linear,
        lambda m: nn.Sequential(m, nn.ReLU(), setattr(twin := nn.Linear(3, 2, rng=rng()), "params", m.params)
                                or twin), r"'0' and '2' share one params dict"),
    Bad("two layers sharing a parameter array", linear,
        lambda m: nn.Sequential(m, nn.ReLU(),
                                (twin := nn.Linear(3, 2, rng=rng())).params.update(W=m.params["W"]) or twin),
        r"parameters '0.W' and '2.W' share memory"),
    Bad("a non-layer appended to a model", model, lambda m: m.layers.append("dense"),
        r"takes layers, got str at position 3", TypeError),
    # (end of training helpers)
    # --- issue 20: weights files, patches, penalties, losses, data, dtypes ---------------
    Bad("ragged lists given to a layer", linear, lambda m: m.forward([[1, 2, 3], [1, 2]]),
        r"Linear input must be a rectangular array"),
    Bad("ragged labels", none, lambda: nn.softmax_cross_entropy([[0], [1, 2]], np.ones((2, 3))),
        r"y must be a rectangular array"),
    Bad("label 1e20", none, lambda: nn.softmax_cross_entropy(np.array([1e20, 0.0]), np.ones((2, 3))),
        r"y must lie in 0\.\.2, got values from 0 to 100000000000000000000"),
    Bad("l2_penalty of a list", none, lambda: l2_penalty([np.ones((2, 2))], 0.1),
        r"params must be a dict of named parameter arrays, got list", TypeError),
    Bad("l1_penalty of a model", model, lambda m: l1_penalty(m, 0.1), r"\(pass model\.params\)", TypeError),
    Bad("l2_penalty string weights", none, lambda: l2_penalty({"0.W": np.full((2, 2), "a")}, 0.1),
        r"params\['0\.W'\] must hold real numbers", TypeError),
    Bad("im2col of a 2-D array", none, lambda: nn.im2col(np.ones((4, 4)), (2, 2)),
        r"x_padded \(an \(N, C, Hp, Wp\) batch\) must be a 4-D array, got shape \(4, 4\)"),
    Bad("im2col kernel of 3.5", none, lambda: nn.im2col(IMG, 3.5),
        r"kernel_shape must be an integer >= 1 or a pair", TypeError),
    Bad("im2col non-contiguous out", none,
        lambda: nn.im2col(IMG, (3, 3), out=np.empty((2, 18, 17))[:, :, :16]), r"C-contiguous"),
    Bad("col2im 90 numbers", none, lambda: nn.col2im(np.ones((2, 3, 15)), IMG.shape, (3, 3)),
        r"cols must have shape \(N, C·kh·kw, Ho·Wo\) = \(2, 18, 16\).*got \(2, 3, 15\)"),
    Bad("col2im padded_shape of 3 numbers", none, lambda: nn.col2im(np.ones((2, 18, 16)), (2, 6, 6), 3),
        r"padded_shape must be \(N, C, Hp, Wp\)"),
    Bad("col2im out of the wrong shape", none,
        lambda: nn.col2im(np.ones((2, 18, 16)), IMG.shape, 3, out=np.ones((2, 2, 6, 5))),
        r"out must be a writable array of shape \(2, 2, 6, 6\)"),
    Bad("pad_images of one image", none, lambda: nn.patches.pad_images(np.ones((2, 6, 6)), 1),
        r"must be a 4-D array"),
    Bad("pooling output_shape of 3 numbers", none, lambda: MaxPool2D(2).output_shape((1, 4, 4)),
        r"expects an input shape \(n, C, H, W\)"),
    Bad("make_blobs zero centres", none, lambda: data.make_blobs(10, centers=np.zeros((0, 2)), rng=rng()),
        r"centers must not be empty"),
    Bad("make_blobs NaN centre", none, lambda: data.make_blobs(10, centers=[[0, np.nan]], rng=rng()),
        r"centers must contain only finite numbers"),
    Bad("make_circles infinite factor", none, lambda: data.make_circles(10, factor=np.inf, rng=rng()),
        r"factor \(the inner radius\) must be a finite number"),
    Bad("make_toy name in a list", none, lambda: data.make_toy(["xor"], rng=rng()), r"unknown toy set"),
    Bad("to_pm1 ragged", none, lambda: data.to_pm1([[0, 1], [1]]), r"y must be a rectangular array"),
    Bad("load_digits seed None", none, lambda: data.load_digits(seed=None),
        r"seed must be an integer >= 0, got None", TypeError),
    Bad("load_digits test set too large", none, lambda: data.load_digits(test_size=1790),
        r"test_size must be at most 1787"),
    Bad("load_digits images='yes'", none, lambda: data.load_digits(images="yes"),
        r"images must be True or False", TypeError),
    Bad("read_idx of a number", none, lambda: data.read_idx(3), r"path must be a file path", TypeError),
    Bad("initialiser shape None", none, lambda: init.xavier(None, rng(), 2, 2),
        r"shape must be an integer or a tuple of integers >= 1", TypeError),
    Bad("he with fan_in 0", none, lambda: init.he((2, 2), rng(), 0), r"fan_in must be an integer >= 1"),
    Bad("constant NaN", none, lambda: init.constant(np.nan), r"value must be a finite number"),
    Bad("constant beyond float32", none,
        lambda: nn.Linear(2, 2, rng=rng(), init=init.constant(1e300), dtype=np.float32),
        r"constant\(1e\+300\) is beyond the range of float32"),
    Bad("relu_prime of strings", none, lambda: nn.activations.relu_prime(np.array(["a"])),
        r"z must hold real numbers", TypeError),
    Bad("dropout ragged mask", none, lambda: Dropout(0.5, rng=rng()).fix_mask([[0, 1], [1]]),
        r"mask must be a rectangular array"),
    Bad("dropout mode an array", none, lambda: Dropout(0.5, rng=rng(), mode=np.array(["classic"])),
        r"mode must be one of"),
    Bad("mask ensemble index 2.0", none,
        lambda: nn.dropout.mask_ensemble_average(
            nn.Sequential(nn.Linear(3, 2, rng=rng()), Dropout(0.5, rng=rng())), X3, 1.0),
        r"dropout_index must be an integer >= 0", TypeError),
    Bad("projection size no stride reaches", none, lambda: nn.projection_for((2, 7, 7), (4, 5, 5), rng()),
        r"no 1×1 convolution maps a 7×7 image to 5×5"),
    Bad("projection shape a string", none, lambda: nn.projection_for("abc", (4, 4, 4), rng()),
        r"in_shape must be an integer or a tuple of integers", TypeError),
    Bad("residual without a block", none, lambda: Residual(None), r"block must be a Layer", TypeError),
    Bad("load_weights path a number", model, lambda m: nn.load_weights(m, 3),
        r"path must be a file path", TypeError),
    Bad("save_weights path None", model, lambda m: nn.save_weights(m, None),
        r"path must be a file path", TypeError),
    Bad("weights beyond float32", lambda: [nn.mlp([3, 4, 2], rng=rng(), dtype=np.float32)],
        lambda m: nn.load_weights(m, __import__("bad_weights").overflowing_file([3, 4, 2])),
        r"weights '2\.W' hold values up to 1\.00e\+300, beyond the range of the model's float32"),
    Bad("weights member not .npy data", model,
        lambda m: nn.load_weights(m, __import__("bad_weights").damaged_file(m.params, "not npy data")),
        r"array '0\.W' is not \.npy array data"),
    Bad("weights member pickled", model,
        lambda m: nn.load_weights(m, __import__("bad_weights").damaged_file(m.params, "pickle")),
        r"array '0\.W' is not \.npy array data"),
    Bad("weights garbled header", model,
        lambda m: nn.load_weights(m, __import__("bad_weights").damaged_file(m.params, "garbled header")),
        r"array '0\.W' has a garbled \.npy header"),
    Bad("weights data cut short", model,
        lambda m: nn.load_weights(m, __import__("bad_weights").damaged_file(m.params, "data cut short")),
        r"array '0\.W' is cut short: its header announces shape \(3, 4\)"),
    # (end of entry points)
    # --- issue 20: convolution layer and residual projection ----------------------------
    Bad("conv float16 parameters", none, lambda: Conv2D(1, 1, 3, rng=rng(), dtype=np.float16),
        r"dtype must be float32 or float64, got float16", TypeError),
    Bad("conv2d patch cap as text", none, lambda: conv2d_fast(IMG, np.ones((1, 2, 3, 3)), max_patch_bytes="a"),
        r"max_patch_bytes must be an integer >= 1, got 'a'", TypeError),
    Bad("conv2d negative patch cap", none, lambda: conv2d_fast(IMG, np.ones((1, 2, 3, 3)), max_patch_bytes=-1),
        r"max_patch_bytes must be an integer >= 1, got -1"),
    # (end of convolution)
    # --- issue 20: timing the convolution's routes (make notebooks byte-stable) -----------
    # (lecture_nn.lessons.convolution.route is loaded by the imports above; reached through nn)
    Bad("time_routes without a Generator", none,
        lambda: nn.lessons.convolution.route.time_routes(0),
        r"rng must be a numpy.random.Generator", TypeError),
    Bad("time_routes zero repeats", none,
        lambda: nn.lessons.convolution.route.time_routes(rng(), 16, (3,), repeats=0),
        r"repeats must be an integer >= 1, got 0"),
    Bad("time_routes kernel wider than the image", none,
        lambda: nn.lessons.convolution.route.time_routes(rng(), 8, (3, 9)),
        r"kernel_sizes must be increasing integers from 1 to image_size = 8, got \[3, 9\]"),
    Bad("time_routes kernel sizes out of order", none,
        lambda: nn.lessons.convolution.route.time_routes(rng(), 16, (5, 3)),
        r"kernel_sizes must be increasing"),
    Bad("time_routes one kernel size, not a sequence", none,
        lambda: nn.lessons.convolution.route.time_routes(rng(), 16, 5),
        r"kernel_sizes must be a sequence of integers, got 5", TypeError),
    Bad("time_routes fractional kernel size", none,
        lambda: nn.lessons.convolution.route.time_routes(rng(), 16, (3, 4.5)),
        r"kernel_sizes\[1\] must be an integer >= 1, got 4.5", TypeError),
    # (end of timing the routes)
]


def _corrupt_idx_cases(tmp_path):
    """IDX files that are wrong in each of the ways a download can be."""
    magic_bad = tmp_path / "bad-magic-idx1-ubyte"
    magic_bad.write_bytes(b"\x12\x34\x08\x01" + struct.pack(">I", 2) + b"\x00\x01")
    truncated = tmp_path / "truncated-idx3-ubyte"
    truncated.write_bytes(b"\x00\x00\x08\x03" + struct.pack(">3I", 2, 28, 28) + b"\x00" * 100)
    short = tmp_path / "short-idx1-ubyte"
    short.write_bytes(b"\x00\x00")
    header_cut = tmp_path / "header-idx3-ubyte"
    header_cut.write_bytes(b"\x00\x00\x08\x03" + struct.pack(">I", 2))
    not_gzip = tmp_path / "fake-idx1-ubyte.gz"
    not_gzip.write_bytes(b"definitely not gzip")
    bad_type = tmp_path / "badtype-idx1-ubyte.gz"
    with gzip.open(bad_type, "wb") as fh:
        fh.write(b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00")
    return [(magic_bad, r"expected 0x000008NN"), (truncated, r"expected 1568"),
            (short, r"header needs 4"), (header_cut, r"truncated inside its header"),
            (not_gzip, r"not a readable"), (bad_type, r"expected 0x000008NN")]


def _params(layers):
    return [{k: v.copy() for k, v in layer.params.items()} for layer in layers]


@pytest.mark.parametrize("case", CATALOGUE, ids=[c.name for c in CATALOGUE])
def test_bad_call_fails_clearly_and_changes_nothing(case):
    layers = case.make()
    before = _params(layers)
    with pytest.raises(case.error) as info:
        case.call(*layers)
    message = str(info.value)
    assert type(info.value) in (ValueError, TypeError), f"{type(info.value).__name__}: {message}"
    assert "could not be broadcast" not in message, message
    assert info.match(case.match)
    for layer, saved in zip(layers, before):
        assert set(layer.params) == set(saved)
        for name, value in layer.params.items():
            np.testing.assert_array_equal(value, saved[name], err_msg=f"{case.name}: {name} changed")


def test_catalogue_is_large_enough():
    assert len(CATALOGUE) >= 30


def test_corrupt_idx_files_fail_clearly(tmp_path):
    for path, match in _corrupt_idx_cases(tmp_path):
        with pytest.raises(ValueError, match=match):
            data.read_idx(path)


def test_bad_dtype_reaches_every_layer_as_a_type_error():
    """Strings and objects are refused by every layer with one clear kind of error."""
    layers = [nn.Linear(3, 2, rng=rng()), nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.Identity(),
              Conv2D(3, 1, 1, rng=rng()), MaxPool2D(1), AvgPool2D(1), Flatten(),
              Dropout(0.5, rng=rng())]
    for layer in layers:
        for bad in (np.full((1, 3, 1, 1), "x"), np.full((1, 3, 1, 1), None, dtype=object)):
            bad = bad.reshape(1, 3) if isinstance(layer, nn.Linear) else bad
            with pytest.raises(TypeError, match="real numbers"):
                layer.forward(bad)
