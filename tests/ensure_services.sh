#!/usr/bin/env bash
# Makes sure what the test suite needs is up: PostgreSQL and Redis at DATABASE_URL / REDIS_URL
# (started if installed and stopped), and Debian's Chromium for the browser tests (installed if
# missing). Fails with a message that says what is missing.
set -euo pipefail

DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/annotator}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/1}

# host and port out of scheme://user@host:port/...
url_host() { local rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}; echo "${rest%%:*}"; }
url_port() { local rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}; [[ $rest == *:* ]] && echo "${rest##*:}" || echo "$2"; }

pg_host=$(url_host "$DATABASE_URL"); pg_port=$(url_port "$DATABASE_URL" 5432)
redis_host=$(url_host "$REDIS_URL"); redis_port=$(url_port "$REDIS_URL" 6379)

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for() {  # name host port
  for _ in $(seq 1 30); do port_open "$2" "$3" && return 0; sleep 1; done
  echo "error: $1 did not come up at $2:$3" >&2; exit 1
}

if ! port_open "$pg_host" "$pg_port"; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "Starting PostgreSQL..."
    for version in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
    wait_for PostgreSQL "$pg_host" "$pg_port"
  else
    echo "error: PostgreSQL is not reachable at $pg_host:$pg_port and is not installed here." >&2
    echo "       Install it (apt-get install postgresql) or point DATABASE_URL at a running server." >&2
    exit 1
  fi
fi

if ! port_open "$redis_host" "$redis_port"; then
  if command -v redis-server >/dev/null; then
    echo "Starting Redis..."
    mkdir -p /tmp/redis-test
    redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
      --dir /tmp/redis-test --logfile /tmp/redis-test/redis.log
    wait_for Redis "$redis_host" "$redis_port"
  else
    echo "error: Redis is not reachable at $redis_host:$redis_port and is not installed here." >&2
    echo "       Install it (apt-get install redis-server) or point REDIS_URL at a running server." >&2
    exit 1
  fi
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's Chromium for the browser tests..."
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
echo "PostgreSQL at $pg_host:$pg_port, Redis at $redis_host:$redis_port, Chromium at /usr/bin/chromium: ready."
