"""nnbook — the book's toolkit, kept apart from the library it teaches.

``nnlib`` is the small NumPy deep-learning library a student reads; ``nnbook`` is everything the
*book* needs around it and that a student never has to read to learn the subject:

    exercises     inline checkers with instant feedback, concept questions and quizzes
    interactive   figures with sliders that work in JupyterLab and in the static HTML book
    plotting      the book's colour-blind-safe palette and plotting helpers
    edition       the student edition (notebooks without solutions)
    training      progress bars and live loss plots for ``Sequential.fit`` (callbacks)

``nnbook`` imports ``nnlib`` (the checkers use nnlib as their reference); ``nnlib`` never imports
``nnbook``.
"""

__version__ = "0.1.0"
