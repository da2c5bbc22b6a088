"""Notebook 00, start here: the first network on a toy set and its widget."""
