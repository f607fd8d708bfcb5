"""The hub's services: members, rounds, compute, templates, the privacy budget."""
