# One image for the four services; the command picks the service:
#   docker run carers-connect python -m services.registry
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY shared ./shared
COPY services ./services
COPY bench ./bench
RUN pip install . && useradd --system --uid 10001 carers
COPY docs ./docs
USER carers
EXPOSE 8001 8002 8003 8004
CMD ["python", "-m", "services.registry"]
