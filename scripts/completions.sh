#!/bin/sh
# Write imhook's shell completions into completions/ (for the release's
# archives and packages: .goreleaser.yaml runs this before it builds).
set -eu
cd "$(dirname "$0")/.."
mkdir -p completions
go build -o completions/.imhook .
for sh in bash zsh fish; do
  completions/.imhook completion "$sh" > "completions/imhook.$sh"
done
rm -f completions/.imhook
