#!/usr/bin/env bash
# scripts/tools.sh - build (or find already built) the toolchain for real-cluster e2e tests.
#
#   npm run tools                      # build what is missing, print the cache folder (last line)
#   npm run tools -- --env             # print only `export ...` lines (logs go to stderr):
#                                      #   eval "$(npm run --silent tools -- --env)"
#   npm run tools -- --only cluster    # only kwok, etcd and the Kubernetes binaries (cluster.sh)
#   npm run tools -- --only pulumi     # only the Pulumi CLI, its policy analyzer and the provider
#   npm run tools -- --only lint       # only kube-score (npm run lint:manifests)
#   npm run tools -- --keep-going      # after a failed step, go on with the independent ones
#                                      # (still exits 1, naming every failed step)
#
# Every piece is built from Go modules (Go module proxy only; no release binaries, no git
# clones), each in its own throwaway Go module under $CACHE/build/<piece>/, because the pieces
# pin different versions of shared dependencies. A piece is built into a temp folder and renamed
# to $CACHE/tools/<piece>-<version>/ only when it succeeded, so an interrupted build never looks
# done and a second run builds nothing. Full build logs stay in $CACHE/logs/.
#
# Versions: Pulumi CLI = exact version of @pulumi/pulumi in package.json, pulumi-resource-kubernetes
# = exact version of @pulumi/kubernetes; Kubernetes/etcd/kwok below.
#
# No Node.js language host is built: the Go module proxy serves none (every version answers 403),
# and none is needed. `npm run stack` runs the program as an Automation API inline program (the
# SDK's own language server; the CLI runs with --client), and the CLI runs the policy pack through
# the analyzer plugin `pulumi-analyzer-policy-nodejs` installed below.
#
# provider/v4 has no tags of its own; the module version of each provider release is below
# (PROVIDER_MODULE_VERSIONS). PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION names another one by hand
# (a pseudo-version or a commit hash).
set -euo pipefail

# ---- versions that are not read from package.json ------------------------------------------
K8S_VERSION=v1.33.13   # Kubernetes: one minor (1.33), latest patch on the Go module proxy
ETCD_VERSION=v3.5.35   # etcd 3.5.x: the line Kubernetes <= 1.33 supports (latest patch)
KWOK_VERSION=v0.8.0
KUBE_SCORE_VERSION=v1.20.0 # the production-readiness linter npm run lint:manifests runs

# github.com/pulumi/pulumi-kubernetes/provider/v4 for each @pulumi/kubernetes release: the module
# has no tags, so a release is the pseudo-version of its tag's commit. 4.25.0 is pinned because it
# is the newest release whose commit the Go module proxy here serves (4.34.2 answers 403), and the
# npm SDK and the provider plugin must be the same release.
declare -A PROVIDER_MODULE_VERSIONS=(
  [4.25.0]=v4.0.0-20260115033456-f47bc2d6f199 # the commit of tag v4.25.0
)

# kwok stage files (kustomize/stage/<path>.yaml in the kwok module) copied into the cache.
KWOK_STAGES=(
  node/fast/node-initialize
  node/heartbeat-with-lease/node-heartbeat-with-lease
  pod/fast/pod-ready
  pod/fast/pod-complete
  pod/fast/pod-delete
  volume/fast/pvc-provision
  volume/fast/pv-bind
  volume/fast/pvc-delete
  volume/fast/pv-delete
  volume/fast/storage-class
)

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS_SRC="$REPO_ROOT/scripts/tools"

