#!/usr/bin/env bash
# The benchmark: builds the server and the orchestrator in Release, then runs bench/Bindery.Bench, which starts a
# fresh server on loopback, seeds a tenant and drives it with wrk. Options go to the orchestrator, e.g.
#   ./bench.sh                                   SQLite, 100,000 devices, 10 s per phase, 32 connections
#   ./bench.sh --store postgres                  the same on a throwaway durable PostgreSQL cluster
#   ./bench.sh --scale                           bind latency at 1,000 vs 1,000,000 registered devices, server memory
#   ./bench.sh --help                            every option
# docs/performance.md explains the phases and holds the figures measured with it.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "wrk not found: installing Debian's 'wrk' package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends wrk >/dev/null
  else
    echo "wrk (the HTTP load generator) is not installed. On Debian/Ubuntu: sudo apt-get install wrk" >&2
    exit 1
  fi
fi

dotnet build -c Release --nologo -v quiet bench/Bindery.Bench/Bindery.Bench.csproj >/dev/null || {
  echo "Release build failed; run: dotnet build -c Release bench/Bindery.Bench/Bindery.Bench.csproj" >&2
  exit 1
}
# The MQTT phase holds --mqtt-devices connections open (default 10,000): one file descriptor each in the benchmark
# and in the server it starts, which inherits this limit. Raise the soft limit to the hard one (no privileges needed).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec dotnet bench/Bindery.Bench/bin/Release/net10.0/Bindery.Bench.dll "$@"
