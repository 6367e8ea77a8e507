#!/usr/bin/env bash
# Finds the shell NAME (bash, zsh or fish) for the completion tests
# (cmd/certform completion_shells_test.go), installing Debian's package of
# that name with apt-get where it is missing. Shells are not Go modules, so
# unlike the cluster binaries and opa they are not built: they come from the
# distribution, as users' do.
#
# Usage: hack/install-shells.sh NAME
# Prints the path of the shell as its last line; fails (never skips) when
# it cannot be had, with a hint.
set -euo pipefail

name=${1:-}
case $name in
  bash | zsh | fish) ;;
  *) echo "usage: hack/install-shells.sh bash|zsh|fish" >&2; exit 2 ;;
esac
env_var=CERTFORM_$(echo "$name" | tr a-z A-Z)

# works: the shell runs, and zsh has the pseudo-terminal module the test
# drives its completion system with.
works() {
  case $name in
    zsh) "$1" -f -c 'zmodload zsh/zpty' >/dev/null 2>&1 ;;
    *) "$1" -c 'true' >/dev/null 2>&1 ;;
  esac
}

found() {
  for s in "${!env_var:-}" "$(command -v "$name" 2>/dev/null || true)" "/usr/bin/$name" "/bin/$name"; do
    if [ -n "$s" ] && [ -x "$s" ] && works "$s"; then
      echo "$s"
      return 0
    fi
  done
  return 1
}

if found; then
  exit 0
fi
# One install at a time: parallel test binaries wait for the first.
lock=${CERTFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/certform}/shells.lock
mkdir -p "$(dirname "$lock")"
exec 9>"$lock"
flock 9
if found; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-shells: $name is missing and apt-get needs root; hint: sudo apt-get install $name" >&2; exit 1; }
  sudo="sudo -n"
fi
command -v apt-get >/dev/null || { echo "install-shells: $name is missing and this is not a Debian-based system; hint: install $name and set $env_var" >&2; exit 1; }
echo "install-shells: installing $name" >&2
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$name" >&2
found || { echo "install-shells: $name installed, but it does not run; hint: set $env_var" >&2; exit 1; }
