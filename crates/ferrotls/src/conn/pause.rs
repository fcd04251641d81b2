//! The connection's side of pausing (`crate::pause`): what the handshake waits
//! for, and completing it through the same step as a message.

use super::Connection;
use crate::error::{ApiError, Error};
use crate::pause::{Completion, Handlers, Operation};

impl Connection {
    /// The operation the handshake waits for, if it waits (see [`crate::pause`]).
    /// While it does, `process_new_packets` consumes no records: they stay buffered,
    /// in order, until [`complete`](Self::complete) resumes the handshake.
    pub fn pending_operation(&self) -> Option<&Operation> {
        self.state.as_ref().and_then(|s| s.operation())
    }

    /// Hands the answer to the pending operation to the handshake, which goes on
    /// (its next messages are queued for `write_tls`); call `process_new_packets`
    /// afterwards for records that arrived meanwhile.
    ///
    /// A failed answer (`Err`) fails the connection as the synchronous path would,
    /// sending the alert; the error is returned and every later call returns it.
    /// With no operation pending, or an answer of the wrong kind, this is an
    /// [`ApiError`] and nothing changes.
    pub fn complete(&mut self, completion: Completion) -> Result<(), Error> {
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        let expected = self
            .pending_operation()
            .ok_or(ApiError::NoOperationPending)?
            .describe();
        if expected != completion.describe() {
            return Err(ApiError::WrongCompletion {
                expected,
                got: completion.describe(),
            }
            .into());
        }
        let result = self.run_state(|state, common| state.resume(common, completion));
        result.map_err(|e| self.fail(e))
    }

    /// Answers pending operations with synchronous `handlers`, one after another,
    /// until the handshake waits for none. For blocking drivers such as
    /// [`Stream`](crate::Stream). An operation no handler answers is
    /// [`ApiError::NoHandler`], and the connection fails with it.
    pub fn complete_with(&mut self, handlers: &Handlers) -> Result<(), Error> {
        while let Some(op) = self.pending_operation() {
            let completion = match handlers.answer(op) {
                Ok(c) => c,
                Err(e) => return Err(self.fail(e)),
            };
            self.complete(completion)?;
        }
        Ok(())
    }
}
