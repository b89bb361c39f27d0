# stpbot with the bundled briefings and a prebuilt index. CPU only, no model hub.
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    STPBOT_KNOWLEDGE_DIR=/app/knowledge \
    STPBOT_INDEX_DIR=/app/index

WORKDIR /app

# CPU build of torch first, from PyTorch's CPU index, so nothing pulls CUDA.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md ./
COPY stpbot ./stpbot
RUN pip install .

COPY knowledge ./knowledge
# Build the index into the image, with the one-off ONNX export of the model (the only
# step that uses PyTorch), so the container answers from its first request.
RUN stpbot index

# Answers shown and votes on them live here; mount a volume to keep them.
ENV STPBOT_FEEDBACK_DB=/app/state/feedback.sqlite3 \
    STPBOT_MEMORY_DB=/app/state/memory.sqlite3
VOLUME ["/app/state"]
EXPOSE 3000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=3)"

ENTRYPOINT ["stpbot"]
# Slack over HTTP; pass SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (docker run --env-file .env).
# `docker run -i IMAGE ask --json -` still serves the one-JSON-answer-per-line contract.
CMD ["serve", "slack", "--http", "--host", "0.0.0.0", "--port", "3000"]
