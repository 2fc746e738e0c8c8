#!/usr/bin/env bash
# A private RabbitMQ broker for the tests: its own epmd, ports, Erlang cookie, data and logs, all under one state
# directory, everything listening on 127.0.0.1 only. It never touches a system RabbitMQ, the system epmd (port 4369),
# systemd, /etc/rabbitmq or /var/lib/rabbitmq, and it stops only the processes it started (by the PIDs it recorded).
#
#   test-broker.sh start STATE_DIR    start (or resume) the broker; prints its URI (amqp://guest:guest@127.0.0.1:PORT/)
#   test-broker.sh stop STATE_DIR     stop it gracefully and keep the data; stopping a stopped broker succeeds
#   test-broker.sh uri STATE_DIR      print the URI
#   test-broker.sh destroy STATE_DIR  stop it and delete STATE_DIR
#
# The first start picks three free ports (AMQP, Erlang distribution, epmd) and a node name, and keeps them in
# STATE_DIR, so a later start on the same directory has the same URI and the same data (streams included).
# Only the URI goes to stdout; progress and errors go to stderr. Needs the Debian rabbitmq-server package (3.10).
set -euo pipefail

# The package's real scripts. /usr/sbin/rabbitmq-server is a wrapper that, run as root, changes to /var/lib/rabbitmq and
# runs the server as the rabbitmq user through su, so it is not used here.
RABBITMQ_SCRIPTS=/usr/lib/rabbitmq/bin
START_DEADLINE=90      # seconds until the broker must accept AMQP and report that it has started
CTL_STOP_DEADLINE=30   # seconds for `rabbitmqctl stop`, then as much again for the process to exit
MARKER=.test-broker    # marks a directory as one of ours (destroy deletes only such a directory)

log() { printf 'test-broker: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

usage() {
    echo "usage: $0 start|stop|uri|destroy STATE_DIR" >&2
    exit 2
}

now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    printf '%s' "$((t / 1000))"
}

# --- processes ------------------------------------------------------------------------------------------------------
# A recorded process is "PID STARTTIME" (the start time from /proc/PID/stat), so a PID reused by another process after
# ours ended never matches. Zombies count as ended (the container's PID 1 may never reap a process we left behind).

