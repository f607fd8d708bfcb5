"""The MPC engine: CrypTen shim, sharing, DP, programs, party runtime, dealer, supervisor."""
