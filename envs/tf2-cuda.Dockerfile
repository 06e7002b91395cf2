# tf2-cuda: the TF 2.21.0 side of the kit (modern_tf2/) on an NVIDIA GPU, Python 3.11, from
# envs/tf2-cuda.txt: tensorflow[and-cuda]==2.21.0 with NVIDIA's CUDA 12.5 / cuDNN 9.3 pip wheels
# (TF 2.21's tested build), otherwise the same pins as envs/tf2.txt. CUDA comes from those wheels,
# so the base is a plain Python image. GPUs: compute capability 6.0 and newer (Pascal to Hopper:
# P100, V100, T4, A10, A100, L4, H100). Needs the NVIDIA Container Toolkit on the host
# (docker run --gpus all / podman run --device nvidia.com/gpu=all) and a CUDA 12 driver (>= 525.60).
# TF32 is switched off by the kit at run time; deterministic ops are switched on here.
#
# Build args (defaults are exact versions, never "latest"):
#   TFKIT_PYTHON Python minor version the base image must have: 3.11 (TF 2.21 supports 3.10-3.13).
#   TFKIT_CUDA   CUDA version of TF's build and of the locked nvidia-*-cu12 wheels: 12.5.
#   TFKIT_CUDNN  cuDNN version of the locked nvidia-cudnn-cu12 wheel: 9.3.
#   BASE_IMAGE   an image with CPython 3.11 as `python3`. Default: the official
#                python:3.11.7-slim-bookworm (or the local one from `python -m shared.containers base`).
#   IMAGE_TAG    the tag this image is built under; recorded in every result's fingerprint.
# Secret (optional): `cacert`, a CA bundle for pip behind a TLS-intercepting proxy
#   (docker/podman build --secret id=cacert,src=/etc/ssl/certs/ca-certificates.crt).
#
# Run: python -m shared.containers run tf2-cuda: no network, not root, read-only code, results/ its one
#   writable mount (results/data/ must exist first: python -m shared prepare). By hand:
#   docker run --rm --network none --read-only --tmpfs /tmp --user "$(id -u):$(id -g)" --gpus all \
#     -v "$PWD/results:/kit/results" IMAGE. Extra arguments go to `python -m modern_tf2`.
ARG BASE_IMAGE=python:3.11.7-slim-bookworm
FROM ${BASE_IMAGE}

ARG TFKIT_PYTHON=3.11
ARG TFKIT_CUDA=12.5
ARG TFKIT_CUDNN=9.3
ARG IMAGE_TAG=tfkit-tf2-cuda:dev
ENV TFKIT_CONTAINER_IMAGE=${IMAGE_TAG} \
    TFKIT_RESULTS=/kit/results \
    TF_DETERMINISTIC_OPS=1 \
    TF_CUDNN_DETERMINISTIC=1 \
    TF_CPP_MIN_LOG_LEVEL=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:${PATH}

WORKDIR /kit
COPY envs/tf2-cuda.txt /kit/envs/tf2-cuda.txt
RUN --mount=type=secret,id=cacert \
    if [ -s /run/secrets/cacert ]; then export PIP_CERT=/run/secrets/cacert; fi \
    && python3 -m venv /opt/venv \
    && pip install --no-cache-dir --require-hashes --no-deps -r /kit/envs/tf2-cuda.txt \
    && python -c "import sys; assert '%d.%d' % sys.version_info[:2] == '${TFKIT_PYTHON}', sys.version" \
    && python -c "import tensorflow as tf; info = tf.sysconfig.get_build_info(); \
assert tf.__version__ == '2.21.0' and info['cuda_version'].startswith('${TFKIT_CUDA}'), info" \
    && python -c "from importlib.metadata import version as v; \
assert v('nvidia-cudnn-cu12').startswith('${TFKIT_CUDNN}.'), v('nvidia-cudnn-cu12'); \
assert v('nvidia-cuda-runtime-cu12').startswith('${TFKIT_CUDA}.'), v('nvidia-cuda-runtime-cu12')"

COPY envs/ /kit/envs/
COPY shared/__init__.py /kit/shared/__init__.py
COPY shared/core/ /kit/shared/core/
COPY modern_tf2/ /kit/modern_tf2/

# The kit runs as an unprivileged user that cannot change its code (root-owned, read-only to it);
# results/ is the one folder it writes. `shared.containers run` also runs it with no network.
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /tmp --shell /usr/sbin/nologin kit
USER 10001:10001
ENV HOME=/tmp

ENTRYPOINT ["python", "-m", "modern_tf2", "--env", "tf2-cuda", "--device", "cuda", "--lock", "/kit/envs/tf2-cuda.txt"]
CMD ["--results", "/kit/results"]
