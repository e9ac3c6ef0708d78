# The hub image for compose.yaml: `hub serve` and `hub worker` against real PostgreSQL and Redis.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HUB_DATA_DIR=/data HUB_HOST=0.0.0.0
WORKDIR /app
COPY pyproject.toml README.md ./
COPY hub ./hub
COPY channels ./channels
COPY web ./web
RUN pip install --no-cache-dir . && useradd --system --home /data hub && mkdir -p /data && chown hub /data
USER hub
EXPOSE 8000
CMD ["hub", "serve"]
