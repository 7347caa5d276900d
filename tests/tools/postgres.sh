#!/usr/bin/env bash
# PostgreSQL server binaries for the persistence tests.
#
#   tests/tools/postgres.sh install   install Debian's postgresql if initdb is missing
#                                     (idempotent; silent when already installed)
#   tests/tools/postgres.sh bindir    print the directory holding initdb and pg_ctl
#
# The tests start their own throwaway server from these binaries (tests/persistence/
# conftest.py); set TT_TEST_PG_URL to use an existing server instead.
set -euo pipefail

bindir() {
    local dir
    if command -v pg_config >/dev/null 2>&1; then
        dir=$(pg_config --bindir 2>/dev/null || true)
        if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

install() {
    if bindir >/dev/null; then
        return 0
    fi
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || {
            echo "postgres.sh: PostgreSQL is missing and installing it needs root" >&2
            exit 1
        }
        sudo="sudo"
    fi
    echo "postgres.sh: installing PostgreSQL server binaries (apt-get)..."
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
    bindir >/dev/null || {
        echo "postgres.sh: postgresql installed but initdb/pg_ctl not found" >&2
        exit 1
    }
}

case "${1:-}" in
    install) install ;;
    bindir) bindir || { echo "postgres.sh: no PostgreSQL server binaries found" >&2; exit 1; } ;;
    *) echo "usage: $0 install|bindir" >&2; exit 2 ;;
esac
