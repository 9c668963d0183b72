#!/usr/bin/env bash
# scripts/cluster.sh - a local Kubernetes control plane with simulated nodes, for real-cluster
# end-to-end tests (npm run cluster -- up|down|status [--dir DIR] [--no-zones]).
#
#   up      start etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok in DIR,
#           create 6 simulated nodes (3 zones x 2, or no zone labels with --no-zones) and the
#           default StorageClass; wait until usable; print KUBECONFIG=<path> as the last line.
#           Exit 1 if a cluster already runs in DIR.
#   down    stop every process started in DIR (by PID: TERM, wait, KILL) and remove DIR's state.
#   status  report each process, the API and the node count; exit 0 when up, 3 when down.
#
# DIR defaults to ${AGENT_PLATFORM_CACHE:-$HOME/.cache/agent-platform}/cluster. Binaries come from
# scripts/tools.sh (built there if missing). Logs: DIR/logs, PIDs: DIR/pids. Everything listens
# on and connects to 127.0.0.1 only: node and pod IPs (10.x) are data written by kwok, nothing
# dials them (do not use `kubectl logs/exec/port-forward` against this cluster: the apiserver
# would dial the simulated kubelet address).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NODE_COUNT=6
ZONES=(a b c)               # two nodes per zone
REGION=local-1              # topology.kubernetes.io/region
INSTANCE_TYPE=kwok-8c-32g   # node.kubernetes.io/instance-type
SERVICE_CIDR=10.96.0.0/16
POD_CIDR=10.244.0.0/16
NODE_IP=10.0.0.1            # data only: the InternalIP kwok writes on the simulated nodes
STORAGE_CLASS=kwok-volume   # what kwok's volume stages provision for (storage-class.yaml)
PROCS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; }

# ---- arguments --------------------------------------------------------------------------------
CMD=""
DIR=""
ZONED=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    up | down | status) [[ -z $CMD ]] || die "one command only"; CMD=$1 ;;
    --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; DIR=$2; shift ;;
    --dir=*) DIR=${1#--dir=} ;;
    --no-zones) ZONED=0 ;;
    -h | --help) usage; exit 0 ;;
    *) usage; die "unknown argument: $1" ;;
  esac
  shift
done
[[ -n $CMD ]] || { usage; exit 2; }
DIR=${DIR:-${AGENT_PLATFORM_CACHE:-$HOME/.cache/agent-platform}/cluster}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
PIDS="$DIR/pids"
LOGS="$DIR/logs"
PKI="$DIR/pki"
KUBECONFIG_FILE="$DIR/kubeconfig"

# ---- process helpers --------------------------------------------------------------------------
# PID of a process started in DIR, if it still runs (the command line must mention DIR, so a
# recycled PID of some other process is never taken for ours).
alive_pid() {
  local f="$PIDS/$1.pid" pid
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$DIR/" || return 1
  printf '%s' "$pid"
}

any_alive() {
  local p
  for p in "${PROCS[@]}"; do alive_pid "$p" >/dev/null && return 0; done
  return 1
}

# start NAME BINARY ARGS...: run in its own session (survives the calling shell), log, PID file.
start() {
  local name=$1 pid
  shift
  log "starting $name"
  setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$PIDS/$name.pid"
}

# stop NAME: TERM, wait up to 20 s, then KILL; only the PID we recorded.
stop() {
  local name=$1 pid i
  if pid=$(alive_pid "$name"); then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do
      alive_pid "$name" >/dev/null || break
      sleep 0.5
    done
    if alive_pid "$name" >/dev/null; then
      log "$name did not stop on TERM; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  rm -f "$PIDS/$name.pid"
}

# n distinct free TCP ports on 127.0.0.1 (the kernel picks; all sockets are open at once).
free_ports() {
  node -e '
    const net = require("net"); const n = +process.argv[1]; const servers = []; const ports = [];
    (function next() {
      if (servers.length === n) { servers.forEach((s) => s.close()); console.log(ports.join(" ")); return; }
      const s = net.createServer(); s.listen(0, "127.0.0.1", () => { ports.push(s.address().port); servers.push(s); next(); });
    })();' "$1"
}

