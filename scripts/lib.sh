# Shared helpers for the scripts in this folder. Source, do not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
export PATH="$HOME/.cargo/bin:$TOOLS/node_modules/.bin:$PATH"
# The Debian fallback toolchain (see scripts/setup) leaves its settings here.
if [[ -f "$TOOLS/toolchain.env" ]]; then
  # shellcheck disable=SC1091
  source "$TOOLS/toolchain.env"
fi

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# step NAME COMMAND...: runs a step and prints how long it took.
STEP_SUMMARY=()
step() {
  local name="$1"; shift
  local started=$SECONDS
  log "$name"
  "$@"
  local took=$((SECONDS - started))
  STEP_SUMMARY+=("$(printf '%-38s %4ds' "$name" "$took")")
  log "$name: done in ${took}s"
}
print_summary() {
  log "step durations"
  local line
  for line in "${STEP_SUMMARY[@]}"; do printf '    %s\n' "$line" >&2; done
}

# Runs apt-get install for the packages that are missing, updating the index
# once first. Root on these machines; sudo elsewhere when available.
apt_install() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  log "apt-get install ${missing[*]}"
  if [[ ! -f "$TOOLS/.apt-updated" ]]; then
    $sudo apt-get update -qq
    mkdir -p "$TOOLS" && touch "$TOOLS/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The wasm-bindgen version pinned in Cargo.lock: the CLI must match it.
locked_wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}
