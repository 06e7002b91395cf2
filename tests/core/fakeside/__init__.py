"""A stand-in side for runner tests: no TensorFlow, behaviour chosen per implementation name."""

import os


def setup(device, threads=0, tf_log=False, cpu_devices=1):
    """Pretend to import TensorFlow (taking ``$FAKESIDE_IMPORT_S`` seconds, as TF's import does, and
    ``$FAKESIDE_SIDE_IMPORT_S`` more in the side's own process, not in a ``--jobs`` worker); cuda is refused."""
    import sys
    import time

    from shared.core.errors import DeviceError

    time.sleep(float(os.environ.get("FAKESIDE_IMPORT_S") or 0.0))
    if "--worker" not in sys.argv:
        time.sleep(float(os.environ.get("FAKESIDE_SIDE_IMPORT_S") or 0.0))
    if device == "cuda":
        raise DeviceError("CUDA was asked for but TensorFlow fake sees no GPU", expected="a visible GPU",
                          found="GPUs: none", fix="use --device cpu")
    return {"tensorflow": "0.0-fake", "keras": None, "device": "/device:CPU:0", "import_s": 0.0,
            "pid": os.getpid(), "threads": {"inter_op": threads, "intra_op": threads}, "cpu_devices": cpu_devices}
