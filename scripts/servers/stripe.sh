# shellcheck shell=bash
# stripe: stripe-mock, Stripe's own stateless mock of its API.
# Needs: CACHE, STATE (scripts/servers.sh) and the helpers in lib/.

STRIPE_MOCK_VERSION=v0.203.0

# A known, fixed credential: this server only ever listens on 127.0.0.1 and
# holds test data only. Any sk_test_ key authenticates.
STRIPE_TEST_KEY="sk_test_atrium"

# ------------------------------------------------------- build

stripe_artifacts() { echo stripe-mock; }

stripe_mock_artifact_version() { echo "$STRIPE_MOCK_VERSION"; }
stripe_mock_artifact_bins() { echo stripe-mock; }
stripe_mock_artifact_ldflags() { :; }
# A static binary (CGO_ENABLED=0), as its own release builds are.
stripe_mock_artifact_cgo() { echo 0; }
# stripe-mock's go.mod has no replace directives, so `go install
# module@version` works without a wrapper module.
stripe_mock_artifact_download() {
  (cd "$CACHE" && go_env go mod download "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION")
}
stripe_mock_artifact_build() {
  local bin=$1 ld=$2 cgo=$3
  (cd "$CACHE" && go_env CGO_ENABLED="$cgo" GOBIN="$bin" go install -ldflags="$ld" "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION")
}

# ------------------------------------------------------- run

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
