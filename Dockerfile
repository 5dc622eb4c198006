# One image for every role (api, worker, beat); the compose file picks the command.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 SILENCE_TOKEN_WARNINGS=true
WORKDIR /app
RUN adduser --system --group --home /app runsmart
COPY pyproject.toml README.md ./
COPY runsmart ./runsmart
COPY store ./store
COPY sync ./sync
COPY planner ./planner
COPY workers ./workers
COPY webhooks ./webhooks
COPY simulator ./simulator
RUN pip install --upgrade pip && pip install .
USER runsmart
EXPOSE 8000
CMD ["runsmart", "api", "--host", "0.0.0.0", "--port", "8000"]
