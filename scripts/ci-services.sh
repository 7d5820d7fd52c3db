# shellcheck shell=bash
# Services the HTTP tests need, for CI: sourced by .ci/run after scripts/install.sh,
# as root on a fresh Debian bookworm. Also safe to source again on a machine that has them.
#
# 1. PostgreSQL from Debian, started on 127.0.0.1 only, with a role and database for the
#    tests; exports TEXREPORT_TEST_PG_URL (tests/test_http_store.py and friends use it).
# 2. Debian's chromium and curl (README's curl examples are tested), and the Python
#    playwright package in .venv to drive chromium. Playwright never downloads a browser
#    here: the tests launch /usr/bin/chromium by path.
#
# It is sourced, so it must not `exit` or change the caller's shell options for good.

_ci_services() {
  local here venv cluster_version pg_user pg_db pg_password
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  venv="$here/.venv"
  pg_user=texreport
  pg_db=texreport_test
  pg_password=texreport

  local sudo=""
  if [[ $(id -u) != 0 ]]; then sudo="sudo"; fi

  local missing=()
  # libatomic1: the node binary inside the playwright wheel needs it (missing on a minimal Debian).
  for p in postgresql chromium curl libatomic1; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "ci-services: installing ${missing[*]} from Debian" >&2
    $sudo apt-get update -q || return 1
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" || return 1
  fi

  # The cluster Debian created (bookworm: 15/main); listen on loopback only.
  cluster_version=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR==1{print $1}')
  if [[ -z $cluster_version ]]; then
    cluster_version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    $sudo pg_createcluster "$cluster_version" main || return 1
  fi
  # conf.d is included by Debian's postgresql.conf; a file of our own leaves theirs untouched.
  echo "listen_addresses = '127.0.0.1'" | $sudo tee "/etc/postgresql/$cluster_version/main/conf.d/texreport-ci.conf" >/dev/null
  if ! pg_lsclusters --no-header | awk -v v="$cluster_version" '$1==v && $2=="main"{print $4}' | grep -q online; then
    $sudo pg_ctlcluster "$cluster_version" main start || return 1
  fi
  local port
  port=$(pg_lsclusters --no-header | awk -v v="$cluster_version" '$1==v && $2=="main"{print $3}')

  # Role and database (idempotent). Password auth over TCP: Debian's pg_hba allows
  # scram-sha-256 for 127.0.0.1, so nothing in pg_hba.conf needs changing.
  local psql=(runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qtA)
  if [[ $(id -u) != 0 ]]; then psql=(sudo -u postgres psql -p "$port" -v ON_ERROR_STOP=1 -qtA); fi
  if [[ $("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname='$pg_user'") != 1 ]]; then
    "${psql[@]}" -c "CREATE ROLE $pg_user LOGIN PASSWORD '$pg_password'" || return 1
  fi
  if [[ $("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname='$pg_db'") != 1 ]]; then
    "${psql[@]}" -c "CREATE DATABASE $pg_db OWNER $pg_user" || return 1
  fi
  export TEXREPORT_TEST_PG_URL="postgresql+psycopg://$pg_user:$pg_password@127.0.0.1:$port/$pg_db"
  # tests/test_service_faults.py restarts PostgreSQL under a running service with this.
  export TEXREPORT_TEST_PG_RESTART="$sudo pg_ctlcluster $cluster_version main restart"

  # Playwright (the Python driver only). PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD keeps any
  # hook from fetching browsers; the tests pass executable_path=/usr/bin/chromium.
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  if [[ -x $venv/bin/python ]] && ! "$venv/bin/python" -c "import playwright" 2>/dev/null; then
    "$venv/bin/python" -m pip install -q "playwright>=1.40" || return 1
  fi

  echo "ci-services: PostgreSQL $cluster_version on 127.0.0.1:$port ($pg_db), chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}')" >&2
}

_ci_services || { echo "ci-services: FAILED (see above)" >&2; unset -f _ci_services; return 1; }
unset -f _ci_services
