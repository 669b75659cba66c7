# prefcenter production image: slim Python, non-root, `prefcenter serve`.
# Production uses PostgreSQL and key files you supply (see README "Configuration"):
#   docker run -e PREFCENTER_DATABASE_URL=postgresql+asyncpg://... \
#     -e PREFCENTER_MASTER_KEY_FILE=/keys/master.key -e PREFCENTER_PEPPER_FILE=/keys/pepper.key \
#     -e PREFCENTER_SIGNING_KEY_FILE=/keys/signing.key -v /secure/keys:/keys:ro -p 8000:8000 prefcenter
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir --upgrade pip && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PREFCENTER_HOST=0.0.0.0 \
    PREFCENTER_PORT=8000 \
    PREFCENTER_LOG_FORMAT=json \
    PREFCENTER_VAR_DIR=/var/lib/prefcenter \
    PREFCENTER_MIGRATIONS_DIR=/app/migrations
RUN groupadd --system prefcenter && useradd --system --gid prefcenter --home-dir /app --shell /usr/sbin/nologin prefcenter \
    && mkdir -p /var/lib/prefcenter /app && chown prefcenter:prefcenter /var/lib/prefcenter
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY migrations /app/migrations
WORKDIR /app
USER prefcenter
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/ready', timeout=2).status == 200 else 1)"
CMD ["prefcenter", "serve", "--migrate"]
