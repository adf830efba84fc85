#!/usr/bin/env bash
# Makes the format fixtures Go's encoders cannot write: a CMYK JPEG as
# Adobe software writes it (inverted CMYK in an APP14 segment).
# Needs ImageMagick (apt-get install imagemagick). Run from this folder.
set -euo pipefail
/usr/bin/convert -size 640x200 xc:white -fill black -font DejaVu-Serif -pointsize 40 \
  -annotate +30+80 'Cộng hòa' -annotate +30+150 'Việt Nam' \
  -density 300 -units PixelsPerInch -colorspace CMYK -quality 90 cmyk-300.jpg
