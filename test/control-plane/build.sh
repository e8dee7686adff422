#!/usr/bin/env bash
# Builds the real control plane the control-plane tests run: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl and kwok, from the versions pinned by the
# go.mod / go.sum files under test/control-plane/modules/, through the Go module proxy.
#
# Output: $LABS_CONTROL_PLANE_BIN (default test/control-plane/.bin, git-ignored). A group is
# built once and reused until its go.mod, go.sum, build flags or the Go version change (a stamp
# file beside the binaries records them). Prints what it built or reused and how long it took.
#
#   bash test/control-plane/build.sh          # build what is missing or stale
#   bash test/control-plane/build.sh --force  # build everything again
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="${LABS_CONTROL_PLANE_BIN:-$here/.bin}"
force=0
[ "${1:-}" = "--force" ] && force=1

if ! command -v go >/dev/null 2>&1; then
  echo "control-plane build: go is not installed (needs Go >= 1.26 and the Go module proxy)" >&2
  exit 3
fi
mkdir -p "$out"

# The release builds stamp their version into the binaries with -X; a plain `go build` would
# report v0.0.0-master. The values follow k8s.io/kubernetes@v1.36.1 hack/lib/version.sh; the
# build date is the tag's time as the module proxy reports it, so every build is identical.
kube_version=v1.36.1
kube_date=2026-05-12T09:51:33Z
kube_ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  kube_ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=36"
  kube_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$kube_date"
done
# kwok's release script (sigs.k8s.io/kwok@v0.8.0 hack/releases.sh) sets its version the same way.
kwok_ldflags="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=v0.8.0 -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$kube_version"

# group | module folder | ldflags | package=binary ...
groups=(
  "etcd|etcd|-s -w|go.etcd.io/etcd/server/v3=etcd"
  "kubernetes|kubernetes|$kube_ldflags|k8s.io/kubernetes/cmd/kube-apiserver=kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager=kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler=kube-scheduler k8s.io/kubernetes/cmd/kubectl=kubectl"
  "kwok|kwok|$kwok_ldflags|sigs.k8s.io/kwok/cmd/kwok=kwok"
)

go_version="$(go env GOVERSION)"
total_start=$SECONDS
for group in "${groups[@]}"; do
  IFS='|' read -r name module ldflags targets <<<"$group"
  dir="$here/modules/$module"
  stamp="$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -d' ' -f1) $go_version $(printf '%s' "$ldflags $targets" | sha256sum | cut -d' ' -f1)"
  binaries=()
  packages=()
  for t in $targets; do
    packages+=("${t%%=*}")
    binaries+=("${t##*=}")
  done
  fresh=1
  for b in "${binaries[@]}"; do
    [ -x "$out/$b" ] || fresh=0
  done
  if [ $force = 0 ] && [ $fresh = 1 ] && [ "$(cat "$out/.stamp-$name" 2>/dev/null)" = "$stamp" ]; then
    echo "control-plane build: reused $name (${binaries[*]})"
    continue
  fi
  start=$SECONDS
  tmp="$(mktemp -d "$out/.build-$name.XXXXXX")"
  # -mod=readonly: the pinned go.sum must already hold every module; nothing is resolved anew.
  if ! (cd "$dir" && GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -buildvcs=false \
    -ldflags "$ldflags" -o "$tmp/" "${packages[@]}"); then
    rm -rf "$tmp"
    echo "control-plane build: FAILED building $name (${packages[*]}) in test/control-plane/modules/$module" >&2
    exit 1
  fi
  for p in "${!packages[@]}"; do
    # go build names a binary after the package's last path element, skipping a major-version
    # suffix: go.etcd.io/etcd/server/v3 → server.
    base="$(basename "${packages[$p]}")"
    [[ $base =~ ^v[0-9]+$ ]] && base="$(basename "$(dirname "${packages[$p]}")")"
    mv -f "$tmp/$base" "$out/${binaries[$p]}"
  done
  rm -rf "$tmp"
  printf '%s\n' "$stamp" >"$out/.stamp-$name"
  echo "control-plane build: built $name (${binaries[*]}) in $((SECONDS - start))s"
done
echo "control-plane build: ${out} ready in $((SECONDS - total_start))s (Go $go_version)"
