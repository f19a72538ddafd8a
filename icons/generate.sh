#!/usr/bin/env bash
# Regenerates the application icons (a toll barrier on an indigo tile) with ImageMagick.
# Tauri wants RGBA PNGs (hence PNG32:) plus icon.ico for Windows builds.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp --suffix=.png)
trap 'rm -f "$tmp"' EXIT
convert -size 1024x1024 xc:none -fill '#3b4cca' -draw 'roundrectangle 64,64 960,960 180,180' \
  -fill '#ffffff' -draw 'roundrectangle 220,300 310,800 30,30' \
  -fill '#ffffff' -draw 'roundrectangle 260,380 820,470 40,40' \
  -fill '#f5b400' -draw 'rectangle 420,380 500,470' -draw 'rectangle 620,380 700,470' \
  -fill '#ffffff' -draw 'roundrectangle 714,300 804,800 30,30' \
  "$tmp"
convert "$tmp" -resize 32x32 PNG32:32x32.png
convert "$tmp" -resize 128x128 PNG32:128x128.png
convert "$tmp" -resize 256x256 PNG32:128x128@2x.png
convert "$tmp" -resize 512x512 PNG32:icon.png
convert "$tmp" -define icon:auto-resize=256,128,64,48,32,16 icon.ico
