#!/bin/sh
# The Python the virtual environment is made from (see README, "Which Python").
#
# A distribution's CPython (Debian's /usr/bin/python3, Ubuntu's, Fedora's …) is built with
# profile-guided and link-time optimisation; a source build with default options (pyenv's)
# is not, and runs gkml's builds 10–15 % slower. So the distribution's is preferred when it
# is new enough and can make a virtual environment (Debian: package python3-venv);
# otherwise python3 from PATH. `make PYTHON=...` chooses another.
for candidate in /usr/bin/python3 python3; do
  if "$candidate" -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "$candidate"
    exit 0
  fi
done
echo python3
