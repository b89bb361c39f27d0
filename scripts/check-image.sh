#!/usr/bin/env bash
# Build the container image here and prove it: `ask`, `ask --json -`, Slack over HTTP
# with /healthz, the image's own healthcheck, a read-only root filesystem, a non-root
# user, no PyTorch at run time, and a stop that takes under 2 s. Not part of CI (it
# takes minutes and needs podman); run it as root after changing the Dockerfile.
#
#   scripts/check-image.sh                 # BASE_IMAGE, TORCH_FIND_LINKS... may be set
#
# Where the official Python image is unreachable (these machines), a Debian bookworm
# root made with debootstrap stands in for it, and PyTorch's CPU wheel comes from the
# local disk (/opt/wheels) over loopback, since PyTorch's index is unreachable too.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-localhost/stpbot:check}
PORT=${PORT:-3111}
QUESTION="why were patients absent from STP governance?"
say() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

command -v podman >/dev/null || apt-get install -y -qq podman runc debootstrap >/dev/null
# crun does not run here; runc does, once podman stops setting rlimits it may not.
if ! grep -q 'runtime = "runc"' /etc/containers/containers.conf 2>/dev/null; then
    mkdir -p /etc/containers
    printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' \
        > /etc/containers/containers.conf
fi

if [ -z "${BASE_IMAGE:-}" ]; then
    if podman pull -q docker.io/library/python:3.11-slim-bookworm >/dev/null 2>&1; then
        BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm
    else
        BASE_IMAGE=localhost/debian-python:bookworm
        if ! podman image exists "$BASE_IMAGE"; then
            say "making a Debian bookworm base with debootstrap"
            root=/var/tmp/bookworm-root
            [ -x "$root/usr/bin/python3" ] || debootstrap --variant=minbase \
                --include=python3,python3-venv,ca-certificates bookworm "$root" \
                http://deb.debian.org/debian >/dev/null
            tar -C "$root" -c . | podman import - "$BASE_IMAGE" >/dev/null
        fi
    fi
fi

cleanup() {
    podman rm -f stpbot-check >/dev/null 2>&1 || true
    [ -n "${wheels_pid:-}" ] && kill "$wheels_pid" 2>/dev/null || true
    [ -n "${slack_pid:-}" ] && kill "$slack_pid" 2>/dev/null || true
}
trap cleanup EXIT

if [ -z "${TORCH_FIND_LINKS:-}" ] && ls /opt/wheels/torch-2.13.0*.whl >/dev/null 2>&1; then
    python3 -m http.server 8765 --bind 127.0.0.1 --directory /opt/wheels >/dev/null 2>&1 &
    wheels_pid=$!
    TORCH_FIND_LINKS=http://127.0.0.1:8765/
fi

secret=()
[ -s /etc/ssl/certs/ca-certificates.crt ] && secret=(--secret id=ca,src=/etc/ssl/certs/ca-certificates.crt)

say "building $IMAGE on $BASE_IMAGE"
started=$(date +%s)
podman build --format docker --network host "${secret[@]}" \
    --build-arg BASE_IMAGE="$BASE_IMAGE" \
    ${TORCH_FIND_LINKS:+--build-arg TORCH_FIND_LINKS="$TORCH_FIND_LINKS"} \
    ${PIP_INDEX_URL:+--build-arg PIP_INDEX_URL="$PIP_INDEX_URL"} \
    -t "$IMAGE" . >/tmp/stpbot-image-build.log 2>&1 || { tail -30 /tmp/stpbot-image-build.log; fail "build"; }
built=$(( $(date +%s) - started ))
size=$(podman image inspect "$IMAGE" --format '{{.Size}}')
echo "built in ${built}s; image size $(( size / 1000000 )) MB"

say "ask, on a read-only root"
podman run --rm --no-healthcheck --read-only --tmpfs /tmp "$IMAGE" ask "$QUESTION" >/tmp/stpbot-ask.txt
head -4 /tmp/stpbot-ask.txt
grep -q "absent from STP governance" /tmp/stpbot-ask.txt || fail "ask"

say "ask --json -"
echo "{\"question\": \"$QUESTION\"}" | podman run --rm -i --no-healthcheck --read-only --tmpfs /tmp "$IMAGE" ask --json - \
    | python3 -c 'import json, sys; a = json.loads(sys.stdin.readline()); assert a["answered"], a; print("answered with", len(a["passages"]), "passages")'

