"""nnlib.memory: freed memory is kept for the next allocation instead of being faulted in again.

Each check runs in a fresh interpreter: the malloc setting is process-wide and made on import.
"""
import os
import subprocess
import sys
import textwrap

import pytest

from nnlib.memory import _is_glibc

# Two 3 MiB arrays allocated, written and freed, again and again: the pattern of a training
# step's temporaries. Prints the minor page faults per repetition after a warm-up.
SCRIPT = textwrap.dedent("""
    import resource
    import numpy as np
    import nnlib
    from nnlib.memory import keep_freed_memory

    def faults():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    def step():
        a = np.ones(3 * 2**18, np.float32)
        b = np.ones(3 * 2**18, np.float32)
        del a, b

    for _ in range(3):
        step()
    f0 = faults()
    for _ in range(20):
        step()
    print(keep_freed_memory(), (faults() - f0) / 20)
""")

glibc_only = pytest.mark.skipif(not _is_glibc(), reason="the malloc setting exists in glibc only")


def run(keep: bool):
    env = dict(os.environ, NNLIB_KEEP_FREED_MEMORY="1" if keep else "0")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()
    return out[0] == "True", float(out[1])


@glibc_only
def test_importing_nnlib_stops_page_faults_on_reused_memory():
    applied, faults = run(keep=True)
    assert applied
    assert faults < 50                  # the 6 MiB come back from the heap, already mapped


@glibc_only
def test_the_switch_keeps_the_c_library_defaults_and_they_do_fault():
    """Without the setting glibc returns the memory and maps it again: ~1500 faults (6 MiB / 4 KiB)
    per repetition. This is what makes the test above able to fail."""
    applied, faults = run(keep=False)
    assert not applied
    assert faults > 1000
