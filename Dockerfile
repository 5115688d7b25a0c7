# syntax=docker/dockerfile:1
# awesome-digest in a small image: the web pages and feeds, the scheduled arXiv polls and weekly digest, and the
# Discord bot when DISCORD_TOKEN is set. docker-compose.yml runs it with a data volume and Mailpit for the emails;
# alone: docker build -t awesome-digest . && docker run -p 127.0.0.1:8080:8080 -v digest-data:/data awesome-digest

# -- builder: build the project's wheel (it carries the templates, feeds, seed list and migrations) into a venv --
FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# Optional extras, e.g. --build-arg EXTRAS=postgres for the PostgreSQL driver.
ARG EXTRAS=""
WORKDIR /src
RUN python -m venv /opt/venv
# Only what the wheel is built from; .dockerignore keeps everything else (and .env) out of the build context.
COPY pyproject.toml README.md ./
COPY digest ./digest
COPY templates ./templates
COPY feeds ./feeds
RUN python -m pip wheel --no-deps --wheel-dir /wheels . \
 && wheel="$(ls /wheels/*.whl)" \
 && /opt/venv/bin/pip install "${wheel}${EXTRAS:+[$EXTRAS]}"

# -- runtime: the venv on a clean slim image, run by an unprivileged user --
FROM python:3.11-slim AS runtime
LABEL org.opencontainers.image.title="awesome-digest" \
      org.opencontainers.image.description="Keeps a curated awesome list of papers up to date from arXiv"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DIGEST_DATA_DIR=/data
# /data is created and owned by the service user before it becomes a volume, so a new named volume starts
# with that owner (Docker copies the image's folder, ownership included, into an empty named volume).
# git (and ssh for ssh:// repositories) for [publish]: the slim image has neither.
RUN apt-get update \
 && apt-get install --yes --no-install-recommends git openssh-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 digest \
 && useradd --system --uid 10001 --gid digest --home-dir /data --no-create-home --shell /usr/sbin/nologin digest \
 && mkdir /data \
 && chown digest:digest /data
COPY --from=builder /opt/venv /opt/venv
WORKDIR /data
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080
# slim has no curl: ask /healthz with the standard library (a 503 or no answer raises, so the check fails).
# The port is the one below; change both if [web] port is changed.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["digest"]
# Inside a container the service must listen on every interface for the published port to reach it.
CMD ["run", "--host", "0.0.0.0"]
