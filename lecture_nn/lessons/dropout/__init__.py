"""Notebook 04, dropout and adversarial examples (notes §4.1, Fig. 8)."""
