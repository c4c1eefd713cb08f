# StrideGuard: one image for the web server, the reminder worker and the release step.
# Built from the same pyproject.toml as `make run` (dependencies only, no test tools).
#
#   docker build -t strideguard .
#   docker run -p 127.0.0.1:8000:8000 -v strideguard:/data \
#     -e STRIDEGUARD_FORWARDED_ALLOW_IPS=172.16.0.0/12 strideguard  # SQLite; your TLS proxy on the host
#   docker compose up -d                                           # PostgreSQL, Redis, web, worker
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STRIDEGUARD_INSTANCE_PATH=/data

WORKDIR /app
# The app finds client/ and migrations/ next to its package, so the source tree is installed
# in place (editable), exactly as `make run` does.
COPY pyproject.toml README.md ./
COPY server ./server
COPY plugins ./plugins
COPY migrations ./migrations
COPY client ./client
RUN pip install -e . \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin strideguard \
 && mkdir -p /data && chown strideguard /data

USER strideguard
# The instance folder: secret key, VAPID key (and the SQLite database when no
# STRIDEGUARD_DATABASE_URL is set). Keep it, and back it up.
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["strideguard", "serve", "--host", "0.0.0.0", "--port", "8000"]
