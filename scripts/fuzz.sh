#!/bin/sh
# The large fuzz profile and the long service profile, one command each:
#   scripts/fuzz.sh            hypothesis "large" profile: 2 x 150 generated reports, then a summary
#   scripts/fuzz.sh service    the service load test for TEXREPORT_LOAD_SECONDS (default 180) seconds
# Both run from the repository root with the project's venv; extra arguments go to pytest.
set -eu
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
what=${1:-fuzz}
[ $# -gt 0 ] && shift
case "$what" in
  fuzz)
    stats=$(mktemp)
    trap 'rm -f "$stats"' EXIT
    started=$(date +%s)
    status=0
    HYPOTHESIS_PROFILE=large TEXREPORT_FUZZ_STATS="$stats" \
      "$PY" -m pytest -n "${JOBS:-2}" -q -p no:cacheprovider tests/test_fuzz.py "$@" || status=$?
    "$PY" - "$stats" "$started" <<'PYEOF'
import json, sys, time, statistics
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
if rows:
    seconds = [r["seconds"] for r in rows]
    print(f"fuzz: {len(rows)} documents rendered, {sum(r['pages'] for r in rows)} pages, "
          f"{sum(1 for r in rows if r['problems'])} with problems; render s median {statistics.median(seconds):.2f}, "
          f"max {max(seconds):.2f}; wall {time.time() - float(sys.argv[2]):.0f} s")
PYEOF
    exit $status ;;
  service)
    TEXREPORT_LOAD_SECONDS=${TEXREPORT_LOAD_SECONDS:-180} \
      "$PY" -m pytest -q -s -p no:cacheprovider tests/test_service_faults.py "$@" ;;
  *) echo "usage: scripts/fuzz.sh [fuzz|service] [pytest args]" >&2; exit 2 ;;
esac
