#!/usr/bin/env bash
# Install the Debian packages rgpd's tests use, only when missing (idempotent, quick when done).
set -euo pipefail
need=()
if [ "${1:-}" != "--runtime" ]; then  # test-only tools; `make demo` needs the runtime ones
  command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
  # the CNIL-template export is checked by printing it through LibreOffice
  command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
fi
dpkg -s libpango-1.0-0 >/dev/null 2>&1 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
