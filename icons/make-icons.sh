#!/usr/bin/env bash
# Regenerates the app and tray icons with ImageMagick (`convert`, v6 or v7).
# No fonts needed: everything is drawn with -draw primitives.
#
#   bash icons/make-icons.sh
#
# App icon: a blue rounded square with a white cloud holding a ">_" prompt.
# Tray icons: the same cloud with the prompt cut out, one colour per state
# (stopped grey, busy amber, running green, error red), 32x32.
# Every PNG is written as PNG32 (8-bit RGBA): Tauri refuses RGB icons.
set -euo pipefail

cd "$(dirname "$0")"

if command -v magick >/dev/null 2>&1; then
  CONVERT=(magick)
elif command -v convert >/dev/null 2>&1; then
  CONVERT=(convert)
else
  echo "make-icons.sh: ImageMagick is needed (apt-get install imagemagick)" >&2
  exit 1
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# Shapes on a 100x100 grid; the callers scale them.
# The cloud spans x 14..86, y 21..76.
cloud() { # $1 = fill colour
  cat <<EOF
fill $1
stroke none
roundrectangle 14,50 86,76 13,13
circle 34,52 34,37
circle 56,42 56,21
circle 73,54 73,41
EOF
}

prompt() { # $1 = stroke colour, $2 = stroke width
  cat <<EOF
fill none
stroke $1
stroke-width $2
stroke-linecap round
stroke-linejoin round
polyline 37,52 46,60 37,68
line 52,68 65,68
EOF
}

# --- app icon ---------------------------------------------------------------
M=1024                # master size; smaller sizes are downscaled from it
S=$(echo "$M" | awk '{ printf "%.4f", $1 / 100 }')

# Background: a vertical blue gradient clipped to a rounded square.
"${CONVERT[@]}" -size ${M}x${M} gradient:'#4f8dfd-#1d3f9e' \
  \( -size ${M}x${M} xc:none -draw "scale $S,$S fill white roundrectangle 4,4 96,96 22,22" \) \
  -compose DstIn -composite \
  "PNG32:$TMP/bg.png"

# A soft shadow under the cloud, then the cloud, then the prompt.
"${CONVERT[@]}" -size ${M}x${M} xc:none \
  -draw "scale $S,$S translate 0,2.5 $(cloud 'rgba(8,20,60,0.45)')" \
  -blur 0x$((M / 64)) "PNG32:$TMP/shadow.png"

"${CONVERT[@]}" "$TMP/bg.png" "$TMP/shadow.png" -compose Over -composite \
  -draw "scale $S,$S translate 0,1 $(cloud white)" \
  -draw "scale $S,$S translate 0,1 $(prompt '#1d3f9e' 6.5)" \
  "PNG32:$TMP/icon-master.png"

for spec in "icon.png:512" "128x128@2x.png:256" "128x128.png:128" "32x32.png:32"; do
  name="${spec%%:*}"
  size="${spec##*:}"
  "${CONVERT[@]}" "$TMP/icon-master.png" -filter Lanczos -resize ${size}x${size} \
    -define png:exclude-chunks=date,time "PNG32:$name"
done

# Windows resource icon (tauri-build looks for icons/icon.ico on Windows).
"${CONVERT[@]}" "$TMP/icon-master.png" -filter Lanczos \
  -define icon:auto-resize=256,128,64,48,32,16 icon.ico

# --- tray icons -------------------------------------------------------------
# The cloud fills the square: x 14..86 -> 2..98, centred vertically.
T=256
TS=$(echo "$T" | awk '{ printf "%.4f", $1 / 100 }')
TRAY_XFORM="scale $TS,$TS translate -16.667,-14.5 scale 1.3333,1.3333"

"${CONVERT[@]}" -size ${T}x${T} xc:none -draw "$TRAY_XFORM $(prompt black 7)" \
  "PNG32:$TMP/tray-prompt.png"

tray() { # $1 = state, $2 = colour
  "${CONVERT[@]}" -size ${T}x${T} xc:none -draw "$TRAY_XFORM $(cloud "$2")" \
    "$TMP/tray-prompt.png" -compose DstOut -composite \
    -filter Lanczos -resize 32x32 \
    -define png:exclude-chunks=date,time "PNG32:tray-$1.png"
}

tray stopped '#8b929c'
tray busy '#f0a500'
tray running '#2ea44f'
tray error '#e5484d'

echo "icons written to $(pwd)"
