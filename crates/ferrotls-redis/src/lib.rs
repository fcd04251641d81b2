//! Fleet-shared TLS server state on Redis: ticket keys, a session store and 0-RTT
//! anti-replay, for many ferrotls servers behind one load balancer.
//!
//! ```text
//!   server A ─┐                        ┌─ ticket-key:<slot>   sealed key material
//!   server B ─┼─ trait ─ Redis* ─ Redis ┼─ session:<id>        sealed, taken once
//!   server C ─┘   │                     └─ replay:<digest>     SET NX PX window
//!                 └─ Memory* / Local* / File* twins (one process, or tests)
//! ```
//!
//! Each component is a trait ([`TicketKeyBackend`], [`SessionStore`],
//! [`ReplayGuard`]) with async methods, meant to be called by an async driver while
//! a handshake waits: nothing here blocks a thread. Every Redis operation runs under
//! a deadline ([`LinkConfig::deadline`], 50 ms by default) and fails closed: no
//! key, a miss, or "already used" (so early data is rejected and the handshake goes
//! on as 1-RTT). Each component logs one line when Redis stops answering and one
//! when it answers again ([`HealthLog`]), never one per operation.
//!
//! All cryptography comes from `ferrotls::crypto`.

#![forbid(unsafe_code)]

pub mod health;
pub mod hooks;
pub mod link;
pub mod replay;
pub mod seal;
pub mod session_store;
pub mod ticket_keys;

use std::future::Future;
use std::pin::Pin;

pub use health::{HealthLog, MemoryLog, StderrLog};
pub use hooks::{FleetAntiReplay, FleetHooks, FleetSessions};
pub use link::{LinkConfig, LinkError, DEFAULT_DEADLINE};
pub use replay::{MemoryReplayGuard, RedisReplayGuard, ReplayGuard};
pub use seal::{FleetKey, FleetKeyError};
pub use session_store::{MemorySessionStore, RedisSessionStore, SessionStore, StoreStats};
pub use ticket_keys::{
    FileTicketKeys, KeyId, KeySchedule, LocalTicketKeys, RedisTicketKeys, Refresh,
    SharedTicketKeys, TicketKey, TicketKeyBackend,
};

/// The future an operation of these traits returns (boxed, so the traits can be
/// used as `Arc<dyn ...>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
