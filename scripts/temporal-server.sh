#!/usr/bin/env bash
# The one place that finds (or builds) the Temporal CLI and starts its dev server.
# Used by `npm start`, the test setup and .ci/run alike.
#
#   temporal-server.sh path    print the CLI's path, building it first if it is missing
#   temporal-server.sh start   exec `temporal server start-dev` (foreground; the caller owns the process)
#
# `start` reads:
#   TEMPORAL_PORT      gRPC frontend port              (default 7233)
#   TEMPORAL_UI_PORT   Web UI port                     (default 8233)
#   TEMPORAL_UI_PUBLIC_PATH  the UI's base path          (default /ops/temporal: Atrium serves it there,
#                      behind an operator's sign-in; the UI itself listens on loopback only)
#   TEMPORAL_DB_FILE   SQLite file to persist state in (default: in-memory)
#   TEMPORAL_LOG_LEVEL server log level                (default warn)
set -euo pipefail

# v1.5.1 is the newest tag `go install` accepts: later tags carry a `replace` directive.
readonly TEMPORAL_CLI_MODULE="github.com/temporalio/cli/cmd/temporal@v1.5.1"

find_cli() {
  if command -v temporal >/dev/null 2>&1; then
    command -v temporal
    return
  fi
  local gobin="${GOBIN:-${GOPATH:-$HOME/go}/bin}"
  if [ -x "$gobin/temporal" ]; then
    echo "$gobin/temporal"
    return
  fi
  build_cli "$gobin"
  echo "$gobin/temporal"
}

build_cli() {
  local gobin="$1"
  mkdir -p "$gobin"
  # Two test runs may ask at once: only one builds, the other waits for it.
  exec 9>"$gobin/.temporal-build.lock"
  flock 9
  if [ ! -x "$gobin/temporal" ]; then
    echo "Building the Temporal CLI from the Go module proxy ($TEMPORAL_CLI_MODULE); this takes a few minutes once..." >&2
    local started=$SECONDS
    (cd /tmp && GOTOOLCHAIN=local GOBIN="$gobin" go install "$TEMPORAL_CLI_MODULE") >&2
    echo "Temporal CLI built in $((SECONDS - started))s: $gobin/temporal" >&2
  fi
  flock -u 9
}

start_server() {
  local cli
  cli="$(find_cli)"
  local args=(server start-dev
    --ip 127.0.0.1
    --port "${TEMPORAL_PORT:-7233}"
    --ui-port "${TEMPORAL_UI_PORT:-8233}"
    --ui-ip 127.0.0.1
    --ui-public-path "${TEMPORAL_UI_PUBLIC_PATH:-/ops/temporal}"
    --namespace default
    --search-attribute TenantId=Keyword
    --search-attribute OperationKind=Keyword
    --search-attribute ConnectionId=Keyword
    --log-level "${TEMPORAL_LOG_LEVEL:-warn}")
  if [ -n "${TEMPORAL_DB_FILE:-}" ]; then
    mkdir -p "$(dirname "$TEMPORAL_DB_FILE")"
    args+=(--db-filename "$TEMPORAL_DB_FILE")
  fi
  exec "$cli" "${args[@]}"
}

case "${1:-}" in
  path) find_cli ;;
  start) start_server ;;
  *)
    echo "usage: $0 path|start" >&2
    exit 64
    ;;
esac
