#!/usr/bin/env bash
# Install the external tools the benchmarks compare against or drive, if missing:
#   wrk (HTTP load), sqlite3 (the .import baseline), taskwarrior (the CLI baseline),
#   hyperfine (command timing). Debian/Ubuntu only (apt-get); needs root or sudo.
# The benchmarks still run without hyperfine (they fall back to repeated timing) and
# skip the parts whose tool is missing, saying so in the report.
set -euo pipefail

declare -A PACKAGE_OF=([wrk]=wrk [sqlite3]=sqlite3 [task]=taskwarrior [hyperfine]=hyperfine)
missing=()
for tool in wrk sqlite3 task hyperfine; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$tool]}")
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "bench tools: all present (wrk, sqlite3, task, hyperfine)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "bench tools: missing ${missing[*]} and no apt-get here; install them by hand" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "bench tools: missing ${missing[*]}; run as root to install them" >&2
        exit 0
    fi
fi
echo "bench tools: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
