//! Record layer: framing, fragmentation, record protection, sequence numbers.
