//! The CAMERA runtime permission, as a state machine between the UI thread (which sees the
//! activity's lifecycle) and the liveness worker (which waits for the camera).
//!
//! `Activity.requestPermissions` answers through `onRequestPermissionsResult`, which
//! NativeActivity and GameActivity do not pass to native code. What native code does see: the
//! permission dialog takes focus (the activity loses focus, usually pauses) and gives it back when
//! the user has answered. So: ask, and when focus comes back, check again. If the system shows no
//! dialog at all (the user chose 不再询问 earlier, or a policy forbids the camera), focus never
//! goes; after [`NO_DIALOG_AFTER`] without a focus loss the answer is taken as it stands.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long to wait for the permission dialog to appear before deciding it will not.
pub const NO_DIALOG_AFTER: Duration = Duration::from_millis(1500);

/// Where the permission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not asked in this run of the app.
    Unknown,
    /// Asked at `at`; `dialog_seen` once the activity lost focus to the dialog.
    Asked {
        at: Instant,
        dialog_seen: bool,
    },
    Granted,
    Refused,
}

/// What the lifecycle tells the state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The liveness step wants the camera; `granted` is `checkSelfPermission` now.
    Wanted { granted: bool },
    /// The activity lost focus or paused (the dialog is up).
    FocusLost,
    /// The activity has focus again / resumed; `granted` is `checkSelfPermission` now.
    FocusBack { granted: bool },
    /// Time passed; `granted` is `checkSelfPermission` now.
    Tick { granted: bool },
}

/// What the caller must do after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Todo {
    Nothing,
    /// Call `Activity.requestPermissions(["android.permission.CAMERA"], …)`.
    Request,
}

/// The transition function.
pub fn step(state: State, event: Event, now: Instant) -> (State, Todo) {
    match (state, event) {
        (_, Event::Wanted { granted: true }) => (State::Granted, Todo::Nothing),
        // Asked again after a refusal (再次核验): Android shows the dialog again unless the user
        // chose 不再询问, in which case the timeout below answers.
        (State::Unknown | State::Refused | State::Granted, Event::Wanted { granted: false }) => (
            State::Asked {
                at: now,
                dialog_seen: false,
            },
            Todo::Request,
        ),
        (s @ State::Asked { .. }, Event::Wanted { granted: false }) => (s, Todo::Nothing),
        (State::Asked { at, .. }, Event::FocusLost) => (
            State::Asked {
                at,
                dialog_seen: true,
            },
            Todo::Nothing,
        ),
        (
            State::Asked {
                dialog_seen: true, ..
            },
            Event::FocusBack { granted },
        ) => (decided(granted), Todo::Nothing),
        (
            State::Asked { at, dialog_seen },
            Event::Tick { granted } | Event::FocusBack { granted },
        ) => {
            if granted {
                (State::Granted, Todo::Nothing)
            } else if !dialog_seen && now.duration_since(at) >= NO_DIALOG_AFTER {
                (State::Refused, Todo::Nothing)
            } else {
                (state, Todo::Nothing)
            }
        }
        (s, _) => (s, Todo::Nothing),
    }
}

fn decided(granted: bool) -> State {
    if granted {
        State::Granted
    } else {
        State::Refused
    }
}

/// The state shared by the UI thread and the camera's thread.
pub struct Gate {
    state: Mutex<State>,
    changed: Condvar,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            state: Mutex::new(State::Unknown),
            changed: Condvar::new(),
        }
    }
}

impl Gate {
    /// Feeds an event; returns what the caller must do.
    pub fn feed(&self, event: Event, now: Instant) -> Todo {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (next, todo) = step(*s, event, now);
        if next != *s {
            *s = next;
            self.changed.notify_all();
        }
        todo
    }

    pub fn state(&self) -> State {
        *self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Blocks until the permission is decided (or `limit` passes: then `false`). For the camera's
    /// thread; never call it on the UI thread, which must keep running for the dialog's answer.
    pub fn wait_decided(&self, limit: Duration) -> bool {
        let guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (s, _) = self
            .changed
            .wait_timeout_while(guard, limit, |s| {
                matches!(s, State::Unknown | State::Asked { .. })
            })
            .unwrap_or_else(|e| e.into_inner());
        *s == State::Granted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn granted_already_needs_no_dialog() {
        let now = Instant::now();
        assert_eq!(
            step(State::Unknown, Event::Wanted { granted: true }, now),
            (State::Granted, Todo::Nothing)
        );
    }

    #[test]
    fn dialog_answered_yes_or_no() {
        let t0 = Instant::now();
        let (s, todo) = step(State::Unknown, Event::Wanted { granted: false }, t0);
        assert_eq!(todo, Todo::Request);
        let (s, _) = step(s, Event::FocusLost, t0);
        // While the dialog is up, time passing decides nothing, even long after.
        let (s2, _) = step(
            s,
            Event::Tick { granted: false },
            t0 + Duration::from_secs(30),
        );
        assert!(matches!(
            s2,
            State::Asked {
                dialog_seen: true,
                ..
            }
        ));
        assert_eq!(
            step(s, Event::FocusBack { granted: true }, t0).0,
            State::Granted
        );
        assert_eq!(
            step(s, Event::FocusBack { granted: false }, t0).0,
            State::Refused
        );
    }

    #[test]
    fn no_dialog_means_refused_after_the_grace_time() {
        let t0 = Instant::now();
        let (s, _) = step(State::Unknown, Event::Wanted { granted: false }, t0);
        let (s, _) = step(
            s,
            Event::Tick { granted: false },
            t0 + Duration::from_millis(200),
        );
        assert!(matches!(s, State::Asked { .. }));
        let (s, _) = step(s, Event::Tick { granted: false }, t0 + NO_DIALOG_AFTER);
        assert_eq!(s, State::Refused);
        // Asking again after a refusal requests again (the user may have changed 设置).
        assert_eq!(
            step(s, Event::Wanted { granted: false }, t0).1,
            Todo::Request
        );
    }

    #[test]
    fn a_waiting_camera_thread_wakes_with_the_answer() {
        let gate = std::sync::Arc::new(Gate::default());
        let t0 = Instant::now();
        assert_eq!(
            gate.feed(Event::Wanted { granted: false }, t0),
            Todo::Request
        );
        gate.feed(Event::FocusLost, t0);
        let waiter = {
            let gate = gate.clone();
            std::thread::spawn(move || gate.wait_decided(Duration::from_secs(30)))
        };
        gate.feed(Event::FocusBack { granted: false }, t0);
        assert!(!waiter.join().unwrap());
        assert_eq!(gate.state(), State::Refused);
        // Undecided and out of time: false.
        let gate = Gate::default();
        gate.feed(Event::Wanted { granted: false }, t0);
        assert!(!gate.wait_decided(Duration::from_millis(10)));
    }
}
