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

# Waits for PostgreSQL to be quiet — dirty pages written (CHECKPOINT) and no autovacuum still
# working through an earlier script's bulk load — so a script measures its own load only
# (a batch benchmark right after the diff-export data set measured a third of its rate).
settle_postgres() {
  psql -qc CHECKPOINT "$1" >/dev/null
  for _ in $(seq 1 120); do
    busy=$(psql -Atc "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'" "$1")
    [ "$busy" = 0 ] && return 0
    sleep 1
  done
  echo "PostgreSQL still vacuuming after 120 s; measuring anyway" >&2
}
