#!/usr/bin/env bash
# scripts/test-cluster.sh - npm run test:cluster
#
# The offline render of both stacks, applied to a real Kubernetes control plane (npm run cluster:
# kube-apiserver with Pod Security admission, controller-manager, scheduler, kwok nodes). What it
# proves, with the real API server and scheduler as the judge:
#   1. every rendered object of staging and production is accepted, side by side in one cluster,
#      with no Pod Security warning or denial;
#   2. every Deployment becomes Available, every StatefulSet Ready, every claim Bound: the
#      scheduling rules are satisfiable on six nodes in three zones;
#   3. a node drain succeeds (PodDisruptionBudgets allow it, staging's single replicas included);
#   4. on a cluster whose nodes carry no zone labels, staging still schedules, and production's
#      TigerBeetle waits Pending (its zone spread is required), as the README says;
#   5. destroy and back: staging's objects go except those the program keeps (kept.txt), the
#      shared CRD and production's Agent objects stay (and the other way round), a plain create of a kept object fails
#      (AlreadyExists, what an ordinary resource would hit) while the server-side apply of its
#      Patch resource adopts it, and staging converges again on the very same data claims.
# What it does not prove: `pulumi up` itself (the real engine and provider cannot be built here,
# see the README's "Local cluster"), so each stack's apply stands in for the provider's: server-side
# apply under a field manager of the stack's own; kwok never runs images, so commands and probes
# are not run.
#
# Clusters live in a scratch folder and are always taken down, by the PIDs cluster.sh recorded.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/agent-platform-cluster-test.XXXXXX")
CLUSTER_DIR="$SCRATCH/cluster"
PASSED=0
FAILED=0

log() { printf '[test:cluster] %s\n' "$*" >&2; }
pass() { PASSED=$((PASSED + 1)); log "ok: $*"; }
fail() { FAILED=$((FAILED + 1)); log "FAILED: $*"; }

