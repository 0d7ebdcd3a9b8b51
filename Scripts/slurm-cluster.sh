#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the tests of `lines run launcher=slurm`:
# Debian's slurmctld + slurmd, munge with a generated key, a minimal slurm.conf.
#
#   bash Scripts/slurm-cluster.sh up   DIR   # installs what is missing, starts it, prints SLURM_CONF=…
#   bash Scripts/slurm-cluster.sh down DIR   # stops it
#
# Everything lives under DIR (state, spool, logs, slurm.conf); munge uses its usual socket.
# Needs root (the daemons run as root here). Exits non-zero with a sentence when it cannot start.
set -euo pipefail
action="${1:-}"; dir="${2:-}"
if [ -z "$action" ] || [ -z "$dir" ]; then echo "usage: $0 up|down DIR" >&2; exit 2; fi
mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
conf="$dir/slurm.conf"

# Stops the daemon whose pid file is $1: SIGTERM, then SIGKILL after 5 s.
stop_one() {
  [ -f "$1" ] || return 0
  local pid; pid="$(cat "$1")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$1"
}
stop() {
  stop_one "$dir/slurmd.pid"
  stop_one "$dir/slurmctld.pid"
  stop_one "$dir/munged.pid"
}

if [ "$action" = down ]; then stop; exit 0; fi
[ "$action" = up ] || { echo "usage: $0 up|down DIR" >&2; exit 2; }

if [ "$(id -u)" -ne 0 ]; then echo "slurm-cluster: the test cluster's daemons run as root; run this as root" >&2; exit 1; fi
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null 2>&1; }; } \
    || { echo "slurm-cluster: could not install slurmctld, slurmd, slurm-client and munge with apt-get" >&2; exit 1; }
fi
stop

# munge: a key of our own, its own socket folder, running as root.
mkdir -p "$dir/munge" /run/munge
key="$dir/munge/munge.key"
[ -s "$key" ] || dd if=/dev/urandom of="$key" bs=1 count=1024 status=none
chmod 400 "$key"
socket=/run/munge/munge.socket.2
if ! munge -n -S "$socket" >/dev/null 2>&1; then
  munged --force --key-file="$key" --socket="$socket" --pid-file="$dir/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
    || { echo "slurm-cluster: munged did not start (see $dir/munge/munged.log)" >&2; exit 1; }
fi

host="$(hostname -s)"
cpus="$(nproc)"
mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
mkdir -p "$dir/state" "$dir/spool"
cat > "$conf" <<CONF
ClusterName=lines-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldPort=${LINES_SLURMCTLD_PORT:-6817}
SlurmdPort=${LINES_SLURMD_PORT:-6818}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_interval=2,bf_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MinJobAge=600
InactiveLimit=0
KillWait=5
NodeName=$host CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$conf"
slurmctld -f "$conf" || { echo "slurm-cluster: slurmctld did not start (see $dir/slurmctld.log)" >&2; exit 1; }
slurmd -f "$conf" || { echo "slurm-cluster: slurmd did not start (see $dir/slurmd.log)" >&2; stop; exit 1; }
# Wait for the node to be idle.
for _ in $(seq 1 60); do
  state="$(sinfo -h -n "$host" -o %T 2>/dev/null || true)"
  case "$state" in idle*|mixed*|allocated*) echo "SLURM_CONF=$conf"; exit 0 ;; esac
  sleep 0.5
done
echo "slurm-cluster: the node did not come up (state '${state:-unknown}'; see $dir/slurmctld.log and $dir/slurmd.log)" >&2
stop
exit 1
