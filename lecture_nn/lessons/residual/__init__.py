"""Notebook 07, residual networks (notes §5.3, Fig. 14)."""
