#!/usr/bin/env bash
# Run gitlab-ci-local (https://github.com/firecow/gitlab-ci-local) from a pinned, project-local
# install under .ci/node, installing it on first use. Every argument goes to gitlab-ci-local:
#   scripts/ci-local.sh --list                      # jobs of ./.gitlab-ci.yml
#   scripts/ci-local.sh --cwd DIR --force-shell-executor psdm:plan
# 4.73.0 is the newest release that runs on Node.js 20 (later ones need Node.js 22).
set -euo pipefail

GCL_VERSION="${GCL_VERSION:-4.73.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="$root/.ci/node"
bin="$prefix/node_modules/.bin/gitlab-ci-local"

if ! command -v npm >/dev/null 2>&1; then
  echo "ci-local: npm is not installed (apt-get install npm, or use a Node.js 20+ image)" >&2
  exit 127
fi
installed() { [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "$GCL_VERSION" ]; }
if ! installed; then
  mkdir -p "$prefix"
  printf '*\n' > "$prefix/.gitignore"
  # Parallel test workers may all arrive here on a fresh checkout: one installs, others wait.
  exec 9>"$prefix/.install.lock"
  flock 9
  if ! installed; then
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
      "gitlab-ci-local@$GCL_VERSION" >&2
  fi
  flock -u 9
fi
exec "$bin" "$@"
