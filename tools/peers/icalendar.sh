#!/usr/bin/env bash
# The Python `icalendar` parser and python-dateutil's rrule, in a venv of their
# own: the independent reader that tools/ical_check.py uses to check the
# calendars Agora writes. No server; `install` only.
# Usage: icalendar.sh install   (prints PYTHON=<the venv's python>)
set -euo pipefail
PEER=icalendar
. "$(dirname "$0")/lib.sh"
VENV="$PEERS_CACHE/icalendar/venv"

case ${1:-install} in
  install)
    mkdir -p "$PEERS_CACHE"
    (flock 9; ensure_venv "$VENV" 'icalendar>=5,<7' 'python-dateutil>=2.8') 9>"$PEERS_CACHE/$PEER.lock"
    echo "PYTHON=$VENV/bin/python" ;;
  *) die "usage: $0 install" ;;
esac
