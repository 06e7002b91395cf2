"""examples/mlp's own modules, loaded from their files: the DNN of the distributed variants is that example's network."""

import importlib.util
import os
import sys

MLP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "mlp")


def module(name: str):
    """``examples/mlp/<name>.py`` as a module of its own name here (loaded once, nothing added to ``sys.path``)."""
    key = "tfkit_example_mlp_" + name
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, os.path.join(MLP, name + ".py"))
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[key] = loaded
        spec.loader.exec_module(loaded)
    return sys.modules[key]
