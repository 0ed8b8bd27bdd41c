#!/usr/bin/env bash
# Install ontoref-vault from this checkout: dependencies, build, and the `vault` command.
# Idempotent: running it again only brings the install up to date.
set -euo pipefail
cd "$(dirname "$0")"

need_major=20 need_minor=19
if ! command -v node >/dev/null 2>&1; then
  echo "install.sh: error: node is not installed; ontoref-vault needs Node.js >= ${need_major}.${need_minor}" >&2
  exit 1
fi
ver=$(node -p 'process.versions.node')
major=${ver%%.*} rest=${ver#*.} minor=${rest%%.*}
if [ "$major" -lt "$need_major" ] || { [ "$major" -eq "$need_major" ] && [ "$minor" -lt "$need_minor" ]; }; then
  echo "install.sh: error: Node.js $ver is too old; ontoref-vault needs >= ${need_major}.${need_minor}" >&2
  exit 1
fi

echo "install.sh: installing dependencies"
npm ci --no-audit --no-fund
echo "install.sh: building"
npm run --silent build
chmod +x dist/cli/main.js
if npm link --no-audit --no-fund >/dev/null 2>&1; then
  echo "install.sh: installed the vault command: $(command -v vault || echo "$(npm prefix -g)/bin/vault")"
else
  echo "install.sh: could not link the vault command globally; run it as $(pwd)/dist/cli/main.js"
fi
