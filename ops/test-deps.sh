#!/usr/bin/env bash
# What `make test` needs besides Python packages, installed only when missing (a warm machine pays nothing):
# headless Chromium and ChromeDriver (dashboard tests), LibreOffice Calc (report -> PDF, template round trip,
# the metamorphic corpus's .xls/.ods copies), LibreOffice Writer (a plan .docx -> PDF), poppler-utils (PDF
# pages read back), and the PostgreSQL server on 127.0.0.1:5432 started if down. The one place that does it:
# `make system-deps` (a prerequisite of `make test`, which .ci/run calls) runs this script with the Makefile's
# DEB_PACKAGES (the list is kept there).
set -euo pipefail

# shellcheck disable=SC2206  # the list is words
packages=(${DEB_PACKAGES:?"the Debian packages come from the Makefile: run make system-deps (or make test)"})
# A package counts as present when dpkg has it installed or its program is already on PATH (e.g. a
# Chromium installed another way).
program_of() {
  case "$1" in
    chromium) echo chromium ;;
    chromium-driver) echo chromedriver ;;
    libreoffice-calc-nogui | libreoffice-calc) echo soffice ;;
    poppler-utils) echo pdftoppm ;;
    *) echo "" ;;
  esac
}
# The desktop build of a -nogui package does the same work. LibreOffice Writer has no program of its own:
# soffice is there with Calc alone, which cannot open a .docx, so only dpkg says whether Writer is installed.
desktop_of() {
  case "$1" in
    libreoffice-writer-nogui) echo libreoffice-writer ;;
    libreoffice-calc-nogui) echo libreoffice-calc ;;
    *) echo "" ;;
  esac
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
need=()
for p in "${packages[@]}"; do
  if installed "$p"; then continue; fi
  desktop="$(desktop_of "$p")"
  if [ -n "$desktop" ] && installed "$desktop"; then continue; fi
  program="$(program_of "$p")"
  if [ -n "$program" ] && command -v "$program" >/dev/null; then continue; fi
  need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    echo "make test needs the Debian packages ${need[*]}: install them as root (apt-get install ${need[*]})" >&2
    exit 1
  fi
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing Debian packages: ${need[*]}"
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
