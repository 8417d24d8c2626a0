"""Build the HTML book strictly and say where to open it.

    python scripts/build_book.py            # incremental (executed notebooks are cached)
    python scripts/build_book.py --all      # rebuild every page

Strict means ``-W -n --keep-going``: a cell that raises, a broken cross-reference or any Sphinx
warning fails the build instead of quietly producing a page with an error on it. Notebooks run with
one BLAS thread per kernel, as in the tests.
"""
import argparse
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--all", action="store_true", help="rebuild all pages, not only changed ones")
    args = parser.parse_args()

    # Call Jupyter Book's CLI through this interpreter, so the build uses the same environment.
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
           "build", "-W", "-n", "--keep-going", str(ROOT)]
    if args.all:
        cmd.append("--all")
    # One BLAS thread per process (as the test suite does): several threads per kernel fight over
    # the cores and made chapter 6 run in 33-37 s instead of 12 s on a 2-core machine.
    env = dict(os.environ, **{name: os.environ.get(name, "1") for name in BLAS_THREADS})
    start = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, bufsize=1)
    for line in process.stdout:
        # ipykernel 7 warns at every kernel start that the kernel talks to Jupyter over local TCP
        # without encryption. The build's kernels only ever talk to this process on 127.0.0.1:
        # harmless here, and six copies of it hid the build's real messages.
        if "Kernel is running over TCP without encryption" not in line:
            sys.stdout.write(line)
    returncode = process.wait()
    seconds = time.perf_counter() - start
    if returncode != 0:
        print(f"\nThe book did not build (after {seconds:.0f} s): see the first error above.", file=sys.stderr)
        return returncode
    index = ROOT / "_build" / "html" / "index.html"
    print(f"\nBuilt in {seconds:.0f} s. Open the book in a browser (no network needed):\n"
          f"    {index.as_uri()}\n"
          f"or work in the notebooks with live sliders:\n"
          f"    jupyter lab {ROOT / 'book'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
