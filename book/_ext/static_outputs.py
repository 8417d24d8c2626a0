"""Sphinx extension: notebooks executed for the HTML book produce outputs that suit a static page.

The kernels that execute the chapters inherit this process's environment, so setting a variable
here reaches the book's toolkit inside them, whichever command started the build.
``NNLIB_PROGRESS=text`` makes ``nnbook.training.ProgressBar`` (a callback of ``Sequential.fit``)
print its tqdm bar once, in its final state, as text: a progress-bar widget cannot move on a
static page, and would add the 3.6 MB ipywidgets manager to it.
"""
import os


def setup(app):
    os.environ.setdefault("NNLIB_PROGRESS", "text")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
