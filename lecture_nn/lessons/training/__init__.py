"""Notebook 03, training issues (notes §4): initialisation, vanishing and exploding gradients,
dead units, regularisation, loss pairings."""
