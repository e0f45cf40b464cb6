# Shell helpers shared by the workflows' CI scripts
# (nextflow/check/lint.sh, snakemake/ci.sh); source it, don't run it.

# Where the CI venvs live between runs.
ci_cache=${CTDNA_CI_CACHE:-${HOME:-/tmp}/.cache/ctdna-ci}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# apt_install PACKAGE...: Debian packages, quietly.
apt_install() {
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# make_venv DIR: a fresh, empty venv at DIR (Debian ships venv/ensurepip
# separately, as python3-venv).
make_venv() {
  rm -rf "$1"
  if ! python3 -m venv "$1" >/dev/null 2>&1; then
    apt_install python3-venv
    rm -rf "$1"
    python3 -m venv "$1"
  fi
}

# ctdna_binary REPO: the release ctdna to test ($CTDNA_BIN, else the cargo
# target dir's), as an absolute path; fails when there is none.
ctdna_binary() {
  local bin=${CTDNA_BIN:-${CARGO_TARGET_DIR:-$1/target}/release/ctdna}
  if [ ! -x "$bin" ]; then
    echo "no ctdna binary at $bin (run cargo build --release, or set CTDNA_BIN)" >&2
    return 2
  fi
  echo "$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
}
