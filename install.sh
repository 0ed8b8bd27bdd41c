#!/usr/bin/env bash
# Install ontoref-vault from this checkout and start the daemon.
#
#   dependencies (npm ci, only when node_modules is missing or package-lock.json changed)
#   -> build -> link the `vault` command -> on the first install only, `vault setup
#   --gen-keys` with an unseal key file -> `vault server` in the foreground on
#   127.0.0.1:8420 (or a systemd unit with --systemd).
#
# Idempotent: running it again brings the install up to date and never touches an
# initialised vault. Run `./install.sh --help` for the options.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: ./install.sh [--tls] [--no-start] [--systemd] [--help]

Installs ontoref-vault from this checkout: dependencies (npm ci, skipped when
node_modules matches package-lock.json), build, and the `vault` command (npm link).
On the first install (no vault.db in the data dir yet) it runs

  vault setup --gen-keys --unseal-key-file "$DATA_DIR/unseal.key"

so the daemon can unseal itself unattended, then starts `vault server` in the
foreground on 127.0.0.1:8420 with the embedded SQLite store.

Options:
  --tls        serve HTTPS: create a local CA and a server certificate in
               <data dir>/tls (vault tls gen) and set [tls] in the config;
               clients then set ONTOREF_CACERT=<data dir>/tls/ca.pem
  --no-start   install (and set up) only; do not start the daemon
  --systemd    write /etc/systemd/system/ontoref-vault.service and enable it
               instead of starting in the foreground (prints the unit when
               systemctl is not available)
  -h, --help   show this help

Environment:
  ONTOREF_DATA_DIR   data dir (default $XDG_DATA_HOME/ontoref-vault, else
                     ~/.local/share/ontoref-vault)
  ONTOREF_CONFIG     config file (default <data dir>/config.toml)
  ONTOREF_UNIT_FILE  where --systemd writes the unit
                     (default /etc/systemd/system/ontoref-vault.service)
EOF
}

no_start=0 systemd=0 tls=0
for arg in "$@"; do
  case "$arg" in
    --tls) tls=1 ;;
    --no-start) no_start=1 ;;
    --systemd) systemd=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: error: unknown option: $arg" >&2; echo "install.sh: hint: run './install.sh --help' for usage" >&2; exit 1 ;;
  esac
done

cd "$(dirname "$0")"
root=$(pwd -P)

say() { echo "install.sh: $*" >&2; }

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
# Native ML-KEM/ML-DSA in node:crypto arrived in Node 24.7 (see src/crypto/provider.ts).
if [ "$major" -lt 24 ] || { [ "$major" -eq 24 ] && [ "$minor" -lt 7 ]; }; then
  say "Node.js $ver: using the slower portable crypto provider (noble); Node.js 24 LTS is recommended"
fi

# --- dependencies: npm ci only when node_modules is missing or the lock file changed -----
lock_hash=$(node -e 'process.stdout.write(require("node:crypto").createHash("sha256").update(require("node:fs").readFileSync("package-lock.json")).digest("hex"))')
hash_file=node_modules/.ontoref-lock-hash
if [ -d node_modules ] && [ -f "$hash_file" ] && [ "$(cat "$hash_file")" = "$lock_hash" ]; then
  say "dependencies are up to date"
else
  say "installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
  printf '%s\n' "$lock_hash" >"$hash_file"
fi

# --- build and link ----------------------------------------------------------------------
say "building"
npm run --silent build
# The bundle (dist/bundle/, made by the build): one file and a few chunks start much faster
# than the compiled tree under dist/cli and dist/src.
cli="$root/dist/bundle/vault.js"
# The daemon's Node options, as on the bundle's first line (DAEMON_NODE_FLAGS in
# src/daemon-flags.ts): V8's memory reducer, run before the first requests, leaves Node 20's
# read path 15-20% slower.
daemon_flags="--no-memory-reducer"
chmod +x "$cli"
# The script itself always runs this checkout's CLI by path: another `vault` (HashiCorp's)
# may come first on PATH.
vault() { node "$cli" "$@"; }
if npm link --no-audit --no-fund >/dev/null 2>&1; then
  linked=$(type -P vault || true) # the PATH lookup, not the function above
  say "installed the vault command: ${linked:-$(npm prefix -g)/bin/vault}"
  if [ -n "$linked" ] && [ "$(readlink -f "$linked" 2>/dev/null || echo "$linked")" != "$cli" ]; then
    say "warning: 'vault' on your PATH is $linked, not this install; use $cli"
  fi
else
  say "could not link the vault command globally; run it as $cli"
fi

