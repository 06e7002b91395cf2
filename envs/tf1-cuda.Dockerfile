# tf1-cuda: the TF 1.15.5 side of the kit (legacy_tf1/) on an NVIDIA GPU, from envs/tf1-cuda.txt
# (tensorflow-gpu==1.15.5, otherwise the same pins as envs/tf1.txt), Python 3.7 on Ubuntu 18.04.
# GPUs: TF 1.15 is built for CUDA 10.0 / cuDNN 7 (compute capability up to 7.5): Kepler to Turing,
# e.g. K80, P100, V100, T4 (GitHub's GPU runners). Stock TF 1.15 does NOT run on Ampere or Hopper
# (A100, A10, L4, H100): use the tf2-cuda image there. Needs the NVIDIA Container Toolkit on the host
# (docker run --gpus all / podman run --device nvidia.com/gpu=all) and a driver >= 410.48.
#
# Build args (defaults are exact versions, never "latest"):
#   TFKIT_CUDA   CUDA version TF 1.15 was built against: 10.0 (TF's tested build configurations).
#   TFKIT_CUDNN  cuDNN major version: 7 (TF 1.15 was tested with 7.4; 7.x is backward compatible and
#                the nvidia/cuda 10.0 image carries 7.6.5).
#   TFKIT_PYTHON Python minor version: 3.7 (TF 1.15.5 has wheels for cp37 at most). Ubuntu 18.04's
#                python3.7 package is used, since the official tensorflow/tensorflow:1.15.5-gpu-py3
#                image has Python 3.6 only.
#   BASE_IMAGE   default nvidia/cuda:10.0-cudnn7-runtime-ubuntu18.04 (Ubuntu 18.04, CUDA 10.0, cuDNN 7).
#                tensorflow/tensorflow:1.15.5-gpu-py3 also works (same Ubuntu, CUDA and cuDNN).
#   IMAGE_TAG    the tag this image is built under; recorded in every result's fingerprint.
# Secret (optional): `cacert`, a CA bundle for pip behind a TLS-intercepting proxy
#   (docker/podman build --secret id=cacert,src=/etc/ssl/certs/ca-certificates.crt).
#
# Run: python -m shared.containers run tf1-cuda: no network, not root, read-only code, results/ its one
#   writable mount (results/data/ must exist first: python -m shared prepare). By hand:
#   docker run --rm --network none --read-only --tmpfs /tmp --user "$(id -u):$(id -g)" --gpus all \
#     -v "$PWD/results:/kit/results" IMAGE. Extra arguments go to `python -m legacy_tf1`.
ARG TFKIT_CUDA=10.0
ARG TFKIT_CUDNN=7
ARG BASE_IMAGE=nvidia/cuda:${TFKIT_CUDA}-cudnn${TFKIT_CUDNN}-runtime-ubuntu18.04
FROM ${BASE_IMAGE}
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

ARG DEBIAN_FRONTEND=noninteractive
ARG TFKIT_CUDA
ARG TFKIT_CUDNN
ARG TFKIT_PYTHON=3.7
ARG IMAGE_TAG=tfkit-tf1-cuda:dev
ENV TFKIT_CONTAINER_IMAGE=${IMAGE_TAG} \
    TFKIT_RESULTS=/kit/results \
    TF_DETERMINISTIC_OPS=1 \
    TF_CUDNN_DETERMINISTIC=1 \
    TF_CPP_MIN_LOG_LEVEL=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LANG=C.UTF-8 \
    PATH=/opt/venv/bin:${PATH}

# NVIDIA's old apt sources carry a rotated signing key and break `apt-get update`: drop them.
# Ubuntu 18.04 has exactly one python3.7 (3.7.5); the version is asserted below instead of pinned.
# hadolint ignore=DL3008
RUN rm -f /etc/apt/sources.list.d/cuda.list /etc/apt/sources.list.d/nvidia-ml.list \
    && apt-get update \
    && apt-get install -y --no-install-recommends "python${TFKIT_PYTHON}" "python${TFKIT_PYTHON}-venv" \
    && rm -rf /var/lib/apt/lists/* \
    && test -d "/usr/local/cuda-${TFKIT_CUDA}" \
    && ldconfig -p | grep -q "libcudnn.so.${TFKIT_CUDNN}"

WORKDIR /kit
COPY envs/tf1-cuda.txt /kit/envs/tf1-cuda.txt
# The venv's pip (Ubuntu's 9.0.1) first installs the locked pip, which reads manylinux2010 wheels;
# pip 9's default index host (pypi.python.org) is retired, hence the explicit --index-url.
RUN --mount=type=secret,id=cacert \
    if [ -s /run/secrets/cacert ]; then export PIP_CERT=/run/secrets/cacert; fi \
    && "python${TFKIT_PYTHON}" -m venv /opt/venv \
    && awk '/^pip==/{p=1; print; next} p && /^ +--hash/{print; next} {p=0}' /kit/envs/tf1-cuda.txt > /tmp/pip.txt \
    && pip install --no-cache-dir --index-url https://pypi.org/simple --require-hashes --no-deps -r /tmp/pip.txt \
    && pip install --no-cache-dir --require-hashes --no-deps -r /kit/envs/tf1-cuda.txt \
    && rm /tmp/pip.txt \
    && python -c "import sys; assert '%d.%d' % sys.version_info[:2] == '${TFKIT_PYTHON}', sys.version" \
    && python -c "import tensorflow as tf; assert tf.__version__ == '1.15.5' and tf.test.is_built_with_cuda()"

COPY envs/ /kit/envs/
COPY shared/__init__.py /kit/shared/__init__.py
COPY shared/core/ /kit/shared/core/
COPY legacy_tf1/ /kit/legacy_tf1/

# The kit runs as an unprivileged user that cannot change its code (root-owned, read-only to it);
# results/ is the one folder it writes. `shared.containers run` also runs it with no network.
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /tmp --shell /usr/sbin/nologin kit
USER 10001:10001
ENV HOME=/tmp

ENTRYPOINT ["python", "-m", "legacy_tf1", "--env", "tf1-cuda", "--device", "cuda", "--lock", "/kit/envs/tf1-cuda.txt"]
CMD ["--results", "/kit/results"]