# wait_for DESCRIPTION SECONDS COMMAND...: poll until COMMAND succeeds; fail with the logs' tail.
wait_for() {
  local what=$1 secs=$2 i
  shift 2
  for ((i = 0; i < secs * 2; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    check_running
    sleep 0.5
  done
  log "timed out after ${secs}s waiting for $what"
  tail_logs
  exit 1
}

# Fail early when a started process died.
check_running() {
  local p
  for p in "${PROCS[@]}"; do
    if [[ -f $PIDS/$p.pid ]] && ! alive_pid "$p" >/dev/null; then
      log "$p exited; last lines of $LOGS/$p.log:"
      tail -n 20 "$LOGS/$p.log" | sed 's/^/    /' >&2
      exit 1
    fi
  done
}

tail_logs() {
  local p
  for p in "${PROCS[@]}"; do
    [[ -f $LOGS/$p.log ]] || continue
    log "last lines of $LOGS/$p.log:"
    tail -n 8 "$LOGS/$p.log" | sed 's/^/    /' >&2
  done
}

# ---- certificates (openssl) -------------------------------------------------------------------
# sign NAME SUBJECT EXTENSIONS: key + certificate signed by the cluster CA.
sign() {
  local name=$1 subj=$2 ext=$3
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -subj "$subj" \
    -out "$PKI/$name.csr" 2>/dev/null
  printf '%s\n' "$ext" >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

make_pki() {
  mkdir -p "$PKI"
  chmod 700 "$PKI"
  local client="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  printf '%s\n' '[req]' 'distinguished_name=dn' '[dn]' '[ca]' \
    'basicConstraints=critical,CA:TRUE' 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature' \
    'subjectKeyIdentifier=hash' >"$PKI/ca.cnf"
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.crt" \
    -days 3650 -subj "/CN=agent-platform-local-ca" -config "$PKI/ca.cnf" -extensions ca 2>/dev/null
  sign apiserver "/CN=kube-apiserver" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,IP:${SERVICE_CIDR%.0/*}.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  sign admin "/O=system:masters/CN=kubernetes-admin" "$client"
  sign kube-controller-manager "/CN=system:kube-controller-manager" "$client"
  sign kube-scheduler "/CN=system:kube-scheduler" "$client"
  sign kwok "/O=system:masters/CN=kwok" "$client"
  # Service-account token signing key pair.
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  chmod 600 "$PKI"/*.key
}

# kubeconfig FILE USER: a kubeconfig for the client cert USER.{crt,key}, with embedded data.
kubeconfig() {
  local file=$1 user=$2
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$user.crt")
    client-key-data: $(base64 -w0 <"$PKI/$user.key")
contexts:
- name: local
  context:
    cluster: local
    user: $user
current-context: local
EOF
  chmod 600 "$file"
}

# ---- nodes ------------------------------------------------------------------------------------
node_manifests() {
  local i zone name labels
  for ((i = 0; i < NODE_COUNT; i++)); do
    if ((ZONED)); then
      zone="$REGION${ZONES[i % ${#ZONES[@]}]}"
      name="node-$zone-$((i / ${#ZONES[@]} + 1))"
      labels="    topology.kubernetes.io/region: $REGION
    topology.kubernetes.io/zone: $zone
"
    else
      name="node-$((i + 1))"
      labels=""
    fi
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $name
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    node.kubernetes.io/instance-type: $INSTANCE_TYPE
$labels    type: kwok
spec: {}
status:
  phase: Running
  capacity: {cpu: "8", memory: 32Gi, pods: "110", ephemeral-storage: 100Gi}
  allocatable: {cpu: "8", memory: 32Gi, pods: "110", ephemeral-storage: 100Gi}
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    kubeletVersion: fake
    kubeProxyVersion: fake
EOF
  done
}

# ---- commands ---------------------------------------------------------------------------------
cmd_up() {
  if any_alive; then
    log "a cluster already runs in $DIR (see: npm run cluster -- status --dir $DIR); refusing"
    exit 1
  fi
  # Tools (builds kwok, etcd and the Kubernetes binaries when missing).
  local env_lines
  env_lines=$(bash "$REPO_ROOT/scripts/tools.sh" --only cluster --env)
  eval "$env_lines"
  local stages="$AGENT_PLATFORM_KWOK_STAGES" b
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok kubectl; do
    command -v "$b" >/dev/null || die "$b not found after scripts/tools.sh"
  done

  # Fresh state.
  rm -rf "$PKI" "$LOGS" "$PIDS" "$DIR/etcd" "$DIR/config" "$DIR/flexvolume" "$KUBECONFIG_FILE" "$DIR/ports"
  mkdir -p "$LOGS" "$PIDS" "$DIR/config"
  local t0=$SECONDS
  make_pki
  local ports
  read -r -a ports <<<"$(free_ports 5)"
  ETCD_PORT=${ports[0]} ETCD_PEER_PORT=${ports[1]} APISERVER_PORT=${ports[2]}
  KCM_PORT=${ports[3]} SCHEDULER_PORT=${ports[4]}
  printf 'etcd=%s\netcd-peer=%s\nkube-apiserver=%s\nkube-controller-manager=%s\nkube-scheduler=%s\n' \
    "$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" "$KCM_PORT" "$SCHEDULER_PORT" >"$DIR/ports"
  kubeconfig "$KUBECONFIG_FILE" admin
  local c
  for c in kube-controller-manager kube-scheduler kwok; do kubeconfig "$DIR/config/$c.kubeconfig" "$c"; done
  # From here on, a failure (or Ctrl-C) stops whatever was started.
  trap 'if [[ ${UP_DONE:-0} != 1 ]]; then log "up failed; stopping what was started"; cmd_down_quiet; fi' EXIT

  # etcd: plain HTTP on loopback, data in DIR (fsync off: throwaway test data).
  start etcd etcd --name local --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "local=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
    --unsafe-no-fsync --log-level warn
  wait_for "etcd" 60 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

  # kube-apiserver: loopback only; no endpoint reconciler (it would advertise a non-loopback
  # address); Pod Security admission is among the default admission plugins.
  start kube-apiserver kube-apiserver \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" --endpoint-reconciler-type=none \
    --service-cluster-ip-range="$SERVICE_CIDR" --allow-privileged=true \
    --authorization-mode=Node,RBAC --anonymous-auth=false \
    --client-ca-file="$PKI/ca.crt" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --service-account-issuer="https://127.0.0.1:$APISERVER_PORT" --service-account-key-file="$PKI/sa.pub" \
    --service-account-signing-key-file="$PKI/sa.key" \
    --cert-dir="$PKI/apiserver-generated" --profiling=false --enable-priority-and-fairness=false
  wait_for "kube-apiserver /readyz" 120 kubectl --kubeconfig "$KUBECONFIG_FILE" get --raw /readyz

  # kube-controller-manager: loopback only, its own identity per controller, CA for CSR signing,
  # FlexVolume dir inside DIR (its default is /usr/libexec/kubernetes/..., which it would create).
  # --authentication-skip-lookup (here and for the scheduler): the apiserver has no front-proxy
  # CA, so looking up requestheader settings in kube-system only logs errors.
  start kube-controller-manager kube-controller-manager \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$PKI/kcm-generated" \
    --kubeconfig="$DIR/config/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig="$DIR/config/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig="$DIR/config/kube-controller-manager.kubeconfig" \
    --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --allocate-node-cidrs=false --profiling=false \
    --flex-volume-plugin-dir="$DIR/flexvolume" --authentication-skip-lookup=true

  start kube-scheduler kube-scheduler \
    --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --cert-dir="$PKI/scheduler-generated" \
    --kubeconfig="$DIR/config/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig="$DIR/config/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig="$DIR/config/kube-scheduler.kubeconfig" \
    --leader-elect=false --profiling=false --authentication-skip-lookup=true

  # kwok: no --server-address and no --node-port, so it serves nothing (no kubelet API, no
  # metrics); it only talks to the apiserver. --node-ip is data written into node status.
  local config_args=() s
  for s in "$stages"/*.yaml; do
    [[ $(basename "$s") == storage-class.yaml ]] && continue
    config_args+=(--config "$s")
  done
  start kwok kwok --kubeconfig "$DIR/config/kwok.kubeconfig" "${config_args[@]}" \
    --manage-all-nodes=true --cidr "$POD_CIDR" --node-ip "$NODE_IP" --node-lease-duration-seconds 40

  export KUBECONFIG="$KUBECONFIG_FILE"
  wait_for "kube-controller-manager /healthz" 120 curl -fsSk "https://127.0.0.1:$KCM_PORT/healthz"
  wait_for "kube-scheduler /healthz" 120 curl -fsSk "https://127.0.0.1:$SCHEDULER_PORT/healthz"

  log "creating $NODE_COUNT nodes$( ((ZONED)) || printf ' (no zone labels)') and the default StorageClass"
  node_manifests | kubectl apply -f - >&2
  # kwok's fake provisioner acts on PVCs of this class (volume stages select it by name).
  kubectl apply -f "$stages/storage-class.yaml" >&2
  kubectl get storageclass "$STORAGE_CLASS" >/dev/null || die "StorageClass $STORAGE_CLASS missing"
  wait_for "$NODE_COUNT Ready nodes" 180 nodes_ready
  wait_for "ServiceAccount default/default" 120 kubectl get serviceaccount default -n default
  UP_DONE=1
  log "cluster up in $((SECONDS - t0))s (API https://127.0.0.1:$APISERVER_PORT, logs in $LOGS)"
  kubectl get nodes -L topology.kubernetes.io/zone >&2
  printf 'KUBECONFIG=%s\n' "$KUBECONFIG_FILE"
}

nodes_ready() {
  local n
  n=$(kubectl get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
    grep -c '^True$' || true)
  [[ $n -ge $NODE_COUNT ]]
}

cmd_down_quiet() {
  local i
  # Reverse start order: kwok and the controllers first, etcd last.
  for ((i = ${#PROCS[@]} - 1; i >= 0; i--)); do stop "${PROCS[i]}"; done
}

cmd_down() {
  cmd_down_quiet
  rm -rf "$PKI" "$LOGS" "$PIDS" "$DIR/etcd" "$DIR/config" "$DIR/flexvolume" "$KUBECONFIG_FILE" "$DIR/ports"
  rmdir "$DIR" 2>/dev/null || true
  log "down ($DIR)"
}

cmd_status() {
  local p pid up=1 port=""
  for p in "${PROCS[@]}"; do
    if pid=$(alive_pid "$p"); then
      printf '%-24s running (pid %s)\n' "$p" "$pid"
    else
      printf '%-24s not running\n' "$p"
      up=0
    fi
  done
  [[ -f $DIR/ports ]] && port=$(sed -n 's/^kube-apiserver=//p' "$DIR/ports")
  if [[ -n $port && -f $KUBECONFIG_FILE ]] &&
    curl -fsS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
      "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
    local nodes
    nodes=$(curl -fsS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
      "https://127.0.0.1:$port/api/v1/nodes" | node -e \
      'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).items.length))')
    printf '%-24s reachable at https://127.0.0.1:%s, %s nodes\n' "API" "$port" "$nodes"
    printf 'KUBECONFIG=%s\n' "$KUBECONFIG_FILE"
  else
    printf '%-24s not reachable\n' "API"
    up=0
  fi
  if ((up)); then exit 0; fi
  exit 3
}

case "$CMD" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
esac
