# Shared by scripts/run and scripts/test: make ./.venv and keep it in step with pyproject.toml.

find_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "cosmos-tui needs Python 3.11 or newer; install it (e.g. apt-get install python3.11 python3.11-venv)." >&2
    return 1
}

# ensure_venv EXTRA: install the package (editable) with the given extra ("" for none) when
# .venv is missing or pyproject.toml changed since the last install.
ensure_venv() {
    local extra="$1" spec="." stamp python
    [ -n "$extra" ] && spec=".[$extra]"
    stamp="$(sha256sum pyproject.toml | cut -c1-16)-${extra:-base}"
    if [ ! -x .venv/bin/python ]; then
        python="$(find_python)" || return 1
        echo "creating .venv with $python" >&2
        "$python" -m venv .venv || {
            echo "could not create a virtualenv; install the venv module (apt-get install python3-venv)." >&2
            return 1
        }
    fi
    # An install with the test extra also serves a plain run.
    if ! grep -qx -- "$stamp" .venv/.cosmos-stamp 2>/dev/null &&
        { [ -n "$extra" ] || ! grep -qx -- "${stamp%-base}-test" .venv/.cosmos-stamp 2>/dev/null; }; then
        echo "installing cosmos-tui${extra:+ with [$extra]} into .venv" >&2
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec" || return 1
        echo "$stamp" >> .venv/.cosmos-stamp
    fi
}

# ensure_system_packages: the integration tests drive a real sshd, dockerd and one-node Slurm
# cluster (munged + slurmctld + slurmd), bake a busybox image, drive the app in tmux, and read and
# make videos with ffmpeg, and load the app served to a browser in Chromium. As root with apt-get,
# install what is missing; otherwise say what to install.
ensure_system_packages() {
    local missing=()
    [ -x /usr/sbin/sshd ] || command -v sshd >/dev/null 2>&1 || missing+=(openssh-server)
    command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
    [ -x /usr/sbin/dockerd ] || command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
    if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "ok installed"; then
        missing+=(busybox-static)
    fi
    command -v dash >/dev/null 2>&1 || missing+=(dash)
    command -v tmux >/dev/null 2>&1 || missing+=(tmux)
    command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
    [ -x /usr/sbin/slurmctld ] || command -v slurmctld >/dev/null 2>&1 || missing+=(slurmctld)
    [ -x /usr/sbin/slurmd ] || command -v slurmd >/dev/null 2>&1 || missing+=(slurmd)
    [ -x /usr/sbin/munged ] || command -v munged >/dev/null 2>&1 || missing+=(munge)
    command -v sbatch >/dev/null 2>&1 || missing+=(slurm-client)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing ${missing[*]} for the integration tests" >&2
        apt-get update -qq >/dev/null &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                "${missing[@]}" >/dev/null || {
            echo "could not install ${missing[*]}; install them by hand (apt-get install -y ${missing[*]})." >&2
            return 1
        }
    else
        echo "missing for the integration tests: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
    fi
}
