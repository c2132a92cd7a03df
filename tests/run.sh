#!/usr/bin/env bash
# Runs everything CI checks: formatting, lints, and all tests against the real servers,
# Dovecot and Cyrus IMAP. Usable from any directory; installs what is missing first (needs
# root). The harness itself extracts the cyrus-imapd package (it is not installed: it would
# remove dovecot-imapd) into /var/cache/imap-async-tests on first use.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() {
    printf '\n==> %s\n' "$*"
}

# Packages installed below must not start system daemons (the system's Dovecot and Cyrus,
# or the MTA cyrus-common pulls in): the tests start their own servers on free ports, and
# a postinst that fails to start a service would fail the install. Debian's policy-rc.d
# hook says "no" to every start while this temporary one is in place.
apt_install() {
    local policy=/usr/sbin/policy-rc.d added=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"
        chmod 755 "$policy"
        added=1
    fi
    apt-get update
    local status=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" || status=$?
    if [ "$added" -eq 1 ]; then
        rm -f "$policy"
    fi
    return "$status"
}

if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
    if [ "$(id -u)" -eq 0 ]; then
        step "installing dovecot-imapd"
        apt_install dovecot-imapd
    else
        echo "error: Dovecot is not installed and this is not root;" >&2
        echo "       install it with: sudo apt-get install --no-install-recommends dovecot-imapd" >&2
        exit 1
    fi
fi

if [ ! -x /usr/lib/cyrus/bin/master ] || [ ! -x /usr/sbin/saslpasswd2 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        step "installing cyrus-common and sasl2-bin"
        apt_install cyrus-common sasl2-bin
    else
        echo "error: Cyrus IMAP is not installed and this is not root;" >&2
        echo "       install it with: sudo apt-get install --no-install-recommends cyrus-common sasl2-bin" >&2
        exit 1
    fi
fi

step "cargo fmt --all -- --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

# The API documentation, with every feature's items: missing docs (`#![warn(missing_docs)]`),
# broken or private intra-doc links and bad doc markup are errors.
step "cargo doc --no-deps -p imap-async --all-features (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p imap-async --all-features

# The library's Cargo features: every one alone must build (with a crypto provider, as
# the crate cannot build without one), and so must all together. `cargo check` only:
# quick, and enough to catch a cfg gate that lost an import.
step "cargo check -p imap-async, feature by feature"
cargo check -p imap-async --all-targets --no-default-features --features ring
cargo check -p imap-async --all-targets --no-default-features --features aws-lc-rs
for feature in compress config oauth2 serde rfc2047; do
    cargo check -p imap-async --all-targets --no-default-features --features "ring,$feature"
done
cargo check -p imap-async --all-targets --all-features

# What crates.io would get: the package's files, its manifest, and a build of the library
# from the packaged sources alone (the registry index is the only network it needs).
step "cargo publish --dry-run --workspace (the library and the shell)"
# The dry run checks the shell against the packaged library through a temporary local
# registry. Cargo takes a registry crate of a given version to be the same forever: it
# unpacks it under $CARGO_HOME/registry/src/-HASH/ once and keeps its build, so on a
# machine that ran this before, the shell would be built against the library as it was
# then. The check gets a target directory of its own, and the unpacked copies and builds
# of our crates from earlier runs go.
publish_target="${CARGO_TARGET_DIR:-target}/publish-check"
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/imap-async-* \
    "$publish_target"/debug/.fingerprint/imap-async-* "$publish_target"/debug/deps/*imap_async*
cargo publish --dry-run --workspace --allow-dirty --target-dir "$publish_target"

step "cargo test --workspace"
cargo test --workspace

step "fuzz every protocol target briefly (imap-async/fuzz)"
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
bash imap-async/fuzz/run.sh 10

step "all checks passed"
