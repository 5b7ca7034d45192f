# shellcheck shell=bash
# The two locks (flock): one on the build cache, one on the state folder.
# Needs: CACHE, STATE (scripts/servers.sh); log, die (log.sh).

# One build at a time per cache: a second `ensure` (another terminal, a
# parallel test job) waits here and then finds the binaries built. Holds the
# lock on the descriptor in lock_fd until unlock_cache.
lock_cache() {
  exec {lock_fd}>"$CACHE/.lock"
  if ! flock -n "$lock_fd"; then
    log "another 'ensure' is building in $CACHE; waiting for it"
    flock "$lock_fd"
  fi
}

unlock_cache() { exec {lock_fd}>&-; }

# start/stop of one server at a time: two test runs calling `start` at once
# must not both launch a server.
lock_state() {
  mkdir -p "$STATE"
  exec {state_lock_fd}>"$STATE/.lock"
  flock -w 600 "$state_lock_fd" || die "another start/stop has held $STATE/.lock for 10 minutes"
}
