#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite.
#
#   eval "$(scripts/postgres-for-tests.sh start)"   # prints: export TOLLWAY_TEST_POSTGRES_URL=...
#   scripts/postgres-for-tests.sh stop              # stops it and deletes its data
#
# start: if TOLLWAY_TEST_POSTGRES_URL is already set, does nothing (a server is given). Otherwise
# finds PostgreSQL's binaries (/usr/lib/postgresql/*/bin, or on PATH); when missing and running as
# root with apt-get, installs the `postgresql` package. Then initdb's a cluster in a fresh temporary
# directory owned by an unprivileged user (PostgreSQL refuses to run as root: as root the cluster
# belongs to the `postgres` system user), starts it on 127.0.0.1 on a free port from 55432 up, with
# trust authentication (tests only), creates the database `tollway_test`, and prints the exports for
# the caller to eval. Messages go to stderr; only the exports go to stdout.
#
# stop: stops the server started by `start` (found through TOLLWAY_TEST_POSTGRES_DIR or the state
# file, $TOLLWAY_TEST_POSTGRES_STATE or $TMPDIR/tollway-test-postgres.state) and removes its
# directory. Stopping when nothing runs is not an error.
set -euo pipefail

readonly first_port=55432
readonly ports_tried_max=100
readonly start_timeout_s=60
readonly state_file="${TOLLWAY_TEST_POSTGRES_STATE:-${TMPDIR:-/tmp}/tollway-test-postgres.state}"
readonly database_name="tollway_test"
readonly role_name="tollway"

say() { echo "postgres-for-tests: $*" >&2; }
fail() { say "$*"; exit 1; }

find_binaries() {
    local candidate
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" ]]; then
            echo "$candidate"
            return 0
        fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

install_postgres() {
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        fail "PostgreSQL is not installed and cannot be installed here (needs root and apt-get);" \
            "install it, or set TOLLWAY_TEST_POSTGRES_URL to a server of your own"
    fi
    say "installing the postgresql package (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
}

port_is_free() {
    # Connecting succeeds only when something listens there.
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
    local port
    for ((port = first_port; port < first_port + ports_tried_max; port++)); do
        if port_is_free "$port"; then
            echo "$port"
            return 0
        fi
    done
    fail "no free port in $first_port..$((first_port + ports_tried_max - 1))"
}

# Runs a command as the cluster's owner: ourselves, or `postgres` when we are root.
as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    if [[ -n "${TOLLWAY_TEST_POSTGRES_URL:-}" ]]; then
        say "TOLLWAY_TEST_POSTGRES_URL is already set; using that server"
        return 0
    fi
    local binaries
    if ! binaries="$(find_binaries)"; then
        install_postgres
        binaries="$(find_binaries)" || fail "installed postgresql but found no initdb"
    fi
    if [[ "$(id -u)" == 0 ]] && ! id postgres >/dev/null 2>&1; then
        fail "running as root but there is no 'postgres' system user to own the cluster"
    fi
    local directory port
    directory="$(mktemp -d "${TMPDIR:-/tmp}/tollway-test-postgres.XXXXXX")"
    chmod 755 "$directory"
    if [[ "$(id -u)" == 0 ]]; then
        chown postgres: "$directory"
    fi
    port="$(free_port)"
    say "initdb in $directory ($binaries)"
    as_owner "$binaries/initdb" --pgdata="$directory/data" --username="$role_name" \
        --auth=trust --encoding=UTF8 --locale=C >"$directory/initdb.log" 2>&1 ||
        fail "initdb failed; see $directory/initdb.log"
    say "starting on 127.0.0.1:$port"
    as_owner "$binaries/pg_ctl" --pgdata="$directory/data" --log="$directory/server.log" \
        --wait --timeout="$start_timeout_s" \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $directory -c fsync=off" start >&2 ||
        fail "the server did not start; see $directory/server.log"
    as_owner "$binaries/createdb" --host=127.0.0.1 --port="$port" --username="$role_name" \
        "$database_name" >&2
    printf '%s\n' "$directory" "$binaries" >"$state_file"
    echo "export TOLLWAY_TEST_POSTGRES_URL=postgresql+psycopg://$role_name@127.0.0.1:$port/$database_name"
    echo "export TOLLWAY_TEST_POSTGRES_DIR=$directory"
}

stop() {
    local directory="${TOLLWAY_TEST_POSTGRES_DIR:-}" binaries=""
    if [[ -f "$state_file" ]]; then
        { read -r state_directory; read -r binaries; } <"$state_file"
        directory="${directory:-$state_directory}"
    fi
    if [[ -z "$directory" || ! -d "$directory/data" ]]; then
        say "no test server to stop"
        rm -f "$state_file"
        return 0
    fi
    binaries="${binaries:-$(find_binaries)}"
    as_owner "$binaries/pg_ctl" --pgdata="$directory/data" --mode=fast --wait stop >&2 || true
    rm -rf "$directory" "$state_file"
    say "stopped and removed $directory"
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    *) fail "usage: $0 [start|stop]" ;;
esac