log() { printf '[tools] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# Single-quote a value for the shell (safe for eval).
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

usage() { sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; }

# ---- arguments --------------------------------------------------------------------------------
MODE=dir
# With --env the output is eval'd: a failure must fail the eval too, not leave it setting nothing.
# So on any non-zero exit, stdout ends with a command that says so and returns 1.
for arg in "$@"; do [[ $arg == --env ]] && MODE=env; done
if [[ $MODE == env ]]; then
  # shellcheck disable=SC2154 # rc is assigned in the trap
  trap 'rc=$?; if ((rc != 0)); then printf "echo %s >&2; false\n" \
    "$(q "[tools] the toolchain is not ready (tools.sh exit $rc, see above): nothing was exported")"; fi' EXIT
fi
ONLY=all
KEEP_GOING=0
FAILED=()
STEP_OK=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --env) MODE="env" ;;
    --keep-going) KEEP_GOING=1 ;;
    --only) [[ $# -ge 2 ]] || die "--only needs all|pulumi|cluster|lint"; ONLY=$2; shift ;;
    --only=*) ONLY=${1#--only=} ;;
    -h | --help) usage; exit 0 ;;
    *) usage; die "unknown argument: $1" ;;
  esac
  shift
done
case "$ONLY" in all | pulumi | cluster | lint) ;; *) die "--only must be all, pulumi, cluster or lint" ;; esac

