"""Notebook 06, convolutional networks (notes §5.2, Figs. 12 and 13)."""
