#!/usr/bin/env bash
# The browser tests drive Debian's Chromium; Playwright never downloads a browser here.
# CJK fonts are needed for screenshots and printed posters to show Chinese text.
set -euo pipefail
if [ -x /usr/bin/chromium ] && fc-list :lang=zh 2>/dev/null | grep -q .; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
  echo "需要 Debian 的 chromium 和 fonts-noto-cjk：请以 root 运行 apt-get install chromium fonts-noto-cjk" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
