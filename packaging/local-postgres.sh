#!/usr/bin/env bash
# A throwaway local PostgreSQL 15 for the demo (tests start their own from C++:
# tests/support/postgres_server). PostgreSQL refuses to run as root, so as root it runs as the
# `postgres` user that Debian's package creates.
#   packaging/local-postgres.sh start DIR [PORT]   # prints the DATABASE_URL
#   packaging/local-postgres.sh stop DIR
set -euo pipefail
cmd="${1:?start|stop}"; dir="${2:?folder}"; port="${3:-55432}"
bin=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C \
        --no-instructions >"$dir/initdb.log"
    fi
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
      "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir" start >/dev/null
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -f "$dir/data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  *) echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2 ;;
esac
