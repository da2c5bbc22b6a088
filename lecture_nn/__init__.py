"""lecture_nn: from-scratch NumPy neural networks for the 6.867 lectures on neural nets.

The code follows the notes' notation: layer l computes z^l = (W^l)^T a^{l-1} + b^l
and a^l = f(z^l); with a batch in rows that is ``z = a @ W + b`` with ``W`` of
shape (n_{l-1}, n_l). Layers are numbered as in the notes: the input is layer 1
(a^1 = x), so the first Linear layer holds W^2 and the output is layer L. See the
README's notation table.

``import lecture_nn as nn`` gives the framework: layers, losses, training,
gradient checks, data. Each notebook's own experiments, widgets and exercises
live in :mod:`lecture_nn.lessons` (one folder per notebook).
"""
from lecture_nn import data, init
from lecture_nn.activations import Identity, ReLU, Sigmoid, Tanh, get_activation
from lecture_nn.convolution import Conv2D, conv2d_fast
from lecture_nn.dropout import Dropout
from lecture_nn.gradcheck import (check_layer_gradients, check_loss_gradient, check_model_gradients,
                                  numerical_gradient, relative_error)
from lecture_nn.io import load_weights, save_weights
from lecture_nn.layers import Flatten, Layer, Linear, Sequential, evaluation_mode, parameter_names
from lecture_nn.losses import (get_loss, hinge, logistic, sigmoid_cross_entropy, softmax,
                               softmax_cross_entropy, squared)
from lecture_nn.models import mlp
from lecture_nn.optim import SGD
from lecture_nn.patches import col2im, im2col, output_size
from lecture_nn.penalties import l1_penalty, l2_penalty
from lecture_nn.pooling import AvgPool2D, MaxPool2D
from lecture_nn.residual import Residual, projection_for
from lecture_nn.training import TrainingDiverged, accuracy, evaluate, fit, predict, predict_labels

__all__ = [
    # layers
    "Layer", "Linear", "Flatten", "Sequential", "Conv2D", "MaxPool2D", "AvgPool2D", "Dropout",
    "Residual", "projection_for", "ReLU", "Sigmoid", "Tanh", "Identity", "get_activation",
    "mlp", "evaluation_mode", "parameter_names",
    # losses and penalties
    "hinge", "logistic", "squared", "sigmoid_cross_entropy", "softmax_cross_entropy", "softmax",
    "get_loss", "l1_penalty", "l2_penalty",
    # training
    "SGD", "fit", "predict", "predict_labels", "accuracy", "evaluate", "TrainingDiverged",
    # convolution arithmetic
    "output_size", "im2col", "col2im", "conv2d_fast",
    # checks, saving, data, initialisers
    "numerical_gradient", "relative_error", "check_layer_gradients", "check_loss_gradient",
    "check_model_gradients", "save_weights", "load_weights", "data", "init",
]

__version__ = "0.1.0"
