"""Repository-wide pytest set-up (unit tests and notebooks alike).

The suite runs as ``pytest -n 2``: two workers, each executing notebooks in its own kernel. If every
worker and kernel also started one BLAS thread per core, the threads would outnumber the cores and
OpenBLAS's spinning threads made small matrix products up to 10× slower here. So each process
gets one BLAS thread: set in the environment (inherited by notebook kernels, read when NumPy loads)
and applied to this process, whose NumPy is already loaded, through threadpoolctl.
"""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from threadpoolctl import threadpool_limits  # noqa: E402  (after the environment is set)

threadpool_limits(limits=int(os.environ["OPENBLAS_NUM_THREADS"]), user_api="blas")


import pytest  # noqa: E402


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A parametrized test whose parameter list is empty tests nothing: fail it instead of skipping.

    pytest's default marks it "skipped: got empty parameter set", which hides a test that checks
    nothing (issue 9). Runs before pytest's own skip handling (tryfirst, conftest registered last).
    """
    for mark in item.iter_markers("skip"):
        reason = str(mark.kwargs.get("reason", mark.args[0] if mark.args else ""))
        if reason.startswith("got empty parameter set"):
            pytest.fail(f"a parametrized test with no cases checks nothing: {reason}", pytrace=False)
