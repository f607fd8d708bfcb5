"""A node's services: its part in rounds (contribute) and pilot templates."""
