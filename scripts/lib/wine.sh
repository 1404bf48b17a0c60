# Wine, to run ntn's Windows build on Linux; sourced by scripts/test:
#   ensure_wine
#     installs Debian's wine64 (8.0 on Debian 12; only the 64-bit half) with
#     apt-get when it is missing and this runs as root; sets NTN_WINE to the
#     loader (Debian puts it in /usr/lib/wine, without a `wine` command unless
#     the `wine` package is there too).
#   wine_shim DLL
#     builds the bcryptprimitives.dll stand-in (bcryptprimitives.c) into DLL
#     with zig (call ensure_cross_tools first) unless DLL is newer than its
#     source. Call it with your real HOME: zig's cache is there, warm from
#     linking the Windows binaries (a cold one costs a minute).
#   wine_prefix DIR DLL
#     makes DIR a Wine prefix for ntn (`wineboot -i`, a few seconds) with DLL
#     in its system32, exports WINEPREFIX and WINEDEBUG=-all, and starts a
#     persistent wineserver so that each test binary starts at once.
#   wine_stop
#     stops that wineserver (and the prefix's processes).
# No X display is needed: everything runs on Wine's console, output piped.

ensure_wine() {
  NTN_WINE="$(command -v wine64 2>/dev/null || true)"
  [ -n "$NTN_WINE" ] || { [ -x /usr/lib/wine/wine64 ] && NTN_WINE=/usr/lib/wine/wine64; }
  if [ -z "$NTN_WINE" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      printf '==> %s\n' "installing wine64" >&2
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine64 >/dev/null
      NTN_WINE=/usr/lib/wine/wine64
    else
      echo "error: wine64 is missing (the Windows tests run under Wine)" >&2
      echo "  hint: install it, e.g. sudo apt-get install wine64" >&2
      return 1
    fi
  fi
  export NTN_WINE
}

wine_shim() {
  local dll="$1" src zig=(zig)
  src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/bcryptprimitives.c"
  [ "$dll" -nt "$src" ] && return 0
  command -v zig >/dev/null 2>&1 || zig=(python3 -m ziglang)
  mkdir -p "$(dirname "$dll")"
  "${zig[@]}" cc -target x86_64-windows-gnu -shared -O2 -s -o "$dll.tmp.dll" "$src" -lbcrypt
  rm -f "$dll.tmp.lib"
  mv "$dll.tmp.dll" "$dll"
}

wine_prefix() {
  local prefix="$1" dll="$2"
  mkdir -p "$prefix"
  export WINEPREFIX="$prefix" WINEDEBUG=-all
  _ntn_wine_prefix="$prefix"
  # The server first, persistent (it would stop 3 s after each program).
  _ntn_wineserver -p
  # No Mono or Gecko (not installed): wineboot must not ask for them.
  WINEDLLOVERRIDES="mscoree,mshtml=" "$NTN_WINE" wineboot -i >/dev/null 2>&1
  # The stand-in for the DLL Wine lacks, where Windows keeps its own: every
  # program of the prefix finds it, the test binaries in target/ and the
  # ntn.exe they start alike, wherever they are.
  cp "$dll" "$prefix/drive_c/windows/system32/bcryptprimitives.dll"
}

wine_stop() {
  # Only the server of the prefix wine_prefix made, never one of yours.
  [ -n "${_ntn_wine_prefix:-}" ] && [ -n "${NTN_WINE:-}" ] || return 0
  WINEPREFIX="$_ntn_wine_prefix" _ntn_wineserver -k 2>/dev/null || true
  WINEPREFIX="$_ntn_wine_prefix" _ntn_wineserver -w 2>/dev/null || true
  _ntn_wine_prefix=""
}

_ntn_wineserver() {
  local server
  server="$(command -v wineserver 2>/dev/null || echo "$(dirname "$NTN_WINE")/wineserver")"
  "$server" "$@"
}
