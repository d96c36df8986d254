#!/usr/bin/env bash
# Local set-up in one place: `scripts/dev.sh serve` runs the backend, `scripts/dev.sh test`
# runs the linter and the whole test suite. Both make a virtual environment, install the pinned
# requirements (runtime: requirements.txt; tests, dev broker, linter: requirements-dev.txt),
# and make sure PostgreSQL, Redis and Mosquitto answer on 127.0.0.1,
# installing them with apt-get and starting them when they are missing or down.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

log() { printf '[dev] %s\n' "$*" >&2; }

apt_install() {
  command -v apt-get >/dev/null || { log "cannot install $*: no apt-get on this machine"; exit 1; }
  if [ -z "${APT_UPDATED:-}" ]; then $SUDO apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

wait_for() {  # wait_for NAME COMMAND...
  local name=$1; shift
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  log "$name did not come up"; exit 1
}

ensure_python() {
  command -v python3 >/dev/null || apt_install python3 python3-venv python3-pip
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$VENV"; }
  fi
  local want; want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$VENV/.requirements.sha" 2>/dev/null)" != "$want" ]; then
    log "installing requirements"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -r requirements-dev.txt
    echo "$want" > "$VENV/.requirements.sha"
  fi
}

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "installing PostgreSQL"
    apt_install postgresql postgresql-client
    local conf; conf=$(ls -d /etc/postgresql/*/main | head -1)
    # Local development only: trust loopback connections, as the project's machines do.
    printf 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' | $SUDO tee "$conf/pg_hba.conf.pepeunit" >/dev/null
    $SUDO sh -c "cat '$conf/pg_hba.conf.pepeunit' '$conf/pg_hba.conf' > '$conf/pg_hba.conf.new' && mv '$conf/pg_hba.conf.new' '$conf/pg_hba.conf'"
  fi
  log "starting PostgreSQL"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  wait_for PostgreSQL pg_isready -h 127.0.0.1 -p 5432
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then return; fi
  command -v redis-server >/dev/null || { log "installing Redis"; apt_install redis-server; }
  log "starting Redis"
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis-cli -h 127.0.0.1 -p 6379 ping
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure_mosquitto() {
  if port_open 1883; then return; fi
  command -v mosquitto >/dev/null || { log "installing Mosquitto"; apt_install mosquitto; }
  log "starting Mosquitto"
  $SUDO mosquitto -d -c /etc/mosquitto/mosquitto.conf
  wait_for Mosquitto port_open 1883
}

ensure_services() { ensure_postgres; ensure_redis; ensure_mosquitto; }

# The MQTT broker for `serve`: with an EMQX admin user configured (PU_MQTT_USERNAME) the
# external EMQX is used and configured by the backend. Otherwise the dev broker (amqtt with
# our authorization plugin) runs next to gunicorn, unless something already listens there.
start_dev_broker() {
  if [ -n "${PU_MQTT_USERNAME:-}" ]; then
    log "external broker: EMQX at ${PU_MQTT_HOST}, configured by the backend at start-up"; return
  fi
  local bind="${PU_DEV_BROKER_BIND:-127.0.0.1:1883}"
  if port_open "${bind##*:}"; then
    log "port ${bind##*:} is taken: using the broker already there (access control only if it asks our hook)"
    return
  fi
  log "starting the dev broker on $bind (authorization by this backend's /units/auth)"
  "$VENV/bin/flask" --app wsgi devbroker --bind "$bind" &
  DEV_BROKER_PID=$!
  trap 'kill "$DEV_BROKER_PID" 2>/dev/null || true' EXIT INT TERM
}

ensure_env_file() {
  if [ ! -f .env ]; then
    log "creating .env from .env_example with fresh secrets"
    local secret key
    secret=$("$VENV/bin/python" -c 'import secrets;print(secrets.token_urlsafe(48))')
    key=$("$VENV/bin/python" -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())')
    sed -e "s|^PU_SECRET_KEY=.*|PU_SECRET_KEY=$secret|" -e "s|^PU_ENCRYPT_KEY=.*|PU_ENCRYPT_KEY=$key|" .env_example > .env
  fi
  set -a; . ./.env; set +a
}

ensure_database() {
  "$VENV/bin/python" - <<'PY'
import os, psycopg2
from sqlalchemy.engine import make_url
url = make_url(os.environ["PU_SQLALCHEMY_DATABASE_URL"])
conn = psycopg2.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password, dbname="postgres")
conn.autocommit = True
with conn.cursor() as cur:
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,))
    if cur.fetchone() is None:
        cur.execute(f'CREATE DATABASE "{url.database}"')
        print(f"[dev] created database {url.database}")
PY
  "$VENV/bin/flask" --app wsgi db upgrade
}

case "${1:-}" in
  serve)
    ensure_python; ensure_postgres; ensure_redis; ensure_env_file; ensure_database
    start_dev_broker
    "$VENV/bin/gunicorn" -c gunicorn.conf.py wsgi:app
    ;;
  test)
    shift
    ensure_python; ensure_services
    set +e
    log "ruff check (settings in pyproject.toml)"
    "$VENV/bin/ruff" check --quiet .
    lint=$?
    "$VENV/bin/python" -m pytest "$@"
    code=$?
    set -e
    # pytest's 5 means "no tests collected": that is a failure for this project.
    [ "$code" = 5 ] && { log "no tests ran"; exit 1; }
    [ "$lint" != 0 ] && { log "the tests ran, but the linter reported the problems above"; exit 1; }
    exit "$code"
    ;;
  *)
    echo "usage: scripts/dev.sh serve | test [pytest args]" >&2; exit 2 ;;
esac
