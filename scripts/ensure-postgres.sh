#!/usr/bin/env bash
# Makes sure PostgreSQL answers on 127.0.0.1:5432, lets `postgres` log in there without a password (trust, as the
# test URL postgresql://postgres@127.0.0.1:5432/test expects), and has a database `test`. For development and test
# machines only: trust means any local user can log in as any role.
#
# The check is a real password-less login (psql), not pg_isready: a server can answer and still refuse it.
#  - Login works (these machines): create `test` if it is missing; nothing else is touched.
#  - The server answers but refuses the login (a fresh Debian 12 `apt install postgresql` starts its cluster with
#    peer auth on the socket and scram-sha-256 on 127.0.0.1): pg_hba.conf of that cluster is replaced by trust for
#    local, 127.0.0.1 and ::1 (the original is kept once as pg_hba.conf.csi-orig) and the server reloads it.
#  - Nothing answers: the cluster (Debian's newest) gets the same pg_hba.conf, listens on 127.0.0.1, and is started.
# Idempotent: once login works, a second run changes nothing.
#
# CSI_PG_PORT (default 5432) and CSI_PG_CLUSTER ("VERSION/NAME", default: the cluster pg_lsclusters lists on that
# port, else the newest version's `main`) select another cluster.
set -euo pipefail
port="${CSI_PG_PORT:-5432}"

die() { echo "ensure-postgres: $*" >&2; exit 1; }

# Password-less login as postgres over TCP: never prompts, ignores any password in the environment or ~/.pgpass.
psql_trust() {
  env -u PGPASSWORD -u PGSERVICE PGPASSFILE=/nonexistent/csi-no-pgpass PGCONNECT_TIMEOUT=5 \
    psql -w -X -q -h 127.0.0.1 -p "$port" -U postgres "$@"
}
trust_login() { psql_trust -d postgres -tAc "SELECT 1" >/dev/null 2>&1; }
answers() { pg_isready -q -h 127.0.0.1 -p "$port"; }
ensure_test_db() {
  if [ "$(psql_trust -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'")" != 1 ]; then
    psql_trust -d postgres -c "CREATE DATABASE test"
  fi
}
wait_until() {  # wait_until SECONDS COMMAND...
  local n=$1; shift
  for _ in $(seq 1 "$n"); do "$@" && return 0; sleep 1; done
  return 1
}

if trust_login; then
  ensure_test_db
  exit 0
fi

# ---- the server must be (re)configured: find its Debian cluster ----
command -v pg_lsclusters >/dev/null || die "PostgreSQL is not installed (apt-get install postgresql)"
ver="" name="" on_port=""
if [ -n "${CSI_PG_CLUSTER:-}" ]; then
  ver="${CSI_PG_CLUSTER%/*}" name="${CSI_PG_CLUSTER#*/}" on_port=1
else
  read -r ver name < <(pg_lsclusters -h | awk -v p="$port" '$3 == p { print $1, $2; exit }') || true
  if [ -n "$ver" ]; then
    on_port=1
  else
    ver=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n1)
    name=main
  fi
fi
conf="/etc/postgresql/$ver/$name"
[ -n "$ver" ] && [ -f "$conf/pg_hba.conf" ] || die "no PostgreSQL cluster configuration at $conf"
if answers && [ -z "$on_port" ]; then
  die "a server answers on 127.0.0.1:$port and refuses a password-less login as postgres, but it is no Debian" \
      "cluster of this machine (pg_lsclusters); give it trust auth for postgres, or set CSI_PG_CLUSTER"
fi
[ "$(id -u)" -eq 0 ] || die "127.0.0.1:$port refuses a password-less login as postgres; run as root to configure $conf"

trust_hba() {
  [ -e "$conf/pg_hba.conf.csi-orig" ] || cp -p "$conf/pg_hba.conf" "$conf/pg_hba.conf.csi-orig"
  cat > "$conf/pg_hba.conf" <<'HBA'
# Written by scripts/ensure-postgres.sh (the original is pg_hba.conf.csi-orig): trust on this machine only.
local all all trust
host all all 127.0.0.1/32 trust
host all all ::1/128 trust
HBA
}

if answers; then
  echo "ensure-postgres: $ver/$name answers on 127.0.0.1:$port but refuses a password-less login as postgres;" \
       "setting trust in $conf/pg_hba.conf and reloading"
  trust_hba
  pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" reload 2>/dev/null \
    || pg_ctlcluster "$ver" "$name" reload 2>/dev/null \
    || su postgres -c "psql -X -q -p $port -c 'SELECT pg_reload_conf()'"
else
  echo "ensure-postgres: starting PostgreSQL $ver/$name on 127.0.0.1:$port"
  sed -i -E "s/^#?listen_addresses.*/listen_addresses = '127.0.0.1'/" "$conf/postgresql.conf"
  trust_hba
  action=start
  if pg_ctlcluster "$ver" "$name" status >/dev/null 2>&1; then
    action=restart  # running, but not listening on 127.0.0.1:$port
  fi
  pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" "$action" || pg_ctlcluster "$ver" "$name" "$action"
fi
wait_until 30 trust_login || die "127.0.0.1:$port still refuses a password-less login as postgres (see $conf)"
ensure_test_db
