#!/usr/bin/env bash
# What a user who runs `pip install` gets: build the wheel, install it (with the pinned versions) into a clean
# virtual environment outside the clone, and build PML from a folder outside the clone with that `brochure`.
# CI runs it after `make test`; run it by hand the same way: bash scripts/check-install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log() { echo "check-install: $*"; }

"${PYTHON:-python3}" -m venv "$work/build-env"
"$work/build-env/bin/pip" install -q --upgrade pip build
"$work/build-env/bin/python" -m build -q --wheel --outdir "$work/wheel" "$repo" >/dev/null
wheel=$(ls "$work"/wheel/brochure-*.whl)
log "built $(basename "$wheel")"

"${PYTHON:-python3}" -m venv "$work/venv"
"$work/venv/bin/pip" install -q --upgrade pip
"$work/venv/bin/pip" install -q -c "$repo/constraints.txt" "$wheel"
log "installed into a clean venv: $("$work/venv/bin/brochure" --version)"

mkdir -p "$work/site/pml"
cp "$repo/publications/pml/pml.md" "$work/site/pml/"
cp "$repo/brochure.yaml" "$work/site/"
cd "$work/site"
export BROCHURE_CACHE_DIR="$work/cache"
"$work/venv/bin/brochure" build pml/pml.md --strict -o out
"$work/venv/bin/brochure" build pml/pml.md --format print -o out -q
for file in out/pml.pdf out/pml.epub out/pml-print.pdf; do
    test -s "$file" || { log "missing $file"; exit 1; }
done
if find "$work/venv" -name ".cache" | grep -q .; then log "a cache was written into the install"; exit 1; fi
test -d "$BROCHURE_CACHE_DIR" || { log "no cache in BROCHURE_CACHE_DIR"; exit 1; }
if find "$work/venv" -name "*.java" | grep -q .; then log "the wheel carries Java sources"; exit 1; fi
log "PML built from $work/site with the installed brochure: $(ls out | tr '\n' ' ')"
# the orders database is made by the migrations shipped in the wheel (brochure/orders/migrations)
"$work/venv/bin/brochure" orders export -o run | grep -q "nothing exported" || { log "brochure orders export failed"; exit 1; }
test -s orders.sqlite3 || { log "no orders.sqlite3 made by the installed migrations"; exit 1; }
log "the installed brochure made its orders database: $("$work/venv/bin/brochure" orders list | wc -l) orders"
