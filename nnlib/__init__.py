"""nnlib — the small NumPy deep-learning library that the book builds and uses.

One concept per module:

    activations   sigmoid, relu, softmax ... and their derivatives
    losses        MSE, cross-entropy, ... (value + gradient)
    divergences   KL divergence of a Gaussian from N(0, I) (a VAE's regularizer; value + gradient)
    init          Xavier/Glorot and He/Kaiming initializers; the shared random generator
    layers/       Dense, Conv2D, BatchNorm, LSTM, attention, transformer ... (forward + backward)
    optimizers    SGD, Adam, ... ;  schedules   learning-rate schedules
    model         Sequential, its training loop and the Callback hook
    metrics       confusion matrix, precision, recall, F1
    augment       shifted, rotated and noisy copies of images (data augmentation)
    sampling      greedy choice and sampling with a temperature (text generation)
    gradcheck     numerical gradients: the tool that proves a backward pass
    data          toy 2-D sets, digits, MNIST subset, text — all offline
    memory        keep freed memory for reuse (a malloc setting; see why there)

The book's own machinery (exercise checkers, interactive figures, plotting style, the student
edition, progress bars and live plots for training) lives in the separate package ``nnbook``
beside this one: nnlib never imports it, and needs only NumPy and SciPy (``pip install
nnlib[data]`` adds scikit-learn for the digits and diabetes loaders).
"""

__version__ = "0.1.0"

from .memory import keep_freed_memory as _keep_freed_memory

_keep_freed_memory()      # training steps re-allocate the same big arrays: see nnlib/memory.py
