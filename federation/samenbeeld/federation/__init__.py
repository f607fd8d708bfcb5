"""The federation engine: sharing, MPC, compute parties, rounds, disclosure control."""
