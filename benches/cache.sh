# Sourced by the benchmark scripts: `ctdna simulate` data sets cached in
# bench-cache/ (git-ignored), made again when their arguments or the
# simulator changed. Needs CTDNA (the binary) and THREADS.

# The binary to measure: BENCH_CTDNA=path (e.g. an older build, to compare
# two versions on the same cached data), else this checkout's release build.
pick_ctdna() {
  if [ -n "${BENCH_CTDNA:-}" ]; then
    CTDNA=$BENCH_CTDNA
  else
    cargo build --release --quiet
    CTDNA=${CARGO_TARGET_DIR:-$PWD/target}/release/ctdna
  fi
}

# The ctdna version and the last commit that touched the simulator (its
# output changes with it: e.g. reads gained the MC tag); the scorer
# (src/simulate/score*) does not change the data.
simulator_version() {
  echo "$("$CTDNA" --version) $(git log -1 --format=%h -- src/simulate \
    ':(exclude)src/simulate/score.rs' ':(exclude)src/simulate/score' 2>/dev/null || true)"
}

simulate_cached() { # dir simulate-args...
  local dir=$1 want
  shift
  want="$(simulator_version) $*"
  if [ "$(cat "$dir/args.txt" 2>/dev/null)" != "$want" ] || [ ! -s "$dir/sample.bam.bai" ]; then
    echo "simulating $dir (once; cached)" >&2
    rm -rf "$dir"
    "$CTDNA" simulate --out-dir "$dir" "$@" --threads "$THREADS" --quiet
    echo "$want" > "$dir/args.txt"
  fi
}
