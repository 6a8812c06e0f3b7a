//! The lifecycle an instance-world plugin reports (its state, counts and
//! latest problems, the restart backoff) and [`InFlight`], which makes sure
//! an instance dropped mid-call is recorded as failed, never silently
//! replaced.

use std::time::Instant;

use serde::Serialize;

use super::{BACKOFF_MAX, BACKOFF_START, MAX_DIAGNOSTICS, Stateful};

/// A lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstanceState {
    /// `start` is running.
    Starting,
    /// Started; calls and events go to the instance.
    Running,
    /// `stop` is running.
    Stopping,
    /// Not started yet, or stopped.
    Stopped,
    /// Discarded after an error, trap or limit hit; started again on the
    /// next use once its backoff has passed.
    Failed,
}

impl InstanceState {
    /// The state's name, as the host reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceState::Starting => "starting",
            InstanceState::Running => "running",
            InstanceState::Stopping => "stopping",
            InstanceState::Stopped => "stopped",
            InstanceState::Failed => "failed",
        }
    }
}

/// The lifecycle of a plugin's instance, as the host reports it.
#[derive(Debug, Clone, Serialize)]
pub struct Lifecycle {
    /// The current state.
    pub state: InstanceState,
    /// Tool calls and ingress events handled.
    pub calls: u64,
    /// Calls and events that ended in an error (guest error or sandbox stop).
    pub errors: u64,
    /// Fresh instances started after a failure.
    pub restarts: u64,
    /// The latest problems, newest last, bounded.
    pub diagnostics: Vec<String>,
    /// Milliseconds until a failed instance may be started again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_in_ms: Option<u64>,
}

pub(crate) struct Life {
    pub(crate) state: InstanceState,
    pub(crate) calls: u64,
    pub(crate) errors: u64,
    pub(crate) restarts: u64,
    pub(crate) failures_in_a_row: u32,
    pub(crate) retry_at: Option<Instant>,
    pub(crate) ever_started: bool,
    pub(crate) diagnostics: Vec<String>,
}

impl Life {
    pub(crate) fn note(&mut self, message: String) {
        if self.diagnostics.len() == MAX_DIAGNOSTICS {
            self.diagnostics.remove(0);
        }
        self.diagnostics.push(yoi_manifest::bounded(&message, 1024));
    }

    pub(crate) fn fail(&mut self, message: String) {
        self.state = InstanceState::Failed;
        let backoff = BACKOFF_START
            .saturating_mul(1 << self.failures_in_a_row.min(16))
            .min(BACKOFF_MAX);
        self.failures_in_a_row += 1;
        self.retry_at = Some(Instant::now() + backoff);
        self.note(message);
    }
}

/// Armed while guest code runs on the instance (a call, an event, a service
/// step, `start`, `status`, `stop`). If the future running it is dropped
/// first (a client cancelled, a connection closed, a timeout around it
/// fired), the instance went with it, mid-call: its state may be half
/// changed, so it is never silently replaced. The drop records the instance
/// as failed (`cancelled: ...` in its diagnostics, counted as a call and an
/// error), and the normal restart path starts a fresh one after the backoff,
/// counting the restart. A `stop` dropped midway leaves it stopped, noted.
pub(crate) struct InFlight<'a> {
    stateful: &'a Stateful,
    during: &'static str,
    armed: bool,
}

impl<'a> InFlight<'a> {
    pub(crate) fn new(stateful: &'a Stateful, during: &'static str) -> InFlight<'a> {
        InFlight {
            stateful,
            during,
            armed: true,
        }
    }

    /// The guest code returned (or the sandbox stopped it): the caller
    /// handles whatever happened.
    pub(crate) fn done(&mut self) {
        self.armed = false;
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut life = self.stateful.life();
        if self.during == "stop" {
            life.note("stop: cancelled before the plugin's `stop` returned".to_owned());
            life.state = InstanceState::Stopped;
            return;
        }
        if self.during == "call" {
            life.calls += 1;
            life.errors += 1;
        }
        life.fail(format!(
            "cancelled: the {} was dropped mid-call; the instance was discarded and a fresh one is started",
            self.during
        ));
    }
}
