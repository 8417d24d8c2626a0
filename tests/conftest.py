"""Shared fixtures for nnlib's unit tests.

* Warnings are errors in every unit test: an overflow in ``np.exp`` must fail loudly.
* ``torch`` is the PyTorch reference. Under ``CI=true`` a missing torch is a failure
  (parity tests must run); on a reader's laptop the parity tests skip with a reason.
"""
import os
import warnings

import numpy as np
import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.fixture(scope="session")
def torch():
    try:
        import torch as _torch
    except ImportError:
        if IN_CI:
            pytest.fail("PyTorch is required under CI=true for parity tests: pip install torch==2.13.0")
        pytest.skip("PyTorch not installed: parity tests skipped (pip install torch==2.13.0)")
    _torch.set_default_dtype(_torch.float64)
    return _torch


@pytest.fixture
def rng():
    return np.random.default_rng(0)
