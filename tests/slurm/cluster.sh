#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, for tests/test_slurm.py (and by hand):
#
#   tests/slurm/cluster.sh start DIR   # config, state, logs and pid files under DIR
#   export SLURM_CONF=DIR/slurm.conf   # what sbatch, squeue and scontrol read
#   export PATH=DIR/bin:$PATH          # srun inside a job (below)
#   tests/slurm/cluster.sh stop DIR    # stops the daemons that `start` started, nothing else
#
# It needs root and Debian's slurm-wlm and munge (tests/install.sh installs them). SLURM 22.05
# runs here without systemd or cgroups: ProctrackType=proctrack/linuxproc, TaskPlugin=task/none,
# no accounting storage (so no sacct: Snakemake's SLURM executor must be told
# --slurm-status-command squeue, and MinJobAge keeps a finished job in squeue for 300 s, longer
# than the executor waits between status checks). munged runs as the munge user on a socket
# under DIR; slurmctld -D and slurmd -D run in the background on two free ports, so neither
# touches a munged or a cluster already on the machine.
#
# The node declares SYNTHIC_SLURM_CPUS CPUs (default 8) and SYNTHIC_SLURM_MEM_MB of memory
# (default 16000) whatever the machine has (SlurmdParameters=config_overrides), so that the jobs of
# workflow/profiles/slurm, which ask for a cluster node's share (4 CPUs to train), are scheduled
# here too; without cgroups nothing is enforced, the CPUs are shared.
#
# The config lives in DIR, not in /etc/slurm, so every SLURM command needs SLURM_CONF. The
# executor's job step (snakemake-executor-plugin-slurm-jobstep 0.6.1) removes every SLURM_*
# variable but the job's identity from the environment of the srun it starts inside a job,
# SLURM_CONF too, and that srun then fails ("Could not establish a configuration source"). So
# DIR/bin/srun puts SLURM_CONF back and runs the real srun; a real cluster, with its config in
# /etc/slurm or configless, needs no such thing.
#
# `start` exits non-zero with one line on stderr when the cluster cannot start (no root, a program
# missing, a daemon that does not come up); the test then skips with that line.
set -euo pipefail

usage() {
    echo "usage: $0 start|stop DIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
action=$1
dir=$2

fail() {
    echo "tests/slurm/cluster.sh: $*" >&2
    exit 1
}

stop() {
    # Stop what start started: the pids it wrote, slurmd first, munged last.
    local name pid
    for name in slurmd slurmctld munged; do
        [ -f "$dir/$name.pid" ] || continue
        pid=$(cat "$dir/$name.pid")
        [ -n "$pid" ] || continue
        if kill "$pid" 2>/dev/null; then
            for _ in $(seq 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$dir/$name.pid"
    done
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    [ "$(id -u)" = 0 ] || fail "needs root (slurmd runs jobs as their user)"
    local prog
    for prog in munged munge unmunge slurmctld slurmd sbatch srun squeue sinfo scontrol; do
        command -v "$prog" >/dev/null || fail "$prog not found (apt-get install slurm-wlm munge)"
    done
    id munge >/dev/null 2>&1 || fail "no munge user (apt-get install munge)"
    [ -f /etc/munge/munge.key ] || fail "no /etc/munge/munge.key (apt-get install munge)"

    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    chmod 755 "$dir" # the munge user reaches its socket through it
    runuser -u munge -- test -x "$dir" ||
        fail "the munge user cannot reach $dir (a folder above it is private): take one under /tmp"
    mkdir -p "$dir/munge" "$dir/state" "$dir/spool"
    install -o munge -g munge -m 400 /etc/munge/munge.key "$dir/munge/munge.key"
    chown munge:munge "$dir/munge"
    chmod 755 "$dir/munge" # munged wants its socket's folder searchable by all

    local socket="$dir/munge/munge.socket"
    runuser -u munge -- munged --socket="$socket" --key-file="$dir/munge/munge.key" \
        --pid-file="$dir/munge/munged.pid" --seed-file="$dir/munge/munged.seed" \
        --log-file="$dir/munge/munged.log" ||
        fail "munged did not start: $(tail -n 1 "$dir/munge/munged.log" 2>/dev/null)"
    cp "$dir/munge/munged.pid" "$dir/munged.pid"
    munge --socket="$socket" -n | unmunge --socket="$socket" >/dev/null ||
        fail "munge does not answer on $socket"

    local host ctld_port slurmd_port
    host=$(hostname -s)
    ctld_port=$(free_port)
    slurmd_port=$(free_port)
    cat >"$dir/slurm.conf" <<EOF
# Written by tests/slurm/cluster.sh: a one-node cluster for the tests.
ClusterName=synthic
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=300
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=${SYNTHIC_SLURM_CPUS:-8} RealMemory=${SYNTHIC_SLURM_MEM_MB:-16000} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF="$dir/slurm.conf"
    mkdir -p "$dir/bin"
    cat >"$dir/bin/srun" <<EOF
#!/bin/sh
# tests/slurm/cluster.sh: srun with this cluster's config (the job step drops SLURM_CONF).
SLURM_CONF="\${SLURM_CONF:-$SLURM_CONF}" exec $(command -v srun) "\$@"
EOF
    chmod 755 "$dir/bin/srun"
    # -D: in the foreground (no systemd), put in the background here; -i: ignore old state.
    slurmctld -D -i >"$dir/slurmctld.out" 2>&1 &
    echo $! >"$dir/slurmctld.pid"
    slurmd -D >"$dir/slurmd.out" 2>&1 &
    echo $! >"$dir/slurmd.pid"

    local state=""
    for _ in $(seq 60); do
        state=$(sinfo -h -N -o %t 2>/dev/null | head -n 1) || true
        case "$state" in idle | mix | alloc) break ;; esac
        for name in slurmctld slurmd; do
            kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null ||
                fail "$name exited: $(tail -n 1 "$dir/$name.log" "$dir/$name.out" 2>/dev/null | tr '\n' ' ')"
        done
        sleep 0.5
    done
    case "$state" in
        idle | mix | alloc) ;;
        *) fail "the node did not come up (state '${state:-none}'; see $dir/slurmctld.log)" ;;
    esac
    echo "tests/slurm/cluster.sh: SLURM $(sinfo -V | cut -d' ' -f2) up on $host," \
        "ports $ctld_port/$slurmd_port; export SLURM_CONF=$dir/slurm.conf PATH=$dir/bin:\$PATH"
}

case "$action" in
    start)
        # A start that fails half-way stops what it started.
        trap 'rc=$?; [ $rc = 0 ] || stop; exit $rc' EXIT
        start
        ;;
    stop) stop ;;
    *) usage ;;
esac
