#!/usr/bin/env bash
# Records `go version -m -json` and `go version -m` of the binaries the SBOM
# tests start from (s2i-assemble/src/sbom/, buildinfo.rs): one of each kind of
# Go build, from the test fixtures, offline (a file:// proxy made here).
#
#   s2i-assemble/tests/buildinfo/record.sh       # with the go on PATH
#
# The binaries are named bin/CASE so that the text form's first line is the
# same on every machine. Rerun it after a Go upgrade changes go's output, and
# review the diff (the SBOM snapshots follow).
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)
fixtures=$(cd "$out/../../../tests/fixtures" && pwd)
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT

# A module proxy serving example.com/greeting v1.0.0 and v1.1.0.
for v in v1.0.0 v1.1.0; do
  at="$work/proxy/example.com/greeting/@v"
  mkdir -p "$at" "$work/zip/example.com/greeting@$v"
  cp "$fixtures/modules/greeting/$v/"* "$work/zip/example.com/greeting@$v/"
  (cd "$work/zip" && zip -qrD "$at/$v.zip" "example.com/greeting@$v")
  cp "$fixtures/modules/greeting/$v/go.mod" "$at/$v.mod"
  echo "{\"Version\":\"$v\",\"Time\":\"2024-01-01T00:00:00Z\"}" >"$at/$v.info"
  echo "$v" >>"$at/list"
done

export GOFLAGS= GOPROXY="file://$work/proxy" GOSUMDB=off GOTOOLCHAIN=local CGO_ENABLED=0 \
  GOCACHE="$work/cache" GOMODCACHE="$work/modcache" GOPATH="$work/gopath" HOME="$work" GOWORK=off
mkdir -p "$work/bin"

record() { # CASE DIR [go build args...]
  local case=$1 dir=$2
  shift 2
  (cd "$dir" && go build -trimpath -o "$work/bin/$case" "$@")
  (cd "$work" && go version -m -json "bin/$case" >"$out/$case.json" && go version -m "bin/$case" >"$out/$case.txt")
}

cp -r "$fixtures/module-dep" "$work/module-dep"
record module-dep "$work/module-dep" -buildvcs=false -tags 'netgo osusergo' '-gcflags=all=-N -l' .

cp -r "$fixtures/module-dep" "$work/replace-module"
echo 'replace example.com/greeting v1.0.0 => example.com/greeting v1.1.0' >>"$work/replace-module/go.mod"
record replace-module "$work/replace-module" -buildvcs=false .

cp -r "$fixtures/module-dep" "$work/replace-dir"
cp -r "$fixtures/modules/greeting/v1.1.0" "$work/replace-dir/greeting"
echo 'replace example.com/greeting => ./greeting' >>"$work/replace-dir/go.mod"
record replace-dir "$work/replace-dir" -buildvcs=false .

cp -r "$fixtures/vendored" "$work/vendored"
record vendored "$work/vendored" -buildvcs=false -mod=vendor .

cp -r "$fixtures/workspace" "$work/workspace"
(cd "$work/workspace" && GOWORK= record workspace "$work/workspace" -buildvcs=false ./app)

mkdir -p "$work/gopath/src/github.com/example"
cp -r "$fixtures/gopath-legacy" "$work/gopath/src/github.com/example/legacy"
GO111MODULE=off record gopath "$work/gopath/src/github.com/example/legacy" .

# A git checkout with a tag: go stamps vcs.* and the main module's version.
cp -r "$fixtures/module-basic" "$work/vcs"
(cd "$work/vcs" && git init -q && git add -A \
  && GIT_COMMITTER_DATE=2024-01-02T03:04:05Z git -c user.name=t -c user.email=t@example.com \
     commit -qm init --date=2024-01-02T03:04:05Z && git tag v1.2.3)
record vcs "$work/vcs" -buildvcs=true .

# cgo: the C flags are quoted in the text form.
cp -r "$fixtures/module-basic" "$work/cgo"
CGO_ENABLED=1 CGO_CFLAGS='-O2 -g' record cgo "$work/cgo" -buildvcs=false .
