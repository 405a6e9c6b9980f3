//! systemd integration: readiness, reload and stop notifications, watchdog pings.
//! Every call is a no-op when the daemon was not started by systemd
//! (`NOTIFY_SOCKET` unset).

use sd_notify::NotifyState;
use tokio::sync::watch;

use crate::store::{self, Store};

fn notify(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::debug!(error = %e, "sd_notify failed");
    }
}

/// Migrations ran and the listener is bound.
pub fn ready() {
    notify(&[NotifyState::Ready, NotifyState::Status("serving")]);
}

/// A SIGHUP reload started; `ready` follows when it is done.
pub fn reloading() {
    notify(&[NotifyState::Reloading]);
}

/// Shutdown started.
pub fn stopping() {
    notify(&[NotifyState::Stopping]);
}

/// Pings the watchdog at half the interval systemd asked for, until `stop` — but
/// only while the runtime schedules tasks and the database answers, so a wedged
/// daemon is restarted rather than kept alive by a ping loop.
pub fn spawn_watchdog(store: Store, mut stop: watch::Receiver<bool>) {
    let Some(interval) = sd_notify::watchdog_enabled() else {
        return;
    };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval / 2);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    let s = store.clone();
                    let check = tokio::time::timeout(interval / 4, store::blocking(move || s.health())).await;
                    match check {
                        Ok(Ok(_)) => notify(&[NotifyState::Watchdog]),
                        // A shared database (PostgreSQL) that is away is not this
                        // daemon wedged: it serves the last renders and polls
                        // again when the database is back, so a restart would
                        // only stop the serving. A call that never returns is.
                        Ok(Err(e)) if store.is_shared() => {
                            tracing::debug!(error = %e, "database unreachable; the daemon itself answers");
                            notify(&[NotifyState::Watchdog]);
                        }
                        _ => tracing::warn!("database did not answer in time; skipping the watchdog ping"),
                    }
                }
                _ = stop.changed() => return,
            }
        }
    });
}
