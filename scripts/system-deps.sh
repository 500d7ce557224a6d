#!/usr/bin/env bash
# System packages the kiosk and its tests need and pip cannot give:
# CJK fonts (Chinese on screen and on printed slips; without one it renders
# as boxes) and, for the browser tests, Debian's Chromium (Playwright drives
# it; it cannot download its own browser here), and PostgreSQL's client tools
# (pg_dump, pg_restore) for backups of a PostgreSQL database, and nginx for
# the browser test behind HTTPS (its service is not started).
#   scripts/system-deps.sh          font + chromium + nginx (make test)
#   scripts/system-deps.sh --fonts  the font only (make run)
# Installs with apt when running as root on Debian; otherwise says how.
set -euo pipefail

need=()
# Noto Sans CJK draws Chinese; BabelStone Han the rarer name characters it lacks (the CJK
# extension planes B to G of GB18030-2022, such as 𠮷), glyph by glyph (printers.render).
if ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then
  need+=(fonts-noto-cjk)
fi
if ! fc-list 2>/dev/null | grep -qi 'BabelStone Han'; then
  need+=(fonts-babelstone-han)
fi
if [ "${1:-}" != "--fonts" ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  # nginx: the browser test that signs in through HTTPS (tests/e2e/test_https_proxy.py runs its own).
  [ -x /usr/sbin/nginx ] || need+=(nginx)
fi
# pg_dump and pg_restore: `kiosk backup` and `kiosk restore` on PostgreSQL (and their tests).
if [ "${1:-}" != "--fonts" ] || [[ "${KIOSK_DATABASE_URL:-}" == postgres* ]]; then
  command -v pg_dump >/dev/null || need+=(postgresql-client)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${need[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Installing a package must not start its service (nginx would take port 80 as root):
  # the tests run their own nginx. Only when no policy is in place already.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "missing system packages: ${need[*]}" >&2
  echo "install them (Debian: sudo apt-get install ${need[*]}), or point KIOSK_FONT at a CJK font, and run again" >&2
  exit 1
fi
