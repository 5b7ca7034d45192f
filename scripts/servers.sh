#!/usr/bin/env bash
# Builds, starts and stops the real servers that Atrium's integration tests talk
# to (docs/development.md says more):
#
#   vault   OpenBao (Vault HTTP API) in dev mode
#   stripe  stripe-mock
#   kube    etcd + kube-apiserver + kube-controller-manager
#
# Usage: scripts/servers.sh <command> [vault|stripe|kube ...]   (default: all three)
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

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODULES="$ROOT/scripts/servers"
CACHE="${ATRIUM_SERVERS_CACHE:-$HOME/.cache/atrium/servers}"
STATE="${ATRIUM_SERVERS_STATE:-/tmp/atrium-servers}"

# Versions. The wrapper modules in scripts/servers/<name>/ pin the same ones;
# the cache stamp (artifact_stamp) includes their go.mod/go.sum, so changing a
# pin there rebuilds even if the version below is not bumped.
OPENBAO_VERSION=v2.4.0 # release tag; its module has no /v2 path, so go.mod pins the tag's commit:
OPENBAO_COMMIT=f9407a27fbee45f62ba521bba2bf1e2360c61031
STRIPE_MOCK_VERSION=v0.203.0
KUBERNETES_VERSION=v1.36.3
ETCD_VERSION=v3.6.16

ALL_SERVERS=(vault stripe kube)

# Known, fixed credentials: these servers only ever listen on 127.0.0.1 and hold
# test data only.
VAULT_ROOT_TOKEN="${ATRIUM_VAULT_TOKEN:-atrium-dev-root}"
STRIPE_TEST_KEY="sk_test_atrium"
KUBE_LIMITED_NAMESPACE="atrium-limited"

# Builds run this many at a time. `go build` alone already compiles on both
# cores of the project's machines, but its link step is single-threaded and
# long for these programs; two builds side by side measured 11m31s cold
# against 13m21s one after the other (docs/development.md). Module downloads
# always run in parallel.
BUILD_JOBS="${ATRIUM_SERVERS_BUILD_JOBS:-2}"

# ---------------------------------------------------------------- helpers

log() { printf '[servers] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# 75 -> "1m15s"
human_secs() {
  local s=$1
  if ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

need_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 ||
      die "'$c' is needed but not installed (Debian packages: curl, openssl, iproute2 for ss, util-linux for setsid and flock, procps for ps)"
  done
}

# Go is at /usr/local/go on the project's machines; a shell that did not put it on
# PATH (CI, cron) still finds it.
find_go() {
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    PATH="/usr/local/go/bin:$PATH"
  fi
  command -v go >/dev/null 2>&1 || die "Go 1.26 or newer is needed to build the servers (not found on PATH or in /usr/local/go)"
  # Kubernetes 1.36 and etcd 3.6.16 declare `go 1.26.0`, and GOTOOLCHAIN=local
  # means no other toolchain gets downloaded.
  local v
  v=$(GOTOOLCHAIN=local go env GOVERSION)
  [[ "$v" =~ ^go1\.(2[6-9]|[3-9][0-9]) ]] || die "Go 1.26 or newer is needed, found $v"
}

# Canonical server name for each alias a person may type.
canonical_server() {
  case "$1" in
    vault | openbao | bao) echo vault ;;
    stripe | stripe-mock) echo stripe ;;
    kube | kubernetes | k8s) echo kube ;;
    *) die "unknown server '$1' (expected: vault, stripe, kube)" ;;
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

# ------------------------------------------------------- build artifacts
#
# An artifact is one cached folder of binaries. A server needs one or more:
# kube needs kubernetes (kube-apiserver, kube-controller-manager) and etcd.

artifacts_for() {
  case "$1" in
    vault) echo openbao ;;
    stripe) echo stripe-mock ;;
    kube) echo etcd kubernetes ;;
  esac
}

artifact_version() {
  case "$1" in
    openbao) echo "$OPENBAO_VERSION" ;;
    stripe-mock) echo "$STRIPE_MOCK_VERSION" ;;
    kubernetes) echo "$KUBERNETES_VERSION" ;;
    etcd) echo "$ETCD_VERSION" ;;
  esac
}

artifact_bins() {
  case "$1" in
    openbao) echo bao ;;
    stripe-mock) echo stripe-mock ;;
    kubernetes) echo kube-apiserver kube-controller-manager ;;
    etcd) echo etcd ;;
  esac
}

artifact_dir() { echo "$CACHE/$1-$(artifact_version "$1")"; }

# Path of one cached binary, e.g. bin_path kubernetes kube-apiserver.
bin_path() { echo "$(artifact_dir "$1")/bin/$2"; }

