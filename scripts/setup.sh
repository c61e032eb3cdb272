# Installs what Confab needs to build, run and test, skipping whatever is already there.
# Sourced by scripts/run and scripts/test; each `need_*` function is idempotent.
# Binaries go to ~/.cargo/bin (cached across runs); npm packages to end2end/node_modules.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"

CARGO_LEPTOS_VERSION="0.3.11"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "Please run as root (or install sudo) to install: $*" >&2; return 1
  fi
}

need_wasm_target() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown && return
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
}

need_cargo_leptos() {
  if cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then return; fi
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (once; about 25 minutes on 2 cores)"
  # Its locked dependencies need a newer rustc than stable 1.95; nightly builds it.
  if rustup toolchain list | grep -q '^nightly'; then
    cargo +nightly install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
  else
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
  fi
}

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
need_wasm_bindgen() {
  local want have
  want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
  have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
  [ "$have" = "$want" ] && return
  say "installing wasm-bindgen-cli $want (to match Cargo.lock)"
  # Not --locked: one of its locked dependencies is missing from the registry.
  cargo install wasm-bindgen-cli --version "$want" --force
}

# playwright-core for the browser tests, and binaryen's wasm-opt for release builds.
need_node_modules() {
  if [ -d end2end/node_modules/playwright-core ] && [ -x end2end/node_modules/.bin/wasm-opt ]; then return; fi
  say "installing end2end's npm packages"
  (cd end2end && npm ci --no-audit --no-fund)
}

need_chromium() {
  command -v chromium >/dev/null && return
  say "installing Debian's chromium for the browser tests"
  as_root apt-get update
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y --no-install-recommends chromium
}

# cargo-fuzz for scripts/fuzz; the fuzz targets themselves need nightly (-Z sanitizer flags).
need_cargo_fuzz() {
  if ! rustup toolchain list | grep -q '^nightly'; then
    say "installing the nightly toolchain (for the fuzz targets)"
    rustup toolchain install nightly --profile minimal
  fi
  cargo +nightly fuzz --version >/dev/null 2>&1 && return
  say "installing cargo-fuzz (once; about a minute)"
  cargo +nightly install cargo-fuzz --locked
}

need_build_tools() {
  need_wasm_target
  need_node_modules
  need_wasm_bindgen
  need_cargo_leptos
}

# Whether a PostgreSQL server accepts connections at the host and port of the URL $1.
pg_reachable() {
  python3 - "$1" <<'PY'
import socket, sys, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
try:
    socket.create_connection((url.hostname or "127.0.0.1", url.port or 5432), timeout=2).close()
except OSError:
    sys.exit(1)
PY
}
