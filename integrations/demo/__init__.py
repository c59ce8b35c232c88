"""The demo: "Nordlys Demo AS" connected to both sandboxes and configured, the demo's users, and
the in-process transport that lets `make demo` do it before the web server runs.

It uses the product (connections, masterdata, exports) the way a person would, through their
services; no product app imports it (an import-linter contract in pyproject.toml).
"""
