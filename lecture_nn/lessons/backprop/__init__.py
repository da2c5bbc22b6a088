"""Notebook 02, backpropagation (notes §3): the five-step procedure per example, the sum over paths, and the
output layer (softmax and its Jacobian, δ^L = p − y). Layers are numbered as in the notes: layer 1 is the input."""
