"""Checkers for the exercises at the end of the notebooks, one module per notebook.

Each checker takes the student's answer, prints whether it is right (and a hint
if not) and returns True or False.
"""
