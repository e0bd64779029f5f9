# Shared by scripts/demo and scripts/test: installs what the project needs on a
# fresh Debian/Ubuntu machine, creates .venv and builds the C extensions.
# Source it; it defines functions and changes nothing by itself.

# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

# Build and run-time packages: compilers, the C libraries the extensions link
# (libcurl and OpenSSL for the package; libmicrohttpd, jansson and libidn2 too
# for the emulator, its own distribution in emulator/).
BUILD_PACKAGES=(build-essential pkg-config python3-dev python3-venv
    libcurl4-openssl-dev libssl-dev libjansson-dev libmicrohttpd-dev libidn2-dev)
# What only the test suite needs: clang + libFuzzer, MariaDB client headers
# for mysqlclient, Chromium for the admin browser test, nghttpx for HTTP/2,
# debootstrap for the no-compiler wheel test, faketime for the chaos suite's skewed host.
TEST_PACKAGES=(clang clang-format libclang-rt-14-dev default-libmysqlclient-dev chromium nghttp2-server
    debootstrap faketime)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "Missing system packages: ${missing[*]}" >&2
        echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    log "apt-get install ${missing[*]}"
    if [ -z "${NGO_APT_UPDATED:-}" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        export NGO_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What decides the install: both distributions' build files.
install_hash() {
    cat "$ROOT/pyproject.toml" "$ROOT/setup.py" "$ROOT/emulator/pyproject.toml" \
        "$ROOT/emulator/setup.py" | sha1sum | cut -c1-12
}

# ensure_venv EXTRAS: create .venv and install the package and the emulator
# (its own distribution, emulator/), both editable, with the given extras;
# skipped when nothing that decides the install has changed.
ensure_venv() {
    local extras="$1" stamp
    stamp="$VENV/.installed-$(install_hash)-${extras//,/_}"
    if [ ! -x "$PY" ]; then
        log "creating $VENV"
        python3 -m venv "$VENV"
    fi
    if [ ! -f "$stamp" ]; then
        log "installing the package and its Python dependencies ($extras)"
        "$PY" -m pip install -q --upgrade pip setuptools wheel || return 1
        NGO_WERROR=1 "$PY" -m pip install -q --no-build-isolation \
            -e "$ROOT/emulator" -e "$ROOT[$extras]" || return 1
        touch "$stamp"
    fi
}

# Rebuild the extensions in place after C changes (incremental, -Werror).
build_extensions() {
    log "building the C extensions"
    (cd "$ROOT" && NGO_WERROR=1 "$PY" setup.py -q build_ext --inplace -j 2 >/dev/null) || return 1
    (cd "$ROOT/emulator" && NGO_WERROR=1 "$PY" setup.py -q build_ext --inplace -j 2 >/dev/null)
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Start a local service when its port does not answer.
ensure_service() {
    local name="$1" port="$2"; shift 2
    port_open "$port" && return 0
    log "starting $name"
    "$@" >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do port_open "$port" && return 0; sleep 1; done
    echo "$name did not start on port $port" >&2
    exit 1
}

ensure_test_services() {
    ensure_service PostgreSQL 5432 pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql 2>/dev/null | head -n1)" main start
    ensure_service Redis 6379 redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
    ensure_service RabbitMQ 5672 rabbitmq-server -detached
    ensure_service MariaDB 3306 start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
}

# True when .venv already has the package installed (with any extras) for the
# current pyproject.toml and setup.py: enough for commands that need no extra.
venv_installed() {
    local hash
    hash="$(install_hash)"
    [ -x "$PY" ] && compgen -G "$VENV/.installed-$hash-*" >/dev/null
}
