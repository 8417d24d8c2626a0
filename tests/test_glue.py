"""nnbook.glue writes exactly what myst_nb.glue writes, without importing myst-nb's heavy parts."""
import subprocess
import sys

import numpy as np
import pytest

import nnbook.glue as light


@pytest.mark.parametrize("value", [0.25, 3, "a text", np.float64(1e-5)])
@pytest.mark.parametrize("display", [True, False])
def test_same_output_as_myst_nb(monkeypatch, value, display):
    import myst_nb.ext.glue as heavy
    calls = {}
    for module, key in ((heavy, "myst_nb"), (light, "nnbook")):
        monkeypatch.setattr(module, "ipy_display",
                            lambda *args, key=key, **kwargs: calls.setdefault(key, (args, kwargs)))
    heavy.glue("x", value, display=display)
    light.glue("x", value, display=display)
    assert calls["nnbook"] == calls["myst_nb"]
    bundle = calls["nnbook"][0][0]
    prefix = "" if display else light.GLUE_PREFIX
    assert prefix + "text/plain" in bundle and light.GLUE_PREFIX == heavy.GLUE_PREFIX


def test_does_not_import_nbformat():
    code = ("import sys, nnbook.glue as g; g.glue('x', 1.0, display=False); "
            "print('nbformat' in sys.modules, 'jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["False", "False"]
