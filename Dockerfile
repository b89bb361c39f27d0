# syntax=docker/dockerfile:1.4
# stpbot: CPU only, no model hub, answering from its first request.
#
# Build arguments point the build at mirrors, as an NHS network builds behind one;
# none carries a credential. A private or TLS-inspecting proxy's CA bundle comes in
# as a build secret, never as a layer: --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt
# scripts/check-image.sh builds and proves the image on this kind of machine.
ARG BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
ARG PIP_INDEX_URL=https://pypi.org/simple
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# A folder or page of wheels to take torch from instead of an index (a mirror, a disk).
ARG TORCH_FIND_LINKS=
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_INDEX_URL=${PIP_INDEX_URL} \
    HF_HUB_OFFLINE=1 \
    PATH=/opt/stpbot/bin:$PATH
RUN python3 -m venv /opt/stpbot

# PyTorch, CPU build, only to export the model to ONNX below; the runtime has none.
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi; \
    if [ -n "$TORCH_FIND_LINKS" ]; then source="--no-index --find-links $TORCH_FIND_LINKS"; \
    else source="--index-url $TORCH_INDEX_URL"; fi; \
    pip install --no-deps $source torch==2.13.0

# Every other dependency, pinned: this layer is rebuilt only when the lock changes.
COPY deploy/image/requirements.lock /tmp/requirements.lock
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi; \
    pip install --no-deps -r /tmp/requirements.lock

COPY pyproject.toml README.md /src/
COPY stpbot /src/stpbot
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi; \
    pip install --no-deps /src

# The index and the one-off ONNX export (the only use of PyTorch), built into the image.
WORKDIR /app
COPY knowledge ./knowledge
RUN STPBOT_KNOWLEDGE_DIR=/app/knowledge STPBOT_INDEX_DIR=/app/index stpbot index

COPY deploy/image/export-only.txt /tmp/export-only.txt
# wordfreq ships word lists for some 40 languages (56 MB); the gate reads English only.
RUN pip uninstall --yes --requirement /tmp/export-only.txt \
    && pip uninstall --yes pip \
    && find /opt/stpbot/lib/python3*/site-packages/wordfreq/data -type f ! -name '*_en.*' -delete

FROM ${BASE_IMAGE}
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin stpbot \
    && mkdir -p /app/state && chown stpbot:stpbot /app/state
COPY --from=build /opt/stpbot /opt/stpbot
COPY --from=build --chown=stpbot:stpbot /app /app
ENV PATH=/opt/stpbot/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    HOME=/app \
    PORT=3000 \
    STPBOT_KNOWLEDGE_DIR=/app/knowledge \
    STPBOT_INDEX_DIR=/app/index \
    STPBOT_FEEDBACK_DB=/app/state/feedback.sqlite3 \
    STPBOT_MEMORY_DB=/app/state/memory.sqlite3 \
    STPBOT_SLACK_INSTALLATIONS_DB=/app/state/slack-installations.sqlite3
USER stpbot
WORKDIR /app
# Reports admins add, the index rebuilt from them, and votes and memories: kept across
# restarts, and shared by replicas (the index and knowledge on a shared volume).
VOLUME ["/app/knowledge", "/app/index", "/app/state"]
EXPOSE 3000
# Follows $PORT, which `serve` reads too. (podman keeps it with --format docker: OCI has none.)
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]
ENTRYPOINT ["stpbot"]
# Slack over HTTP (SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, or OAuth settings);
# `IMAGE ask --json -` keeps the one-JSON-answer-per-line contract.
CMD ["serve", "slack", "--http"]