cleanup() {
  bash "$ROOT/scripts/cluster.sh" down --dir "$CLUSTER_DIR" >/dev/null 2>&1 || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

# The tools' PATH (kubectl of the cluster's own version).
eval "$(bash "$ROOT/scripts/tools.sh" --only cluster --env)"

start_cluster() {
  local kubeconfig_line
  kubeconfig_line=$(bash "$ROOT/scripts/cluster.sh" up --dir "$CLUSTER_DIR" "$@" | tail -n 1)
  export "${kubeconfig_line?}"
  [[ $KUBECONFIG == "$CLUSTER_DIR"/* ]] || { log "unexpected cluster output: $kubeconfig_line"; exit 1; }
}

render() { # stack -> DIR/manifests.yaml, DIR/kept.txt
  (cd "$ROOT" && npm run -s render -- --stack "$1" --out "$SCRATCH/$1" >/dev/null 2>&1)
}

# Applies a render: definitions first (a custom resource needs its CRD established), then the
# rest. Server-side apply, as the provider does. Any "Warning:" (Pod Security) counts as failure.
apply() { # stack
  local stack=$1 file="$SCRATCH/$1/manifests.yaml" out="$SCRATCH/$1/apply.log"
  local crds="$SCRATCH/$1/crds.yaml"
  node -e '
    const yaml = require("js-yaml"); const fs = require("fs");
    const docs = yaml.loadAll(fs.readFileSync(process.argv[1], "utf8")).filter(Boolean);
    fs.writeFileSync(process.argv[2], docs.filter((d) => d.kind === "CustomResourceDefinition").map((d) => "---\n" + yaml.dump(d)).join(""));
  ' "$file" "$crds"
  : >"$out"
  if [[ -s $crds ]]; then
    # Both stacks apply the shared CRD; its patchForce annotation makes the provider force.
    kubectl apply --server-side --field-manager="pulumi-$stack" --force-conflicts -f "$crds" >"$out" 2>&1
    kubectl wait --for condition=established --timeout=60s -f "$crds" >>"$out" 2>&1
  fi
  if kubectl apply --server-side --field-manager="pulumi-$stack" -f "$file" >>"$out" 2>&1; then
    if grep -q "Warning:" "$out"; then fail "$stack: apply printed warnings: $(grep Warning: "$out" | head -3)"; else pass "$stack: every object accepted, no Pod Security warning"; fi
  else
    fail "$stack: apply refused: $(grep -v configured "$out" | grep -v serverside-applied | head -5)"
  fi
}

# Waits for every object of a kind in a namespace (none is fine); counts them in counts[slot].
wait_all() { # namespace kind condition slot
  local names
  names=$(kubectl -n "$1" get "$2" -o name)
  [[ -z $names ]] && return 0
  counts[$4]=$((counts[$4] + $(wc -w <<<"$names")))
  # shellcheck disable=SC2086 # one argument per object
  kubectl -n "$1" wait --for "$3" --timeout=120s $names >/dev/null
}

# Waits until every Deployment is Available, every StatefulSet has its ready replica and every
# claim is Bound, in the stack's namespaces.
converged() { # stack
  local stack=$1 namespaces ns ok=1
  namespaces=$(node -e '
    const yaml = require("js-yaml"); const fs = require("fs");
    const docs = yaml.loadAll(fs.readFileSync(process.argv[1], "utf8")).filter(Boolean);
    console.log(docs.filter((d) => d.kind === "Namespace").map((d) => d.metadata.name).join(" "));
  ' "$SCRATCH/$stack/manifests.yaml")
  local counts=(0 0 0)
  for ns in $namespaces; do
    wait_all "$ns" deployment condition=Available 0 || ok=0
    wait_all "$ns" statefulset jsonpath='{.status.readyReplicas}'=1 1 || ok=0
    wait_all "$ns" pvc jsonpath='{.status.phase}'=Bound 2 || ok=0
  done
  if ((ok)); then
    pass "$stack: ${counts[0]} Deployments Available, ${counts[1]} StatefulSets Ready, ${counts[2]} claims Bound"
  else
    fail "$stack: not converged: $(kubectl get pods -A --no-headers | grep -v Running | head -5)"
  fi
}

log "rendering both stacks"
render staging
render production

log "cluster with six nodes in three zones"
start_cluster
apply staging
apply production
converged staging
converged production

# Splits a render into the objects destroy keeps (kept.txt) and the rest.
split_kept() { # stack -> DIR/kept.yaml, DIR/rest.yaml
  node -e '
    const yaml = require("js-yaml"); const fs = require("fs");
    const [file, keptList, keptOut, restOut] = process.argv.slice(1);
    const docs = yaml.loadAll(fs.readFileSync(file, "utf8")).filter(Boolean);
    const kept = new Set(fs.readFileSync(keptList, "utf8").split("\n").filter(Boolean));
    const key = (d) => `${d.kind} ${d.metadata.namespace ? d.metadata.namespace + "/" : ""}${d.metadata.name}`;
    const dump = (list) => list.map((d) => "---\n" + yaml.dump(d)).join("");
    fs.writeFileSync(keptOut, dump(docs.filter((d) => kept.has(key(d)))));
    fs.writeFileSync(restOut, dump(docs.filter((d) => !kept.has(key(d)))));
  ' "$SCRATCH/$1/manifests.yaml" "$SCRATCH/$1/kept.txt" "$SCRATCH/$1/kept.yaml" "$SCRATCH/$1/rest.yaml"
}

claims() { # namespace -> "name uid volume" per claim
  kubectl -n "$1" get pvc -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.uid} {.spec.volumeName}{"\n"}{end}'
}

log "destroy staging, then up again"
split_kept staging
claims_before=$(claims tigerbeetle-staging)
agents_production=$(kubectl -n kgents-agents get agents --no-headers | wc -l)
# What `pulumi destroy --stack staging` deletes: everything but the kept objects.
if kubectl delete -f "$SCRATCH/staging/rest.yaml" --wait=true --timeout=180s >"$SCRATCH/destroy.log" 2>&1; then
  left=$(kubectl get -f "$SCRATCH/staging/kept.yaml" --no-headers 2>/dev/null | wc -l)
  if [[ $left == $(wc -l <"$SCRATCH/staging/kept.txt") ]] &&
    [[ $(kubectl -n kgents-agents get agents --no-headers | wc -l) == "$agents_production" ]] &&
    kubectl -n agent-society wait --for condition=Available --timeout=10s deployment --all >/dev/null; then
    pass "staging destroyed: its $left kept objects stay, production keeps its $agents_production Agent objects and its Deployments"
  else
    fail "after staging's destroy: $left of $(wc -l <"$SCRATCH/staging/kept.txt") kept objects, $(kubectl -n kgents-agents get agents --no-headers | wc -l) production Agent objects"
  fi
else
  fail "staging destroy: $(tail -3 "$SCRATCH/destroy.log")"
fi
# The next `pulumi up`: a plain create of a kept object fails, which is why kept objects are
# Patch resources; their server-side apply adopts them, and the rest is created anew.
if kubectl create -f "$SCRATCH/staging/kept.yaml" >"$SCRATCH/create-kept.log" 2>&1; then
  fail "a plain create of staging's kept objects succeeded; they should have been there"
elif [[ $(grep -c AlreadyExists "$SCRATCH/create-kept.log") == $(wc -l <"$SCRATCH/staging/kept.txt") ]] &&
  kubectl apply --server-side --field-manager=pulumi-staging -f "$SCRATCH/staging/kept.yaml" >"$SCRATCH/up.log" 2>&1 &&
  kubectl create -f "$SCRATCH/staging/rest.yaml" >>"$SCRATCH/up.log" 2>&1; then
  pass "staging up again: a plain create of each kept object fails (AlreadyExists), its server-side apply adopts it"
else
  fail "staging up again: $(grep -v AlreadyExists "$SCRATCH/create-kept.log" | head -2) $(tail -3 "$SCRATCH/up.log" 2>/dev/null)"
fi
converged staging
if [[ $(claims tigerbeetle-staging) == "$claims_before" ]]; then
  pass "staging's TigerBeetle runs on the very same claims and volumes as before the destroy"
else
  fail "staging's claims changed: before [$claims_before] after [$(claims tigerbeetle-staging)]"
fi

# And the other way round: production destroyed (after `pulumi state unprotect`; its claims and
# record stay too) leaves staging, its Agent objects and the shared CRD alone.
split_kept production
agents_staging=$(kubectl -n kgents-agents-staging get agents --no-headers | wc -l)
if kubectl delete -f "$SCRATCH/production/rest.yaml" --wait=true --timeout=180s >"$SCRATCH/destroy-production.log" 2>&1 &&
  [[ $(kubectl get -f "$SCRATCH/production/kept.yaml" --no-headers 2>/dev/null | wc -l) == $(wc -l <"$SCRATCH/production/kept.txt") ]] &&
  [[ $(kubectl -n kgents-agents-staging get agents --no-headers | wc -l) == "$agents_staging" ]] &&
  kubectl -n agent-society-staging wait --for condition=Available --timeout=10s deployment --all >/dev/null; then
  pass "production destroyed: its kept objects stay, staging keeps its $agents_staging Agent objects and its Deployments"
else
  fail "after production's destroy: $(tail -3 "$SCRATCH/destroy-production.log")"
fi

# The node of staging's single agent-society pod: with `minAvailable: 1` over one replica this
# drain would never finish.
node=$(kubectl get pods -n agent-society-staging -o jsonpath='{.items[0].spec.nodeName}')
if kubectl drain "$node" --ignore-daemonsets --delete-emptydir-data --timeout=60s >"$SCRATCH/drain.log" 2>&1; then
  pass "drain of $node, the node of staging's single agent-society pod, succeeds"
else
  fail "drain of $node: $(tail -3 "$SCRATCH/drain.log")"
fi
bash "$ROOT/scripts/cluster.sh" down --dir "$CLUSTER_DIR" >/dev/null

log "cluster whose nodes carry no zone labels"
start_cluster --no-zones
apply staging
converged staging
apply production
sleep 5
pending=$(kubectl get pods -n tigerbeetle --no-headers 2>/dev/null | grep -c Pending || true)
if [[ $pending == 6 ]]; then
  pass "production: all 6 TigerBeetle replicas wait Pending without zones (required spread)"
else
  fail "production without zones: expected 6 Pending TigerBeetle pods, found $pending"
fi

printf '%s passed, %s failed\n' "$PASSED" "$FAILED"
((FAILED == 0))
