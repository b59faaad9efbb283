# Shared by the bench scripts (sourced). Every figure a script measures is appended to
# $FIGURES as one tab-separated line — figure, target, measured, ratio — from which bench/run
# writes the summary table of docs/performance.md.
FIGURES=${FIGURES:-bench/out/figures.tsv}
mkdir -p "$(dirname "$FIGURES")"
figure() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-—}" >> "$FIGURES"; }

# wrk is Debian's; installed when missing.
need_wrk() {
  command -v wrk >/dev/null || apt-get install -y wrk >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
}

# Waits for a server's /readyz (or any 200 at the URL given).
wait_ready() {
  for _ in $(seq 1 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done
  echo "not ready: $1" >&2
  return 1
}

# The release binary; bench/run builds it once (BENCH_BUILT=1) so that a script run from it
# measures that build even if the sources change meanwhile.
build_release() {
  [ -n "${BENCH_BUILT:-}" ] || cargo build --release --quiet "$@"
}
