# Tools to build and check ntn for other platforms, sourced by scripts/test,
# scripts/dist and scripts/bench:
#   ensure_cross_tools TARGET...
# adds the rustup targets that are missing, and makes sure `cargo-zigbuild`
# and zig are there: zig is the C compiler (and, for linking, the linker) that
# ring's C code needs for macOS, Windows and musl targets. When they are
# missing, ziglang and cargo-zigbuild (PyPI, pinned) are installed into a
# virtual environment under ~/.cache/ntn-ci (python3-venv with apt-get first,
# as root, when venv is missing) and put first in PATH. Idempotent: a second
# run changes nothing.

# Pinned: the versions these scripts were checked with.
NTN_ZIGLANG_VERSION="0.17.1"
NTN_CARGO_ZIGBUILD_VERSION="0.24.1"

ensure_cross_tools() {
  local t installed
  installed="$(rustup target list --installed)"
  for t in "$@"; do
    if ! grep -qx "$t" <<<"$installed"; then
      printf '==> %s\n' "adding the rustup target $t" >&2
      rustup target add "$t"
    fi
  done
  _ntn_have_zig && return 0
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/ntn-ci/zig-venv"
  if [ ! -x "$venv/bin/cargo-zigbuild" ] || ! "$venv/bin/python3" -c 'import ziglang' >/dev/null 2>&1; then
    if ! python3 -m venv --help >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      printf '==> %s\n' "installing python3-venv" >&2
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    fi
    printf '==> %s\n' "installing ziglang and cargo-zigbuild (PyPI) in $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
      "ziglang==$NTN_ZIGLANG_VERSION" "cargo-zigbuild==$NTN_CARGO_ZIGBUILD_VERSION"
  fi
  # cargo-zigbuild runs `python3 -m ziglang` when there is no `zig`: the venv's.
  export PATH="$venv/bin:$PATH"
  if ! _ntn_have_zig; then
    echo "error: cargo-zigbuild or zig is still missing after installing them in $venv" >&2
    return 1
  fi
}

_ntn_have_zig() {
  command -v cargo-zigbuild >/dev/null 2>&1 &&
    { command -v zig >/dev/null 2>&1 || python3 -c 'import ziglang' >/dev/null 2>&1; }
}
