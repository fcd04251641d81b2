//! The single boundary to the crypto provider (aws-lc-rs).
