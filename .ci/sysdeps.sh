#!/usr/bin/env bash
# Debian packages the app and its tests use. Installs only what is missing, only when root with apt-get.
set -u
want=(libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation fonts-dejavu-core fonts-noto-core fonts-noto-cjk chromium poppler-utils tesseract-ocr tesseract-ocr-eng dovecot-imapd openssl nodejs npm)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Note: missing system packages (${missing[*]}); install them with your package manager." >&2
  echo "      Without libharfbuzz-subset0 PDF letters render about 5x slower; without chromium the browser tests are skipped." >&2
fi
exit 0
