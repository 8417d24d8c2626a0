"""nnlib needs NumPy and SciPy only: it imports, trains and loads its shipped data with every book
or display package blocked (tqdm, matplotlib, IPython, ...), and scikit-learn only where a loader
needs it -- with an error that says how to install it."""
import subprocess
import sys
import textwrap

BLOCKED = ["tqdm", "matplotlib", "IPython", "ipywidgets", "sklearn", "nnbook", "torch", "PIL",
           "nbformat", "yaml", "pandas"]

SCRIPT = textwrap.dedent(f"""
    import importlib, pkgutil, sys

    BLOCKED = {BLOCKED!r}

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"blocked by the test: {{name}}")
            return None

    sys.meta_path.insert(0, Blocker())

    import nnlib
    modules = [m.name for m in pkgutil.walk_packages(nnlib.__path__, "nnlib.")]
    for name in modules:
        importlib.import_module(name)

    import numpy as np
    from nnlib.data import load_digits, load_mnist, xor
    from nnlib.layers import Dense, Dropout, ReLU
    from nnlib.losses import CrossEntropyLoss
    from nnlib.model import Sequential
    from nnlib.optimizers import Adam

    X, y = xor(200, seed=0)
    model = Sequential([Dense(2, 16, rng=0), ReLU(), Dropout(0.1, rng=0), Dense(16, 2, rng=1)])
    h = model.fit(X, y, CrossEntropyLoss(), Adam(model.parameters(), lr=0.05), epochs=30,
                  validation_data=(X, y), early_stopping=5)
    assert h["accuracy"][-1] > 0.9, h["accuracy"]
    assert load_mnist()[0].shape == (8000, 784)
    try:
        load_digits()
    except ImportError as err:
        print("ERROR:", err)
    loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set(BLOCKED))
    print("MODULES:", len(modules), "LOADED:", loaded)
""")


def test_nnlib_imports_and_trains_without_any_book_or_display_package():
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "LOADED: []" in out, out
    n_modules = int(out.split("MODULES:")[1].split()[0])
    assert n_modules >= 15, out                   # every module of nnlib was imported
    assert "ERROR: load_digits needs scikit-learn" in out and "pip install nnlib[data]" in out, out


def test_the_blocker_really_blocks():
    """Without this, a test that passes could mean the blocker never ran."""
    script = SCRIPT.replace("import nnlib\n", "import nnlib\nimport tqdm\n", 1)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "blocked by the test: tqdm" in run.stderr
