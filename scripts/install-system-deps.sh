#!/usr/bin/env bash
# System packages srlib's embedded data needs, from Debian's registry:
#   klettres-data   recorded speech (letters and syllables, ~20 languages) for the default speech corpus
#   libfluidsynth3  the synthesizer that renders the default music corpus from scores
# and the real recordings of the recorded-speech / recorded-music corpora (srlib.data.recorded; DATA.md):
#   fillets-ng-data-cs tuxpaint-stamps-default ktuberling-data hedgewars-data   speech (hedgewars: music too)
#   gcin-voice megaglest-data                                                   speech (Mandarin; game replies)
#   wesnoth-1.16-music fretsonfire-songs-muldjord fretsonfire-songs-sectoid     music
# (about 850 MB to download on a fresh machine).
# With --browser (make test) also:
#   chromium        headless Chromium for the real-browser check of the built book
# Installs only what is missing; fails with a clear message where it cannot install.
set -euo pipefail
pkgs=(klettres-data libfluidsynth3
      fillets-ng-data-cs tuxpaint-stamps-default ktuberling-data hedgewars-data gcin-voice megaglest-data
      wesnoth-1.16-music fretsonfire-songs-muldjord fretsonfire-songs-sectoid)
[ "${1:-}" = "--browser" ] && pkgs+=(chromium)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)  # the book build vendors MathJax and the widget manager with npm
need=()
for pkg in "${pkgs[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "srlib: needs the Debian/Ubuntu packages: ${need[*]} (no apt-get here; install them by hand)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "srlib: needs root to install ${need[*]}: run 'sudo apt-get install ${need[*]}'" >&2
    exit 1
  fi
fi
echo "installing system packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
