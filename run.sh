#!/usr/bin/env bash
# One entry point that sets everything up from nothing, then runs a job.
#   bash run.sh test      every test: pytest over the package and the notebooks (nbval), smoke profile, in
#                         one worker per core (N2S_TEST_WORKERS=0: all in one process)
#   bash run.sh lab       open the notebooks in JupyterLab (profile: $N2S_PROFILE or smoke; extra arguments go
#                         to jupyter lab, e.g. --no-browser --port 8890)
#   bash run.sh figures   regenerate the figures with `n2s reproduce` (profile: $N2S_PROFILE or auto)
#   bash run.sh setup     only create .venv and install what is needed
# Needs Debian/Ubuntu with python3 (>= 3.10) and python3-venv. As root it installs the system packages
# itself; otherwise it prints the apt-get command to run.
# PyTorch: the CPU build from PyTorch's CPU index, unless `nvidia-smi` finds a GPU (then PyPI's build, which
# is CUDA's on Linux). N2S_TORCH_INDEX=URL picks another index; N2S_TORCH_INDEX= (empty) only the configured ones.
set -euo pipefail
VENV=${N2S_VENV:-.venv}
# asterisk-core-sounds-en (only recommended by the -g722 package) holds the prompts' transcripts.
SYSTEM_PACKAGES="asterisk-core-sounds-en-g722 asterisk-core-sounds-en espeak-ng"

install_system_packages() {
  local missing=()
  for pkg in $SYSTEM_PACKAGES; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "run.sh: installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "run.sh: missing system packages: ${missing[*]}" >&2
    echo "run.sh: please run: sudo apt-get install -y ${missing[*]}" >&2
    echo "run.sh: (without them the 'asterisk' and 'tts' corpora are unavailable and their tests are skipped)" >&2
  fi
}

# The package index to take torch from, or nothing for pip's configured indexes only.
torch_index() {
  if [ -n "${N2S_TORCH_INDEX+set}" ]; then
    echo "$N2S_TORCH_INDEX"
  elif command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
    echo ""
  else
    echo "https://download.pytorch.org/whl/cpu"
  fi
}

setup_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    echo "run.sh: creating $VENV"
    python3 -m venv "$VENV"
  fi
  # shellcheck disable=SC1091
  . "$VENV/bin/activate"
  local stamp="$VENV/.n2s-installed"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
    echo "run.sh: installing Python packages (pinned in constraints.txt)"
    python -m pip install -q --upgrade pip
    # torch first, at the version constraints.txt pins, from torch_index (PyPI's Linux wheels are CUDA
    # builds of several GB; the CPU index's is 190 MB). pip ranks 2.13.0+cpu above 2.13.0.
    # Only torch looks at that index: its dependencies come with the package's, from the usual indexes.
    local index
    index=$(torch_index)
    echo "run.sh: installing torch from ${index:-the configured package indexes}"
    python -m pip install -q --no-deps ${index:+--extra-index-url "$index"} -c constraints.txt \
      "torch==$(sed -n 's/^torch==//p' constraints.txt)"
    python -m pip install -q -c constraints.txt -e ".[test]"
    python -m pip check  # every package's dependencies installed, torch's included
    python -m ipykernel install --sys-prefix --name python3 >/dev/null
    touch "$stamp"
  fi
}

usage() {
  echo "usage: bash run.sh [test|lab|figures|setup] [extra arguments]"
}

main() {
  cd "$(dirname "${BASH_SOURCE[0]}")"
  local job=${1:-test}
  shift || true
  install_system_packages
  setup_venv
  # Expensive products (pre-trained autoencoder, simulated participants, trained decoders) are cached here,
  # keyed by configuration and code, so tests, notebooks and re-runs share them.
  export N2S_CACHE="${N2S_CACHE:-$PWD/.cache/n2s}"
  case "$job" in
    setup) ;;
    # One pytest worker per core, each file's tests in one worker (a notebook's cells share its kernel), the
    # files in the order conftest.py gives them (long ones first).
    test) MPLBACKEND=Agg python -m pytest -n "${N2S_TEST_WORKERS:-auto}" --dist loadfile --no-loadscope-reorder "$@" ;;
    figures) MPLBACKEND=Agg n2s reproduce --profile "${N2S_PROFILE:-auto}" "$@" ;;
    # No MPLBACKEND here: the notebook kernel then draws figures inline. Root (a container, as the system
    # packages above): Jupyter refuses to start without --allow-root.
    lab) jupyter lab --ServerApp.root_dir=notebooks $([ "$(id -u)" -eq 0 ] && echo --allow-root) "$@" ;;
    *) usage >&2; exit 2 ;;
  esac
}

# Sourced (by tests/test_packaging.py), it only defines the functions above.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