# --- first install: create the vault -----------------------------------------------------
if [ -n "${ONTOREF_DATA_DIR:-}" ]; then
  data_dir=$ONTOREF_DATA_DIR
elif [ -n "${XDG_DATA_HOME:-}" ] && [ "${XDG_DATA_HOME#/}" != "$XDG_DATA_HOME" ]; then
  data_dir=$XDG_DATA_HOME/ontoref-vault
else
  data_dir=$HOME/.local/share/ontoref-vault
fi
case "$data_dir" in /*) ;; *) data_dir="$(pwd -P)/$data_dir" ;; esac
export ONTOREF_DATA_DIR="$data_dir"

if [ -e "$data_dir/vault.db" ]; then
  say "vault already initialised in $data_dir (left untouched)"
else
  say "first install: creating the vault in $data_dir"
  if [ "$tls" -eq 1 ]; then
    vault setup --gen-keys --unseal-key-file "$data_dir/unseal.key" --tls
  else
    vault setup --gen-keys --unseal-key-file "$data_dir/unseal.key"
  fi
  cat >&2 <<EOF
install.sh:
install.sh: the daemon admin key is in ${ONTOREF_ADMIN_TOKEN_FILE:-$data_dir/admin.token} (mode 0600).
install.sh:   vault login --admin        # start an admin session with it
install.sh:
install.sh: WARNING: the vault unseals itself from $data_dir/unseal.key.
install.sh: Whoever can read that file (and vault.db) can open every secret: this is a
install.sh: single-operator setup. For a vault that needs 3 of 5 people to unseal, recreate
install.sh: it now, before storing anything: stop the daemon first (setup refuses while it
install.sh: runs), then (the current vault's files are kept, renamed to *.bak):
install.sh:   vault setup --gen-keys --force --shares 5 --threshold 3
install.sh: and remove the [seal] unseal_key_file line from the config.
install.sh:
EOF
fi

if [ "$tls" -eq 1 ] && [ ! -e "$data_dir/tls/server.pem" ]; then
  say "creating a local CA and server certificate in $data_dir/tls"
  vault tls gen
fi
if [ "$tls" -eq 1 ]; then
  say "clients: export ONTOREF_ADDR=https://127.0.0.1:8420 ONTOREF_CACERT=$data_dir/tls/ca.pem"
fi

# --- start -------------------------------------------------------------------------------
unit_text() {
  local user node_bin extra_env v
  user=${SUDO_USER:-$(id -un)}
  node_bin=$(command -v node)
  extra_env=
  for v in ONTOREF_CONFIG ONTOREF_ADMIN_TOKEN_FILE ONTOREF_CRYPTO_PROVIDER; do
    if [ -n "${!v:-}" ]; then extra_env="$extra_env"$'\n'"Environment=$v=${!v}"; fi
  done
  cat <<EOF
[Unit]
Description=ontoref-vault post-quantum key vault
After=network.target

[Service]
Type=simple
User=$user
Environment=ONTOREF_DATA_DIR=$data_dir$extra_env
ExecStart=$node_bin $daemon_flags $cli server
# SIGHUP re-reads the TLS certificate and key without dropping connections.
ExecReload=/bin/kill -HUP \$MAINPID
Restart=on-failure
UMask=0077
# The root key lives in this process's memory: no core dumps, no privilege gain.
LimitCORE=0
NoNewPrivileges=true
PrivateTmp=true
ProtectSystem=strict
ReadWritePaths=$data_dir

[Install]
WantedBy=multi-user.target
EOF
}

if [ "$systemd" -eq 1 ]; then
  unit=${ONTOREF_UNIT_FILE:-/etc/systemd/system/ontoref-vault.service}
  if ! command -v systemctl >/dev/null 2>&1; then
    say "systemctl not found; here is the unit file to install as $unit:"
    unit_text
    exit 0
  fi
  if [ "$(id -u)" -eq 0 ]; then
    unit_text >"$unit"
    systemctl daemon-reload
    systemctl enable --now "$(basename "$unit")"
  elif command -v sudo >/dev/null 2>&1; then
    unit_text | sudo tee "$unit" >/dev/null
    sudo systemctl daemon-reload
    sudo systemctl enable --now "$(basename "$unit")"
  else
    say "error: writing $unit needs root; run this script as root or install the unit below yourself"
    unit_text
    exit 1
  fi
  say "wrote $unit and enabled it: systemctl status ontoref-vault"
  exit 0
fi

if [ "$no_start" -eq 1 ]; then
  say "done; start the daemon with: vault server"
  exit 0
fi
say "starting the daemon in the foreground (default 127.0.0.1:8420; Ctrl-C stops it)"
exec node $daemon_flags "$cli" server
