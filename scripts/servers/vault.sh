# shellcheck shell=bash
# vault: OpenBao (Vault HTTP API) in dev mode, built from scripts/servers/openbao/.
# Needs: STATE (scripts/servers.sh) and the helpers in lib/.

# The release tag; its module has no /v2 path, so scripts/servers/openbao/go.mod
# pins the tag's commit (docs/development.md, "Why OpenBao 2.4.0"):
OPENBAO_VERSION=v2.4.0
OPENBAO_COMMIT=f9407a27fbee45f62ba521bba2bf1e2360c61031

# A known, fixed credential: this server only ever listens on 127.0.0.1 and
# holds test data only.
VAULT_ROOT_TOKEN="${ATRIUM_VAULT_TOKEN:-atrium-dev-root}"

# ------------------------------------------------------- build

vault_artifacts() { echo openbao; }

openbao_artifact_version() { echo "$OPENBAO_VERSION"; }
openbao_artifact_bins() { echo bao; }
openbao_artifact_ldflags() {
  echo "-X github.com/openbao/openbao/version.fullVersion=${OPENBAO_VERSION#v}" \
    "-X github.com/openbao/openbao/version.GitCommit=$OPENBAO_COMMIT"
}
# Built with cgo, the go command's default with gcc present, which is how its
# build was verified here (its PKCS#11 seal wrapper is cgo code).
openbao_artifact_cgo() { echo 1; }
openbao_artifact_download() { (cd "$MODULES/openbao" && go_env go mod download); }
openbao_artifact_build() {
  local bin=$1 ld=$2 cgo=$3
  # The wrapper module only requires github.com/openbao/openbao and pins its
  # nested api/sdk modules; its main package is built as is.
  (cd "$MODULES/openbao" && go_env CGO_ENABLED="$cgo" go build -ldflags="$ld" -o "$bin/bao" github.com/openbao/openbao)
}

# ------------------------------------------------------- run

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
  # The binary itself, for a test that runs a persistent server of its own (vault-persistent).
  printf 'export VAULT_BIN=%q\n' "$(bin_path openbao bao)"
}
