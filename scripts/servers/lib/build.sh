# shellcheck shell=bash
# Building the servers' binaries from the Go module proxy into the cache, and
# `ensure`. Needs: CACHE, MODULES, SERVERS/parse_servers (scripts/servers.sh);
# log.sh; lock.sh; and, for each artifact, the functions its server's file
# defines.
#
# An artifact is one cached folder of binaries. A server needs one or more:
# kube needs kubernetes (kube-apiserver, kube-controller-manager) and etcd.
# Each server's file (scripts/servers/<server>.sh) names its artifacts with
# <server>_artifacts and describes each artifact <a> (key: <a> with - as _,
# e.g. stripe_mock) with:
#
#   <key>_artifact_version        the version, part of the cache folder's name
#   <key>_artifact_bins           the binaries the folder must hold
#   <key>_artifact_ldflags        the -X version stamps (may be empty)
#   <key>_artifact_cgo            1 to build with cgo, else 0
#   <key>_artifact_download       downloads its modules (network only)
#   <key>_artifact_build BIN LDFLAGS CGO   builds its binaries into folder BIN
#
# and, optionally:
#
#   <key>_artifact_module         the wrapper module folder in scripts/servers/
#                                 it is built from, when that is not named like
#                                 the artifact (kube-scheduler: kubernetes)
#   <key>_artifact_after          an artifact that must be built first when both
#                                 are missing: kube-scheduler after kubernetes,
#                                 whose compiled packages it then reuses from
#                                 Go's build cache instead of compiling them a
#                                 second time side by side

# Builds run this many at a time. `go build` alone already compiles on both
# cores of the project's machines, but its link step is single-threaded and
# long for these programs; two builds side by side measured 11m31s cold
# against 13m21s one after the other (docs/development.md). Module downloads
# always run in parallel.
BUILD_JOBS="${ATRIUM_SERVERS_BUILD_JOBS:-2}"

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

artifacts_for() { "${1}_artifacts"; }

# The prefix of an artifact's functions: stripe-mock -> stripe_mock.
artifact_key() { echo "${1//-/_}"; }

artifact_version() { "$(artifact_key "$1")_artifact_version"; }
artifact_bins() { "$(artifact_key "$1")_artifact_bins"; }
artifact_cgo() { "$(artifact_key "$1")_artifact_cgo"; }

# The optional descriptions: empty when the server's file does not define them.
artifact_optional() {
  local f
  f="$(artifact_key "$1")_artifact_$2"
  if declare -F "$f" >/dev/null; then "$f"; fi
}
artifact_module() {
  local m
  m=$(artifact_optional "$1" module)
  echo "${m:-$1}"
}
artifact_after() { artifact_optional "$1" after; }

artifact_dir() { echo "$CACHE/$1-$(artifact_version "$1")"; }

# Path of one cached binary, e.g. bin_path kubernetes kube-apiserver.
bin_path() { echo "$(artifact_dir "$1")/bin/$2"; }

# The -ldflags each build uses. -s -w (no symbol table, no DWARF) cuts link
# time and memory; -X stamps the version that the binary reports, which
# `go build` outside the projects' own release scripts would leave as a
# placeholder (OpenBao "2.0.0-HEAD", Kubernetes "v0.0.0-master").
artifact_ldflags() {
  local ld="-s -w" stamps
  stamps=$("$(artifact_key "$1")_artifact_ldflags")
  [[ -z "$stamps" ]] || ld+=" $stamps"
  echo "$ld"
}

# What a cached build was made from: version, build flags and the wrapper
# module's go.mod/go.sum. A cache folder whose stamp differs is rebuilt. (The
# wrapper modules in scripts/servers/<artifact>/ pin the same versions as the
# servers' files, so changing a pin there rebuilds even if the version is not
# bumped.)
artifact_stamp() {
  local a=$1 m
  m="$MODULES/$(artifact_module "$a")"
  {
    echo "$a $(artifact_version "$a") cgo=$(artifact_cgo "$a") ldflags=$(artifact_ldflags "$a")"
    if [[ -f "$m/go.mod" ]]; then cat "$m/go.mod" "$m/go.sum"; fi
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
download_artifact() { "$(artifact_key "$1")_artifact_download"; }

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
  "$(artifact_key "$a")_artifact_build" "$tmp/bin" "$ld" "$cgo"
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
  lock_cache
  missing=()
  for a in "${wanted[@]}"; do artifact_ready "$a" || missing+=("$a"); done
  if ((${#missing[@]} == 0)); then
    log "binaries cached: ${wanted[*]} (built by the other run)"
    unlock_cache
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
  unlock_cache
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

# Builds side by side, at most BUILD_JOBS at once, in the order given, except
# that an artifact waits while the one it builds after (artifact_after) is
# still queued or building.
build_parallel() {
  local logdir=$1 a x dep pid blocked rc=0
  shift
  local -a queue=("$@") rest
  local -A building=() # pid -> artifact
  while ((${#queue[@]} + ${#building[@]} > 0)); do
    rest=()
    for a in "${queue[@]}"; do
      dep=$(artifact_after "$a")
      blocked=0
      if [[ -n "$dep" ]]; then
        for x in "${queue[@]}" "${building[@]}"; do [[ "$x" == "$dep" ]] && blocked=1; done
      fi
      if ((blocked == 0 && ${#building[@]} < BUILD_JOBS)); then
        (build_one "$logdir" "$a") &
        building[$!]=$a
      else
        rest+=("$a")
      fi
    done
    queue=("${rest[@]}")
    pid=
    wait -n -p pid || rc=1
    [[ -n "$pid" ]] && unset "building[$pid]"
  done
  for a in "$@"; do artifact_ready "$a" || rc=1; done
  ((rc == 0)) || die "some builds failed (logs in $logdir)"
}
