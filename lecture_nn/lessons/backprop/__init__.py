"""Notebook 02, backpropagation (notes §3): the five-step procedure per example and the sum over paths."""
