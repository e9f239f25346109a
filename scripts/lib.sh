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