# The -ldflags each build uses. -s -w (no symbol table, no DWARF) cuts link
# time and memory; -X stamps the version that the binary reports, which
# `go build` outside the projects' own release scripts would leave as a
# placeholder (OpenBao "2.0.0-HEAD", Kubernetes "v0.0.0-master").
artifact_ldflags() {
  local ld="-s -w" p minor
  case "$1" in
    openbao)
      ld+=" -X github.com/openbao/openbao/version.fullVersion=${OPENBAO_VERSION#v}"
      ld+=" -X github.com/openbao/openbao/version.GitCommit=$OPENBAO_COMMIT"
      ;;
    kubernetes)
      minor=${KUBERNETES_VERSION#v1.}
      minor=${minor%%.*}
      for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
        ld+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
      done
      ;;
  esac
  echo "$ld"
}

# Kubernetes, etcd and stripe-mock are built as static binaries (CGO_ENABLED=0),
# as their own release builds are. OpenBao is built with cgo, the go command's
# default with gcc present, which is how its build was verified here (its
# PKCS#11 seal wrapper is cgo code).
artifact_cgo() {
  case "$1" in
    openbao) echo 1 ;;
    *) echo 0 ;;
  esac
}

# What a cached build was made from: version, build flags and the wrapper
# module's go.mod/go.sum. A cache folder whose stamp differs is rebuilt.
artifact_stamp() {
  local a=$1
  {
    echo "$a $(artifact_version "$a") cgo=$(artifact_cgo "$a") ldflags=$(artifact_ldflags "$a")"
    if [[ -d "$MODULES/$a" ]]; then cat "$MODULES/$a/go.mod" "$MODULES/$a/go.sum"; fi
  } | sha256sum | cut -c1-16
}

artifact_ready() {
  local a=$1 dir b
  dir=$(artifact_dir "$a")
  [[ -f "$dir/stamp" && "$(cat "$dir/stamp")" == "$(artifact_stamp "$a")" ]] || return 1
  for b in $(artifact_bins "$a"); do [[ -x "$dir/bin/$b" ]] || return 1; done
}

# The go command's environment for every download and build.
#   GOTOOLCHAIN=local  never fetch another Go toolchain
#   -mod=readonly      the committed go.mod/go.sum must be complete; nothing is
#                      written into the repository
#   -trimpath          no local paths in the binaries
go_env() {
  env GOTOOLCHAIN=local GOFLAGS="-mod=readonly -trimpath -buildvcs=false" "$@"
}

# Downloads one artifact's modules (network only, no compiling).
download_artifact() {
  local a=$1
  case "$a" in
    stripe-mock)
      # stripe-mock's go.mod has no replace directives, so `go install
      # module@version` works without a wrapper module.
      (cd "$CACHE" && go_env go mod download "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION")
      ;;
    *) (cd "$MODULES/$a" && go_env go mod download) ;;
  esac
}

# Builds one artifact into a fresh folder, then moves it into place, so an
# interrupted build never leaves a half-filled cache folder behind.
build_artifact() {
  local a=$1 dir tmp ld cgo
  dir=$(artifact_dir "$a")
  tmp="$dir.tmp.$$"
  ld=$(artifact_ldflags "$a")
  cgo=$(artifact_cgo "$a")
  rm -rf "$tmp"
  mkdir -p "$tmp/bin"
  case "$a" in
    openbao)
      # The wrapper module only requires github.com/openbao/openbao and pins its
      # nested api/sdk modules; its main package is built as is.
      (cd "$MODULES/openbao" && go_env CGO_ENABLED="$cgo" go build -ldflags="$ld" -o "$tmp/bin/bao" github.com/openbao/openbao)
      ;;
    stripe-mock)
      (cd "$CACHE" && go_env CGO_ENABLED="$cgo" GOBIN="$tmp/bin" go install -ldflags="$ld" "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION")
      ;;
    kubernetes)
      # One `go build` for both commands: they share most packages, and the
      # build compiles each of those once.
      (cd "$MODULES/kubernetes" && go_env CGO_ENABLED="$cgo" go build -ldflags="$ld" -o "$tmp/bin/" \
        k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager)
      ;;
    etcd)
      # etcd's server module holds the etcd command's main package.
      (cd "$MODULES/etcd" && go_env CGO_ENABLED="$cgo" go build -ldflags="$ld" -o "$tmp/bin/etcd" go.etcd.io/etcd/server/v3)
      ;;
  esac
  artifact_stamp "$a" >"$tmp/stamp"
  rm -rf "$dir"
  mv "$tmp" "$dir"
}

# Runs "$@" with its output in a log file, printing the elapsed time every 30s
# so a long cold build never looks hung. Sets LAST_ELAPSED (seconds).
run_with_progress() {
  local label=$1 logfile=$2 started ticker rc=0
  shift 2
  started=$(date +%s)
  (
    # `sleep` runs as a child; kill it too when the ticker is stopped, so no
    # stray process keeps the caller's stderr open.
    sp=
    trap 'kill $sp 2>/dev/null; exit 0' TERM
    while :; do
      sleep 30 &
      sp=$!
      wait "$sp"
      log "  ... $label: $(human_secs $(($(date +%s) - started)))"
    done
  ) &
  ticker=$!
  "$@" >>"$logfile" 2>&1 || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  LAST_ELAPSED=$(($(date +%s) - started))
  return "$rc"
}

