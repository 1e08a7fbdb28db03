#!/bin/sh
# Prints the Python the virtual environment is made from (README, "Which Python"): the first
# of the candidates given (by default the distribution's /usr/bin/python3, then python3 from
# PATH) that is 3.11 or newer and can make a virtual environment; python3 if none can.
#
# Distributions (Debian, Ubuntu, Fedora …) build CPython with profile-guided and link-time
# optimisation; a source build with default options (pyenv's) is built without and runs
# gkml's builds 12–14 % slower, so the distribution's comes first. Debian's needs the
# python3-venv package to make a venv. `make PYTHON=...` chooses another.
[ $# -gt 0 ] || set -- /usr/bin/python3 python3
for candidate in "$@"; do
  if "$candidate" -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
    echo "$candidate"
    exit 0
  fi
done
echo python3
