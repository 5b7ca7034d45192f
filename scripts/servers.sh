#!/usr/bin/env bash
# Builds, starts and stops the real servers that Atrium's integration tests talk
# to (docs/development.md says more):
#
#   vault   OpenBao (Vault HTTP API) in dev mode
#   stripe  stripe-mock
#   kube    etcd + kube-apiserver + kube-controller-manager + kube-scheduler,
#           and kwok keeping fake Nodes Ready (pods "run" without containers)
#   jaeger  Jaeger all-in-one (OTLP in, query API out), traces in memory
#
# Usage: scripts/servers.sh <command> [vault|stripe|kube|jaeger ...]   (default: all four)
#
#   ensure   build whatever binary is missing from the cache (idempotent, locked)
#   start    ensure, then start on free 127.0.0.1 ports and wait until healthy;
#            a server that is already running and healthy is left alone
#   stop     stop exactly the processes that `start` started
#   status   one line per server
#   env      `export` lines for the running servers: eval "$(scripts/servers.sh env)"
#
# Binaries are built from the Go module proxy (no downloads of prebuilt
# binaries, no Docker) and cached outside the repository, one folder per
# version: ${ATRIUM_SERVERS_CACHE:-$HOME/.cache/atrium/servers}/<name>-<version>/bin.
# Running servers keep their pids, ports, logs and data under
# ${ATRIUM_SERVERS_STATE:-/tmp/atrium-servers}/<server>/.
#
# Progress and errors go to stderr; only `env` and `status` write to stdout.

# This file reads the command line and dispatches; the pieces are in
# scripts/servers/:
#
#   lib/log.sh      log, die, human_secs, need_cmd
#   lib/build.sh    the build cache: artifact folders, stamps, Go builds, `ensure`
#   lib/lock.sh     the cache lock and the state lock (flock)
#   lib/ports.sh    free ports on 127.0.0.1
#   lib/process.sh  spawn, pid files, health waits, stop
#   vault.sh, stripe.sh, kube.sh, jaeger.sh
#                   one per server: its version(s), how its binaries are built,
#                   and start_<server>, stop_<server>, status_<server>,
#                   env_<server>, <server>_running
#
# (scripts/servers/{openbao,etcd,kubernetes,jaeger}/ are the Go wrapper modules that
# pin what is built; kube-scheduler is built from kubernetes/ too. scripts/servers/kwok/
# holds no module: kwok is installed as module@version, and the folder holds the
# Stages it plays.)

# shellcheck source-path=SCRIPTDIR
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODULES="$ROOT/scripts/servers"
CACHE="${ATRIUM_SERVERS_CACHE:-$HOME/.cache/atrium/servers}"
STATE="${ATRIUM_SERVERS_STATE:-/tmp/atrium-servers}"

ALL_SERVERS=(vault stripe kube jaeger)

# shellcheck source=servers/lib/log.sh
source "$MODULES/lib/log.sh"
# shellcheck source=servers/lib/lock.sh
source "$MODULES/lib/lock.sh"
# shellcheck source=servers/lib/build.sh
source "$MODULES/lib/build.sh"
# shellcheck source=servers/lib/ports.sh
source "$MODULES/lib/ports.sh"
# shellcheck source=servers/lib/process.sh
source "$MODULES/lib/process.sh"
# shellcheck source=servers/vault.sh
source "$MODULES/vault.sh"
# shellcheck source=servers/stripe.sh
source "$MODULES/stripe.sh"
# shellcheck source=servers/kube.sh
source "$MODULES/kube.sh"
# shellcheck source=servers/jaeger.sh
source "$MODULES/jaeger.sh"

# Canonical server name for each alias a person may type.
canonical_server() {
  case "$1" in
    vault | openbao | bao) echo vault ;;
    stripe | stripe-mock) echo stripe ;;
    kube | kubernetes | k8s) echo kube ;;
    jaeger | traces) echo jaeger ;;
    *) die "unknown server '$1' (expected: vault, stripe, kube, jaeger)" ;;
  esac
}

# Fills the global SERVERS array from the command line (default: all).
parse_servers() {
  SERVERS=()
  local a c s seen
  if (($# == 0)); then
    SERVERS=("${ALL_SERVERS[@]}")
    return
  fi
  for a in "$@"; do
    c=$(canonical_server "$a")
    seen=0
    for s in "${SERVERS[@]}"; do [[ "$s" == "$c" ]] && seen=1; done
    ((seen)) || SERVERS+=("$c")
  done
}

# ------------------------------------------------------- commands
# (`ensure` is cmd_ensure in lib/build.sh.)

cmd_start() {
  parse_servers "$@"
  local wanted=("${SERVERS[@]}") s
  need_cmd curl openssl ss setsid flock ps base64
  cmd_ensure "${wanted[@]}"
  lock_state
  for s in "${wanted[@]}"; do "start_$s"; done
}

cmd_stop() {
  parse_servers "$@"
  local s
  need_cmd flock ps
  lock_state
  for s in "${SERVERS[@]}"; do "stop_$s"; done
}

cmd_status() {
  local explicit=$# s rc=0
  parse_servers "$@"
  for s in "${SERVERS[@]}"; do "status_$s" || rc=3; done
  # Asked about named servers: non-zero unless all of them run. Plain
  # `status` just reports.
  if ((explicit)); then return "$rc"; fi
}

cmd_env() {
  local explicit=$# s rc=0
  parse_servers "$@"
  for s in "${SERVERS[@]}"; do
    if "${s}_running"; then
      "env_$s"
    else
      log "$s is not running (scripts/servers.sh start $s)"
      rc=1
    fi
  done
  if ((explicit)); then return "$rc"; fi
}

usage() {
  sed -n '2,/^$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd=${1:-help}
  (($# > 0)) && shift
  case "$cmd" in
    ensure) cmd_ensure "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    env) cmd_env "$@" ;;
    help | -h | --help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
