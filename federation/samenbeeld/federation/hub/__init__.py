"""The hub's services: members, rounds, reports, compute, trends, templates."""
