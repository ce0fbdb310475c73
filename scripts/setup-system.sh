#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, when they are missing (as root, through apt-get).
set -euo pipefail
packages=(default-jre-headless chromium poppler-utils mupdf-tools pandoc libjaxb-java nodejs npm ghostscript postgresql calibre)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# Java, Node and npm may come with the machine rather than from Debian: count them as present.
command -v java >/dev/null && missing=("${missing[@]/default-jre-headless}")
command -v node >/dev/null && missing=("${missing[@]/nodejs}")
command -v npm >/dev/null && missing=("${missing[@]/npm}")
read -r -a missing <<< "${missing[*]:-}"
if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing Debian packages: ${missing[*]} (install them with apt-get as root)" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
