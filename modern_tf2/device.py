"""Import TensorFlow 2.x once, make it deterministic, pin the device and describe it for the fingerprint."""

import os
import time
from typing import Any, Dict

from shared.core._compat import dist_version
from shared.core.errors import DeviceError, EnvError
from shared.core.quiet import quiet_setup

from modern_tf2.compat import autograph_skips_tf_keras

_STATE = {"device": "/device:CPU:0", "cpu_devices": 1}


def current() -> str:
    """The device every model of this run is pinned to."""
    return _STATE["device"]


def cpu_devices() -> int:
    """How many logical CPU devices this run split the host CPU into (``--cpu-devices``)."""
    return int(_STATE["cpu_devices"])


def setup(device: str, threads: int = 0, tf_log: bool = False, cpu_devices: int = 1) -> Dict[str, Any]:
    """Import TensorFlow and check ``device`` with its start-up log held back (shown on failure, or with ``tf_log``)."""
    return quiet_setup(_setup, device, threads, tf_log, cpu_devices)


def _setup(device: str, threads: int = 0, cpu_devices: int = 1) -> Dict[str, Any]:
    """Import TensorFlow, check it is 2.x, turn on determinism, TF32 off, size its thread pools, check ``device``;
    split the host CPU into ``cpu_devices`` logical devices (before anything starts the runtime) where asked."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
    t0 = time.perf_counter()
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise EnvError(
            "%s cannot import TensorFlow" % __name__.split(".")[0],
            expected="the tf2 environment (envs/tf2.txt)",
            found="ImportError: %s" % exc,
            fix="run it through nox: nox -s tf2",
        ) from None

    import_s = time.perf_counter() - t0
    if not tf.__version__.startswith("2."):
        raise EnvError(
            "modern_tf2 needs TensorFlow 2.x",
            expected="tensorflow 2.x (envs/tf2.txt)",
            found="tensorflow %s" % tf.__version__,
            fix="run it in the tf2 environment: nox -s tf2",
        )
    tf.get_logger().setLevel("ERROR")
    autograph_skips_tf_keras()
    tf.config.experimental.enable_op_determinism()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    tf.config.threading.set_inter_op_parallelism_threads(int(threads))
    tf.config.threading.set_intra_op_parallelism_threads(int(threads))
    if int(cpu_devices) > 1:
        host = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(host, [tf.config.LogicalDeviceConfiguration()] * int(cpu_devices))
    _STATE["cpu_devices"] = int(cpu_devices)
    gpus = tf.config.list_physical_devices("GPU")
    build = dict(tf.sysconfig.get_build_info())
    if device == "cuda":
        if not gpus:
            raise DeviceError(
                "CUDA was asked for but TensorFlow %s sees no GPU" % tf.__version__,
                expected="a visible GPU (TF %s is built for CUDA %s / cuDNN %s)" % (
                    tf.__version__, build.get("cuda_version"), build.get("cudnn_version")),
                found="built with CUDA: %s; GPUs: none" % tf.test.is_built_with_cuda(),
                fix="run on a GPU machine with the tf2-cuda image (--gpus all), or use --device cpu",
            )
        _STATE["device"] = "/device:GPU:0"
    return {
        "tensorflow": tf.__version__,
        "keras": dist_version("keras"),
        "tf_keras": dist_version("tf-keras"),
        "device": _STATE["device"],
        "device_requested": device,
        "gpus": [g.name for g in gpus],
        "built_with_cuda": tf.test.is_built_with_cuda(),
        "cuda_build": build.get("cuda_version"),
        "cudnn_build": build.get("cudnn_version"),
        "determinism": {"op_determinism": True, "tf32": False, "onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS")},
        "threads": {"inter_op": int(threads), "intra_op": int(threads)},
        "cpu_devices": int(cpu_devices),
        "import_s": import_s,
    }


def placed(variable) -> str:
    """Where a variable really lives; refuses a CPU placement when the run asked for a GPU."""
    where = str(getattr(variable, "device", "") or "")
    if current().endswith("GPU:0") and "GPU" not in where.upper():
        raise DeviceError(
            "a variable was placed on %r although the run asked for the GPU" % where,
            expected=current(),
            found=where,
            fix="check that the CUDA build of TensorFlow is installed and the GPU is visible",
        )
    return where or current()
