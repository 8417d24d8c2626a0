"""The contributor's tools and the repository's hygiene (issue 9), checked without building the book.

* ``scripts/build_book.py`` runs the build with one BLAS thread per process and drops the
  kernels' "running over TCP without encryption" notice (and nothing else) from its output;
* ``scripts/preview_chapter.py`` says what to install when Playwright is missing, and names the
  other chapters' stubs by their real titles (not the front matter's ``---``);
* the student edition installs on its own: a requirements.txt, the packages, and a README saying
  what it hides and what it does not;
* README links point at files that exist; ``.venv/`` is ignored; threadpoolctl (imported by the
  test set-up) is a declared test requirement;
* a parametrized test with an empty parameter list fails instead of being skipped.
"""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_book_pins_blas_threads_and_drops_only_the_tcp_notice(monkeypatch, capsys):
    build_book = _load("build_book")
    seen = {}

    class FakeProcess:
        def __init__(self, cmd, cwd, env, **kwargs):
            seen["cmd"], seen["env"] = cmd, env
            self.stdout = iter(["reading sources... [ 50%] book/ch01\n",
                                "[IPKernelApp] WARNING | Kernel is running over TCP without encryption. All ...\n",
                                "WARNING: a real Sphinx warning\n"])

        def wait(self):
            return 0

    for name in build_book.BLAS_THREADS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(build_book.subprocess, "Popen", FakeProcess)
    monkeypatch.setattr(sys, "argv", ["build_book.py"])
    assert build_book.main() == 0
    assert all(seen["env"][name] == "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"))
    assert "-W" in seen["cmd"] and "-n" in seen["cmd"]
    out = capsys.readouterr().out
    assert "without encryption" not in out
    assert "reading sources" in out and "a real Sphinx warning" in out


def test_preview_chapter_says_what_to_install_without_playwright(monkeypatch, capsys):
    preview = _load("preview_chapter")
    monkeypatch.setitem(sys.modules, "playwright", None)       # import playwright → ImportError
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)
    monkeypatch.setattr(sys, "argv", ["preview_chapter.py", "book/ch01_neural_networks.ipynb"])
    monkeypatch.setattr(preview, "build", lambda *a: pytest.fail("built before checking for Playwright"))
    with pytest.raises(SystemExit) as exit_info:
        preview.main()
    message = str(exit_info.value)
    assert "Playwright" in message and "pip install" in message and "--no-screenshot" in message


def test_preview_chapter_stubs_keep_the_real_chapter_titles():
    preview = _load("preview_chapter")
    for path in sorted(ROOT.glob("book/ch[0-9][0-9]_*.ipynb")):
        assert re.match(r"# (Chapter|Project) \d+\. \S", preview.chapter_title(path)), path.name


def test_student_edition_installs_on_its_own_and_says_what_it_hides(tmp_path):
    from nnbook.edition import write_student_edition

    out = tmp_path / "student"
    write_student_edition(out, root=ROOT)
    assert (out / "requirements.txt").read_text() == (ROOT / "requirements.txt").read_text()
    assert (out / "pyproject.toml").exists() and (out / "nnlib" / "__init__.py").exists()
    assert (out / "nnbook" / "exercises" / "__init__.py").exists()
    readme = (out / "README.md").read_text()
    for needed in ("without the written solutions", "nnlib", "reference implementations", "practice",
                   "not for secure grading", "requirements.txt", "--allow-root"):
        assert needed in readme, needed
    chapters = sorted((out / "book").glob("ch*.ipynb"))
    assert len(chapters) == len(list(ROOT.glob("book/ch[0-9][0-9]_*.ipynb")))
    for chapter in chapters:
        nb = nbformat.read(chapter, as_version=4)
        assert not any("solution" in c.metadata.get("tags", []) for c in nb.cells), chapter.name


def test_readme_links_point_at_files_that_exist():
    for doc in (ROOT / "README.md", ROOT / "book" / "WRITING.md"):
        assert doc.exists(), doc
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            assert (doc.parent / target).exists(), f"{doc.relative_to(ROOT)} links to a missing {target}"


def test_hygiene_files():
    assert ".venv/" in (ROOT / ".gitignore").read_text().split()
    test_requirements = (ROOT / "requirements-test.txt").read_text()
    assert re.search(r"^threadpoolctl\b", test_requirements, re.M), "the test set-up imports threadpoolctl"
    assert re.search(r"^jupyterlab-myst\b", (ROOT / "requirements.txt").read_text(), re.M)
    assert re.search(r"^jupyterlab-myst==", (ROOT / ".ci" / "constraints.txt").read_text(), re.M)


def test_a_parametrized_test_without_cases_fails(tmp_path):
    (tmp_path / "conftest.py").write_text((ROOT / "conftest.py").read_text())
    (tmp_path / "test_empty.py").write_text(
        "import pytest\n\n@pytest.mark.parametrize('x', [])\ndef test_nothing(x):\n    pass\n\n"
        "@pytest.mark.skip(reason='on purpose')\ndef test_skipped():\n    pass\n")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                             str(tmp_path)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode != 0, result.stdout
    assert "checks nothing" in result.stdout and "1 skipped" in result.stdout, result.stdout
