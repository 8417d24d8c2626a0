"""End to end: nnlib trains real classifiers to good accuracy in seconds.

* an MLP on scikit-learn's 8×8 digits: ≥ 97 % test accuracy;
* a small CNN (Conv2D + MaxPool2D) on the same digits: ≥ 98 %;
* an MLP on the shipped 10,000-image MNIST subset: ≥ 95 %.

Every run is seeded (split, initial weights, shuffling), so the accuracies are reproducible.
Timings are printed. OpenBLAS is limited to one thread here: on a busy machine its spinning
worker threads made a 64-256-10 MLP ten times slower than a single thread.
"""
import time

import pytest
from threadpoolctl import threadpool_limits

from nnlib.data import load_digits, load_mnist, train_val_test_split
from nnlib.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from nnlib.losses import CrossEntropyLoss
from nnlib.model import Sequential
from nnlib.optimizers import AdamW
from nnlib.schedules import CosineAnnealingLR, OneCycleLR


@pytest.fixture(autouse=True)
def one_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def batches_per_epoch(N, batch_size):
    return -(-N // batch_size)


def train_and_test(model, X_train, y_train, X_test, y_test, epochs, batch_size, make_schedule, capsys, what):
    opt = AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
    schedule = make_schedule(opt, epochs * batches_per_epoch(len(X_train), batch_size))
    start = time.perf_counter()
    history = model.fit(X_train, y_train, CrossEntropyLoss(), opt, epochs=epochs,
                        batch_size=batch_size, scheduler=schedule)
    seconds = time.perf_counter() - start
    result = model.evaluate(X_test, y_test, CrossEntropyLoss())
    with capsys.disabled():
        print(f"\n{what}: test accuracy {result['accuracy']:.2%} (train {history['accuracy'][-1]:.2%}), "
              f"{epochs} epochs in {seconds:.1f} s")
    assert seconds < 120, f"{what} took {seconds:.0f} s: something is pathologically slow"
    return result["accuracy"]


def digits_split(images=False):
    X, y, pictures = load_digits()
    data = pictures[:, None] if images else X                      # (N, 1, 8, 8) or (N, 64)
    X_train, y_train, _, _, X_test, y_test = train_val_test_split(data, y, val=0.0, test=0.2,
                                                                  seed=0, stratify=True)
    return X_train, y_train, X_test, y_test


def test_mlp_on_digits(capsys):
    model = Sequential([Dense(64, 256, rng=0), ReLU(), Dense(256, 128, rng=1), ReLU(),
                        Dense(128, 10, rng=2)])
    acc = train_and_test(model, *digits_split(), epochs=20, batch_size=32,
                         make_schedule=lambda opt, steps: CosineAnnealingLR(opt, T_max=steps),
                         capsys=capsys, what="MLP 64-256-128-10 on digits")
    assert acc >= 0.97


def test_cnn_on_digits(capsys):
    model = Sequential([Conv2D(1, 32, 3, padding=1, rng=0), ReLU(), MaxPool2D(2),   # (N, 32, 4, 4)
                        Flatten(), Dense(512, 128, rng=1), ReLU(), Dense(128, 10, rng=2)])
    acc = train_and_test(model, *digits_split(images=True), epochs=20, batch_size=32,
                         make_schedule=lambda opt, steps: OneCycleLR(opt, max_lr=1e-2, total_steps=steps,
                                                                     cycle_momentum=False),
                         capsys=capsys, what="CNN conv32-pool-128-10 on digits")
    assert acc >= 0.98


def test_mlp_on_mnist_subset(capsys):
    X_train, y_train, X_test, y_test = load_mnist()                 # 8,000 / 2,000, (N, 784)
    model = Sequential([Dense(784, 256, rng=0), ReLU(), Dense(256, 10, rng=1)])
    acc = train_and_test(model, X_train, y_train, X_test, y_test, epochs=10, batch_size=64,
                         make_schedule=lambda opt, steps: CosineAnnealingLR(opt, T_max=steps),
                         capsys=capsys, what="MLP 784-256-10 on the MNIST subset")
    assert acc >= 0.95
