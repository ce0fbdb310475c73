"""Tools for the people who write publications: a new publication (scaffold.py), the live preview server
(preview.py) and the watch loop that rebuilds on every change (watch.py)."""
