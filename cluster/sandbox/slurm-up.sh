#!/usr/bin/env bash
# A real single-node SLURM cluster on this machine (Debian, as root): munge, MariaDB, slurmdbd
# (accounting), slurmctld and slurmd; partitions `cpu` (default) and `gpu`, whose node has one GRES
# gpu without a device behind it, so `--gpus=1` is scheduled and SLURM sets CUDA_VISIBLE_DEVICES;
# account `my-account` (the name cluster/config.yaml ships) with an association for root and for the
# user who called sudo. The sandbox for `snakemake --profile cluster` on a laptop, a VM or CI
# (docs/cluster.md). Idempotent: a second run starts only what is not running and changes nothing
# else. `cluster/sandbox/slurm-down.sh` stops it.
#
# Environment (all optional):
#   SANDBOX_ACCOUNT   account to create (default my-account)
#   SANDBOX_CPUS      CPUs the node advertises (default 16: a GPU node's size, so that the paper plan's
#                     `--cpus-per-gpu 8` lines are schedulable; jobs then share this machine's cores)
#   SANDBOX_MEM_MB    memory the node advertises in MB (default 131072, for the paper plan's 64 GB
#                     GPU jobs; SlurmdParameters=config_overrides lets a smaller machine claim it)
#   SANDBOX_NO_APT=1  never call apt-get (fail if a package is missing)
set -euo pipefail

ACCOUNT=${SANDBOX_ACCOUNT:-my-account}
CPUS=${SANDBOX_CPUS:-16}
MEM_MB=${SANDBOX_MEM_MB:-131072}
CLUSTER=ttcgames-sandbox
NODE=$(hostname -s)
ETC=/etc/slurm
LOGS=/var/log/slurm
DB_PASS=sandbox-slurmdbd          # MariaDB password of the local `slurm` user (loopback only)

