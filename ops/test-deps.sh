#!/usr/bin/env bash
# What `make test` needs besides Python packages, installed only when missing (a warm machine pays nothing):
# headless Chromium and ChromeDriver (dashboard tests), LibreOffice Calc (report -> PDF, template round trip,
# the metamorphic corpus's .xls/.ods copies), and the PostgreSQL server on 127.0.0.1:5432 started if down.
set -euo pipefail

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v soffice >/dev/null || need+=(libreoffice-calc-nogui)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    echo "make test needs the Debian packages ${need[*]}: install them as root (apt-get install ${need[*]})" >&2
    exit 1
  fi
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null || true
  $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

# PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`): start it if it is down and installed here.
if command -v pg_isready >/dev/null && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
fi
