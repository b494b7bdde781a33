#!/usr/bin/env bash
# Makes sure a Redis server answers on 127.0.0.1:6379: the production job queue's backend, which the test suite
# uses for real (tests/service/jobs_support.py). When nothing answers there, Debian's redis-server (installed by
# scripts/setup.sh) is started in the background, bound to loopback, without persistence (the tests flush their
# own keys). Idempotent: a running server is left alone.
set -euo pipefail
port="${CSI_REDIS_PORT:-6379}"

answers() { redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; }

if answers; then
  exit 0
fi
command -v redis-server >/dev/null || { echo "ensure-redis: redis-server is not installed (run scripts/setup.sh)" >&2; exit 1; }
echo "ensure-redis: starting redis-server on 127.0.0.1:$port"
mkdir -p /var/lib/redis /var/log/redis
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir /var/lib/redis \
  --logfile /var/log/redis/csi.log
for _ in $(seq 1 50); do
  answers && exit 0
  sleep 0.2
done
echo "ensure-redis: redis-server did not answer on 127.0.0.1:$port" >&2
exit 1
