"""Build the HTML book strictly and say where to open it.

    python scripts/build_book.py            # incremental (executed notebooks are cached)
    python scripts/build_book.py --all      # rebuild every page

Strict means ``-W -n --keep-going``: a cell that raises, a broken cross-reference or any Sphinx
warning fails the build instead of quietly producing a page with an error on it.
"""
import argparse
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--all", action="store_true", help="rebuild all pages, not only changed ones")
    args = parser.parse_args()

    # Call Jupyter Book's CLI through this interpreter, so the build uses the same environment.
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
           "build", "-W", "-n", "--keep-going", str(ROOT)]
    if args.all:
        cmd.append("--all")
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        print(f"\nThe book did not build (after {seconds:.0f} s): see the first error above.", file=sys.stderr)
        return result.returncode
    index = ROOT / "_build" / "html" / "index.html"
    print(f"\nBuilt in {seconds:.0f} s. Open the book in a browser (no network needed):\n"
          f"    {index.as_uri()}\n"
          f"or work in the notebooks with live sliders:\n"
          f"    jupyter lab {ROOT / 'book'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
