# Deployment Automator: one image for GitLab CI jobs, cron containers and Kubernetes.
#   docker build -t deployment-automator .
#   docker run --rm -e GIT_TOKEN deployment-automator run --repo https://github.com/acme/env.git
# The base is pinned by digest (python:3.12-slim, the multi-platform index); to move it, look up
# the new digest of the tag and change PYTHON_IMAGE. Dependencies come from requirements.lock
# (with hashes) in a layer of their own, so a change of the source rebuilds only the last layers.
ARG PYTHON_IMAGE=python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea

# Build stage makes a wheel so the final image carries no source tree or build tools.
FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY automator ./automator
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="deployment-automator" \
      org.opencontainers.image.description="Keeps GitOps environment repositories on the newest allowed image tags" \
      org.opencontainers.image.licenses="Apache-2.0"
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# tini runs as PID 1: it forwards SIGTERM to the tool (which finishes or abandons its attempt
# cleanly) and reaps the git and ssh processes the tool starts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client ca-certificates tini \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir --require-hashes --only-binary :all: -r /tmp/requirements.lock \
    && rm /tmp/requirements.lock
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-deps /wheels/*.whl && rm -rf /wheels
# A fixed non-root uid so Kubernetes runAsNonRoot can verify it; HOME holds the registry cache.
RUN groupadd --gid 10001 automator \
    && useradd --uid 10001 --gid 10001 --create-home --home-dir /home/automator automator
# Checkouts mounted from CI runners at /work belong to another uid; git accepts that directory
# and no other (repositories the tool clones itself belong to the tool's user anyway).
RUN git config --system --add safe.directory /work
ENV HOME=/home/automator \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GIT_TERMINAL_PROMPT=0 \
    AUTOMATOR_LISTEN=0.0.0.0:8080
USER 10001:10001
WORKDIR /work
# Healthy for a one-shot run; for `run --every … --health-file F` the record in F is fresh; for
# `serve`, GET /healthz answers 200. A failed attempt counts as unhealthy only with
# AUTOMATOR_HEALTH_FAIL_ON_FAILED=true (see docs/ci.md).
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-m", "automator.ci.healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--", "automator"]
CMD ["--help"]
