#!/usr/bin/env bash
# Container smoke test that needs no registry: a Debian bookworm base made with debootstrap and
# `docker import`, the runtime layout of deploy/Dockerfile (user, paths, environment, entrypoint)
# around a host-built `orcha`, run with --network host only. It checks that `orcha serve --demo`
# starts in the container, that /metrics refuses a scrape without the API token and names the
# machine to one with it. Without a usable Docker Engine it says why and skips (exit 0). The builder stages (Rust release
# build, the ML engine virtualenv) need the registry images and are not exercised here.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! docker info >/dev/null 2>&1; then
    echo "skipped: no Docker Engine answers here (start dockerd to run the container test)"
    exit 0
fi

BASE=orcha-base:bookworm
IMAGE=orcha-smoke:local
ROOTFS=${ROOTFS:-/tmp/fleet-rootfs}

if ! docker image inspect "$BASE" >/dev/null 2>&1; then
    if [ ! -x "$ROOTFS/bin/bash" ]; then
        command -v debootstrap >/dev/null || { echo "debootstrap missing: apt-get install debootstrap" >&2; exit 2; }
        debootstrap --variant=minbase bookworm "$ROOTFS" http://deb.debian.org/debian
    fi
    tar -C "$ROOTFS" -c . | docker import - "$BASE"
fi

cargo build -p orcha-server
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"; docker rm -f orcha-smoke-$$ >/dev/null 2>&1 || true' EXIT
cp target/debug/orcha "$ctx/orcha"
printf '[orchestrator]\nmachine = "container-smoke"\nshutdown_deadline = 1\n' >"$ctx/config.toml"
# The runtime stage of deploy/Dockerfile, on the imported base instead of python:3.11-slim.
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $BASE
# libdbus-1-3: orcha links the Secret Service client (keyring crate); found by this test.
# libssl3: SQLCipher (encryption at rest) links libcrypto.so.3, which minbase lacks.
RUN apt-get update && apt-get install -y --no-install-recommends libdbus-1-3 libssl3 iproute2 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/orcha --create-home orcha
COPY orcha /usr/local/bin/orcha
COPY config.toml /etc/orcha/config.toml
ENV XDG_DATA_HOME=/var/lib/orcha CREDENTIALS_DIRECTORY=/run/secrets
USER orcha
WORKDIR /var/lib/orcha
ENTRYPOINT ["/usr/local/bin/orcha"]
CMD ["serve"]
DOCKERFILE
# Host networking for the build too: nothing may touch Docker's bridge.
docker build --network host -q -t "$IMAGE" "$ctx" >/dev/null

token=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
docker run -d --network host --name "orcha-smoke-$$" -e ML_API_URL=http://127.0.0.1:9 \
    -e ORCHA_API_TOKEN="$token" "$IMAGE" \
    --config /etc/orcha/config.toml serve --demo --port "$port" >/dev/null
for _ in $(seq 1 60); do
    if curl -fsS --max-time 2 -H "Authorization: Bearer $token" "http://127.0.0.1:$port/metrics" 2>/dev/null |
        grep -q 'orcha_machine_info{machine="container-smoke"'; then
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/metrics")
        [ "$code" = 401 ] || { echo "FAILED: /metrics without the token answered $code, not 401" >&2; exit 1; }
        echo "ok: orcha serve --demo runs in the container; /metrics needs the token and names the machine"
        exit 0
    fi
    sleep 0.5
done
echo "FAILED: no orcha_machine_info on 127.0.0.1:$port" >&2
docker logs "orcha-smoke-$$" 2>&1 | tail -20 >&2
exit 1
