"""Samenbeeld's edges: the Flask applications and the `samenbeeld` command line."""
