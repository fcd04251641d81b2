//! TLS 1.3: key schedule, client and server state machines.
