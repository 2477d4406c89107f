#!/bin/sh
# Installed as the units' daxplan (/usr/local/bin/daxplan) in the test
# container, in place of install.sh's symlink: probe.mjs records the unit's
# argv and its sandbox, then the real daxplan CLI runs with that argv (exec:
# it is the unit's main process, as the symlink would make it), over the
# simulated kernel setup.sh put in /run/daxplan/check-host, under the host's
# lock (beside which the last apply is recorded, as on a host). A flag the CLI
# does not take fails the unit here exactly as on a host.
node /opt/daxplan-check/probe.mjs "$@" || exit 70
if [ "$1" = watch ]; then
	# A child of the main process that reports a SIGTERM: with KillMode=mixed
	# only daxplan itself may get one (its lock is such a child).
	sh -c 'trap "touch /run/daxplan/probe/watch-child-got-sigterm; exit 0" TERM; sleep 600 & wait' &
fi
exec node /opt/daxplan-src/dist/daxplan-sim.mjs "$@" --sysfs-root /run/daxplan/check-host/sys --lock-file /run/daxplan/lock
