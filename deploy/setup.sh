#!/usr/bin/env bash
# Installs what sohoa needs on Debian (bookworm or later) and does nothing
# when it is all there already. Run as root, or with sudo available.
#   deploy/setup.sh          runtime and build: Tesseract with the Vietnamese
#                            model, Leptonica, poppler-utils, qpdf, a C++ compiler
#   deploy/setup.sh --bench  also OCRmyPDF, for bench/ocr.sh's comparison
#   deploy/setup.sh --test   also Redis, PostgreSQL, Chromium and SoftHSM2 (a software
#                            PKCS#11 token), which the tests run against, and
#                            docker-compose and systemd, whose parsers check deploy/
#                            (deploy/test.sh passes it)
set -euo pipefail

pkgs=(tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd libtesseract-dev libleptonica-dev
      poppler-utils qpdf ghostscript libnss3-tools g++ pkg-config fonts-dejavu-extra)
case "${1:-}" in
  --bench) pkgs+=(ocrmypdf jq redis-tools curl) ;;
  --test) pkgs+=(redis-server postgresql chromium softhsm2 openssl docker-compose systemd jq) ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v go >/dev/null; then
  echo "setup: Go 1.26 or later is needed (https://go.dev/dl/); it is not on PATH" >&2
  exit 1
fi
