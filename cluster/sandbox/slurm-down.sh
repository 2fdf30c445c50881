#!/usr/bin/env bash
# Stops the sandbox cluster that cluster/sandbox/slurm-up.sh started (its daemons only; the
# configuration, the accounting database and the job history stay, so slurm-up.sh brings it back).
set -u
[ "$(id -u)" = 0 ] || { echo "slurm-down: error: run as root" >&2; exit 1; }
for d in slurmd slurmctld slurmdbd; do pkill -x "$d" && echo "slurm-down: stopped $d"; done
if pgrep -x mariadbd >/dev/null; then mysqladmin shutdown && echo "slurm-down: stopped MariaDB"; fi
pkill -x munged && echo "slurm-down: stopped munged"
exit 0
