//! The systemd notify protocol seen from the daemon: READY, RELOADING (with MONOTONIC_USEC),
//! STOPPING, STATUS lines a person can read, and the WATCHDOG keep-alive, sent over
//! `$NOTIFY_SOCKET` by the sd-notify crate. Owns when and what to send; not the daemon's state.
//!
//! Without `$NOTIFY_SOCKET` nothing is sent and nothing is computed. A failed send is logged at
//! debug and never stops the daemon.

use std::fmt;
use std::io;
use std::time::{Duration, Instant};

use chrono::{DateTime, Local, TimeZone, Utc};
use sd_notify::NotifyState;

/// The shortest time between two STATUS lines, so that a busy poll round does not flood PID 1.
pub const STATUS_EVERY: Duration = Duration::from_secs(5);

/// The most of a reload error the status line shows (the log has all of it).
const REASON_CHARS: usize = 160;

/// Where notifications go: the real socket, or (in tests) a recorder.
type Sender = Box<dyn FnMut(&[NotifyState<'_>]) -> io::Result<()> + Send>;

/// Sends the service manager what the daemon is doing, no more often than it needs to.
///
/// The main loop calls [`Notifier::tick`] on every turn and sleeps no longer than
/// [`Notifier::wake_within`], so the watchdog keep-alive comes from the loop itself: a loop that
/// hangs stops pinging and systemd restarts the service.
pub struct Notifier {
    send: Option<Sender>,
    /// Half of `$WATCHDOG_USEC`, when the watchdog is on for this process.
    ping_every: Option<Duration>,
    last_ping: Instant,
    last_status: String,
    /// When the status line was last sent or looked at.
    status_at: Option<Instant>,
    /// Something may have changed since the last STATUS line.
    dirty: bool,
}

impl Notifier {
    /// A notifier for this process: active when `$NOTIFY_SOCKET` is set, pinging the watchdog
    /// when `$WATCHDOG_USEC` is set (and `$WATCHDOG_PID`, if set, is this process).
    pub fn from_env() -> Self {
        if std::env::var_os("NOTIFY_SOCKET").is_none() {
            return Self::with_sender(None, None);
        }
        let watchdog = sd_notify::watchdog_enabled();
        if let Some(w) = watchdog {
            tracing::debug!(watchdog_usec = w.as_micros() as u64, "systemd watchdog on");
        }
        Self::with_sender(Some(Box::new(sd_notify::notify)), watchdog)
    }

    /// A notifier that hands every message to `send`; `watchdog` is the full `WATCHDOG_USEC`
    /// interval (pings go out at half of it).
    fn with_sender(send: Option<Sender>, watchdog: Option<Duration>) -> Self {
        Self {
            send,
            ping_every: watchdog.map(|w| w / 2).filter(|w| !w.is_zero()),
            last_ping: Instant::now(),
            last_status: String::new(),
            status_at: None,
            dirty: true,
        }
    }

    /// Whether the service manager is listening at all.
    pub fn is_active(&self) -> bool {
        self.send.is_some()
    }

    /// READY=1 with the current status: startup finished, or a reload finished.
    pub fn ready(&mut self, status: &str, now: Instant) {
        let status = one_line(status);
        let mut msg = vec![NotifyState::Ready, NotifyState::Status(&status)];
        if self.ping_every.is_some() {
            msg.push(NotifyState::Watchdog);
        }
        self.send(&msg);
        self.last_ping = now;
        self.status_sent(status, now);
    }

    /// RELOADING=1 with MONOTONIC_USEC (which systemd 253+ requires beside it); [`Notifier::ready`]
    /// must follow when the reload is over, whether it succeeded or not.
    pub fn reloading(&mut self, now: Instant) {
        if !self.is_active() {
            return;
        }
        let mut msg = vec![NotifyState::Reloading];
        match NotifyState::monotonic_usec_now() {
            Ok(m) => msg.push(m),
            Err(e) => tracing::debug!(error = %e, "cannot read CLOCK_MONOTONIC for MONOTONIC_USEC"),
        }
        let status = "reloading the configuration".to_string();
        msg.push(NotifyState::Status(&status));
        self.send(&msg);
        self.status_sent(status, now);
    }

    /// STOPPING=1 with a last STATUS; also pings the watchdog once more, so that the
    /// shutdown has a full interval even if systemd still watches it.
    pub fn stopping(&mut self, status: &str, now: Instant) {
        let status = one_line(status);
        let mut msg = vec![NotifyState::Stopping, NotifyState::Status(&status)];
        if self.ping_every.is_some() {
            msg.push(NotifyState::Watchdog);
        }
        self.send(&msg);
        self.status_sent(status, now);
    }

    /// One turn of the main loop: WATCHDOG=1 when half the interval has passed, and STATUS= when
    /// the line changed and the last one is at least [`STATUS_EVERY`] old. `status` is only
    /// called when a line may be sent.
    pub fn tick(&mut self, now: Instant, status: impl FnOnce() -> String) {
        if !self.is_active() {
            return;
        }
        self.dirty = true;
        let mut msg = Vec::with_capacity(2);
        if self
            .ping_every
            .is_some_and(|every| now >= self.last_ping + every)
        {
            msg.push(NotifyState::Watchdog);
        }
        let line = if self.status_due(now) {
            // Looked at, sent or not: the next look is a slot later, so a busy loop does not
            // rebuild an unchanged line on every turn.
            self.dirty = false;
            self.status_at = Some(now);
            Some(one_line(&status())).filter(|l| *l != self.last_status)
        } else {
            None
        };
        if let Some(l) = &line {
            msg.push(NotifyState::Status(l));
        }
        if msg.is_empty() {
            return;
        }
        // A failed send counts as sent: retrying at once would spin the loop.
        if matches!(msg.first(), Some(NotifyState::Watchdog)) {
            self.last_ping = now;
        }
        self.send(&msg);
        if let Some(l) = line {
            self.status_sent(l, now);
        }
    }

    /// How long the loop may sleep before it must call [`Notifier::tick`] again: the next
    /// watchdog ping, or the next STATUS slot when something may have changed. `None` when
    /// there is nothing to send.
    pub fn wake_within(&self, now: Instant) -> Option<Duration> {
        if !self.is_active() {
            return None;
        }
        let ping = self
            .ping_every
            .map(|every| (self.last_ping + every).saturating_duration_since(now));
        let status = self
            .dirty
            .then(|| {
                self.status_at
                    .map(|at| (at + STATUS_EVERY).saturating_duration_since(now))
            })
            .map(Option::unwrap_or_default);
        match (ping, status) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn status_due(&self, now: Instant) -> bool {
        self.dirty && self.status_at.is_none_or(|at| now >= at + STATUS_EVERY)
    }

    fn status_sent(&mut self, status: String, now: Instant) {
        self.last_status = status;
        self.status_at = Some(now);
        self.dirty = false;
    }

    /// Sends `msg`; a failure is logged at debug and otherwise ignored.
    fn send(&mut self, msg: &[NotifyState<'_>]) {
        let Some(send) = self.send.as_mut() else {
            return;
        };
        if let Err(e) = send(msg) {
            tracing::debug!(error = %e, "systemd notification not sent");
        }
    }
}

/// STATUS text is one line: systemd shows it after "Status:" in `systemctl status`.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What the daemon is doing, as `systemctl status` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// Sources being watched.
    pub sources: usize,
    /// Polls running now.
    pub in_flight: usize,
    /// Sources whose last poll failed.
    pub failing: usize,
    /// Briefs stored since the daemon started.
    pub stored: u64,
    /// When the last poll finished.
    pub last_poll: Option<DateTime<Utc>>,
    /// When the next source not already in flight is due.
    pub next_due: Option<DateTime<Utc>>,
    /// Why the last reload was refused, until one succeeds.
    pub reload_error: Option<String>,
}

impl Status {
    /// The line with times in the zone `tz` (the [`fmt::Display`] form uses local time, as
    /// journald and `systemctl status` do).
    pub fn line_in<Tz: TimeZone>(&self, tz: &Tz) -> String
    where
        Tz::Offset: fmt::Display,
    {
        let time = |t: &DateTime<Utc>| t.with_timezone(tz).format("%H:%M:%S").to_string();
        let plural = if self.sources == 1 { "" } else { "s" };
        let mut out = format!("polling {} source{plural}", self.sources);
        if self.in_flight > 0 {
            out.push_str(&format!("; {} in flight", self.in_flight));
        }
        if self.failing > 0 {
            out.push_str(&format!("; {} failing", self.failing));
        }
        out.push_str(&format!("; {} new briefs since start", self.stored));
        match &self.last_poll {
            Some(t) => out.push_str(&format!("; last poll {}", time(t))),
            None => out.push_str("; no poll finished yet"),
        }
        if let Some(t) = &self.next_due {
            out.push_str(&format!("; next due {}", time(t)));
        }
        if let Some(e) = &self.reload_error {
            let e: String = if e.chars().count() > REASON_CHARS {
                e.chars().take(REASON_CHARS).chain(['…']).collect()
            } else {
                e.clone()
            };
            out.push_str(&format!(
                "; last reload failed ({e}), running on the previous config"
            ));
        }
        out
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line_in(&Local))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A notifier whose messages land in the returned list, one string per datagram.
    fn recording(watchdog: Option<Duration>) -> (Notifier, Arc<Mutex<Vec<String>>>) {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let sink = sent.clone();
        let send: Sender = Box::new(move |states| {
            let msg: Vec<String> = states.iter().map(ToString::to_string).collect();
            sink.lock().unwrap().push(msg.join("\n"));
            Ok(())
        });
        (Notifier::with_sender(Some(send), watchdog), sent)
    }

    fn take(sent: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
        std::mem::take(&mut *sent.lock().unwrap())
    }

    #[test]
    fn without_a_socket_nothing_is_computed_and_the_loop_is_not_woken() {
        let mut n = Notifier::with_sender(None, Some(Duration::from_secs(1)));
        let now = Instant::now();
        n.tick(now, || panic!("status computed without a listener"));
        assert_eq!(n.wake_within(now), None);
    }

    #[test]
    fn the_watchdog_is_pinged_at_half_the_interval_and_only_then() {
        let secs = Duration::from_secs;
        let (mut n, sent) = recording(Some(secs(20)));
        let t0 = Instant::now();
        n.ready("up", t0);
        assert_eq!(take(&sent), ["READY=1\nSTATUS=up\nWATCHDOG=1"]);
        assert_eq!(n.wake_within(t0), Some(secs(10)));
        n.tick(t0 + secs(9), || "up".into());
        assert!(take(&sent).is_empty(), "pinged before half the interval");
        n.tick(t0 + secs(10), || "up".into());
        assert_eq!(take(&sent), ["WATCHDOG=1"]);
        n.tick(t0 + secs(11), || "up".into());
        assert_eq!(
            n.wake_within(t0 + secs(11)),
            Some(secs(9) + STATUS_EVERY - secs(11)),
            "the status slot (one after the look at 9 s) comes before the next ping"
        );
    }

    #[test]
    fn status_lines_are_sent_when_changed_and_at_most_every_five_seconds() {
        let (mut n, sent) = recording(None);
        let t0 = Instant::now();
        n.ready("polling 1 source", t0);
        take(&sent);
        let soon = t0 + Duration::from_millis(500);
        n.tick(soon, || "polling 2 sources".into());
        assert!(
            take(&sent).is_empty(),
            "a second line within {STATUS_EVERY:?}"
        );
        assert_eq!(
            n.wake_within(soon),
            Some(STATUS_EVERY - Duration::from_millis(500))
        );
        n.tick(t0 + STATUS_EVERY, || "polling 2 sources".into());
        assert_eq!(take(&sent), ["STATUS=polling 2 sources"]);
        n.tick(t0 + STATUS_EVERY * 3, || "polling 2 sources".into());
        assert!(take(&sent).is_empty(), "an unchanged line sent again");
        assert_eq!(n.wake_within(t0 + STATUS_EVERY * 3), None);
    }

    #[test]
    fn a_reload_sends_reloading_with_the_monotonic_clock_then_ready() {
        let (mut n, sent) = recording(None);
        let t0 = Instant::now();
        n.reloading(t0);
        n.ready("polling 3 sources", t0);
        let got = take(&sent);
        let reload: Vec<&str> = got[0].lines().collect();
        assert_eq!(reload[0], "RELOADING=1");
        let usec: u64 = reload[1]
            .strip_prefix("MONOTONIC_USEC=")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no MONOTONIC_USEC in {got:?}"));
        assert!(usec > 0);
        assert_eq!(got[1], "READY=1\nSTATUS=polling 3 sources");
    }

    #[test]
    fn a_failed_send_is_not_an_error_for_the_daemon() {
        let send: Sender = Box::new(|_| Err(io::Error::other("socket gone")));
        let mut n = Notifier::with_sender(Some(send), Some(Duration::from_millis(10)));
        let t0 = Instant::now();
        n.ready("up", t0);
        let t1 = t0 + Duration::from_secs(1);
        n.tick(t1, || "up".into());
        assert!(
            n.wake_within(t1).is_some_and(|d| !d.is_zero()),
            "a failing socket must not make the loop spin"
        );
        n.stopping("bye", t0 + Duration::from_secs(2));
    }

    #[test]
    fn the_status_line_reads_as_a_sentence() {
        let at = |s: &str| Some(DateTime::parse_from_rfc3339(s).unwrap().to_utc());
        let status = Status {
            sources: 12,
            in_flight: 3,
            failing: 1,
            stored: 42,
            last_poll: at("2026-12-03T14:02:05Z"),
            next_due: at("2026-12-03T14:03:00Z"),
            reload_error: Some("config invalid:\n line 3".into()),
        };
        assert_eq!(
            one_line(&status.line_in(&Utc)),
            "polling 12 sources; 3 in flight; 1 failing; 42 new briefs since start; \
             last poll 14:02:05; next due 14:03:00; last reload failed (config invalid: line 3), \
             running on the previous config"
        );
        let idle = Status {
            sources: 1,
            ..Status::default()
        };
        assert_eq!(
            idle.line_in(&Utc),
            "polling 1 source; 0 new briefs since start; no poll finished yet"
        );
    }
}
