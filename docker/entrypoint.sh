#!/bin/sh
# Network-apps container entrypoint: optionally migrate every app's database, then run the
# container's command.
#
#   MIGRATE_ON_START=1   run `netapps migrate $MIGRATE_ARGS` first; if it fails, exit with its
#                        exit code (2 usage/config, 3 database unreachable, 4 migration failed,
#                        5 check failed, 6 lock timeout) and do NOT run the command.
#   MIGRATE_ON_START=0   (or unset/empty) run the command straight away.
#   MIGRATE_ARGS         extra flags for `netapps migrate`, split on blanks, no globbing,
#                        e.g. "--lock-timeout 300" or "--no-backup".
#
# Several replicas may start at once: netapps holds a per-database migration lock, so one of
# them migrates and the others wait, then find nothing left to do.
# Works outside Docker too: `netapps` is looked up on PATH.
set -eu

log() {
    printf 'entrypoint: %s\n' "$*" >&2
}

case "${MIGRATE_ON_START:-0}" in
    1 | true | TRUE | True | yes | YES | Yes) migrate=1 ;;
    0 | false | FALSE | False | no | NO | No | "") migrate=0 ;;
    *)
        log "MIGRATE_ON_START must be 1 or 0 (got '${MIGRATE_ON_START}'); not starting"
        exit 2
        ;;
esac

if [ "$migrate" = 1 ]; then
    if ! command -v netapps >/dev/null 2>&1; then
        log "netapps is not on PATH ($PATH); install the project (pip install .) or fix PATH"
        exit 127
    fi
    log "netapps migrate ${MIGRATE_ARGS:-}"
    status=0
    # MIGRATE_ARGS is a list of flags: split it on purpose, but never glob it.
    set -f
    # shellcheck disable=SC2086
    netapps migrate ${MIGRATE_ARGS:-} || status=$?
    set +f
    if [ "$status" -ne 0 ]; then
        log "netapps migrate failed (exit $status); the command was not started"
        exit "$status"
    fi
fi

if [ "$#" -eq 0 ]; then
    # Nothing to run (possible outside Docker): migrating was the whole job.
    exit 0
fi
exec "$@"
