# shellcheck shell=bash
# Starting, checking and stopping server processes through pid files.
# Needs: CACHE (scripts/servers.sh); log, die, human_secs (log.sh).

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
