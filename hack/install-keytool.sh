#!/usr/bin/env bash
# Finds Java's keytool for the keystore tests (cmd/certform delivery_test.go),
# installing Debian's OpenJDK 17 runtime (openjdk-17-jre-headless) with
# apt-get where it is missing. keytool is not a Go module, so unlike the
# cluster binaries and opa it is not built: it comes from the distribution,
# the Java that users' services run on.
#
# Prints the path of keytool as its last line; fails (never skips) when it
# cannot be had, with a hint.
set -euo pipefail

found() {
  for k in "${CERTFORM_KEYTOOL:-}" "$(command -v keytool 2>/dev/null || true)" /usr/lib/jvm/java-17-openjdk-*/bin/keytool; do
    if [ -n "$k" ] && [ -x "$k" ] && "$k" -help >/dev/null 2>&1; then
      echo "$k"
      return 0
    fi
  done
  return 1
}

if found; then
  exit 0
fi
# One install at a time: parallel test binaries wait for the first.
lock=${CERTFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/certform}/keytool.lock
mkdir -p "$(dirname "$lock")"
exec 9>"$lock"
flock 9
if found; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-keytool: keytool is missing and apt-get needs root; hint: sudo apt-get install openjdk-17-jre-headless" >&2; exit 1; }
  sudo="sudo -n"
fi
command -v apt-get >/dev/null || { echo "install-keytool: keytool is missing and this is not a Debian-based system; hint: install a Java 17 runtime and set CERTFORM_KEYTOOL" >&2; exit 1; }
echo "install-keytool: installing openjdk-17-jre-headless for keytool" >&2
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >&2
found || { echo "install-keytool: openjdk-17-jre-headless installed, but no keytool was found; hint: set CERTFORM_KEYTOOL" >&2; exit 1; }
