#!/usr/bin/env bash
# The one install script: README, .ci/run and the Dockerfile all call it, so what CI
# tests is what the image runs.
#
#   scripts/install.sh [--venv DIR] [--extras LIST] [--no-system] [--no-test-tools] [--no-package]
#
# 1. Debian packages: TeX Live (XeTeX, ctex, pgf, fvextra…), the fonts of the
#    chain documented in fonts/README.md, poppler-utils (tests read PDFs back), and
#    what the test suite needs to run everything by itself (--no-test-tools skips it):
#    PostgreSQL's server binaries (the tests start a private server in a temporary
#    folder; the Debian cluster this package creates is not used), chromium (the web
#    page's tests drive /usr/bin/chromium; Playwright never downloads a browser), curl
#    (README's examples are run as written) and libatomic1 (Playwright's node driver).
# 2. A virtual environment (Debian's Python refuses system-wide pip: PEP 668) with
#    texreport installed from this checkout, editable, with the requested extras.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$here/.venv"
extras="dev,http"
system=1
test_tools=1
package=1
editable=1
while (($#)); do
  case $1 in
    --venv) venv=$2; shift 2 ;;
    --extras) extras=$2; shift 2 ;;
    --no-system) system=0; shift ;;
    --no-test-tools) test_tools=0; shift ;;
    --no-package) package=0; shift ;;
    --no-editable) editable=0; shift ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

debian_packages=(
  # TeX: the engine, Chinese support, pgf (texlive-pictures), fvextra/enumitem/framed, and
  # texlive-fonts-recommended (without it pifont's pzdr is missing: mktextfm errors).
  texlive-xetex texlive-lang-chinese texlive-pictures texlive-latex-extra
  texlive-latex-recommended texlive-fonts-recommended latexmk
  # The font chain (fonts/README.md).
  fontconfig fonts-noto-cjk fonts-hanazono fonts-symbola fonts-dejavu-core fonts-dejavu-extra
  # pdftotext/pdfinfo/pdffonts/pdftoppm: the tests read every PDF back.
  poppler-utils
  python3-venv
)
test_packages=(postgresql chromium curl libatomic1)
((test_tools)) && debian_packages+=("${test_packages[@]}")
# Playwright's Python package is in the dev extra; it must never fetch a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if ((system)); then
  sudo=""
  if [[ $(id -u) != 0 ]]; then sudo="sudo"; fi
  missing=()
  for p in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "install.sh: installing ${#missing[@]} Debian packages (TeX Live and fonts take a few minutes)" >&2
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

if ((package)); then
  python=${PYTHON:-python3}
  [[ -x $venv/bin/python ]] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  spec="$here"
  [[ -n $extras ]] && spec="$here[$extras]"
  if ((editable)); then
    "$venv/bin/python" -m pip install -q -e "$spec"
  else
    "$venv/bin/python" -m pip install -q "$spec"
  fi
  echo "install.sh: texreport installed in $venv" >&2
fi
