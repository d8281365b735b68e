# shellcheck shell=bash
# Shared by ci/test, ci/demo and the other ci/ scripts: installs what is missing, idempotently.
# Runs under macOS's bash 3.2 too (the macOS runners): no mapfile, no associative arrays, no
# expansion of a possibly empty array under `set -u`.
#
# Needs are listed in ci/needs/*.txt, one per line: `apt: <package>`, `brew: <formula>`,
# `rustup: <target>`, `toolchain: <rust version>`, `pip: <package>`. An apt line may name
# alternatives, `apt: a | b`: the first one installed counts, else the first one the package
# lists offer is installed (a package renamed between releases). A file with an
# `only: <platform>...` line applies only on those platforms, named as `uname -s`-`uname -m`
# prints them (Linux-x86_64, Linux-aarch64, Darwin-arm64, Darwin-x86_64).
# On Linux, apt packages are installed with apt-get (apt-get update runs once, and only when
# something is missing) and brew lines are skipped; on macOS it is the other way round. No file
# lists a brew formula: Homebrew builds no Intel bottles any more, so on an Intel Mac every
# formula would compile from source (LLVM's lld for hours), and a Mac needs none of the tools.
# Set RT0_NO_INSTALL=1 to only report what is missing.

RT0_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RT0_ROOT

say() { printf '\033[1m== %s\033[0m\n' "$*"; }

# expect COMMAND STATUS LINE... [-- ARGS...]: runs COMMAND ARGS, and stops the script unless it
# exits with STATUS and prints each LINE as a whole line of its stdout. Its stderr is kept in
# the file $expect_stderr (set by the caller) for further checks.
expect() {
  local host=$1 status=$2 got rc=0
  shift 2
  local want=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do want+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  got=$("$host" "$@" 2>"$expect_stderr") || rc=$?
  if [ "$rc" != "$status" ]; then
    echo "$(basename "$host") $*: exited $rc, expected $status: $got $(cat "$expect_stderr")" >&2
    exit 1
  fi
  for line in "${want[@]}"; do
    if ! grep -qxF -- "$line" <<<"$got"; then
      echo "$(basename "$host") $*: did not print '$line': $got $(cat "$expect_stderr")" >&2
      exit 1
    fi
  done
  echo "  $(basename "$host") $*: exit $rc, $(tr '\n' ' ' <<<"$got")"
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else "$@"; fi
}

# This machine's platform, as `only:` lines name it.
rt0_platform() { echo "$(uname -s)-$(uname -m)"; }

needs_files() { # the ci/needs files that apply on this platform
  local f only
  for f in "$RT0_ROOT"/ci/needs/*.txt; do
    only=$(sed -n 's/^only:[[:space:]]*//p' "$f" | sed 's/[[:space:]]*#.*//')
    if [ -z "$only" ] || grep -qwF -- "$(rt0_platform)" <<<"$only"; then echo "$f"; fi
  done
}

needs_of() { # kind -> the listed items of that kind (alternatives stay one item: "a|b")
  local f
  needs_files | while read -r f; do cat "$f"; done | sed -n "s/^$1:[[:space:]]*//p" |
    sed 's/[[:space:]]*#.*//' | sed 's/[[:space:]]*|[[:space:]]*/|/g' | awk 'NF' | sort -u
}

apt_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# The package to install for an item "a|b|...": the first one that is installed, else the first
# one apt can install (a candidate version), else the first named (apt-get then says why not).
apt_choice() {
  local alt p
  IFS='|' read -r -a alt <<<"$1"
  for p in "${alt[@]}"; do apt_installed "$p" && { echo "$p"; return 0; }; done
  for p in "${alt[@]}"; do
    grep -q "Candidate: [^(]" <<<"$(apt-cache policy "$p" 2>/dev/null)" && { echo "$p"; return 0; }
  done
  echo "${alt[0]}"
}

