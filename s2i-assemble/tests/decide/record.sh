#!/usr/bin/env bash
# Records what `go list -find` says about each case's sources, for the
# decide module's unit tests (s2i-assemble/src/decide/tests.rs), which read
# it back instead of running go. Rerun after changing a case's sources or
# patterns, with the Go to record on PATH:
#
#   s2i-assemble/tests/decide/record.sh
#
# Each case with a go-list.patterns file gets go-list.json (go's stdout,
# the sources' path written as $BUILD_DIR) and go-list.stderr. The command
# is detect::list's (GOPATH=/go, so that Target names no machine path), with the environment decide gives it (cgo on for the
# listing, see cgo::listing_env), offline.
set -euo pipefail
cd "$(dirname "$0")"
for patterns in */go-list.patterns; do
  case=$(dirname "$patterns")
  (
    cd "$case/sources"
    dir=$(pwd -P)
    env_file=../env
    # shellcheck disable=SC2046
    env -i PATH="$PATH" HOME="$HOME" GOPATH=/go GOCACHE="${GOCACHE:-$HOME/.cache/go-build}" \
      CGO_ENABLED=1 GOTOOLCHAIN=local GOPROXY=off GOWORK=off GOFLAGS=-buildvcs=false \
      $( [ -f "$env_file" ] && cat "$env_file" ) \
      go list -find -e -json=ImportPath,Name,Dir,Target,GoFiles,CgoFiles,IgnoredGoFiles,Error \
      $(cat ../go-list.patterns) >../go-list.json 2>../go-list.stderr || true
    sed -i "s|$dir|\$BUILD_DIR|g" ../go-list.json ../go-list.stderr
  )
  echo "recorded $case"
done