# ---- cache folder and Go settings -------------------------------------------------------------
CACHE=${AGENT_PLATFORM_CACHE:-$HOME/.cache/agent-platform}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
case "$CACHE/" in "$REPO_ROOT"/*) die "cache folder $CACHE must be outside the repository" ;; esac
mkdir -p "$CACHE/tools" "$CACHE/build" "$CACHE/logs" "$CACHE/go/mod" "$CACHE/go/build"

export GOTOOLCHAIN=local CGO_ENABLED=0
# -buildvcs=false: the throwaway modules may sit inside someone's git checkout ($HOME).
export GOFLAGS="-trimpath -buildvcs=false"
export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build"
# The Pulumi modules served by the module proxy here have no checksum-database entries
# (the lookup answers 404), so they are verified by go.sum only.
export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi"

# ---- versions read from the repository --------------------------------------------------------
# package.json pins exact versions; node_modules/<pkg>/package.json is the fallback.
npm_version() {
  local pkg=$1 v=""
  v=$(node -e 'const p=require(process.argv[1]);const n=process.argv[2];
    process.stdout.write((p.dependencies||{})[n]||(p.devDependencies||{})[n]||"")' \
    "$REPO_ROOT/package.json" "$pkg" 2>/dev/null || true)
  if [[ ! $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ && -f "$REPO_ROOT/node_modules/$pkg/package.json" ]]; then
    v=$(node -p 'require(process.argv[1]).version' "$REPO_ROOT/node_modules/$pkg/package.json")
  fi
  [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "cannot read an exact version of $pkg from package.json"
  printf '%s' "$v"
}
PULUMI_VERSION=$(npm_version @pulumi/pulumi)          # e.g. 3.248.0
K8S_PROVIDER_VERSION=$(npm_version @pulumi/kubernetes) # e.g. 4.25.0

# ---- layout -----------------------------------------------------------------------------------
PULUMI_DIR="$CACHE/tools/pulumi-v$PULUMI_VERSION"
PROVIDER_DIR="$CACHE/tools/pulumi-resource-kubernetes-v$K8S_PROVIDER_VERSION"
KWOK_DIR="$CACHE/tools/kwok-$KWOK_VERSION"
ETCD_DIR="$CACHE/tools/etcd-$ETCD_VERSION"
K8S_DIR="$CACHE/tools/kubernetes-$K8S_VERSION"
KUBE_SCORE_DIR="$CACHE/tools/kube-score-$KUBE_SCORE_VERSION"
PULUMI_HOME_DIR="$CACHE/pulumi-home"
PLUGIN_DIR="$PULUMI_HOME_DIR/plugins/resource-kubernetes-v$K8S_PROVIDER_VERSION"
ANALYZER_DIR="$PULUMI_HOME_DIR/plugins/analyzer-policy-nodejs-v$PULUMI_VERSION"

# ---- helpers for the throwaway modules --------------------------------------------------------
# Download MODULE@QUERY and print, tab-separated: version, commit (Origin.Hash, when the proxy
# tells), commit time, source dir, go.mod file. A cached download prints no Origin/Time, so
# those are read from the module's .info file.
mod_info() {
  local target=$1 out
  if ! out=$(go mod download -json "$target" 2>&1); then
    printf '%s\n' "$out" >&2
    return 1
  fi
  node -e 'const fs = require("fs"); const j = JSON.parse(process.argv[1]);
    if (j.Error) { console.error(j.Error); process.exit(1); }
    let info = {}; try { info = JSON.parse(fs.readFileSync(j.Info, "utf8")); } catch (e) {}
    const origin = j.Origin || info.Origin || {};
    console.log([j.Version, origin.Hash || "", j.Time || info.Time || "", j.Dir || "", j.GoMod || ""].join("\t"))' "$out"
}

# Start a throwaway module in $1 (emptied) named after the piece.
new_module() {
  local dir=$1 goversion=$2
  rm -rf "$dir"
  mkdir -p "$dir"
  printf 'module agentplatform.local/tools/%s\n\ngo %s\n' "$(basename "$dir")" "$goversion" >"$dir/go.mod"
}

# Copy the `replace` and `godebug` directives of a dependency's go.mod (file $2) into the
# throwaway module in $1. Replacements by a path outside the module zip ("./staging/...",
# "../sdk") are dropped, or, with $3 set, pointed at the same module path at version $3
# (Kubernetes' staging modules k8s.io/api => k8s.io/api v0.33.x).
copy_directives() {
  local dir=$1 gomod=$2 staging_version=${3:-} args
  # shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
  args=$(go mod edit -json "$gomod" | node -e '
    const j = JSON.parse(require("fs").readFileSync(0, "utf8")); const sv = process.argv[1]; const out = [];
    for (const r of j.Replace || []) {
      const oldp = r.Old.Path + (r.Old.Version ? "@" + r.Old.Version : "");
      if (r.New.Path.startsWith(".")) { if (sv) out.push(`-replace=${oldp}=${r.Old.Path}@${sv}`); }
      else out.push(`-replace=${oldp}=${r.New.Path}${r.New.Version ? "@" + r.New.Version : ""}`);
    }
    for (const g of j.GoDebug || j.Godebug || []) out.push(`-godebug=${g.Key}=${g.Value}`);
    console.log(out.join("\n"));' "$staging_version")
  if [[ -n $args ]]; then
    local -a argv
    mapfile -t argv <<<"$args"
    (cd "$dir" && go mod edit "${argv[@]}")
  fi
}

# ---- the pieces (each runs in a subshell with `set -e`, output to its log; $1 = temp dest) ----

# 1. Pulumi CLI (pkg/v3 has replace directives, so no `go install ...@v`; build it from a module).
build_pulumi_cli() {
  local dest=$1 mod="$CACHE/build/pulumi-v$PULUMI_VERSION" info
  new_module "$mod" 1.25
  info=$(mod_info "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION")
  copy_directives "$mod" "$(cut -f5 <<<"$info")"
  cd "$mod"
  go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"
  mkdir -p "$dest/bin"
  # Release builds: tags osusergo,grpcnotrace and the version stamp.
  go build -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    -o "$dest/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  local got
  got=$("$dest/bin/pulumi" version)
  [[ $got == "v$PULUMI_VERSION" ]] || { echo "pulumi version printed '$got'"; return 1; }
  # The dynamic-provider script from sdk/nodejs/dist of the same release, beside the CLI, as a
  # release ships it (the policy analyzer is installed as a plugin: install_analyzer_plugin).
  install -m 0755 "$GOMODCACHE/github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION/nodejs/dist/pulumi-resource-pulumi-nodejs" \
    "$dest/bin/pulumi-resource-pulumi-nodejs"
}

# A module that has no tags of its own (provider/v4), resolved by the version given in `override`,
# or else by the commit of a tagged module of the same repository. Prints mod_info's line for it on
# stdout and what it did on stderr (the step's log).
untagged_module_info() { # module override tagged-module@version
  local module=$1 query=$2 info
  if [[ -z $query ]]; then
    query=$(mod_info "$3" | cut -f2)
    [[ -n $query ]] || { echo "no Origin.Hash for $3" >&2; return 1; }
  fi
  echo "module: $module@$query" >&2
  info=$(mod_info "$module@$query") || return 1
  echo "resolved: $info" >&2
  printf '%s\n' "$info"
}

# 2. pulumi-resource-kubernetes: provider/v4 has no tags of its own; required at the module
#    version of release vX.Y.Z (PROVIDER_MODULE_VERSIONS), with sdk/v4 at vX.Y.Z. The upstream main package embeds
#    generated files, so scripts/tools/provider/main.go is built with them made here.
build_provider() {
  local dest=$1 mod="$CACHE/build/pulumi-resource-kubernetes-v$K8S_PROVIDER_VERSION" info pdir
  local prov=github.com/pulumi/pulumi-kubernetes/provider/v4
  info=$(untagged_module_info "$prov" \
    "${PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION:-${PROVIDER_MODULE_VERSIONS[$K8S_PROVIDER_VERSION]:-}}" \
    "github.com/pulumi/pulumi-kubernetes@v$K8S_PROVIDER_VERSION+incompatible") || return 1
  new_module "$mod" 1.25
  copy_directives "$mod" "$(cut -f5 <<<"$info")"
  pdir="$(cut -f4 <<<"$info")/cmd/pulumi-resource-kubernetes"
  if grep -q 'helmMapping \[\]byte' "$(cut -f4 <<<"$info")/pkg/provider/serve.go"; then
    cp "$TOOLS_SRC/provider/main.go" "$mod/main.go"
    cp "$pdir/helm-mapping.json" "$mod/helm-mapping.json"
  else
    # Releases before 4.31 have no Helm mapping: Serve takes four arguments.
    sed -e '/helm-mapping.json/d' -e '/var helmMapping/d' -e 's/, helmMapping)/)/' \
      "$TOOLS_SRC/provider/main.go" >"$mod/main.go"
  fi
  # What upstream's generate.go does: schema.json with "version" set, terraform mapping minified.
  node -e 'const fs=require("fs"); const [src, out, v] = process.argv.slice(1);
    const s = JSON.parse(fs.readFileSync(src + "/schema.json", "utf8")); s.version = v;
    fs.writeFileSync(out + "/schema-embed.json", JSON.stringify(s));
    fs.writeFileSync(out + "/terraform-mapping-embed.json",
      JSON.stringify(JSON.parse(fs.readFileSync(src + "/terraform-mapping.json", "utf8"))));' \
    "$pdir" "$mod" "$K8S_PROVIDER_VERSION"
  chmod u+w "$mod"/*.json # copies from the read-only module cache
  cd "$mod"
  go get "$prov@$(cut -f1 <<<"$info")" "github.com/pulumi/pulumi-kubernetes/sdk/v4@v$K8S_PROVIDER_VERSION"
  go mod tidy
  mkdir -p "$dest"
  go build -ldflags "-s -w -X $prov/pkg/version.Version=v$K8S_PROVIDER_VERSION" \
    -o "$dest/pulumi-resource-kubernetes" .
}

# 3. kwok (no replace directives: a plain build) plus its stage files.
build_kwok() {
  local dest=$1 mod="$CACHE/build/kwok-$KWOK_VERSION" info src s
  new_module "$mod" 1.26
  info=$(mod_info "sigs.k8s.io/kwok@$KWOK_VERSION")
  copy_directives "$mod" "$(cut -f5 <<<"$info")"
  cd "$mod"
  go get "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  mkdir -p "$dest/bin" "$dest/stages"
  go build -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" \
    -o "$dest/bin/kwok" sigs.k8s.io/kwok/cmd/kwok
  src="$(cut -f4 <<<"$info")/kustomize/stage"
  for s in "${KWOK_STAGES[@]}"; do
    install -m 0644 "$src/$s.yaml" "$dest/stages/$(basename "$s").yaml"
  done
}

# 4. etcd: the server module builds to the etcd binary.
build_etcd() {
  local dest=$1 mod="$CACHE/build/etcd-$ETCD_VERSION" info
  new_module "$mod" 1.26
  info=$(mod_info "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
  copy_directives "$mod" "$(cut -f5 <<<"$info")"
  cd "$mod"
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  mkdir -p "$dest/bin"
  local sha
  sha=$(cut -f2 <<<"$info" | cut -c1-12) # empty when the proxy does not report the tag's commit
  go build -ldflags "-s -w${sha:+ -X go.etcd.io/etcd/api/v3/version.GitSHA=$sha}" \
    -o "$dest/bin/etcd" go.etcd.io/etcd/server/v3
  "$dest/bin/etcd" --version
}

# 5. kube-apiserver, kube-controller-manager, kube-scheduler, kubectl from k8s.io/kubernetes with
#    every staging module replaced by v0.<minor>.<patch>, version-stamped (unstamped, the server
#    reports 0.0 and the Pulumi provider waits for ServiceAccount token Secrets).
build_kubernetes() {
  local dest=$1 mod="$CACHE/build/kubernetes-$K8S_VERSION" info commit build_date ld p
  local minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  new_module "$mod" 1.24.0
  info=$(mod_info "k8s.io/kubernetes@$K8S_VERSION")
  copy_directives "$mod" "$(cut -f5 <<<"$info")" "v0.${K8S_VERSION#v1.}"
  # Commit and date of the release tag, as the proxy reports them (its .info has the tag's commit
  # time; the commit hash only when the proxy includes Origin: otherwise gitCommit is stamped
  # empty, rather than left at the source's "$Format:%H$" placeholder).
  commit=$(cut -f2 <<<"$info")
  build_date=$(cut -f3 <<<"$info")
  build_date=$(date -u -d "${build_date:-1970-01-01T00:00:00Z}" +%Y-%m-%dT%H:%M:%SZ)
  echo "k8s.io/kubernetes@$K8S_VERSION commit=$commit buildDate=$build_date"
  cd "$mod"
  go get "k8s.io/kubernetes@$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" "k8s.io/kubernetes/cmd/kube-controller-manager@$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-scheduler@$K8S_VERSION" "k8s.io/kubernetes/cmd/kubectl@$K8S_VERSION"
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=$build_date -X $p.gitCommit=$commit"
  done
  mkdir -p "$dest/bin"
  go build -ldflags "$ld" -o "$dest/bin/" k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
  "$dest/bin/kube-apiserver" --version
  "$dest/bin/kubectl" version --client
}

# 6. kube-score: a plain module build (no replace directives).
build_kube_score() {
  local dest=$1 mod="$CACHE/build/kube-score-$KUBE_SCORE_VERSION"
  new_module "$mod" 1.24
  cd "$mod"
  go get "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION"
  mkdir -p "$dest/bin"
  go build -ldflags "-s -w -X main.version=$KUBE_SCORE_VERSION" -o "$dest/bin/kube-score" \
    github.com/zegl/kube-score/cmd/kube-score
  "$dest/bin/kube-score" version
}

# ---- step runner ------------------------------------------------------------------------------
TOTAL=6
# run_step N NAME DEST FUNCTION [LOGNAME]: skip when DEST exists; else build into DEST.tmp.PID
# and rename it to DEST on success. The log is $CACHE/logs/LOGNAME.log (default: DEST's name).
# On failure: exit 1, or with --keep-going set STEP_OK=0 and return 0. Never call run_step from
# a condition (`if run_step`, `run_step || ...`): bash would then ignore `set -e` in the builder.
run_step() {
  local n=$1 name=$2 dest=$3 fn=$4 logname=${5:-} tmp logf start rc hb
  STEP_OK=1
  if [[ -d $dest ]]; then
    log "($n/$TOTAL) $name: cached ($dest)"
    return 0
  fi
  tmp="$dest.tmp.$$"
  rm -rf "$dest".tmp.* # leftovers of an interrupted run (runs are serialized by the lock below)
  logf="$CACHE/logs/${logname:-$(basename "$dest")}.log"
  log "($n/$TOTAL) building $name ... (log: $logf)"
  start=$SECONDS
  # Heartbeat so that an hour-long build shows progress.
  (while sleep 60; do log "($n/$TOTAL) still building $name ($((SECONDS - start))s)"; done) &
  hb=$!
  set +e
  (set -e; "$fn" "$tmp") >"$logf" 2>&1
  rc=$?
  set -e
  kill "$hb" 2>/dev/null || true
  wait "$hb" 2>/dev/null || true
  if [[ $rc -ne 0 ]]; then
    log "($n/$TOTAL) $name failed after $((SECONDS - start))s; last lines of $logf:"
    tail -n 25 "$logf" | sed 's/^/    /' >&2
    log "FAILED at step: $name"
    FAILED+=("$name")
    ((KEEP_GOING)) || exit 1
    STEP_OK=0
    return 0
  fi
  mv "$tmp" "$dest"
  log "($n/$TOTAL) $name built in $((SECONDS - start))s"
}

# The CLI loads plugins from $PULUMI_HOME/plugins/<kind>-<name>-v<version>/; a folder with a
# `.partial` (or `.lock`) file beside it counts as not (fully) installed.
install_provider_plugin() {
  if [[ -x $PLUGIN_DIR/pulumi-resource-kubernetes && ! -e $PLUGIN_DIR.partial ]] &&
    cmp -s "$PROVIDER_DIR/pulumi-resource-kubernetes" "$PLUGIN_DIR/pulumi-resource-kubernetes"; then
    return 0
  fi
  log "installing the provider plugin into $PLUGIN_DIR"
  mkdir -p "$PULUMI_HOME_DIR/plugins"
  rm -rf "$PLUGIN_DIR" "$PLUGIN_DIR.partial" "$PLUGIN_DIR.lock" "$PLUGIN_DIR.tmp.$$"
  mkdir -p "$PLUGIN_DIR.tmp.$$"
  install -m 0755 "$PROVIDER_DIR/pulumi-resource-kubernetes" "$PLUGIN_DIR.tmp.$$/pulumi-resource-kubernetes"
  mv "$PLUGIN_DIR.tmp.$$" "$PLUGIN_DIR"
}

# The policy analyzer: with no Node.js language plugin, the CLI runs a Node.js policy pack through
# the analyzer plugin `pulumi-analyzer-policy-nodejs`, started in the pack's folder with the
# engine's address and the pack's path (sdk/go/common/resource/plugin/analyzer_plugin.go). What
# older releases shipped as that plugin is this script. Installed in $PULUMI_HOME/plugins (not on
# PATH, where the CLI would warn "using ... from $PATH").
install_analyzer_plugin() {
  local script
  # shellcheck disable=SC2016 # expanded when the plugin runs, not here
  script='#!/bin/sh
# pulumi-analyzer-policy-nodejs, installed by agent-platform scripts/tools.sh: runs a Node.js policy
# pack (this folder is the pack'"'"'s) with the run-policy-pack module of the @pulumi/pulumi that
# the pack resolves, found as Node.js would find it, without starting a node to ask.
dir=$PWD
while :; do
  if [ -f "$dir/node_modules/@pulumi/pulumi/cmd/run-policy-pack/index.js" ]; then
    exec node "$dir/node_modules/@pulumi/pulumi/cmd/run-policy-pack" "$@"
  fi
  [ "$dir" = / ] && break
  dir=$(dirname "$dir")
done
echo "pulumi-analyzer-policy-nodejs: no node_modules/@pulumi/pulumi in $PWD or above it: run npm ci" >&2
exit 1
'
  if [[ -f $ANALYZER_DIR/pulumi-analyzer-policy-nodejs && ! -e $ANALYZER_DIR.partial ]] &&
    [[ $(cat "$ANALYZER_DIR/pulumi-analyzer-policy-nodejs") == "${script%$'\n'}" ]]; then
    return 0
  fi
  log "installing the policy analyzer plugin into $ANALYZER_DIR"
  mkdir -p "$PULUMI_HOME_DIR/plugins"
  rm -rf "$ANALYZER_DIR" "$ANALYZER_DIR.partial" "$ANALYZER_DIR.lock" "$ANALYZER_DIR.tmp.$$"
  mkdir -p "$ANALYZER_DIR.tmp.$$"
  printf '%s' "$script" >"$ANALYZER_DIR.tmp.$$/pulumi-analyzer-policy-nodejs"
  chmod 0755 "$ANALYZER_DIR.tmp.$$/pulumi-analyzer-policy-nodejs"
  mv "$ANALYZER_DIR.tmp.$$" "$ANALYZER_DIR"
}

# ---- main -------------------------------------------------------------------------------------
command -v go >/dev/null || die "go is not on PATH"
command -v node >/dev/null || die "node is not on PATH"
# One run at a time per cache folder: a second run (e.g. two `cluster.sh up`) waits, then finds
# the pieces built.
exec 9>"$CACHE/tools.lock"
if ! flock -n 9; then
  log "another tools.sh run holds $CACHE/tools.lock; waiting for it"
  flock 9
fi
T0=$SECONDS
log "cache: $CACHE (Pulumi v$PULUMI_VERSION, kubernetes provider v$K8S_PROVIDER_VERSION," \
  "Kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION, kube-score $KUBE_SCORE_VERSION)"

if [[ $ONLY == all || $ONLY == pulumi ]]; then
  run_step 1 "pulumi v$PULUMI_VERSION" "$PULUMI_DIR" build_pulumi_cli
  if ((STEP_OK)); then install_analyzer_plugin; fi
  run_step 2 "pulumi-resource-kubernetes v$K8S_PROVIDER_VERSION" "$PROVIDER_DIR" build_provider
  if ((STEP_OK)); then install_provider_plugin; fi
fi
if [[ $ONLY == all || $ONLY == cluster ]]; then
  run_step 3 "kwok $KWOK_VERSION" "$KWOK_DIR" build_kwok
  run_step 4 "etcd $ETCD_VERSION" "$ETCD_DIR" build_etcd
  run_step 5 "kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $K8S_VERSION" "$K8S_DIR" \
    build_kubernetes
fi
if [[ $ONLY == all || $ONLY == lint ]]; then
  run_step 6 "kube-score $KUBE_SCORE_VERSION" "$KUBE_SCORE_DIR" build_kube_score
fi
if [[ ${#FAILED[@]} -gt 0 ]]; then
  log "FAILED steps (after $((SECONDS - T0))s): $(printf '%s; ' "${FAILED[@]}")full logs in $CACHE/logs"
  exit 1
fi
log "ready in $((SECONDS - T0))s"

if [[ $MODE == env ]]; then
  path=""
  [[ $ONLY == all || $ONLY == pulumi ]] && path+="$PULUMI_DIR/bin:"
  [[ $ONLY == all || $ONLY == cluster ]] && path+="$K8S_DIR/bin:$ETCD_DIR/bin:$KWOK_DIR/bin:"
  [[ $ONLY == all || $ONLY == lint ]] && path+="$KUBE_SCORE_DIR/bin:"
  # shellcheck disable=SC2016 # "$PATH" is expanded by the eval, not here
  printf 'export PATH=%s"$PATH"\n' "$(q "$path")"
  printf 'export AGENT_PLATFORM_TOOLS=%s\n' "$(q "$CACHE")"
  if [[ $ONLY == all || $ONLY == cluster ]]; then
    printf 'export AGENT_PLATFORM_KWOK_STAGES=%s\n' "$(q "$KWOK_DIR/stages")"
  fi
  if [[ $ONLY == all || $ONLY == pulumi ]]; then
    printf 'export PULUMI_HOME=%s\n' "$(q "$PULUMI_HOME_DIR")"
    # Offline: no update check, no plugin download, no registry lookup, no ambient plugins on
    # PATH shadowing the ones in PULUMI_HOME, no Neo/Copilot calls.
    printf 'export %s=true\n' PULUMI_SKIP_UPDATE_CHECK PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION \
      PULUMI_IGNORE_AMBIENT_PLUGINS PULUMI_DISABLE_REGISTRY_RESOLVE PULUMI_SUPPRESS_NEO_LINK \
      PULUMI_DIY_BACKEND_NO_LEGACY_WARNING
    printf 'export PULUMI_NEO=false\n'
  fi
else
  printf '%s\n' "$CACHE"
fi