ensure_apt() {
  [ "$(uname -s)" = Linux ] || return 0
  command -v dpkg-query >/dev/null || return 0
  local missing=() item p
  for item in "$@"; do
    p=$item
    if [[ $item == *"|"* ]]; then
      p=$(apt_choice "$item")
      # A fresh machine's package lists may not know the candidates yet: read them once.
      if ! apt_installed "$p" && [ -z "${RT0_APT_UPDATED:-}" ] && [ -z "${RT0_NO_INSTALL:-}" ]; then
        as_root apt-get update -qq
        export RT0_APT_UPDATED=1
        p=$(apt_choice "$item")
      fi
    fi
    apt_installed "$p" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -n "${RT0_NO_INSTALL:-}" ]; then echo "missing apt packages: ${missing[*]}"; return 0; fi
  say "installing ${missing[*]}"
  if [ -z "${RT0_APT_UPDATED:-}" ]; then
    as_root apt-get update -qq
    export RT0_APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_brew() {
  [ "$(uname -s)" = Darwin ] || return 0
  command -v brew >/dev/null || { [ $# -eq 0 ] || echo "no Homebrew: install $* by hand"; return 0; }
  local f
  for f in "$@"; do
    if ! brew list --formula "$f" >/dev/null 2>&1; then
      if [ -n "${RT0_NO_INSTALL:-}" ]; then echo "missing brew formula: $f"; continue; fi
      say "installing (brew) $f"
      brew install -q "$f"
    fi
    # Keg-only formulae (lld, llvm) are not linked into the PATH: put their bin first.
    PATH="$(brew --prefix "$f")/bin:$PATH"
  done
  export PATH
}

ensure_rustup_targets() {
  command -v rustup >/dev/null || { echo "rustup not found: install the targets $* by hand"; return 0; }
  local installed missing=()
  installed=$(rustup target list --installed)
  for t in "$@"; do grep -qx "$t" <<<"$installed" || missing+=("$t"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -n "${RT0_NO_INSTALL:-}" ]; then echo "missing rust targets: ${missing[*]}"; return 0; fi
  say "adding rust targets ${missing[*]}"
  rustup target add "${missing[@]}"
}

ensure_toolchains() {
  command -v rustup >/dev/null || { [ $# -eq 0 ] || echo "rustup not found: install Rust $* by hand"; return 0; }
  local t
  for t in "$@"; do
    rustup toolchain list | grep -q "^$t" && continue
    if [ -n "${RT0_NO_INSTALL:-}" ]; then echo "missing toolchain: $t"; continue; fi
    say "installing Rust $t (minimal profile)"
    rustup toolchain install "$t" --profile minimal >/dev/null
  done
}

ensure_pip() {
  local missing=()
  for p in "$@"; do python3 -m pip show -q "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -n "${RT0_NO_INSTALL:-}" ]; then echo "missing pip packages: ${missing[*]}"; return 0; fi
  say "installing (pip) ${missing[*]}"
  python3 -m pip install -q "${missing[@]}"
}

# The raw-creator hosts run as user nobody whenever tests run as root (rt0's raw creator refuses a
# process that can change its ids), and they, their libraries and ci/qemu-user live in the
# checkout: nobody must be able to search every folder down to it. A clone under a home folder of
# mode 750, or under `mktemp -d` (0700), would fail each such test with "Permission denied". On
# CI (CI=true) the folders nobody cannot search get the search bit for others (x only: nothing
# becomes readable), each one said; elsewhere this fails, saying what to do. Used by ci/test when
# it runs as root, and by ci/root-tests.
let_nobody_reach_the_tree() {
  [ "$(uname -s)" = Linux ] && command -v setpriv >/dev/null || return 0
  local path="" part
  local -a parts
  IFS=/ read -r -a parts <<<"${RT0_ROOT#/}"
  for part in "${parts[@]}"; do
    path="$path/$part"
    as_root setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$path" 2>/dev/null && continue
    if [ "${CI:-}" != true ]; then
      echo "user nobody, who runs the raw-creator hosts, cannot search $path: chmod o+x it" >&2
      return 1
    fi
    echo "  letting user nobody search $path (it runs the raw-creator hosts)"
    as_root chmod o+x "$path"
  done
}

install_needs() {
  # shellcheck disable=SC2046
  ensure_apt $(needs_of apt)
  # shellcheck disable=SC2046
  ensure_brew $(needs_of brew)
  # shellcheck disable=SC2046
  ensure_rustup_targets $(needs_of rustup)
  # shellcheck disable=SC2046
  ensure_toolchains $(needs_of toolchain)
  # shellcheck disable=SC2046
  ensure_pip $(needs_of pip)
}
