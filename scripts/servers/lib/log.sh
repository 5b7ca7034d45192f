# shellcheck shell=bash
# Logging and small checks shared by scripts/servers.sh and its pieces. Progress and
# errors go to stderr; only `env` and `status` write to stdout.

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
