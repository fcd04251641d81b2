//! The `ferrotls` binary run as a program: `cert`, `client`, `server`, Encrypted
//! Client Hello, and a real browser (headless Chromium) against `server --www`.
//!
//! Peers (openssl, curl, chromium) are used when installed; a test whose peer is
//! missing says so on stderr and passes.

mod browser;
mod cert;
mod client;
mod defaults;
mod ech;
mod escape;
mod exporter;
mod keylog;
mod pipe;
mod server;
mod util;
