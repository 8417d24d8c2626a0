"""Layers: each one a forward pass, a backward pass and its parameters (see ``base.py``).

Where each layer lives:

    base.py        Layer, Parameter — the contract
    dense.py       Dense, Flatten
    activation.py  Sigmoid, Tanh, ReLU, LeakyReLU, ELU, GELU, Softmax, LogSoftmax
    dropout.py     Dropout
    norm.py        BatchNorm, LayerNorm
    embedding.py   Embedding
    residual.py    Residual
    conv.py        Conv2D, MaxPool2D, AvgPool2D (and their math as functions: conv2d_naive, conv2d_forward, ...)
    recurrent.py   RNN, LSTM, GRU
    attention.py   MultiHeadAttention (self- and cross-), MultiHeadSelfAttention
    positional.py  PositionalEncoding (and the function sinusoidal_positional_encoding)
    transformer.py TransformerBlock (pre-LN: attention + MLP, each with LayerNorm and a residual)
    reparameterize.py  Reparameterize (a VAE's sample z = μ + σ ⊙ ε; functions reparameterize, ...)
"""
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .attention import MultiHeadAttention, MultiHeadSelfAttention
from .base import Layer, Parameter
from .conv import AvgPool2D, Conv2D, MaxPool2D
from .dense import Dense, Flatten
from .dropout import Dropout
from .embedding import Embedding
from .norm import BatchNorm, LayerNorm
from .positional import PositionalEncoding
from .recurrent import GRU, LSTM, RNN
from .reparameterize import Reparameterize
from .residual import Residual
from .transformer import TransformerBlock

__all__ = [
    "Layer", "Parameter", "Dense", "Flatten",
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "GELU", "Softmax", "LogSoftmax",
    "Dropout", "BatchNorm", "LayerNorm", "Embedding", "Residual",
    "Conv2D", "MaxPool2D", "AvgPool2D", "RNN", "LSTM", "GRU", "MultiHeadAttention",
    "MultiHeadSelfAttention", "PositionalEncoding", "TransformerBlock", "Reparameterize",
]
