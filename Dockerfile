# Deployment Automator: one image for GitLab CI jobs, cron containers and Kubernetes.
#   docker build -t deployment-automator .
#   docker run --rm -e GIT_TOKEN deployment-automator run --repo https://github.com/acme/env.git
# Build stage makes a wheel so the final image carries no source tree or build tools.
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY automator ./automator
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.12-slim
LABEL org.opencontainers.image.title="deployment-automator" \
      org.opencontainers.image.description="Keeps GitOps environment repositories on the newest allowed image tags" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
# A fixed non-root uid so Kubernetes runAsNonRoot can verify it; HOME holds the registry cache.
RUN groupadd --gid 10001 automator \
    && useradd --uid 10001 --gid 10001 --create-home --home-dir /home/automator automator
ENV HOME=/home/automator \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GIT_TERMINAL_PROMPT=0
# Checkouts mounted from CI runners belong to another uid; git refuses them without this.
RUN git config --system safe.directory '*'
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["automator"]
CMD ["--help"]