# Builds whichever artifacts the given servers need and the cache lacks.
cmd_ensure() {
  parse_servers "$@"
  local s a wanted=() missing=() t0 total pids=() pid rc=0 logdir
  for s in "${SERVERS[@]}"; do
    for a in $(artifacts_for "$s"); do wanted+=("$a"); done
  done
  for a in "${wanted[@]}"; do artifact_ready "$a" || missing+=("$a"); done
  if ((${#missing[@]} == 0)); then
    log "binaries cached: ${wanted[*]} (in $CACHE)"
    return 0
  fi

  find_go
  need_cmd flock
  mkdir -p "$CACHE"
  logdir="$CACHE/logs"
  mkdir -p "$logdir"
  # One build at a time per cache: a second `ensure` (another terminal, a
  # parallel test job) waits here and then finds the binaries built.
  exec {lock_fd}>"$CACHE/.lock"
  if ! flock -n "$lock_fd"; then
    log "another 'ensure' is building in $CACHE; waiting for it"
    flock "$lock_fd"
  fi
  missing=()
  for a in "${wanted[@]}"; do artifact_ready "$a" || missing+=("$a"); done
  if ((${#missing[@]} == 0)); then
    log "binaries cached: ${wanted[*]} (built by the other run)"
    exec {lock_fd}>&-
    return 0
  fi

  t0=$(date +%s)
  log "building from the Go module proxy with $(go env GOVERSION): ${missing[*]}"
  log "build logs: $logdir/<name>.log"
  for a in "${missing[@]}"; do : >"$logdir/$a.log"; done

  # Downloads are network-bound: all at once.
  log "downloading Go modules for: ${missing[*]}"
  for a in "${missing[@]}"; do
    download_artifact "$a" >>"$logdir/$a.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  if ((rc)); then
    for a in "${missing[@]}"; do tail -n 5 "$logdir/$a.log" >&2; done
    die "downloading Go modules failed (see $logdir)"
  fi
  log "modules downloaded in $(human_secs $(($(date +%s) - t0)))"

  if ((BUILD_JOBS > 1)); then
    build_parallel "$logdir" "${missing[@]}"
  else
    for a in "${missing[@]}"; do build_one "$logdir" "$a"; done
  fi
  total=$(($(date +%s) - t0))
  log "built ${missing[*]} in $(human_secs "$total") (cache: $CACHE)"
  exec {lock_fd}>&-
}

build_one() {
  local logdir=$1 a=$2
  log "building $a $(artifact_version "$a") ($(artifact_bins "$a"))"
  if ! run_with_progress "$a" "$logdir/$a.log" build_artifact "$a"; then
    tail -n 30 "$logdir/$a.log" >&2
    die "building $a failed after $(human_secs "$LAST_ELAPSED") (full log: $logdir/$a.log)"
  fi
  echo "$LAST_ELAPSED" >"$(artifact_dir "$a")/build-seconds"
  log "built $a $(artifact_version "$a") in $(human_secs "$LAST_ELAPSED")"
}

# Builds side by side, at most BUILD_JOBS at once.
build_parallel() {
  local logdir=$1 a pid rc=0 running=()
  shift
  for a in "$@"; do
    while ((${#running[@]} >= BUILD_JOBS)); do
      wait -n || rc=1
      running=()
      for pid in $(jobs -pr); do running+=("$pid"); done
    done
    (build_one "$logdir" "$a") &
    running+=($!)
  done
  while wait -n; do :; done || true
  for a in "$@"; do artifact_ready "$a" || rc=1; done
  ((rc == 0)) || die "some builds failed (logs in $logdir)"
}

# ------------------------------------------------------- processes

# Picks a TCP port on 127.0.0.1 that nothing uses, with the next $2-1 ports free
# too (OpenBao's dev server also listens on port+1). Ports are taken from
# 20000-31999, below Linux's ephemeral range (32768+), so outgoing connections
# do not grab them between picking and binding; a server that still finds its
# port taken fails its health check and `start` says so.
PICKED_PORTS=" "
free_port() {
  local n=${1:-1} used p i ok try
  used=" $(ss -Htan 2>/dev/null | awk '{n = split($4, a, ":"); print a[n]}' | sort -un | tr '\n' ' ') "
  for ((try = 0; try < 500; try++)); do
    p=$((20000 + RANDOM % 12000))
    ok=1
    for ((i = 0; i < n; i++)); do
      if [[ "$used" == *" $((p + i)) "* || "$PICKED_PORTS" == *" $((p + i)) "* ]]; then ok=0; fi
    done
    if ((ok)); then
      for ((i = 0; i < n; i++)); do PICKED_PORTS+="$((p + i)) "; done
      echo "$p"
      return 0
    fi
  done
  die "no free port found on 127.0.0.1"
}

# Starts a server process in its own session (so it outlives this script and
# gets its own process group), with stdin from /dev/null, output to its log and
# every other inherited descriptor closed: it must hold none of the caller's
# pipes open (a test runner would wait for it) nor this script's lock files.
# Records its pid in <dir>/<name>.pid; the subshell execs setsid, which execs
# the server, so $! is the server's pid.
spawn() {
  local dir=$1 name=$2
  shift 2
  (
    for fd in /proc/"$BASHPID"/fd/*; do
      fd=${fd##*/}
      if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec setsid "$@"
  ) </dev/null >>"$dir/$name.log" 2>&1 &
  echo "$!" >"$dir/$name.pid"
}

# Once the server answers, the pid file gets the process's start time and
# executable, so `stop` can later check that the pid is still that program
# and not an unrelated process that reused the number.
seal_pidfile() {
  local pidfile=$1 pid exe
  read -r pid _ <"$pidfile"
  exe=$(readlink "/proc/$pid/exe") || die "process $pid from $pidfile is gone"
  echo "$pid $(proc_start_time "$pid") $exe" >"$pidfile"
}

proc_start_time() {
  # Field 22 of /proc/<pid>/stat, counted after the ")" that ends the command
  # name (which may itself contain spaces).
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo "${20}"
}

# True when the pid file names a live process that is still the program we
# started (same start time, same executable).
pid_is_ours() {
  local pidfile=$1 pid start exe now
  [[ -f "$pidfile" ]] || return 1
  read -r pid start exe <"$pidfile" || true
  [[ -n "${pid:-}" && -d "/proc/$pid" ]] || return 1
  # A pid file not sealed yet (start was interrupted): trust it only while
  # that process still runs one of our cached binaries.
  if [[ -z "${start:-}" ]]; then
    now=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
    [[ "$now" == "$CACHE"/* ]]
    return
  fi
  [[ "$(proc_start_time "$pid" 2>/dev/null)" == "$start" ]] || return 1
  now=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  [[ "$now" == "$exe" || "$now" == "$exe (deleted)" ]]
}

pid_of() {
  local pid
  read -r pid _ <"$1"
  echo "$pid"
}

# True while any process of process group $1 still runs. Exited ones that are
# only waiting to be reaped (zombies, state Z) do not count: the server was
# started with setsid and outlived its parent, so it is reaped by pid 1,
# sometimes seconds later.
group_alive() {
  ps -e -o pgid= -o stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

# Stops the process group a pid file names (the server and anything it
# started), TERM first, KILL after 10s. Only a verified pid is signalled.
stop_pidfile() {
  local pidfile=$1 label=$2 pid i started
  started=$(date +%s)
  if ! pid_is_ours "$pidfile"; then
    rm -f "$pidfile"
    return 0
  fi
  pid=$(pid_of "$pidfile")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    group_alive "$pid" || break
    sleep 0.1
  done
  if group_alive "$pid"; then
    log "$label (pid $pid) did not stop within 10s; killing it"
    kill -KILL -- "-$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      group_alive "$pid" || break
      sleep 0.1
    done
  fi
  rm -f "$pidfile"
  log "stopped $label (pid $pid) in $(human_secs $(($(date +%s) - started)))"
}

# wait_until <seconds> <pidfile> <what> <command...>: retries the command until
# it succeeds; fails early, with the log's tail, if the process exits.
wait_until() {
  local timeout=$1 pidfile=$2 what=$3 deadline logfile
  shift 3
  deadline=$(($(date +%s) + timeout))
  logfile="${pidfile%.pid}.log"
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$(pid_of "$pidfile")" 2>/dev/null; then
      log "$what exited while starting; last lines of $logfile:"
      tail -n 25 "$logfile" >&2 || true
      return 1
    fi
    if (($(date +%s) >= deadline)); then
      log "$what not ready after ${timeout}s; last lines of $logfile:"
      tail -n 25 "$logfile" >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

# ------------------------------------------------------- vault (OpenBao)

vault_dir() { echo "$STATE/vault"; }
vault_addr() { echo "http://127.0.0.1:$(cat "$(vault_dir)/port")"; }

vault_running() { pid_is_ours "$(vault_dir)/bao.pid"; }

vault_healthy() {
  # /v1/sys/health answers 200 only when initialized, unsealed and active.
  curl -fsS -o /dev/null --max-time 2 "$(vault_addr)/v1/sys/health"
}

# vault_api METHOD PATH [JSON]: a call with the root token; prints the body.
vault_api() {
  local args=(-fsS --max-time 10 -X "$1" -H "X-Vault-Token: $VAULT_ROOT_TOKEN")
  [[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' --data "$3")
  curl "${args[@]}" "$(vault_addr)/v1/$2"
}

# The secret engines the project uses, enabled once and idempotently: dev mode
# already mounts KV v2 at secret/; transit and AppRole are added.
vault_configure() {
  local mounts auths
  if ! vault_api GET sys/mounts/secret/tune 2>/dev/null | grep -q '"version":"2"'; then
    vault_api POST sys/mounts/secret '{"type":"kv","options":{"version":"2"}}' >/dev/null
  fi
  mounts=$(vault_api GET sys/mounts)
  if [[ "$mounts" != *'"transit/":'* ]]; then
    vault_api POST sys/mounts/transit '{"type":"transit"}' >/dev/null
  fi
  auths=$(vault_api GET sys/auth)
  if [[ "$auths" != *'"approle/":'* ]]; then
    vault_api POST sys/auth/approle '{"type":"approle"}' >/dev/null
  fi
}

start_vault() {
  local dir port
  dir=$(vault_dir)
  if vault_running && vault_healthy; then
    vault_configure
    log "vault already running at $(vault_addr)"
    return 0
  fi
  stop_vault quiet
  rm -rf "${dir:?}"
  mkdir -p "$dir"
  port=$(free_port 2) # dev mode listens on port (API) and port+1 (cluster)
  echo "$port" >"$dir/port"
  # -dev: in-memory storage, unsealed, root token as given.
  # -dev-no-store-token: do not write ~/.vault-token.
  # The VAULT_*/BAO_* variables of the caller's shell must not reconfigure it.
  spawn "$dir" bao env -u VAULT_ADDR -u VAULT_TOKEN -u BAO_ADDR -u BAO_TOKEN HOME="$dir" \
    "$(bin_path openbao bao)" server -dev \
    -dev-listen-address="127.0.0.1:$port" \
    -dev-root-token-id="$VAULT_ROOT_TOKEN" \
    -dev-no-store-token
  if ! wait_until 60 "$dir/bao.pid" "OpenBao" vault_healthy; then
    stop_vault quiet
    die "OpenBao did not start"
  fi
  seal_pidfile "$dir/bao.pid"
  vault_configure
  log "vault (OpenBao $OPENBAO_VERSION) ready at $(vault_addr)"
}

stop_vault() {
  local dir
  dir=$(vault_dir)
  [[ -f "$dir/bao.pid" ]] || {
    [[ "${1:-}" == quiet ]] || log "vault not running"
    return 0
  }
  stop_pidfile "$dir/bao.pid" "vault (OpenBao)"
}

status_vault() {
  if vault_running; then
    local h=unhealthy
    vault_healthy && h=healthy
    echo "vault   running  pid $(pid_of "$(vault_dir)/bao.pid")  $(vault_addr)  $h"
  else
    echo "vault   stopped"
    return 1
  fi
}

env_vault() {
  printf 'export VAULT_ADDR=%q\n' "$(vault_addr)"
  printf 'export VAULT_TOKEN=%q\n' "$VAULT_ROOT_TOKEN"
}

# ------------------------------------------------------- stripe (stripe-mock)

stripe_dir() { echo "$STATE/stripe"; }
stripe_port() { cat "$(stripe_dir)/port"; }
stripe_base() { echo "http://127.0.0.1:$(stripe_port)"; }

stripe_running() { pid_is_ours "$(stripe_dir)/stripe-mock.pid"; }

stripe_healthy() {
  # Any API call with a test key answers from the bundled fixtures.
  curl -fsS -o /dev/null --max-time 2 -u "$STRIPE_TEST_KEY:" "$(stripe_base)/v1/customers"
}

start_stripe() {
  local dir port
  dir=$(stripe_dir)
  if stripe_running && stripe_healthy; then
    log "stripe-mock already running at $(stripe_base)"
    return 0
  fi
  stop_stripe quiet
  rm -rf "${dir:?}"
  mkdir -p "$dir"
  port=$(free_port 1)
  echo "$port" >"$dir/port"
  # -http-addr binds HTTP to loopback only (-http-port would bind all
  # interfaces). stripe-mock also opens HTTPS on :12112 on all interfaces
  # unless HTTPS is given a listener of its own, so it gets a Unix socket in
  # the state folder. -strict-version-check rejects a Stripe-Version header
  # that differs from the API version of the bundled OpenAPI spec.
  spawn "$dir" stripe-mock "$(bin_path stripe-mock stripe-mock)" \
    -http-addr "127.0.0.1:$port" \
    -https-unix "$dir/https.sock" \
    -strict-version-check
  if ! wait_until 60 "$dir/stripe-mock.pid" "stripe-mock" stripe_healthy; then
    stop_stripe quiet
    die "stripe-mock did not start"
  fi
  seal_pidfile "$dir/stripe-mock.pid"
  log "stripe (stripe-mock $STRIPE_MOCK_VERSION) ready at $(stripe_base)"
}

stop_stripe() {
  local dir
  dir=$(stripe_dir)
  [[ -f "$dir/stripe-mock.pid" ]] || {
    [[ "${1:-}" == quiet ]] || log "stripe not running"
    return 0
  }
  stop_pidfile "$dir/stripe-mock.pid" "stripe-mock"
  rm -f "$dir/https.sock"
}

status_stripe() {
  if stripe_running; then
    local h=unhealthy
    stripe_healthy && h=healthy
    echo "stripe  running  pid $(pid_of "$(stripe_dir)/stripe-mock.pid")  $(stripe_base)  $h"
  else
    echo "stripe  stopped"
    return 1
  fi
}

env_stripe() {
  printf 'export STRIPE_API_BASE=%q\n' "$(stripe_base)"
  printf 'export STRIPE_MOCK_HOST=127.0.0.1\n'
  printf 'export STRIPE_MOCK_PORT=%q\n' "$(stripe_port)"
  printf 'export STRIPE_SECRET_KEY=%q\n' "$STRIPE_TEST_KEY"
}

# ------------------------------------------------------- kube (etcd + control plane)
#
# A control plane without nodes: etcd, kube-apiserver (RBAC, static tokens) and
# kube-controller-manager (namespace finalization, garbage collection, service
# account tokens, ...). Pods are accepted but never run; the project only
# manages namespaced objects (namespaces, quotas, network policies, ...).

kube_dir() { echo "$STATE/kube"; }
kube_server() { echo "https://127.0.0.1:$(cat "$(kube_dir)/kube-apiserver.port")"; }
kube_admin_token() { cat "$(kube_dir)/admin.token"; }

kube_running() {
  local dir
  dir=$(kube_dir)
  pid_is_ours "$dir/etcd.pid" && pid_is_ours "$dir/kube-apiserver.pid" && pid_is_ours "$dir/kube-controller-manager.pid"
}

# kube_api METHOD PATH [JSON]: a call as cluster-admin; prints the HTTP status
# code and leaves the body in <dir>/last-response.json.
kube_api() {
  local dir args
  dir=$(kube_dir)
  args=(-sS --max-time 10 -o "$dir/last-response.json" -w '%{http_code}' -X "$1"
    --cacert "$dir/pki/ca.crt" -H "Authorization: Bearer $(kube_admin_token)")
  [[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' --data "$3")
  curl "${args[@]}" "$(kube_server)$2"
}

kube_readyz() { [[ "$(kube_api GET /readyz)" == 200 ]]; }

kube_healthy() {
  local dir
  dir=$(kube_dir)
  kube_readyz &&
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$(cat "$dir/etcd.port")/health" &&
    curl -fsS -o /dev/null --max-time 2 -k "https://127.0.0.1:$(cat "$dir/kube-controller-manager.port")/healthz"
}

# kube_create PATH JSON: creates an object; "already exists" (409) is fine.
kube_create() {
  local code
  code=$(kube_api POST "$1" "$2")
  [[ "$code" == 201 || "$code" == 409 ]] || die "POST $1 answered $code: $(cat "$(kube_dir)/last-response.json")"
}

# Serving certificate for kube-apiserver (signed by a throwaway CA that the
# kubeconfigs embed) and the key pair that signs service-account tokens.
kube_make_pki() {
  local pki=$1
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout ca.key -out ca.crt -days 30 -subj "/CN=atrium-test-ca" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
    cat >apiserver.ext <<'EOF'
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local, IP:10.96.0.1
EOF
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
      -out apiserver.crt -days 30 -extfile apiserver.ext 2>/dev/null
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out sa.key 2>/dev/null
    openssl pkey -in sa.key -pubout -out sa.pub 2>/dev/null
    chmod 600 ./*.key
  ) || die "generating certificates with openssl failed"
}

# kube_write_kubeconfig FILE USER TOKEN [NAMESPACE]
kube_write_kubeconfig() {
  local file=$1 user=$2 token=$3 ns=${4:-default} ca
  ca=$(base64 -w0 <"$(kube_dir)/pki/ca.crt")
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: atrium-test
  cluster:
    server: $(kube_server)
    certificate-authority-data: $ca
users:
- name: $user
  user:
    token: $token
contexts:
- name: $user@atrium-test
  context:
    cluster: atrium-test
    user: $user
    namespace: $ns
current-context: $user@atrium-test
EOF
  chmod 600 "$file"
}

start_etcd() {
  local dir=$1 client peer
  client=$(free_port 1)
  peer=$(free_port 1)
  echo "$client" >"$dir/etcd.port"
  # Single member on loopback. --unsafe-no-fsync: test data, speed matters more
  # than surviving a power cut.
  spawn "$dir" etcd "$(bin_path etcd etcd)" \
    --name atrium \
    --data-dir "$dir/etcd-data" \
    --listen-client-urls "http://127.0.0.1:$client" \
    --advertise-client-urls "http://127.0.0.1:$client" \
    --listen-peer-urls "http://127.0.0.1:$peer" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "atrium=http://127.0.0.1:$peer" \
    --log-level warn \
    --unsafe-no-fsync
  wait_until 60 "$dir/etcd.pid" etcd \
    curl -fsS --max-time 2 "http://127.0.0.1:$client/health" || return 1
  seal_pidfile "$dir/etcd.pid"
}

start_apiserver() {
  local dir=$1 port
  port=$(free_port 1)
  echo "$port" >"$dir/kube-apiserver.port"
  # --endpoint-reconciler-type=none: the `kubernetes` Service's endpoints
  # would have to point at 127.0.0.1, which validation refuses (loopback), and
  # nothing here runs pods that would use them.
  spawn "$dir" kube-apiserver "$(bin_path kubernetes kube-apiserver)" \
    --etcd-servers "http://127.0.0.1:$(cat "$dir/etcd.port")" \
    --bind-address 127.0.0.1 \
    --advertise-address 127.0.0.1 \
    --secure-port "$port" \
    --cert-dir "$dir/apiserver-certs" \
    --tls-cert-file "$dir/pki/apiserver.crt" \
    --tls-private-key-file "$dir/pki/apiserver.key" \
    --client-ca-file "$dir/pki/ca.crt" \
    --token-auth-file "$dir/tokens.csv" \
    --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$dir/pki/sa.pub" \
    --service-account-signing-key-file "$dir/pki/sa.key" \
    --service-cluster-ip-range 10.96.0.0/24 \
    --endpoint-reconciler-type none \
    --profiling=false
  wait_until 120 "$dir/kube-apiserver.pid" kube-apiserver kube_readyz || return 1
  seal_pidfile "$dir/kube-apiserver.pid"
}

start_controller_manager() {
  local dir=$1 port
  port=$(free_port 1)
  echo "$port" >"$dir/kube-controller-manager.port"
  # --controllers=*: every controller that is on by default (namespace, garbage
  # collector, service account, token, resource quota, ...).
  # --leader-elect=false: a single instance; no 15s lease wait on restart.
  # It authenticates with its own static token, which is in system:masters:
  # with --use-service-account-credentials=false every controller acts as this
  # one user, so it needs rights over everything.
  # No --authentication/authorization-kubeconfig: its own HTTPS port only
  # serves /healthz here, which is always allowed, and delegating would log
  # errors every few seconds about the request-header CA this API server
  # does not have.
  spawn "$dir" kube-controller-manager "$(bin_path kubernetes kube-controller-manager)" \
    --kubeconfig "$dir/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 \
    --secure-port "$port" \
    --cert-dir "$dir/controller-manager-certs" \
    --controllers '*' \
    --leader-elect=false \
    --use-service-account-credentials=false \
    --service-account-private-key-file "$dir/pki/sa.key" \
    --root-ca-file "$dir/pki/ca.crt" \
    --cluster-signing-cert-file "$dir/pki/ca.crt" \
    --cluster-signing-key-file "$dir/pki/ca.key" \
    --profiling=false
  wait_until 60 "$dir/kube-controller-manager.pid" kube-controller-manager \
    curl -fsS --max-time 2 -k "https://127.0.0.1:$port/healthz" || return 1
  seal_pidfile "$dir/kube-controller-manager.pid"
}

# The limited user: may do anything inside one namespace, nothing elsewhere.
kube_setup_limited_user() {
  local ns=$KUBE_LIMITED_NAMESPACE
  kube_create /api/v1/namespaces "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\"}}"
  kube_create "/apis/rbac.authorization.k8s.io/v1/namespaces/$ns/roles" "{
    \"apiVersion\": \"rbac.authorization.k8s.io/v1\", \"kind\": \"Role\",
    \"metadata\": {\"name\": \"atrium-limited\", \"namespace\": \"$ns\"},
    \"rules\": [{\"apiGroups\": [\"\", \"apps\", \"batch\", \"networking.k8s.io\", \"policy\"],
                 \"resources\": [\"*\"], \"verbs\": [\"*\"]}]}"
  kube_create "/apis/rbac.authorization.k8s.io/v1/namespaces/$ns/rolebindings" "{
    \"apiVersion\": \"rbac.authorization.k8s.io/v1\", \"kind\": \"RoleBinding\",
    \"metadata\": {\"name\": \"atrium-limited\", \"namespace\": \"$ns\"},
    \"roleRef\": {\"apiGroup\": \"rbac.authorization.k8s.io\", \"kind\": \"Role\", \"name\": \"atrium-limited\"},
    \"subjects\": [{\"apiGroup\": \"rbac.authorization.k8s.io\", \"kind\": \"User\", \"name\": \"atrium-limited\"}]}"
}

# Proves the namespace controller works: a deleted namespace must go away
# (it only does once the controller has emptied it and removed its finalizer).
kube_check_namespace_controller() {
  local ns started code
  ns="atrium-servers-probe-$RANDOM"
  started=$(date +%s)
  kube_create /api/v1/namespaces "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\"}}"
  kube_create "/api/v1/namespaces/$ns/configmaps" '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"probe"}}'
  code=$(kube_api DELETE "/api/v1/namespaces/$ns")
  [[ "$code" == 200 || "$code" == 202 ]] || die "deleting namespace $ns answered $code"
  until [[ "$(kube_api GET "/api/v1/namespaces/$ns")" == 404 ]]; do
    if (($(date +%s) - started > 90)); then
      log "namespace $ns was not finalized within 90s; last lines of kube-controller-manager.log:"
      tail -n 25 "$(kube_dir)/kube-controller-manager.log" >&2
      return 1
    fi
    sleep 0.5
  done
  log "namespace controller finalized a deleted namespace in $(human_secs $(($(date +%s) - started)))"
}

start_kube() {
  local dir started kcm_token
  dir=$(kube_dir)
  if kube_running && kube_healthy; then
    log "kube already running at $(kube_server)"
    return 0
  fi
  stop_kube quiet
  rm -rf "${dir:?}"
  mkdir -p "$dir"
  started=$(date +%s)

  kube_make_pki "$dir/pki"
  # Static bearer tokens (--token-auth-file: token,user,uid,"groups"), new on
  # every start. system:masters is cluster-admin without any RBAC binding.
  openssl rand -hex 24 >"$dir/admin.token"
  openssl rand -hex 24 >"$dir/limited.token"
  kcm_token=$(openssl rand -hex 24)
  {
    echo "$(cat "$dir/admin.token"),atrium-admin,atrium-admin,\"system:masters\""
    echo "$(cat "$dir/limited.token"),atrium-limited,atrium-limited"
    echo "$kcm_token,system:kube-controller-manager,system:kube-controller-manager,\"system:masters\""
  } >"$dir/tokens.csv"
  chmod 600 "$dir/tokens.csv" "$dir"/*.token

  if ! start_etcd "$dir" || ! start_apiserver "$dir"; then
    stop_kube quiet
    die "the Kubernetes control plane did not start"
  fi
  kube_write_kubeconfig "$dir/admin.kubeconfig" atrium-admin "$(cat "$dir/admin.token")"
  kube_write_kubeconfig "$dir/limited.kubeconfig" atrium-limited "$(cat "$dir/limited.token")" "$KUBE_LIMITED_NAMESPACE"
  kube_write_kubeconfig "$dir/controller-manager.kubeconfig" system:kube-controller-manager "$kcm_token" kube-system
  if ! start_controller_manager "$dir"; then
    stop_kube quiet
    die "kube-controller-manager did not start"
  fi
  kube_setup_limited_user
  if ! kube_check_namespace_controller; then
    stop_kube quiet
    die "kube-controller-manager does not finalize namespaces"
  fi
  log "kube (Kubernetes $KUBERNETES_VERSION, etcd $ETCD_VERSION) ready at $(kube_server) in $(human_secs $(($(date +%s) - started)))"
}

stop_kube() {
  local dir p any=0
  dir=$(kube_dir)
  for p in kube-controller-manager kube-apiserver etcd; do
    [[ -f "$dir/$p.pid" ]] && any=1
  done
  if ((any == 0)); then
    [[ "${1:-}" == quiet ]] || log "kube not running"
    return 0
  fi
  # Clients first, etcd last.
  for p in kube-controller-manager kube-apiserver etcd; do
    stop_pidfile "$dir/$p.pid" "$p"
  done
  # The next start begins with an empty cluster anyway; logs stay for reading.
  rm -rf "$dir/etcd-data"
}

status_kube() {
  local dir p line
  dir=$(kube_dir)
  if kube_running; then
    local h=unhealthy
    kube_healthy && h=healthy
    line="kube    running "
    for p in etcd kube-apiserver kube-controller-manager; do line+=" $p pid $(pid_of "$dir/$p.pid")"; done
    echo "$line  $(kube_server)  $h"
  else
    line="kube    stopped"
    for p in etcd kube-apiserver kube-controller-manager; do
      if pid_is_ours "$dir/$p.pid"; then line+=" (but $p pid $(pid_of "$dir/$p.pid") runs)"; fi
    done
    echo "$line"
    return 1
  fi
}

env_kube() {
  printf 'export KUBECONFIG=%q\n' "$(kube_dir)/admin.kubeconfig"
  printf 'export KUBECONFIG_LIMITED=%q\n' "$(kube_dir)/limited.kubeconfig"
}

# ------------------------------------------------------- commands

# start/stop of one server at a time: two test runs calling `start` at once
# must not both launch a server.
lock_state() {
  mkdir -p "$STATE"
  exec {state_lock_fd}>"$STATE/.lock"
  flock -w 600 "$state_lock_fd" || die "another start/stop has held $STATE/.lock for 10 minutes"
}

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
