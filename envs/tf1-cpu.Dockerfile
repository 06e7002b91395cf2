# tf1-cpu: the TF 1.15.5 side of the kit (legacy_tf1/) on CPU, Python 3.7, from envs/tf1.txt.
# Runs on any x86-64 CPU with AVX; no GPU is used (tensorflow==1.15.5 is the CPU-only wheel).
#
# Build args (defaults are exact versions, never "latest"):
#   TFKIT_PYTHON Python minor version the base image must have: 3.7 (asserted at build time).
#   BASE_IMAGE   an image with CPython 3.7 as `python3` (TF 1.15.5 has wheels for cp37 at most).
#                Default: the official python:3.7.16-slim-bullseye. Where no registry is reachable,
#                `python -m shared.containers base --python 3.7.16` makes a local Debian one.
#   IMAGE_TAG    the tag this image is built under; recorded in every result's fingerprint.
# Secret (optional): `cacert`, a CA bundle for pip behind a TLS-intercepting proxy
#   (docker/podman build --secret id=cacert,src=/etc/ssl/certs/ca-certificates.crt).
#
# Run: python -m shared.containers run tf1-cpu: no network, not root, read-only code, results/ its one
#   writable mount (results/data/ must exist first: python -m shared prepare). By hand:
#   docker run --rm --network none --read-only --tmpfs /tmp --user "$(id -u):$(id -g)" \
#     -v "$PWD/results:/kit/results" IMAGE. Extra arguments go to `python -m legacy_tf1`.
ARG BASE_IMAGE=python:3.7.16-slim-bullseye
FROM ${BASE_IMAGE}

ARG TFKIT_PYTHON=3.7
ARG IMAGE_TAG=tfkit-tf1-cpu:dev
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
COPY envs/tf1.txt /kit/envs/tf1.txt
RUN --mount=type=secret,id=cacert \
    if [ -s /run/secrets/cacert ]; then export PIP_CERT=/run/secrets/cacert; fi \
    && python3 -m venv /opt/venv \
    && pip install --no-cache-dir --require-hashes --no-deps -r /kit/envs/tf1.txt \
    && python -c "import sys; assert '%d.%d' % sys.version_info[:2] == '${TFKIT_PYTHON}', sys.version" \
    && python -c "import tensorflow as tf; assert tf.__version__ == '1.15.5', tf.__version__"

COPY envs/ /kit/envs/
COPY shared/__init__.py /kit/shared/__init__.py
COPY shared/core/ /kit/shared/core/
COPY legacy_tf1/ /kit/legacy_tf1/

# The kit runs as an unprivileged user that cannot change its code (root-owned, read-only to it);
# results/ is the one folder it writes. `shared.containers run` also runs it with no network.
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /tmp --shell /usr/sbin/nologin kit
USER 10001:10001
ENV HOME=/tmp

ENTRYPOINT ["python", "-m", "legacy_tf1", "--env", "tf1-cpu", "--device", "cpu", "--lock", "/kit/envs/tf1.txt"]
CMD ["--results", "/kit/results"]
