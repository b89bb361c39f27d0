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
# Build the index into the image, so the container answers from its first request.
RUN stpbot index

ENTRYPOINT ["stpbot"]
# Until the Slack app lands this serves the CLI contract: one question per stdin
# line, one JSON answer per stdout line (docker run -i IMAGE).
CMD ["ask", "--json", "-"]
