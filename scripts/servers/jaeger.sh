# shellcheck shell=bash
# jaeger: Jaeger all-in-one (v2, an OpenTelemetry Collector build) with
# in-memory storage, built from scripts/servers/jaeger/.
# Needs: STATE (scripts/servers.sh) and the helpers in lib/.

# Newer tags are served by the proxy but not approved for these machines
# (docs/development.md, "Jaeger").
JAEGER_VERSION=v1.75.0

# ------------------------------------------------------- build

jaeger_artifacts() { echo jaeger; }

jaeger_artifact_version() { echo "$JAEGER_VERSION"; }
jaeger_artifact_bins() { echo jaeger; }
jaeger_artifact_ldflags() {
  echo "-X github.com/jaegertracing/jaeger/internal/version.latestVersion=$JAEGER_VERSION"
}
# A static binary (CGO_ENABLED=0), as Jaeger's own release builds are.
jaeger_artifact_cgo() { echo 0; }
jaeger_artifact_download() { (cd "$MODULES/jaeger" && go_env go mod download); }
jaeger_artifact_build() {
  local bin=$1 ld=$2 cgo=$3
  # Jaeger's go.mod replaces github.com/Shopify/sarama, so `go install
  # …/cmd/jaeger@version` is refused; the wrapper module repeats that replace
  # and builds the command from the module graph (a `tool` directive).
  (cd "$MODULES/jaeger" && go_env CGO_ENABLED="$cgo" go build -ldflags="$ld" -o "$bin/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger)
}

# ------------------------------------------------------- run

jaeger_dir() { echo "$STATE/jaeger"; }
# Ports, one per line in <dir>/ports: OTLP HTTP, OTLP gRPC, query HTTP, query gRPC.
jaeger_port() { sed -n "${1}p" "$(jaeger_dir)/ports"; }
jaeger_otlp_http() { echo "http://127.0.0.1:$(jaeger_port 1)"; }
jaeger_query_base() { echo "http://127.0.0.1:$(jaeger_port 3)"; }

jaeger_running() { pid_is_ours "$(jaeger_dir)/jaeger.pid"; }

jaeger_healthy() {
  # The query API answers once storage is up; the OTLP HTTP receiver answers
  # 405 to a GET on its traces path once it listens.
  curl -fsS -o /dev/null --max-time 2 "$(jaeger_query_base)/api/services" &&
    [[ "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 2 "$(jaeger_otlp_http)/v1/traces")" == 405 ]]
}

# The collector configuration: the OTLP receivers, the query API and nothing
# else, every listener on 127.0.0.1, traces in memory (lost on stop). The
# collector's own metrics endpoint (:8888 by default) is switched off, and so is
# the query service's tracing of itself (on by default, OTLP/gRPC to
# localhost:4317: someone else's port here, and 10 s of export timeouts on stop).
jaeger_write_config() {
  local dir=$1
  cat >"$dir/config.yaml" <<EOF
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    resource:
      service.name: jaeger
    metrics:
      level: none
    logs:
      level: info

extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 20000
  jaeger_query:
    enable_tracing: false
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:$(jaeger_port 3)
    grpc:
      endpoint: 127.0.0.1:$(jaeger_port 4)

receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:$(jaeger_port 1)
      grpc:
        endpoint: 127.0.0.1:$(jaeger_port 2)

processors:
  batch:
    timeout: 200ms

exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
EOF
}

start_jaeger() {
  local dir
  dir=$(jaeger_dir)
  if jaeger_running && jaeger_healthy; then
    log "jaeger already running (query API $(jaeger_query_base))"
    return 0
  fi
  stop_jaeger quiet
  rm -rf "${dir:?}"
  mkdir -p "$dir"
  {
    free_port 1
    free_port 1
    free_port 1
    free_port 1
  } >"$dir/ports"
  jaeger_write_config "$dir"
  spawn "$dir" jaeger env -u OTEL_EXPORTER_OTLP_ENDPOINT HOME="$dir" \
    "$(bin_path jaeger jaeger)" --config "file:$dir/config.yaml"
  if ! wait_until 60 "$dir/jaeger.pid" "Jaeger" jaeger_healthy; then
    stop_jaeger quiet
    die "Jaeger did not start"
  fi
  seal_pidfile "$dir/jaeger.pid"
  log "jaeger (Jaeger $JAEGER_VERSION) ready: OTLP $(jaeger_otlp_http), query API $(jaeger_query_base)"
}

stop_jaeger() {
  local dir
  dir=$(jaeger_dir)
  [[ -f "$dir/jaeger.pid" ]] || {
    [[ "${1:-}" == quiet ]] || log "jaeger not running"
    return 0
  }
  stop_pidfile "$dir/jaeger.pid" "jaeger"
}

status_jaeger() {
  if jaeger_running; then
    local h=unhealthy
    jaeger_healthy && h=healthy
    echo "jaeger  running  pid $(pid_of "$(jaeger_dir)/jaeger.pid")  $(jaeger_query_base)  $h"
  else
    echo "jaeger  stopped"
    return 1
  fi
}

env_jaeger() {
  printf 'export OTEL_EXPORTER_OTLP_ENDPOINT=%q\n' "$(jaeger_otlp_http)"
  printf 'export JAEGER_QUERY_URL=%q\n' "$(jaeger_query_base)"
}
