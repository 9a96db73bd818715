#!/usr/bin/env bash
# Prints the path of a working Python 3.10 interpreter, or explains what to install.
# Rasa 3.6 supports Python 3.8-3.10 only; many machines default to a newer Python.
set -u
is_310() { "$1" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }

candidates=()
[ -n "${PYTHON310:-}" ] && candidates+=("$PYTHON310")
# A pyenv shim named python3.10 fails unless PYENV_VERSION is set, so ask pyenv for real paths.
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root 2>/dev/null)
  for p in "$root"/versions/3.10*/bin/python3.10; do [ -x "$p" ] && candidates+=("$p"); done
fi
candidates+=(/usr/bin/python3.10 /usr/local/bin/python3.10)
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")

for c in "${candidates[@]}"; do
  if is_310 "$c"; then echo "$c"; exit 0; fi
done
cat >&2 <<'MSG'
error: Python 3.10 (with venv) is required: Rasa 3.6 does not run on newer versions.
  Debian/Ubuntu: apt-get install python3.10 python3.10-venv
  pyenv:         pyenv install 3.10
  or point PYTHON310=/path/to/python3.10 at an existing interpreter.
MSG
exit 1
