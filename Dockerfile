# Task tracker API image.
#
# Two stages: "build" installs the package and its dependencies into a
# virtualenv at /opt/venv; "runtime" copies only that venv onto a clean slim
# base, so the image has no build tools, no pip cache and no source tree.
# Every dependency ships manylinux wheels for CPython 3.11, so no apt-get and
# no compiler are needed in either stage.
#
# tests/ops/test_container.py runs this file's final CMD and HEALTHCHECK on the
# host with the final stage's ENV; tests/ops/test_dockerfile_lint.py lints it.

FROM python:3.11-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Only what the build needs, so edits to tests or docs keep this layer cached.
COPY pyproject.toml README.md ./
COPY app/ app/
COPY cli/ cli/
# The "postgres" extra adds asyncpg, so one image serves SQLite and PostgreSQL.
# "./[postgres]" is pip's ".[postgres]" spelt as a path: hadolint then sees a
# local project (not an unpinned PyPI name, DL3013); versions are bounded in
# pyproject.toml.
RUN pip install --no-cache-dir "./[postgres]"


FROM python:3.11-slim-bookworm AS runtime

LABEL org.opencontainers.image.title="task-tracker" \
      org.opencontainers.image.description="Task tracker HTTP API (FastAPI) and app-cli"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DATABASE_URL=sqlite+aiosqlite:////data/tasks.db \
    HOST=0.0.0.0 \
    PORT=8000

# A fixed uid/gid so volume ownership is predictable across rebuilds and hosts.
# /data is created and chowned before VOLUME: Docker copies it (with its owner)
# into a new named volume, so the non-root user can write the SQLite file.
# --no-log-init: a high uid would otherwise make a huge sparse /var/log/faillog.
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid app \
        --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /data \
    && chown app:app /data

COPY --from=build /opt/venv /opt/venv

WORKDIR /data
VOLUME ["/data"]
USER 10001:10001

EXPOSE 8000

# python:slim has no curl/wget: probe /health with the standard library. The
# port comes from $PORT at check time; proxies are bypassed (ProxyHandler({}))
# so an HTTP_PROXY meant for outbound traffic cannot hijack the probe. urllib
# raises on any non-2xx status (503 included) or connection error, which exits 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as u; r = u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/health', timeout=4); sys.exit(0 if r.status == 200 else 1)"]

# uvicorn finishes in-flight requests on SIGTERM, then the lifespan disposes
# the engine. uvicorn >= 0.29 then re-raises the signal (exit 143) unless
# `app-cli serve` has its own SIGTERM handler; tests/ops expects exit 0.
STOPSIGNAL SIGTERM

# Exec form: app-cli is PID 1 and receives SIGTERM itself (no shell between).
# Host and port come from HOST/PORT above.
CMD ["app-cli", "serve"]
