# One image for every role (api, worker, beat, migrate); docker-compose.yml picks the command.
#
# Build stage: the whole build context (what .dockerignore lets through) becomes wheels, ours and every
# dependency's, so a package added to the project is in the image without an edit here.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY . .
RUN pip wheel --wheel-dir /wheels .

# Runtime stage: the installed wheels only; no source tree, no build tools, no tests.
FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SILENCE_TOKEN_WARNINGS=true
RUN adduser --system --group --home /app runsmart
# Imported activity files are kept here (RUNSMART_IMPORT_FILES_DIR in docker-compose.yml). A new named volume
# mounted on it takes this folder's owner and mode, so the service's user can write it and nobody else can read it.
RUN install -d -o runsmart -g runsmart -m 0700 /var/lib/runsmart/files
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels runsmart-sync && rm -rf /wheels
USER runsmart
EXPOSE 8000
CMD ["runsmart", "api", "--host", "0.0.0.0", "--port", "8000"]
