# Sourced by the benchmark scripts: `ctdna simulate` data sets cached in
# bench-cache/ (git-ignored), made again when their arguments or the
# simulator changed. Needs CTDNA (the binary) and THREADS.

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
