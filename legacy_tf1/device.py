"""Import TensorFlow 1.15 once, pin the device and describe it for the fingerprint."""

import os
import time
from typing import Any, Dict

from shared.core._compat import dist_version
from shared.core.errors import DeviceError, EnvError
from shared.core.quiet import quiet_setup

_STATE = {"device": "/device:CPU:0", "threads": 0, "cpu_devices": 1}


def current() -> str:
    """The device every graph of this run is pinned to."""
    return _STATE["device"]


def cpu_devices() -> int:
    """How many logical CPU devices this run's sessions may hold (``--cpu-devices``)."""
    return int(_STATE["cpu_devices"])


def session_config():
    """Session settings: no soft placement, so an op that cannot run on the pinned device fails; pinned thread pools."""
    from legacy_tf1.compat import tf

    return tf.ConfigProto(allow_soft_placement=False, log_device_placement=False,
                          inter_op_parallelism_threads=_STATE["threads"], intra_op_parallelism_threads=_STATE["threads"])


def setup(device: str, threads: int = 0, tf_log: bool = False, cpu_devices: int = 1) -> Dict[str, Any]:
    """Import TensorFlow and check ``device`` with its start-up log held back (shown on failure, or with ``tf_log``)."""
    return quiet_setup(_setup, device, threads, tf_log, cpu_devices)


def _setup(device: str, threads: int = 0, cpu_devices: int = 1) -> Dict[str, Any]:
    """Import TensorFlow, check it is 1.x and that ``device`` is really there; ``threads`` sizes every session's pools,
    ``cpu_devices`` is how many CPU devices a distributed run's sessions may hold (``device_count``)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # TF 2.x turns oneDNN's reordering on by default; 1.15 ignores it
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
    else:
        os.environ.setdefault("TF_CUDNN_DETERMINISTIC", "1")
    t0 = time.perf_counter()
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise EnvError(
            "%s cannot import TensorFlow" % __name__.split(".")[0],
            expected="the tf1 environment (envs/tf1.txt)",
            found="ImportError: %s" % exc,
            fix="run it through nox: nox -s tf1",
        ) from None
    from legacy_tf1 import compat

    if not compat.supported():
        raise EnvError(
            "legacy_tf1 needs TensorFlow 1.x (or 2.x under tf.compat.v1 with %s=1)" % compat.OPT_IN,
            expected="tensorflow 1.15.x (envs/tf1.txt), or 2.x <= 2.15 for tf.estimator with %s=1" % compat.OPT_IN,
            found="tensorflow %s" % tf.__version__,
            fix="run it in the tf1 environment: nox -s tf1",
        )
    compat.enable()
    tf = compat.tf
    from tensorflow.python.client import device_lib
    from tensorflow.python.platform import build_info

    import_s = time.perf_counter() - t0
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    gpus = [d for d in device_lib.list_local_devices() if d.device_type == "GPU"]
    if device == "cuda":
        if not gpus:
            raise DeviceError(
                "CUDA was asked for but TensorFlow %s sees no GPU" % tf.__version__,
                expected="a visible GPU (tensorflow-gpu 1.15 with CUDA 10.0 / cuDNN 7, a T4/V100-class card)",
                found="built with CUDA: %s; GPUs: none" % tf.test.is_built_with_cuda(),
                fix="run on a GPU machine with the tf1-cuda image (--gpus all), or use --device cpu",
            )
        _STATE["device"] = "/device:GPU:0"
    _STATE["threads"] = int(threads)
    _STATE["cpu_devices"] = int(cpu_devices)
    return {
        "tensorflow": tf.__version__,
        "tensorflow_estimator": dist_version("tensorflow-estimator"),
        "keras": getattr(tf.keras, "__version__", None) or dist_version("keras"),  # TF 2.15's lazy tf.keras has none
        "device": _STATE["device"],
        "device_requested": device,
        "gpus": [d.physical_device_desc for d in gpus],
        "built_with_cuda": tf.test.is_built_with_cuda(),
        "cuda_build": getattr(build_info, "cuda_version_number", None),
        "cudnn_build": getattr(build_info, "cudnn_version_number", None),
        "determinism": {"TF_CUDNN_DETERMINISTIC": os.environ.get("TF_CUDNN_DETERMINISTIC")},
        "threads": {"inter_op": int(threads), "intra_op": int(threads)},
        "cpu_devices": int(cpu_devices),
        "import_s": import_s,
    }
