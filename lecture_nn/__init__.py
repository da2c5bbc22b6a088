"""lecture_nn: from-scratch NumPy neural networks for the 6.867 lectures on neural nets.

The code follows the notes' notation: layer l computes z^l = (W^l)^T a^{l-1} + b^l
and a^l = f(z^l); with a batch in rows that is ``z = a @ W + b`` with ``W`` of
shape (n_{l-1}, n_l). See the README's notation table.
"""
from .activations import ReLU, Sigmoid, Tanh, Identity, get_activation
from .layers import Layer, Linear, Sequential, mlp
from .flatten import Flatten
from .pooling import MaxPool2D, AvgPool2D
from .residual import Residual
from .dropout import Dropout
from .losses import (hinge, logistic, squared, sigmoid_cross_entropy,
                     softmax_cross_entropy, softmax, get_loss)
from .penalties import l1_penalty, l2_penalty
from .optim import SGD
from .training import fit, predict, predict_labels, accuracy, evaluate
from .gradcheck import (numerical_gradient, relative_error, check_layer_gradients,
                        check_loss_gradient, check_model_gradients)
from .io import save_weights, load_weights
from . import data, init

__version__ = "0.1.0"
