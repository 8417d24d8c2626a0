#!/usr/bin/env python
"""Write the student edition of the book (notebooks without solutions); see --help.

    python scripts/student_edition.py student/            # every chapter in _toc.yml
    python scripts/student_edition.py student/ --force    # replace an existing folder
    python scripts/student_edition.py student/ --html     # and build its HTML (solutions hidden)

The logic lives in :mod:`nnbook.edition` (also ``python -m nnbook.edition``).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from nnbook.edition import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