# Prints "STATE PGRP STARTTIME" of a process, or fails when there is none.
proc_info() {
    local stat fields
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    # The fields after the command name, which is in parentheses and may contain anything.
    read -r -a fields <<<"${stat##*) }"
    [ ${#fields[@]} -ge 20 ] || return 1
    printf '%s %s %s\n' "${fields[0]}" "${fields[2]}" "${fields[19]}"
}

# The start time of a live process, or nothing.
start_time_of() {
    local info state _pgrp started
    info=$(proc_info "$1") || return 0
    read -r state _pgrp started <<<"$info"
    [ "$state" != Z ] && printf '%s' "$started"
    return 0
}

# Whether the process recorded in a pid file is still running.
recorded_alive() {
    local file=$1 pid started current
    [ -f "$file" ] || return 1
    read -r pid started <"$file" || true
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    current=$(start_time_of "$pid")
    [ -n "$current" ] && [ "$current" = "$started" ]
}

recorded_pid() {
    local pid _started
    read -r pid _started <"$1"
    printf '%s' "$pid"
}

record_pid() {
    local started
    started=$(start_time_of "$1")
    [ -n "$started" ] || return 1
    printf '%s %s\n' "$1" "$started" >"$2"
}

# The process group that a process leads, or nothing (a process we start with setsid leads its own).
group_led_by() {
    local info state pgrp _started
    info=$(proc_info "$1") || return 0
    read -r state pgrp _started <<<"$info"
    [ "$state" != Z ] && [ "$pgrp" = "$1" ] && printf '%s' "$pgrp"
    return 0
}

# Live members of a process group (ours: a group that setsid created for a process we started; a process group ID is
# not reused while any process is left in the group).
group_members() {
    local stat pid info state pgrp _started
    for stat in /proc/[0-9]*/stat; do
        pid=${stat#/proc/}
        pid=${pid%/stat}
        info=$(proc_info "$pid") || continue
        read -r state pgrp _started <<<"$info"
        if [ "$pgrp" = "$1" ] && [ "$state" != Z ]; then
            printf '%s\n' "$pid"
        fi
    done
}

# Waits up to $2 seconds for the process recorded in $1 (and, when $3 is given, every process of group $3) to end.
wait_ended() {
    local file=$1 seconds=$2 group=${3:-} deadline
    deadline=$(($(now_ms) + seconds * 1000))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        if ! recorded_alive "$file"; then
            [ -z "$group" ] && return 0
            [ -z "$(group_members "$group")" ] && return 0
        fi
        sleep 0.2
    done
    return 1
}

# Ends the process recorded in $1: SIGTERM, then SIGKILL after $2 seconds. When the process leads its own process
# group (we start it with setsid), the whole group gets the signals, so a shell that started beam takes beam with it.
terminate_recorded() {
    local file=$1 seconds=$2 pid group="" signal
    [ -f "$file" ] || return 0
    pid=$(recorded_pid "$file")
    recorded_alive "$file" && group=$(group_led_by "$pid")
    for signal in TERM KILL; do
        if recorded_alive "$file"; then
            if [ -n "$group" ]; then kill "-$signal" -- "-$group" 2>/dev/null || true
            else kill "-$signal" "$pid" 2>/dev/null || true
            fi
        elif [ -n "$group" ] && [ -n "$(group_members "$group")" ]; then
            kill "-$signal" -- "-$group" 2>/dev/null || true
        else
            break
        fi
        wait_ended "$file" "$seconds" "$group" && break
        [ "$signal" = TERM ] && log "$(basename "$file" .pid) (PID $pid) did not end on SIGTERM within ${seconds}s; sending SIGKILL."
    done
    if recorded_alive "$file"; then
        log "could not end PID $pid recorded in $file."
        return 1
    fi
    rm -f "$file"
}

# --- ports ----------------------------------------------------------------------------------------------------------
# Read from /proc/net/tcp{,6} (no ss, python or lsof needed): a port counts as taken when any TCP socket uses it
# locally, in any state, on any address.

ports_in_use() {
    # awk, not a shell loop: with tens of thousands of sockets (the load and flood tests) a read loop took minutes.
    # Lines torn by a concurrent change of the table are skipped: a port is four hex digits.
    local hex
    hex=$(awk 'FNR > 1 { n = split($2, a, ":"); if (a[n] ~ /^[0-9A-F][0-9A-F][0-9A-F][0-9A-F]$/) print a[n] }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u)
    [ -n "$hex" ] || return 0
    # shellcheck disable=SC2046,SC2086 # one word per port, on purpose
    printf '%d\n' $(printf '0x%s ' $hex)
}

port_in_use() {
    ports_in_use | grep -qx "$1"
}

port_listening() {
    # 0A is TCP_LISTEN; the local address ends with the port in four hex digits.
    local want
    want=$(printf '%04X' "$1")
    awk -v want=":$want" 'FNR > 1 && $4 == "0A" && substr($2, length($2) - 4) == want { found = 1; exit } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Prints three distinct free ports. They come from below the kernel's ephemeral range (ip_local_port_range), so the
# local port of an outgoing connection does not take one of them between a stop and the next start.
pick_ports() {
    local low=32768 high=60999 from to used picked=() candidate tries=0
    if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
        read -r low high </proc/sys/net/ipv4/ip_local_port_range
    fi
    if [ "$low" -gt 12000 ]; then from=10000; to=$((low - 1))
    elif [ "$high" -lt 63000 ]; then from=$((high + 1)); to=65000
    else from=20000; to=30000
    fi
    used=" $(ports_in_use | sort -u | tr '\n' ' ') "
    while [ ${#picked[@]} -lt 3 ]; do
        tries=$((tries + 1))
        [ "$tries" -le 1000 ] || die "found no three free TCP ports between $from and $to."
        candidate=$((from + (RANDOM * 32768 + RANDOM) % (to - from + 1)))
        case "$candidate" in 4369 | 5671 | 5672 | 15672 | 25672) continue ;; esac
        [ "$candidate" -ge 35672 ] && [ "$candidate" -le 35682 ] && continue
        case "$used" in *" $candidate "*) continue ;; esac
        case " ${picked[*]} " in *" $candidate "*) continue ;; esac
        picked+=("$candidate")
    done
    printf '%s %s %s\n' "${picked[@]}"
}

random_hex() {
    od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# --- state ----------------------------------------------------------------------------------------------------------

STATE=""
AMQP_PORT=""
DIST_PORT=""
EPMD_PORT=""
NODE=""

set_state_dir() {
    [ -n "${1:-}" ] || usage
    case "$1" in
        /) die "refusing to use / as the state directory." ;;
        /*) STATE=${1%/} ;;
        *) STATE="$PWD/${1%/}" ;;
    esac
}

# Reads the ports and the node name kept by the first start; fails when there are none.
load_state() {
    local key value
    [ -f "$STATE/ports" ] && [ -f "$STATE/nodename" ] || return 1
    while IFS='=' read -r key value; do
        case "$key" in
            AMQP_PORT) AMQP_PORT=$value ;;
            DIST_PORT) DIST_PORT=$value ;;
            EPMD_PORT) EPMD_PORT=$value ;;
        esac
    done <"$STATE/ports"
    read -r NODE <"$STATE/nodename"
    [[ "$AMQP_PORT" =~ ^[0-9]+$ && "$DIST_PORT" =~ ^[0-9]+$ && "$EPMD_PORT" =~ ^[0-9]+$ && -n "$NODE" ]] ||
        die "$STATE/ports or $STATE/nodename is damaged; destroy the state directory and start again."
}

uri() {
    printf 'amqp://guest:guest@127.0.0.1:%s/' "$AMQP_PORT"
}

# Sets up the broker's environment in the current (sub)shell: nothing inherited that RabbitMQ or Erlang would read
# (RABBITMQ_*, ERL_*, NOTIFY_SOCKET), and every path that would default to /etc/rabbitmq, /var/lib/rabbitmq or
# /var/log/rabbitmq pointed into the state directory.
broker_env() {
    local name
    for name in $(compgen -e); do
        case "$name" in RABBITMQ_* | ERL_* | NOTIFY_SOCKET) unset "$name" ;; esac
    done
    export HOME="$STATE"
    export RABBITMQ_NODENAME="$NODE"
    export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    export RABBITMQ_NODE_PORT="$AMQP_PORT"
    export RABBITMQ_DIST_PORT="$DIST_PORT"
    export ERL_EPMD_PORT="$EPMD_PORT"
    # If an Erlang VM started from here ever found no epmd on ERL_EPMD_PORT, it must neither start one of its own
    # (-start_epmd false) nor let one listen beyond the loopback address.
    export ERL_EPMD_ADDRESS=127.0.0.1
    export ERL_FLAGS="-start_epmd false"
    export RABBITMQ_MNESIA_BASE="$STATE/mnesia"
    export RABBITMQ_LOG_BASE="$STATE/log"
    export RABBITMQ_PID_FILE="$STATE/mnesia/$NODE.pid"
    export RABBITMQ_CONFIG_FILE="$STATE/rabbitmq.conf"
    export RABBITMQ_CONFIG_FILES="$STATE/conf.d/*.conf"
    export RABBITMQ_ADVANCED_CONFIG_FILE="$STATE/advanced.config"
    export RABBITMQ_CONF_ENV_FILE="$STATE/rabbitmq-env.conf"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$STATE/enabled_plugins"
    export RABBITMQ_MOTD_FILE="$STATE/motd"
    # The Erlang distribution listens on 127.0.0.1 too, the broker's and that of the rabbitmqctl VMs (which take
    # any free port rather than the fixed 35672-35682, so brokers can run side by side).
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    export RABBITMQ_CTL_DIST_PORT_MIN=0
    export RABBITMQ_CTL_DIST_PORT_MAX=0
    cd "$STATE"
}

# Runs a command in the broker's environment.
in_broker_env() {
    (
        broker_env
        exec "$@"
    )
}

# rabbitmqctl SECONDS ARGS...: rabbitmqctl for our node, ended after SECONDS (SIGKILL 5 s later if need be).
rabbitmqctl() {
    local seconds=$1
    shift
    in_broker_env timeout --kill-after=5 "$seconds" "$RABBITMQ_SCRIPTS/rabbitmqctl" -n "$NODE" "$@"
}

# The logs' sizes when this start began, so a failure shows only what this start wrote.
declare -A LOG_OFFSETS=()

log_files() {
    printf '%s\n' "$STATE/log/epmd.log" "$STATE/log/startup.log" "$STATE/log/ctl.log" "$STATE/log/$NODE.log"
}

mark_logs() {
    local file
    while IFS= read -r file; do
        LOG_OFFSETS[$file]=$(stat -c %s "$file" 2>/dev/null || echo 0)
    done < <(log_files)
}

log_tail() {
    local file offset
    while IFS= read -r file; do
        [ -s "$file" ] || continue
        offset=${LOG_OFFSETS[$file]:-0}
        [ "$(stat -c %s "$file")" -gt "$offset" ] || continue
        printf -- '--- last lines of %s ---\n' "$file" >&2
        tail -c "+$((offset + 1))" "$file" | tail -n 40 >&2
    done < <(log_files)
}

# --- commands -------------------------------------------------------------------------------------------------------

cmd_stop() {
    local started group
    [ -d "$STATE" ] || return 0
    load_state || return 0
    if recorded_alive "$STATE/broker.pid"; then
        started=$(now_ms)
        group=$(group_led_by "$(recorded_pid "$STATE/broker.pid")")
        log "stopping $NODE."
        # rabbitmqctl needs our epmd to reach the node; without it, go straight to the signals.
        if recorded_alive "$STATE/epmd.pid"; then
            rabbitmqctl "$CTL_STOP_DEADLINE" stop >>"$STATE/log/ctl.log" 2>&1 ||
                log "rabbitmqctl stop failed or timed out (see $STATE/log/ctl.log)."
        fi
        if ! wait_ended "$STATE/broker.pid" "$CTL_STOP_DEADLINE" "$group"; then
            log "$NODE was still running ${CTL_STOP_DEADLINE}s after rabbitmqctl stop; sending SIGTERM."
        fi
        terminate_recorded "$STATE/broker.pid" 10
        log "stopped $NODE in $(($(now_ms) - started)) ms."
    fi
    rm -f "$STATE/broker.pid"
    terminate_recorded "$STATE/epmd.pid" 5
}

START_OK=""

on_start_exit() {
    local status=$1
    if [ -z "$START_OK" ]; then
        trap - EXIT
        log_tail
        cmd_stop || true
        log "$NODE did not start (state in $STATE; the reason is above the log lines)."
        exit "$((status == 0 ? 1 : status))"
    fi
}

cmd_start() {
    local started deadline ports cookie
    started=$(now_ms)
    if [ -d "$STATE" ] && [ ! -f "$STATE/$MARKER" ] && [ -n "$(ls -A "$STATE")" ]; then
        die "$STATE exists and is not a test broker's state directory; choose an empty or new directory."
    fi
    command -v "$RABBITMQ_SCRIPTS/rabbitmq-server" >/dev/null 2>&1 ||
        die "$RABBITMQ_SCRIPTS/rabbitmq-server not found; install the rabbitmq-server package (apt-get install rabbitmq-server)."
    command -v epmd >/dev/null 2>&1 || die "epmd not found (it comes with erlang-base, a dependency of rabbitmq-server)."
    if ! command -v timeout >/dev/null 2>&1 || ! command -v setsid >/dev/null 2>&1; then
        die "timeout (coreutils) and setsid (util-linux) are required."
    fi

    mkdir -p "$STATE"
    chmod 700 "$STATE"
    : >"$STATE/$MARKER"
    mkdir -p "$STATE/mnesia" "$STATE/log" "$STATE/conf.d"

    if ! load_state; then
        ports=$(pick_ports)
        read -r AMQP_PORT DIST_PORT EPMD_PORT <<<"$ports"
        printf 'AMQP_PORT=%s\nDIST_PORT=%s\nEPMD_PORT=%s\n' "$AMQP_PORT" "$DIST_PORT" "$EPMD_PORT" >"$STATE/ports"
        NODE="rt-test-$(random_hex 4)@localhost"
        printf '%s\n' "$NODE" >"$STATE/nodename"
    fi

    if recorded_alive "$STATE/broker.pid" && recorded_alive "$STATE/epmd.pid" && [ -f "$STATE/uri" ]; then
        log "$NODE is already running."
        START_OK=1
        cat "$STATE/uri"
        echo
        return 0
    fi
    # Whatever is left of an earlier run (a crashed broker, an epmd alone) goes first.
    cmd_stop

    local port
    for port in "$AMQP_PORT" "$DIST_PORT" "$EPMD_PORT"; do
        if port_listening "$port"; then
            die "port $port (kept in $STATE/ports) is taken by another process; destroy $STATE to pick new ports."
        fi
    done

    # From here on, a failure (or Ctrl-C) shows the logs and stops whatever this start started.
    mark_logs
    trap 'on_start_exit $?' EXIT
    trap 'log "interrupted."; exit 130' INT
    trap 'log "terminated."; exit 143' TERM

    if [ ! -f "$STATE/.erlang.cookie" ]; then
        cookie=$(random_hex 20 | tr 'a-f' 'A-F')
        (umask 077 && printf '%s' "$cookie" >"$STATE/.erlang.cookie")
    fi
    chmod 600 "$STATE/.erlang.cookie"
    cat >"$STATE/rabbitmq.conf" <<EOF
# Written by test-broker.sh at each start.
listeners.tcp.default = 127.0.0.1:$AMQP_PORT
loopback_users = none
# A small disk must not block publishers.
disk_free_limit.absolute = 50MB
log.console = false
log.file.level = info
EOF
    printf '[].\n' >"$STATE/enabled_plugins"
    printf '[].\n' >"$STATE/advanced.config"
    printf '# Empty on purpose: /etc/rabbitmq/rabbitmq-env.conf is not read.\n' >"$STATE/rabbitmq-env.conf"

    # epmd in the foreground as a background job, in a session of its own (setsid, which execs without forking here
    # because a background job is no process group leader), so the caller's Ctrl-C or terminal does not reach it.
    (
        cd "$STATE"
        exec setsid epmd -port "$EPMD_PORT" -address 127.0.0.1
    ) </dev/null >>"$STATE/log/epmd.log" 2>&1 &
    record_pid "$!" "$STATE/epmd.pid" || die "epmd ended at once (see $STATE/log/epmd.log)."
    deadline=$(($(now_ms) + 10000))
    until port_listening "$EPMD_PORT"; do
        recorded_alive "$STATE/epmd.pid" || die "epmd ended before listening on 127.0.0.1:$EPMD_PORT."
        [ "$(now_ms)" -lt "$deadline" ] || die "epmd did not listen on 127.0.0.1:$EPMD_PORT within 10 s."
        sleep 0.2
    done

    # The server script keeps a shell that runs beam as its child (it execs only with RABBITMQ_ALLOW_INPUT or under
    # systemd); setsid makes that shell the leader of a process group of our own, which stop signals as a whole.
    log "starting $NODE (AMQP 127.0.0.1:$AMQP_PORT, distribution $DIST_PORT, epmd $EPMD_PORT, state $STATE)."
    (
        broker_env
        exec setsid "$RABBITMQ_SCRIPTS/rabbitmq-server"
    ) </dev/null >>"$STATE/log/startup.log" 2>&1 &
    record_pid "$!" "$STATE/broker.pid" || die "rabbitmq-server ended at once."

    deadline=$(($(now_ms) + START_DEADLINE * 1000))
    until port_listening "$AMQP_PORT"; do
        recorded_alive "$STATE/broker.pid" || die "rabbitmq-server ended during startup."
        [ "$(now_ms)" -lt "$deadline" ] || die "$NODE did not listen on 127.0.0.1:$AMQP_PORT within ${START_DEADLINE}s."
        sleep 0.2
    done
    local remaining=$(((deadline - $(now_ms)) / 1000))
    [ "$remaining" -ge 5 ] || remaining=5
    if ! rabbitmqctl "$remaining" --timeout "$remaining" await_startup >>"$STATE/log/ctl.log" 2>&1; then
        tail -n 20 "$STATE/log/ctl.log" >&2 || true
        die "$NODE listens on 127.0.0.1:$AMQP_PORT but rabbitmqctl await_startup failed."
    fi

    uri >"$STATE/uri"
    START_OK=1
    trap - EXIT INT TERM
    log "$NODE ready in $(($(now_ms) - started)) ms."
    uri
    echo
}

cmd_destroy() {
    [ -e "$STATE" ] || return 0
    if [ ! -f "$STATE/$MARKER" ] && [ -n "$(ls -A "$STATE")" ]; then
        die "$STATE is not a test broker's state directory; not deleting it."
    fi
    cmd_stop
    rm -rf -- "$STATE"
}

[ $# -eq 2 ] || usage
set_state_dir "$2"
case "$1" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    uri)
        [ -f "$STATE/uri" ] || die "no broker in $STATE (run start first)."
        cat "$STATE/uri"
        echo
        ;;
    destroy) cmd_destroy ;;
    *) usage ;;
esac
