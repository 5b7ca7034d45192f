# shellcheck shell=bash
# kube: a Kubernetes control plane whose nodes are simulated (etcd +
# kube-apiserver + kube-controller-manager + kube-scheduler + kwok), built from
# scripts/servers/etcd/, scripts/servers/kubernetes/ and kwok's own module;
# kwok's stages are in scripts/servers/kwok/. Needs: STATE, MODULES
# (scripts/servers.sh) and the helpers in lib/.

KUBERNETES_VERSION=v1.36.3
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0

# The fake Nodes that kwok keeps Ready (no taints: pods schedule onto them).
KUBE_FAKE_NODES=(kwok-node-1 kwok-node-2)
# Where kwok's pods get their IPs. Nothing ever connects to them (no kube-proxy,
# no probes, nothing listens there): they only fill pod status.
KWOK_POD_CIDR="10.244.0.0/16"

# The namespace the limited user may do anything in (and nothing elsewhere).
KUBE_LIMITED_NAMESPACE="atrium-limited"

# ------------------------------------------------------- build

kube_artifacts() { echo etcd kubernetes kube-scheduler kwok; }

kubernetes_artifact_version() { echo "$KUBERNETES_VERSION"; }
kubernetes_artifact_bins() { echo kube-apiserver kube-controller-manager; }
kubernetes_artifact_ldflags() {
  local p minor stamps=()
  minor=${KUBERNETES_VERSION#v1.}
  minor=${minor%%.*}
  for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    stamps+=(-X "$p.gitVersion=$KUBERNETES_VERSION" -X "$p.gitMajor=1" -X "$p.gitMinor=$minor" -X "$p.gitTreeState=clean")
  done
  echo "${stamps[*]}"
}
# Kubernetes and etcd are built as static binaries (CGO_ENABLED=0), as their
# own release builds are.
kubernetes_artifact_cgo() { echo 0; }
kubernetes_artifact_download() { (cd "$MODULES/kubernetes" && go_env go mod download); }
kubernetes_artifact_build() {
  local bin=$1 ld=$2 cgo=$3
  # One `go build` for both commands: they share most packages, and the
  # build compiles each of those once.
  (cd "$MODULES/kubernetes" && go_env CGO_ENABLED="$cgo" go build -ldflags="$ld" -o "$bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager)
}

# kube-scheduler has a cache folder of its own (kube-scheduler-<version>), so
# adding it did not change the kubernetes folder's stamp. It is built from the
# same wrapper module, after kubernetes when both are missing: by then Go's
# build cache holds nearly every package it needs, and only its own packages
# and the link are left.
kube_scheduler_artifact_version() { echo "$KUBERNETES_VERSION"; }
kube_scheduler_artifact_bins() { echo kube-scheduler; }
kube_scheduler_artifact_ldflags() { kubernetes_artifact_ldflags; }
kube_scheduler_artifact_cgo() { echo 0; }
kube_scheduler_artifact_module() { echo kubernetes; }
kube_scheduler_artifact_after() { echo kubernetes; }
kube_scheduler_artifact_download() { kubernetes_artifact_download; }
kube_scheduler_artifact_build() {
  local bin=$1 ld=$2 cgo=$3
  (cd "$MODULES/kubernetes" && go_env CGO_ENABLED="$cgo" go build -ldflags="$ld" -o "$bin/" \
    k8s.io/kubernetes/cmd/kube-scheduler)
}

# kwok (sigs.k8s.io/kwok) plays the kubelet for fake Nodes. Its go.mod has no
# replace directives, so `go install module@version` works without a wrapper
# module (its release builds stamp nothing that the source does not already
# say: consts.Version is "0.8.0" in v0.8.0's source).
kwok_artifact_version() { echo "$KWOK_VERSION"; }
kwok_artifact_bins() { echo kwok; }
kwok_artifact_ldflags() { :; }
kwok_artifact_cgo() { echo 0; }
kwok_artifact_download() { (cd "$CACHE" && go_env go mod download "sigs.k8s.io/kwok@$KWOK_VERSION"); }
kwok_artifact_build() {
  local bin=$1 ld=$2 cgo=$3
  (cd "$CACHE" && go_env CGO_ENABLED="$cgo" GOBIN="$bin" go install -ldflags="$ld" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION")
}

etcd_artifact_version() { echo "$ETCD_VERSION"; }
etcd_artifact_bins() { echo etcd; }
etcd_artifact_ldflags() { :; }
etcd_artifact_cgo() { echo 0; }
etcd_artifact_download() { (cd "$MODULES/etcd" && go_env go mod download); }
etcd_artifact_build() {
  local bin=$1 ld=$2 cgo=$3
  # etcd's server module holds the etcd command's main package.
  (cd "$MODULES/etcd" && go_env CGO_ENABLED="$cgo" go build -ldflags="$ld" -o "$bin/etcd" go.etcd.io/etcd/server/v3)
}

# ------------------------------------------------------- run
#
# A control plane with simulated nodes: etcd, kube-apiserver (RBAC, static
# tokens), kube-controller-manager (namespace finalization, garbage collection,
# Deployments and ReplicaSets, service account tokens, ...), kube-scheduler,
# and kwok, which keeps the fake Nodes in KUBE_FAKE_NODES Ready and plays the
# kubelet for the Pods scheduled to them (scripts/servers/kwok/*.yaml: they
# become Running and Ready, or never Ready when their image name contains
# `never-ready`, and are gone as soon as they are deleted). No container ever
# runs, and nothing connects to pod or Service addresses.

# The processes, in start order (stop goes the other way).
KUBE_PROCESSES=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

kube_dir() { echo "$STATE/kube"; }
kube_server() { echo "https://127.0.0.1:$(cat "$(kube_dir)/kube-apiserver.port")"; }
kube_admin_token() { cat "$(kube_dir)/admin.token"; }

kube_running() {
  local dir p
  dir=$(kube_dir)
  for p in "${KUBE_PROCESSES[@]}"; do pid_is_ours "$dir/$p.pid" || return 1; done
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
    curl -fsS -o /dev/null --max-time 2 -k "https://127.0.0.1:$(cat "$dir/kube-controller-manager.port")/healthz" &&
    curl -fsS -o /dev/null --max-time 2 -k "https://127.0.0.1:$(cat "$dir/kube-scheduler.port")/healthz" &&
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$(cat "$dir/kwok.port")/healthz" &&
    kube_nodes_ready
}

# True when the last response (a Node or a Pod) has condition Ready=True. The
# API server writes a condition's fields in a fixed order (type, an optional
# observedGeneration, status, ...); curl gets it pretty-printed, so whitespace
# is dropped first.
kube_last_ready() {
  tr -d ' \n\t' <"$(kube_dir)/last-response.json" |
    grep -Eq '"type":"Ready",("observedGeneration":[0-9]+,)?"status":"True"'
}

# True when every fake Node is Ready and has no taint (the node lifecycle
# controller's not-ready taint would keep pods off it).
kube_nodes_ready() {
  local dir node
  dir=$(kube_dir)
  for node in "${KUBE_FAKE_NODES[@]}"; do
    [[ "$(kube_api GET "/api/v1/nodes/$node")" == 200 ]] || return 1
    kube_last_ready || return 1
    ! grep -q '"taints"' "$dir/last-response.json" || return 1
  done
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

start_scheduler() {
  local dir=$1 port
  port=$(free_port 1)
  echo "$port" >"$dir/kube-scheduler.port"
  # Like kube-controller-manager: one instance, its own static token in
  # system:masters, and its HTTPS port serving /healthz only (no delegated
  # authentication).
  spawn "$dir" kube-scheduler "$(bin_path kube-scheduler kube-scheduler)" \
    --kubeconfig "$dir/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 \
    --secure-port "$port" \
    --cert-dir "$dir/scheduler-certs" \
    --leader-elect=false \
    --profiling=false
  wait_until 60 "$dir/kube-scheduler.pid" kube-scheduler \
    curl -fsS --max-time 2 -k "https://127.0.0.1:$port/healthz" || return 1
  seal_pidfile "$dir/kube-scheduler.pid"
}

# kwok manages the Nodes annotated kwok.x-k8s.io/node=fake with the stages in
# scripts/servers/kwok/. KWOK_WORKDIR keeps it from reading a ~/.kwok/kwok.yaml
# of whoever runs this. Its own server (/healthz, and kubelet-like endpoints
# that nothing here uses) listens on loopback, and the Nodes' addresses are
# 127.0.0.1, so even a `kubectl logs` would stay on this machine.
# --node-lease-duration-seconds: kwok renews each Node's Lease, the heartbeat
# the node lifecycle controller watches (without it the Nodes would turn
# NotReady after 40s and their pods be evicted).
start_kwok() {
  local dir=$1 port stages
  port=$(free_port 1)
  echo "$port" >"$dir/kwok.port"
  mkdir -p "$dir/kwok-workdir"
  stages=$(printf '%s,' "$MODULES"/kwok/*.yaml)
  spawn "$dir" kwok env KWOK_WORKDIR="$dir/kwok-workdir" "$(bin_path kwok kwok)" \
    --kubeconfig "$dir/kwok.kubeconfig" \
    --config "${stages%,}" \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --node-ip 127.0.0.1 \
    --cidr "$KWOK_POD_CIDR" \
    --node-lease-duration-seconds 40 \
    --server-address "127.0.0.1:$port"
  wait_until 60 "$dir/kwok.pid" kwok \
    curl -fsS --max-time 2 "http://127.0.0.1:$port/healthz" || return 1
  seal_pidfile "$dir/kwok.pid"
}

# Creates the fake Nodes (no taints, so pods schedule) and waits until kwok has
# made them Ready and the node lifecycle controller has lifted its not-ready
# taint.
kube_create_fake_nodes() {
  local node started
  started=$(date +%s)
  for node in "${KUBE_FAKE_NODES[@]}"; do
    kube_create /api/v1/nodes "{\"apiVersion\":\"v1\",\"kind\":\"Node\",
      \"metadata\":{\"name\":\"$node\",
        \"annotations\":{\"kwok.x-k8s.io/node\":\"fake\",\"node.alpha.kubernetes.io/ttl\":\"0\"},
        \"labels\":{\"kubernetes.io/hostname\":\"$node\",\"kubernetes.io/os\":\"linux\",
                   \"kubernetes.io/arch\":\"amd64\",\"type\":\"kwok\"}},
      \"spec\":{}}"
  done
  until kube_nodes_ready; do
    if (($(date +%s) - started > 60)); then
      log "fake nodes ${KUBE_FAKE_NODES[*]} not Ready (or still tainted) within 60s; last lines of kwok.log:"
      tail -n 25 "$(kube_dir)/kwok.log" >&2
      return 1
    fi
    sleep 0.5
  done
  log "fake nodes ${KUBE_FAKE_NODES[*]} Ready in $(human_secs $(($(date +%s) - started)))"
}

# Proves the pod lifecycle works end to end: a pod is scheduled (kube-scheduler),
# becomes Ready (kwok), and once deleted is gone (kwok's pod-delete stage).
kube_check_pod_lifecycle() {
  local dir name path started code
  dir=$(kube_dir)
  name="atrium-servers-probe-$RANDOM"
  path="/api/v1/namespaces/default/pods"
  started=$(date +%s)
  # The default ServiceAccount, which admission wants, appears shortly after
  # kube-controller-manager starts: retry until the pod is accepted.
  until code=$(kube_api POST "$path" "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",
      \"metadata\":{\"name\":\"$name\"},
      \"spec\":{\"automountServiceAccountToken\":false,
        \"containers\":[{\"name\":\"probe\",\"image\":\"registry.invalid/probe:1\"}]}}") &&
    [[ "$code" == 201 ]]; do
    if (($(date +%s) - started > 60)); then
      log "creating probe pod $name answered $code: $(cat "$dir/last-response.json")"
      return 1
    fi
    sleep 0.5
  done
  until [[ "$(kube_api GET "$path/$name")" == 200 ]] && kube_last_ready; do
    if (($(date +%s) - started > 60)); then
      log "probe pod $name did not become Ready within 60s: $(cat "$dir/last-response.json")"
      tail -n 15 "$dir/kube-scheduler.log" "$dir/kwok.log" >&2
      return 1
    fi
    sleep 0.2
  done
  code=$(kube_api DELETE "$path/$name")
  if [[ "$code" != 200 && "$code" != 202 ]]; then
    log "deleting probe pod $name answered $code: $(cat "$dir/last-response.json")"
    return 1
  fi
  until [[ "$(kube_api GET "$path/$name")" == 404 ]]; do
    if (($(date +%s) - started > 60)); then
      log "probe pod $name was still there 60s after it was deleted; last lines of kwok.log:"
      tail -n 25 "$dir/kwok.log" >&2
      return 1
    fi
    sleep 0.2
  done
  log "a pod was scheduled, became Ready and was deleted in $(human_secs $(($(date +%s) - started)))"
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
  local dir started kcm_token scheduler_token kwok_token
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
  scheduler_token=$(openssl rand -hex 24)
  kwok_token=$(openssl rand -hex 24)
  {
    echo "$(cat "$dir/admin.token"),atrium-admin,atrium-admin,\"system:masters\""
    echo "$(cat "$dir/limited.token"),atrium-limited,atrium-limited"
    echo "$kcm_token,system:kube-controller-manager,system:kube-controller-manager,\"system:masters\""
    echo "$scheduler_token,system:kube-scheduler,system:kube-scheduler,\"system:masters\""
    echo "$kwok_token,kwok,kwok,\"system:masters\""
  } >"$dir/tokens.csv"
  chmod 600 "$dir/tokens.csv" "$dir"/*.token

  if ! start_etcd "$dir" || ! start_apiserver "$dir"; then
    stop_kube quiet
    die "the Kubernetes control plane did not start"
  fi
  kube_write_kubeconfig "$dir/admin.kubeconfig" atrium-admin "$(cat "$dir/admin.token")"
  kube_write_kubeconfig "$dir/limited.kubeconfig" atrium-limited "$(cat "$dir/limited.token")" "$KUBE_LIMITED_NAMESPACE"
  kube_write_kubeconfig "$dir/controller-manager.kubeconfig" system:kube-controller-manager "$kcm_token" kube-system
  kube_write_kubeconfig "$dir/scheduler.kubeconfig" system:kube-scheduler "$scheduler_token" kube-system
  kube_write_kubeconfig "$dir/kwok.kubeconfig" kwok "$kwok_token" kube-system
  if ! start_controller_manager "$dir"; then
    stop_kube quiet
    die "kube-controller-manager did not start"
  fi
  if ! start_scheduler "$dir"; then
    stop_kube quiet
    die "kube-scheduler did not start"
  fi
  if ! start_kwok "$dir" || ! kube_create_fake_nodes; then
    stop_kube quiet
    die "kwok did not start or did not make the fake nodes Ready"
  fi
  kube_setup_limited_user
  if ! kube_check_namespace_controller; then
    stop_kube quiet
    die "kube-controller-manager does not finalize namespaces"
  fi
  if ! kube_check_pod_lifecycle; then
    stop_kube quiet
    die "pods are not scheduled, made Ready or deleted (kube-scheduler, kwok)"
  fi
  log "kube (Kubernetes $KUBERNETES_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION) ready at $(kube_server) in $(human_secs $(($(date +%s) - started)))"
}

stop_kube() {
  local dir p i any=0
  dir=$(kube_dir)
  for p in "${KUBE_PROCESSES[@]}"; do
    [[ -f "$dir/$p.pid" ]] && any=1
  done
  if ((any == 0)); then
    [[ "${1:-}" == quiet ]] || log "kube not running"
    return 0
  fi
  # Clients first (kwok, kube-scheduler, kube-controller-manager), then the
  # API server, etcd last.
  for ((i = ${#KUBE_PROCESSES[@]} - 1; i >= 0; i--)); do
    p=${KUBE_PROCESSES[$i]}
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
    for p in "${KUBE_PROCESSES[@]}"; do line+=" $p pid $(pid_of "$dir/$p.pid")"; done
    echo "$line  nodes ${KUBE_FAKE_NODES[*]}  $(kube_server)  $h"
  else
    line="kube    stopped"
    for p in "${KUBE_PROCESSES[@]}"; do
      if pid_is_ours "$dir/$p.pid"; then line+=" (but $p pid $(pid_of "$dir/$p.pid") runs)"; fi
    done
    echo "$line"
    return 1
  fi
}

env_kube() {
  local IFS=,
  # For people reading the output; tests ignore everything but `export` lines.
  echo "# kube: Kubernetes $KUBERNETES_VERSION with kube-scheduler, kwok $KWOK_VERSION, fake nodes ${KUBE_FAKE_NODES[*]}"
  printf 'export KUBECONFIG=%q\n' "$(kube_dir)/admin.kubeconfig"
  printf 'export KUBECONFIG_LIMITED=%q\n' "$(kube_dir)/limited.kubeconfig"
}
