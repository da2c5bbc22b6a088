"""Notebook 01, feedforward networks (notes §1–2): kernels as fixed features, one unit (Fig. 1), universal
approximation, capacity (Fig. 5), hidden units as learned features (Fig. 6), the hinge network of §2.2."""
