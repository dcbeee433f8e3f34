# psdm-bot service image: `docker build -t psdm-bot .`, then `docker run -p 8080:8080 psdm-bot`.
# Stage 1 builds a virtual environment; stage 2 carries only that environment, no build tools.
FROM python:3.11-slim AS build

# The release's version (the git tag): the build context has no .git for setuptools-scm.
ARG PSDM_VERSION=0.0.0
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SETUPTOOLS_SCM_PRETEND_VERSION=${PSDM_VERSION}

RUN python -m venv /opt/psdm-bot
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY playbooks ./playbooks
RUN /opt/psdm-bot/bin/pip install --no-cache-dir .


FROM python:3.11-slim

ARG PSDM_VERSION=0.0.0
LABEL org.opencontainers.image.title="psdm-bot" \
      org.opencontainers.image.description="GitLab automation for PSDM delivery engagements" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${PSDM_VERSION}"

# A fixed numeric uid lets Kubernetes check runAsNonRoot and lets volumes be prepared for it.
RUN groupadd --system --gid 10001 psdm \
    && useradd --system --uid 10001 --gid psdm --home-dir /data --no-create-home psdm \
    && mkdir /data \
    && chown psdm:psdm /data

COPY --from=build /opt/psdm-bot /opt/psdm-bot
# Shipped playbooks where the loader looks in an install: <prefix>/share/psdm-bot/playbooks.
COPY playbooks /opt/psdm-bot/share/psdm-bot/playbooks

# The SQLite file (single-instance mode) lives on the /data volume; PostgreSQL replaces it
# when PSDM_DATABASE_URL is set to a postgresql:// URL.
ENV PATH=/opt/psdm-bot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PSDM_DATABASE_URL=sqlite:////data/psdm.sqlite

WORKDIR /data
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]

# No ENTRYPOINT: GitLab CI jobs run their scripts in this image through a shell.
CMD ["psdm-bot", "serve", "--host", "0.0.0.0", "--port", "8080"]
