//! The `ferrotls` binary run as a program: `cert`, `client`, `server`, and a real
//! browser (headless Chromium) against `server --www`.
//!
//! Peers (openssl, curl, chromium) are used when installed; a test whose peer is
//! missing says so on stderr and passes.

mod browser;
mod cert;
mod client;
mod keylog;
mod pipe;
mod server;
mod util;
