# shellcheck shell=bash
# Free TCP ports on 127.0.0.1 for the servers. Needs: die (log.sh).

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