say "runs as a user, without PyTorch"
[ "$(podman run --rm --no-healthcheck --entrypoint id "$IMAGE" -u)" = 10001 ] || fail "user"
! podman run --rm --no-healthcheck --entrypoint python3 "$IMAGE" -c "import torch" 2>/dev/null \
    || fail "torch present"
echo "uid 10001, no torch"

say "serve slack --http on port $PORT (read-only root), against a stand-in for Slack's API"
python3 - <<'PY' &
import http.server, json
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"ok": True, "user_id": "UBOT", "bot_id": "B1", "team_id": "T1"}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
http.server.ThreadingHTTPServer(("127.0.0.1", 8766), H).serve_forever()
PY
slack_pid=$!
# The image's healthcheck is run by hand below: podman's timers need systemd.
podman run -d --name stpbot-check --network host --read-only --tmpfs /tmp \
    -e PORT="$PORT" -e SLACK_BOT_TOKEN=xoxb-check -e SLACK_SIGNING_SECRET=check-secret \
    -e STPBOT_SLACK_API_URL=http://127.0.0.1:8766/api/ "$IMAGE" >/dev/null
for _ in $(seq 120); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/tmp/stpbot-health.json 2>/dev/null && break
    sleep 0.5
done
cat /tmp/stpbot-health.json; echo
grep -q '"status": *"ok"' /tmp/stpbot-health.json || { podman logs stpbot-check | tail; fail "healthz"; }
podman healthcheck run stpbot-check && echo "healthcheck: healthy" || fail "healthcheck"

say "stop (SIGTERM)"
started=$(date +%s.%N)
podman stop -t 10 stpbot-check >/dev/null
took=$(python3 -c "print(round($(date +%s.%N) - $started, 2))")
code=$(podman inspect stpbot-check --format '{{.State.ExitCode}}')
echo "stopped in ${took}s, exit code $code"
python3 -c "import sys; sys.exit(0 if $took < 2 and $code == 0 else 1)" || fail "stop"

say "two replicas in containers: one PostgreSQL, shared knowledge and index volumes"
# Debian's PostgreSQL on loopback stands in for the compose file's database image.
pg=$(mktemp -d /tmp/stpbot-check-pg.XXXX); chown postgres "$pg"
runuser -u postgres -- /usr/lib/postgresql/*/bin/initdb -D "$pg/data" -U stpbot -A trust >/dev/null
runuser -u postgres -- /usr/lib/postgresql/*/bin/pg_ctl -D "$pg/data" -l "$pg/log" \
    -o "-c listen_addresses=127.0.0.1 -p 5499 -k $pg" -w start >/dev/null
podman volume rm -f stpbot-check-knowledge stpbot-check-index >/dev/null 2>&1 || true
for n in 1 2; do
    podman rm -f "stpbot-check-$n" >/dev/null 2>&1 || true
    podman run -d --name "stpbot-check-$n" --network host --read-only --tmpfs /tmp \
        -v stpbot-check-knowledge:/app/knowledge -v stpbot-check-index:/app/index \
        -e PORT=$((PORT + n)) -e SLACK_BOT_TOKEN=xoxb-check -e SLACK_SIGNING_SECRET=check-secret \
        -e STPBOT_SLACK_API_URL=http://127.0.0.1:8766/api/ -e STPBOT_FEEDBACK_SALT=check-salt \
        -e STPBOT_DATABASE_URL=postgresql://stpbot@127.0.0.1:5499/postgres "$IMAGE" >/dev/null 2>&1
done
for n in 1 2; do
    for _ in $(seq 120); do
        curl -fsS "http://127.0.0.1:$((PORT + n))/healthz" >/tmp/stpbot-health-$n.json 2>/dev/null && break
        sleep 0.5
    done
    echo "replica $n: $(cat /tmp/stpbot-health-$n.json)"
    grep -q '"status": *"ok"' /tmp/stpbot-health-$n.json || { podman logs "stpbot-check-$n" | tail; fail "replica $n"; }
done
tables=$(psql -h 127.0.0.1 -p 5499 -U stpbot -d postgres -Atc "SELECT max(version) FROM stpbot_schema")
echo "schema migrated once, to version $tables"
podman stop -t 10 stpbot-check-1 stpbot-check-2 >/dev/null
podman rm -f stpbot-check-1 stpbot-check-2 >/dev/null
podman volume rm -f stpbot-check-knowledge stpbot-check-index >/dev/null
runuser -u postgres -- /usr/lib/postgresql/*/bin/pg_ctl -D "$pg/data" -m fast stop >/dev/null
rm -rf "$pg"

say "all checks passed: built in ${built}s, $(( size / 1000000 )) MB"