say() { printf 'slurm-up: %s\n' "$*"; }
die() { printf 'slurm-up: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts daemons)"

# ------------------------------------------------------------------ packages
need=()
for cmd in munged mariadbd slurmdbd slurmctld slurmd sbatch sacct; do
  command -v "$cmd" >/dev/null 2>&1 || need+=("$cmd")
done
if [ ${#need[@]} -gt 0 ]; then
  [ "${SANDBOX_NO_APT:-0}" = 1 ] && die "missing ${need[*]} and SANDBOX_NO_APT=1"
  say "installing slurm-wlm slurmdbd mariadb-server munge (missing: ${need[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends slurm-wlm slurmdbd mariadb-server munge >/dev/null
fi

mkdir -p "$ETC" "$LOGS" /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /run/slurm
chown slurm:slurm "$LOGS" /var/lib/slurm/slurmctld /run/slurm

running() { pgrep -x "$1" >/dev/null 2>&1; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  for _ in $(seq "$limit"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  die "$what did not come up within ${limit}s (logs in $LOGS)"
}

# ------------------------------------------------------------------ munge
if [ ! -s /etc/munge/munge.key ]; then
  say "creating /etc/munge/munge.key"
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
fi
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
if ! running munged; then
  say "starting munged"
  runuser -u munge -- /usr/sbin/munged
fi
wait_for 20 munge sh -c 'munge -n | unmunge'

# ------------------------------------------------------------------ MariaDB (slurmdbd's store)
if ! running mariadbd; then
  say "starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  [ -d /var/lib/mysql/mysql ] || mysql_install_db --user=mysql >/dev/null
  (cd / && nohup /usr/sbin/mariadbd --user=mysql --bind-address=127.0.0.1 >"$LOGS/mariadb.log" 2>&1 &)
fi
wait_for 60 MariaDB mysqladmin ping
mysql -u root <<SQL
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
FLUSH PRIVILEGES;
SQL

# ------------------------------------------------------------------ configuration (rewritten only when it changes)
write_conf() {  # write_conf PATH MODE OWNER: stdin -> PATH; prints "changed" if the content differs
  local path=$1 mode=$2 owner=$3 tmp
  tmp=$(mktemp "$path.XXXXXX")
  cat >"$tmp"
  chmod "$mode" "$tmp" && chown "$owner" "$tmp"
  if [ -f "$path" ] && cmp -s "$tmp" "$path"; then rm -f "$tmp"; else mv "$tmp" "$path"; echo changed; fi
}

# cgroup v1 memory controller mounted and writable (containers often have it): the kernel enforces --mem.
if [ -w /sys/fs/cgroup/memory ] && mkdir /sys/fs/cgroup/memory/slurm-up-probe.$$ 2>/dev/null; then
  rmdir /sys/fs/cgroup/memory/slurm-up-probe.$$
  PROCTRACK=cgroup TASKPLUGIN=cgroup ACCTGATHER=cgroup ACCTPARAMS=NoOverMemoryKill MEMORY=cgroup
else
  PROCTRACK=linuxproc TASKPLUGIN=none ACCTGATHER=linux ACCTPARAMS=OverMemoryKill MEMORY=polling
fi

changed=$(
  write_conf "$ETC/slurmdbd.conf" 600 slurm:slurm <<EOF
# Written by cluster/sandbox/slurm-up.sh
AuthType=auth/munge
DbdHost=localhost
SlurmUser=slurm
LogFile=$LOGS/slurmdbd.log
PidFile=/run/slurm/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
  write_conf "$ETC/slurm.conf" 644 root:root <<EOF
# Written by cluster/sandbox/slurm-up.sh: a single-node sandbox (docs/cluster.md)
ClusterName=$CLUSTER
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
# Memory is enforced per job: with cgroup v1 (as on most sites) a job over its --mem is killed by
# the kernel and ends OUT_OF_MEMORY; without a usable cgroup v1 memory controller, jobs are tracked
# by process id and polled (OverMemoryKill: the job ends FAILED and its log says the limit was exceeded).
ProctrackType=proctrack/$PROCTRACK
TaskPlugin=task/$TASKPLUGIN
JobAcctGatherType=jobacct_gather/$ACCTGATHER
JobAcctGatherFrequency=task=2
JobAcctGatherParams=$ACCTPARAMS
# Memory and cores are consumable: --mem larger than the node is refused, as on a real site.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
SlurmdParameters=config_overrides
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageEnforce=associations,limits
AccountingStorageTRES=gres/gpu
# Keep each job's --comment (Snakemake writes the rule there) so sacct can say which rule a job ran.
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none
# Short timers: a sandbox should react in seconds.
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=5,bf_interval=5
MessageTimeout=20
KillWait=5
MinJobAge=300
SlurmdTimeout=60
InactiveLimit=0
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB Gres=gpu:1 State=UNKNOWN
PartitionName=cpu Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$NODE MaxTime=INFINITE State=UP
EOF
  # One GPU with no device file: the scheduler counts it and sets CUDA_VISIBLE_DEVICES=0 for a job
  # that asks for it; nothing in the sandbox can use it (CUDA work needs a real GPU node).
  write_conf "$ETC/gres.conf" 644 root:root <<EOF
# Written by cluster/sandbox/slurm-up.sh
NodeName=$NODE Name=gpu Count=1 File=/dev/null
EOF
  if [ "$MEMORY" = cgroup ]; then
    write_conf "$ETC/cgroup.conf" 644 root:root <<EOF
# Written by cluster/sandbox/slurm-up.sh: memory limits only (no core or device confinement)
CgroupPlugin=cgroup/v1
CgroupMountpoint=/sys/fs/cgroup
CgroupAutomount=no
ConstrainCores=no
ConstrainRAMSpace=yes
ConstrainSwapSpace=yes
ConstrainDevices=no
EOF
  else
    rm -f "$ETC/cgroup.conf"
  fi
)

# ------------------------------------------------------------------ daemons
if [ -n "$changed" ] && running slurmctld; then
  say "configuration changed: restarting the SLURM daemons"
  pkill -x slurmd || true; pkill -x slurmctld || true; pkill -x slurmdbd || true
  for _ in $(seq 20); do running slurmctld || running slurmd || running slurmdbd || break; sleep 1; done
fi
if ! running slurmdbd; then
  say "starting slurmdbd"
  /usr/sbin/slurmdbd
fi
wait_for 60 slurmdbd sacctmgr -i -n show cluster

# Accounting: the cluster, the account and the users' associations (each only when missing).
if [ -z "$(sacctmgr -n -P show cluster "$CLUSTER" format=cluster)" ]; then
  sacctmgr -i add cluster "$CLUSTER" >/dev/null
fi
if [ -z "$(sacctmgr -n -P show account "$ACCOUNT" format=account)" ]; then
  sacctmgr -i add account "$ACCOUNT" cluster="$CLUSTER" description="ttc-games sandbox" organization=sandbox >/dev/null
fi
users=(root)
[ -n "${SUDO_USER:-}" ] && [ "${SUDO_USER}" != root ] && users+=("$SUDO_USER")
for u in "${users[@]}"; do
  if [ -z "$(sacctmgr -n -P show assoc where user="$u" account="$ACCOUNT" cluster="$CLUSTER" format=user)" ]; then
    sacctmgr -i add user "$u" account="$ACCOUNT" cluster="$CLUSTER" >/dev/null
  fi
done

if ! running slurmctld; then
  say "starting slurmctld"
  /usr/sbin/slurmctld
fi
wait_for 60 slurmctld scontrol ping
if ! running slurmd; then
  say "starting slurmd"
  /usr/sbin/slurmd
fi

node_ready() { sinfo -h -n "$NODE" -o '%t' | grep -Eq '^(idle|mix|alloc)'; }
for _ in $(seq 60); do
  node_ready && break
  state=$(sinfo -h -n "$NODE" -o '%t' | head -n1)
  case "$state" in down*|drain*|drng*) scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true ;; esac
  sleep 1
done
node_ready || die "node $NODE is not idle: $(sinfo -h -n "$NODE" -o '%t %E')"
say "cluster $CLUSTER is up: partitions $(sinfo -h -o '%P' | paste -sd' '), account $ACCOUNT, node $NODE ($CPUS CPUs, $MEM_MB MB, gres/gpu:1), memory limits by $MEMORY"
