#!/usr/bin/env bash
# The PostgreSQL server the tests use (127.0.0.1:5432, trust auth, database `test`): started if it is down and
# installed on this machine (Debian's pg_ctlcluster). Called by `make system-deps`, a prerequisite of `make test`.
set -euo pipefail

if command -v pg_isready >/dev/null && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
fi
