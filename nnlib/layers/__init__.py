"""Layers: each one a forward pass, a backward pass and its parameters (see base.py)."""
from .base import Layer, Parameter
