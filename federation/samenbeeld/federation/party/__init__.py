"""A compute party's services: uploads, compute, its own disclosure control."""
