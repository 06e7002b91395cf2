# tf2-cpu: the TF 2.21.0 side of the kit (modern_tf2/: eager, tf.function, Keras 2 via tf_keras,
# Keras 3) on CPU, Python 3.11, from envs/tf2.txt. Runs on any x86-64 CPU with AVX; no GPU is used
# (the image is run without GPU devices and the kit is told --device cpu).
#
# Build args (defaults are exact versions, never "latest"):
#   TFKIT_PYTHON Python minor version the base image must have: 3.11 (TF 2.21 supports 3.10-3.13).
#   BASE_IMAGE   an image with CPython 3.11 as `python3`. Default: the official
#                python:3.11.7-slim-bookworm. Where no registry is reachable,
#                `python -m shared.containers base --python 3.11.7` makes a local Debian one.
#   IMAGE_TAG    the tag this image is built under; recorded in every result's fingerprint.
# Secret (optional): `cacert`, a CA bundle for pip behind a TLS-intercepting proxy
#   (docker/podman build --secret id=cacert,src=/etc/ssl/certs/ca-certificates.crt).
#
# Run: python -m shared.containers run tf2-cpu: no network, not root, read-only code, results/ its one
#   writable mount (results/data/ must exist first: python -m shared prepare). By hand:
#   docker run --rm --network none --read-only --tmpfs /tmp --user "$(id -u):$(id -g)" \
#     -v "$PWD/results:/kit/results" IMAGE. Extra arguments go to `python -m modern_tf2`.
ARG BASE_IMAGE=python:3.11.7-slim-bookworm
FROM ${BASE_IMAGE}

ARG TFKIT_PYTHON=3.11
ARG IMAGE_TAG=tfkit-tf2-cpu:dev
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
COPY envs/tf2.txt /kit/envs/tf2.txt
RUN --mount=type=secret,id=cacert \
    if [ -s /run/secrets/cacert ]; then export PIP_CERT=/run/secrets/cacert; fi \
    && python3 -m venv /opt/venv \
    && pip install --no-cache-dir --require-hashes --no-deps -r /kit/envs/tf2.txt \
    && python -c "import sys; assert '%d.%d' % sys.version_info[:2] == '${TFKIT_PYTHON}', sys.version" \
    && python -c "import tensorflow as tf; assert tf.__version__ == '2.21.0', tf.__version__"

COPY envs/ /kit/envs/
COPY shared/__init__.py /kit/shared/__init__.py
COPY shared/core/ /kit/shared/core/
COPY modern_tf2/ /kit/modern_tf2/

# The kit runs as an unprivileged user that cannot change its code (root-owned, read-only to it);
# results/ is the one folder it writes. `shared.containers run` also runs it with no network.
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /tmp --shell /usr/sbin/nologin kit
USER 10001:10001
ENV HOME=/tmp

ENTRYPOINT ["python", "-m", "modern_tf2", "--env", "tf2-cpu", "--device", "cpu", "--lock", "/kit/envs/tf2.txt"]
CMD ["--results", "/kit/results"]
