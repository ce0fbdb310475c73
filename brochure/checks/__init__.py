"""Checks of built editions: print preflight, the PDF structure tree, readability, the external validators, and
the gate of `brochure build --check` that runs them all."""
