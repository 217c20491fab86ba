# shellcheck shell=bash
# What the smoke tests of the image share (sourced by scripts/container-smoke and
# scripts/compose-smoke): counted checks, packages installed with apt when missing, a Docker
# engine started when none answers and stopped again by its pid, the local Debian base image,
# and the service image built around a binary of this host.
#
# The sourcing script sets `work` (a temp folder it removes), calls `smoke_finish` from its EXIT
# trap, and may add to `measured`.
: "${work:?set work before sourcing scripts/lib/docker.sh}"

# Docker 20.10 (Debian's) has no buildx; a newer client would otherwise warn or try BuildKit.
export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
LOCAL_BASE=local/debian:bookworm

passed=0 failed=0 gave_up="" dockerd_pid=""
measured=()
ok() { passed=$((passed + 1)); echo "ok   $*"; }
not_ok() { failed=$((failed + 1)); echo "FAIL $*"; }
# check NAME COMMAND...: one counted check; the command's output is shown only when it fails.
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name"; printf '%s\n' "$out" | tail -n 20; fi
}
now() { date +%s.%N; }
seconds_since() { awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.1f", end - start }'; }

# Stops the run here: the remaining checks depend on this step.
give_up() { not_ok "$*"; gave_up=1; exit 1; }

apt_install() {
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        give_up "$* missing, and this is not root with apt-get to install it"
    fi
    # A fresh machine may have no package lists, or lists older than the mirror's files.
    if ! apt-cache show "$@" >/dev/null 2>&1 \
        || [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null)" ]; then
        timeout 300 apt-get update -q >/dev/null
    fi
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

# ensure_engine [PACKAGE...]: installs curl, jq, docker.io and the packages given when their
# commands are missing (a package named after its command), then starts dockerd unless an engine
# answers already.
ensure_engine() {
    local missing=() start package
    command -v curl >/dev/null || missing+=(curl)
    command -v jq >/dev/null || missing+=(jq)
    if ! command -v docker >/dev/null || { ! engine_answers && ! command -v dockerd >/dev/null; }; then
        missing+=(docker.io)
    fi
    for package in "$@"; do command -v "$package" >/dev/null || missing+=("$package"); done
    if [ "${#missing[@]}" -gt 0 ]; then
        start=$(now)
        echo "apt-get install ${missing[*]}"
        apt_install "${missing[@]}"
        measured+=("install ${missing[*]} $(seconds_since "$start") s;")
    fi
    if ! engine_answers; then
        start=$(now)
        dockerd >"$work/dockerd.log" 2>&1 &
        dockerd_pid=$!
        echo "started dockerd (pid $dockerd_pid)"
        local deadline=$((SECONDS + 60))
        until engine_answers; do
            if ! kill -0 "$dockerd_pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
                tail -n 20 "$work/dockerd.log"
                give_up "dockerd did not answer within 60 s"
            fi
            sleep 0.5
        done
        measured+=("dockerd start $(seconds_since "$start") s;")
    fi
    docker version --format 'engine {{.Server.Version}}, client {{.Client.Version}}'
}

# Stops the dockerd that ensure_engine started, and only that one.
stop_engine() {
    [ -n "$dockerd_pid" ] || return 0
    kill -TERM "$dockerd_pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$dockerd_pid" 2>/dev/null; then
        echo "dockerd (pid $dockerd_pid) did not stop in 20 s; killing it"
        kill -KILL "$dockerd_pid" 2>/dev/null
    fi
    dockerd_pid=""
}

# ensure_base_image IMAGE: the local base is made with mmdebstrap when missing (about 90 s);
# any other base must exist already.
ensure_base_image() {
    local base=$1 start
    docker image inspect "$base" >/dev/null 2>&1 && return 0
    [ "$base" = "$LOCAL_BASE" ] || give_up "base image $base is missing"
    echo "== base image $LOCAL_BASE (mmdebstrap, about 90 s)"
    if ! command -v mmdebstrap >/dev/null; then
        start=$(now)
        apt_install mmdebstrap
        measured+=("install mmdebstrap $(seconds_since "$start") s;")
    fi
    start=$(now)
    timeout 900 mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm - \
        | docker import - "$LOCAL_BASE" >/dev/null
    measured+=("base image $(seconds_since "$start") s;")
}

# build_image BINARY RUNTIME_BASE: builds deploy/Dockerfile.prebuilt around BINARY and sets
# `image` to its tag, named after the binary's digest, so that a second smoke test of the same
# binary (scripts/test runs two) finds it built. It stays for that test when SMOKE_KEEP_IMAGE=1;
# otherwise remove_image drops it.
build_image() {
    local binary=$1 base=$2 start
    # The context is the binary alone: the repository (and target/) would be sent to the engine.
    # Debug information is dropped on the way, which makes the image several times smaller.
    mkdir -p "$work/context"
    if ! command -v objcopy >/dev/null || ! objcopy --strip-debug "$binary" "$work/context/borderslot" 2>/dev/null; then
        cp "$binary" "$work/context/borderslot"
    fi
    image="borderslot-smoke:$(sha256sum "$work/context/borderslot" | cut -c 1-16)"
    if docker image inspect "$image" >/dev/null 2>&1; then
        measured+=("build reused $image;")
        return 0
    fi
    start=$(now)
    if ! timeout 600 docker build -q -f deploy/Dockerfile.prebuilt \
        --build-arg RUNTIME_BASE="$base" \
        --build-arg REVISION="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
        -t "$image" "$work/context" >"$work/build.log" 2>&1; then
        tail -n 30 "$work/build.log"
        give_up "docker build"
    fi
    measured+=("build $(seconds_since "$start") s;")
}

remove_image() {
    if [ -n "${image:-}" ] && [ "${SMOKE_KEEP_IMAGE:-}" != 1 ]; then
        docker image rm -f "$image" >/dev/null 2>&1
    fi
}

# request METHOD PATH [curl args...]: asks $api$PATH; sets $status, $body and $work/headers.
request() {
    local method=$1 path=$2
    shift 2
    status=$(curl -sS --max-time 10 -o "$work/body" -D "$work/headers" -w '%{http_code}' \
        -X "$method" "$api$path" "$@") || status=000
    body=$(cat "$work/body" 2>/dev/null || true)
}
# expect NAME STATUS JQ_FILTER: one counted check of the last request's answer.
expect() {
    local name=$1 want=$2 filter=$3
    if [ "$status" = "$want" ] && jq -e "$filter" <<<"$body" >/dev/null 2>&1; then
        ok "$name"
    else
        not_ok "$name (status $status, want $want; $filter)"
        printf '%s\n' "$body" | head -c 600
        echo
    fi
}
new_key() { cat /proc/sys/kernel/random/uuid; }

# smoke_finish RC: the summary line and the exit status, from the EXIT trap.
smoke_finish() {
    local rc=$1
    if [ "$rc" -ne 0 ] && [ -z "$gave_up" ]; then not_ok "aborted (exit $rc)"; fi
    if [ "${#measured[@]}" -gt 0 ]; then echo "measured: ${measured[*]}"; fi
    echo "$passed passed, $failed failed"
    if [ "$failed" -gt 0 ]; then exit 1; fi
    exit "$rc"
}
