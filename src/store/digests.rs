//! Digest runs: one `digest_runs` row per (digest, period), claimed under a lease and a token
//! before the mail is sent and marked sent once the server accepted it, so that each period goes
//! out once: late after an outage or a crash, never twice, never skipped. Also finds the stories a
//! period covers (those first stored in it). Renders and sends nothing.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Context, Store, StoreError, from_ms, query_all, to_ms};
use crate::model::BriefId;

/// A `digest_runs` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRun {
    /// The digest's name.
    pub digest: String,
    /// The start of the period (inclusive).
    pub period_start: DateTime<Utc>,
    /// The end of the period (exclusive): a fire time, or the moment of a `digest send`.
    pub period_end: DateTime<Utc>,
    /// `baseline`, `sending`, `pending`, `sent`, `empty` or `failed`.
    pub state: String,
    /// The `Message-ID` every attempt of this period sends under.
    pub message_id: String,
    /// Attempts that ended (sent or not).
    pub attempts: u32,
    /// When a `pending` run is tried again.
    pub next_at: Option<DateTime<Utc>>,
    /// Stories listed in the mail, once sent.
    pub stories: Option<u32>,
    /// The last failure.
    pub last_error: Option<String>,
    /// When the period was claimed first.
    pub created_at: DateTime<Utc>,
    /// When the server accepted the mail.
    pub sent_at: Option<DateTime<Utc>>,
}

/// A run claimed for sending: the row, and the token that must be shown to finish it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedRun {
    /// The row as claimed.
    pub run: DigestRun,
    /// The claim token.
    pub token: String,
}

/// What to claim.
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    /// The digest.
    pub digest: String,
    /// The period that ends here is due (the last fire time, or now for `digest send`).
    pub end: DateTime<Utc>,
    /// Where the first period of a digest never run starts. `None`: a digest seen for the first
    /// time records a baseline at `end` and sends nothing, so that its first mail covers the
    /// period after it was configured.
    pub first_start: Option<DateTime<Utc>>,
    /// Retry a `pending` run now, whenever its retry was due.
    pub retry_now: bool,
    /// The `Message-ID` the period ending at `end` gets, should it be new.
    pub message_id: String,
    /// The time now.
    pub now: DateTime<Utc>,
    /// How long the claim holds before another process may take the run over.
    pub lease: std::time::Duration,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    /// The server accepted the mail, listing this many stories.
    Sent {
        /// Stories listed.
        stories: u32,
    },
    /// Nothing matched and the digest does not send empty mail.
    Empty,
    /// A temporary failure: try again at `at`.
    Retry {
        /// When.
        at: DateTime<Utc>,
        /// Why it failed.
        error: String,
    },
    /// A permanent failure, or too many of them: the period is given up and reported.
    Failed {
        /// Why.
        error: String,
    },
}

const RUN_COLUMNS: &str = "digest, period_start, period_end, state, message_id, attempts, next_at, \
     stories, last_error, created_at, sent_at";

fn run_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DigestRun> {
    Ok(DigestRun {
        digest: r.get(0)?,
        period_start: from_ms(r.get(1)?),
        period_end: from_ms(r.get(2)?),
        state: r.get(3)?,
        message_id: r.get(4)?,
        attempts: r.get(5)?,
        next_at: r.get::<_, Option<i64>>(6)?.map(from_ms),
        stories: r.get(7)?,
        last_error: r.get(8)?,
        created_at: from_ms(r.get(9)?),
        sent_at: r.get::<_, Option<i64>>(10)?.map(from_ms),
    })
}

impl Store {
    /// Claims the run of `req.digest` to send now, if any: first a run whose retry is due or
    /// whose claim lapsed (a crash between claim and send), oldest first; else the period ending at
    /// `req.end` when it ends after every recorded period, starting where the last one ended.
    pub fn claim_digest_run(
        &mut self,
        req: &ClaimRequest,
    ) -> Result<Option<ClaimedRun>, StoreError> {
        let op = "claiming a digest run";
        let now = to_ms(req.now);
        let until = now + req.lease.as_millis().max(1) as i64;
        let token = uuid::Uuid::now_v7().simple().to_string();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx(op)?;
        let waiting: Option<i64> = tx
            .query_row(
                "SELECT period_end FROM digest_runs
                  WHERE digest = ?1
                    AND ((state = 'pending' AND (?3 OR next_at <= ?2))
                      OR (state = 'sending' AND lease_until <= ?2))
                  ORDER BY period_end LIMIT 1",
                params![&req.digest, now, req.retry_now],
                |r| r.get(0),
            )
            .optional()
            .ctx(op)?;
        let end = match waiting {
            Some(end) => end,
            None => {
                let last: Option<i64> = tx
                    .query_row(
                        "SELECT max(period_end) FROM digest_runs WHERE digest = ?1",
                        [&req.digest],
                        |r| r.get(0),
                    )
                    .ctx(op)?;
                let end = to_ms(req.end);
                let (start, state) = match (last, req.first_start) {
                    (Some(last), _) if end <= last => return Ok(None),
                    (Some(last), _) => (last, "sending"),
                    (None, Some(first)) => (to_ms(first).min(end), "sending"),
                    (None, None) => (end, "baseline"),
                };
                tx.execute(
                    "INSERT INTO digest_runs (digest, period_start, period_end, state, message_id,
                         created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![req.digest, start, end, state, req.message_id, now],
                )
                .ctx(op)?;
                if state == "baseline" {
                    tx.commit().ctx(op)?;
                    return Ok(None);
                }
                end
            }
        };
        let run = tx
            .query_row(
                &format!(
                    "UPDATE digest_runs SET state = 'sending', lease_until = ?3, lease_token = ?4
                      WHERE digest = ?1 AND period_end = ?2 RETURNING {RUN_COLUMNS}"
                ),
                params![&req.digest, end, until, token],
                run_from_row,
            )
            .ctx(op)?;
        tx.commit().ctx(op)?;
        Ok(Some(ClaimedRun { run, token }))
    }

    /// Records how an attempt of a claimed run ended. Returns false (and changes nothing) when
    /// `token` no longer holds the claim.
    pub fn finish_digest_run(
        &mut self,
        claimed: &ClaimedRun,
        outcome: &RunOutcome,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (state, stories, next_at, error, sent_at, counts) = match outcome {
            RunOutcome::Sent { stories } => ("sent", Some(*stories), None, None, Some(now), 1),
            RunOutcome::Empty => ("empty", Some(0), None, None, None, 0),
            RunOutcome::Retry { at, error } => {
                ("pending", None, Some(to_ms(*at)), Some(error), None, 1)
            }
            RunOutcome::Failed { error } => ("failed", None, None, Some(error), None, 1),
        };
        let n = self
            .conn
            .execute(
                "UPDATE digest_runs SET state = ?3, stories = coalesce(?4, stories), next_at = ?5,
                     last_error = coalesce(?6, last_error), sent_at = ?7,
                     attempts = attempts + ?8, lease_until = NULL, lease_token = NULL
                  WHERE digest = ?1 AND period_end = ?2 AND lease_token = ?9",
                params![
                    claimed.run.digest,
                    to_ms(claimed.run.period_end),
                    state,
                    stories,
                    next_at,
                    error,
                    sent_at.map(to_ms),
                    counts,
                    claimed.token
                ],
            )
            .ctx("recording a digest attempt")?;
        Ok(n == 1)
    }

    /// Makes runs claimed by a previous process due now (the daemon, at start: no other process
    /// sends its digests). Returns how many.
    pub fn release_digest_claims(&mut self) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "UPDATE digest_runs SET state = 'pending', next_at = ?1, lease_until = NULL,
                     lease_token = NULL
                  WHERE state = 'sending'",
                [to_ms(Utc::now())],
            )
            .ctx("releasing digest claims")
    }

    /// The runs of `digest` (every digest when `None`), newest period first, at most `limit`.
    pub fn digest_runs(
        &self,
        digest: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DigestRun>, StoreError> {
        query_all(
            &self.conn,
            "listing digest runs",
            &format!(
                "SELECT {RUN_COLUMNS} FROM digest_runs WHERE ?1 IS NULL OR digest = ?1
                  ORDER BY period_end DESC, digest LIMIT ?2"
            ),
            params![digest, limit as i64],
            run_from_row,
        )
    }

    /// The end of the last recorded period of `digest`, whatever its state.
    pub fn last_digest_period_end(
        &self,
        digest: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let end: Option<i64> = self
            .conn
            .query_row(
                "SELECT max(period_end) FROM digest_runs WHERE digest = ?1",
                [digest],
                |r| r.get(0),
            )
            .ctx("reading the last digest period")?;
        Ok(end.map(from_ms))
    }

    /// When a run of `digest` next needs attention: a retry falling due or a claim lapsing.
    pub fn next_digest_retry(&self, digest: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<i64> = self
            .conn
            .query_row(
                "SELECT min(CASE state WHEN 'pending' THEN next_at ELSE lease_until END)
                   FROM digest_runs WHERE digest = ?1 AND state IN ('pending', 'sending')",
                [digest],
                |r| r.get(0),
            )
            .ctx("looking for due digest runs")?;
        Ok(at.map(from_ms))
    }

    /// The stories first stored in [`start`, `end`), each with its briefs' ids (oldest first), in
    /// the order they were first stored.
    pub fn stories_created_between(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<(i64, Vec<BriefId>)>, StoreError> {
        let rows: Vec<(i64, i64)> = query_all(
            &self.conn,
            "finding the stories of a digest period",
            "SELECT s.id, b.id FROM stories s JOIN briefs b ON b.story_id = s.id
              WHERE s.created_at >= ?1 AND s.created_at < ?2
              ORDER BY s.id, b.id",
            params![to_ms(start), to_ms(end)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut out: Vec<(i64, Vec<BriefId>)> = Vec::new();
        for (story, brief) in rows {
            match out.last_mut() {
                Some((s, briefs)) if *s == story => briefs.push(brief),
                _ => out.push((story, vec![brief])),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
    }

    fn mid(end: DateTime<Utc>) -> String {
        format!("<{}@test>", end.timestamp())
    }

    fn req(end: DateTime<Utc>, now: DateTime<Utc>) -> ClaimRequest {
        ClaimRequest {
            digest: "morning".into(),
            end,
            first_start: None,
            retry_now: false,
            message_id: mid(end),
            now,
            lease: std::time::Duration::from_secs(90),
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        (dir, s)
    }

    #[test]
    fn a_new_digest_records_a_baseline_then_claims_each_period_once() {
        let (_d, mut s) = store();
        assert_eq!(s.claim_digest_run(&req(t(7, 30), t(8, 0))).unwrap(), None);
        assert_eq!(s.digest_runs(None, 10).unwrap()[0].state, "baseline");
        // The same period again: nothing.
        assert_eq!(s.claim_digest_run(&req(t(7, 30), t(8, 1))).unwrap(), None);
        let c = s
            .claim_digest_run(&req(t(9, 30), t(9, 30)))
            .unwrap()
            .unwrap();
        assert_eq!((c.run.period_start, c.run.period_end), (t(7, 30), t(9, 30)));
        assert_eq!(c.run.message_id, mid(t(9, 30)));
        // Claimed and under lease: not claimable again, neither as a retry nor as a new period.
        assert_eq!(s.claim_digest_run(&req(t(9, 30), t(9, 31))).unwrap(), None);
        assert!(
            s.finish_digest_run(&c, &RunOutcome::Sent { stories: 3 }, t(9, 31))
                .unwrap()
        );
        assert_eq!(s.claim_digest_run(&req(t(9, 30), t(9, 45))).unwrap(), None);
        let run = &s.digest_runs(Some("morning"), 1).unwrap()[0];
        assert_eq!((run.state.as_str(), run.stories), ("sent", Some(3)));
    }

    #[test]
    fn a_lapsed_claim_is_taken_over_under_the_same_message_id_and_the_old_token_is_refused() {
        let (_d, mut s) = store();
        s.claim_digest_run(&req(t(7, 30), t(7, 30))).unwrap();
        let first = s
            .claim_digest_run(&req(t(8, 30), t(8, 30)))
            .unwrap()
            .unwrap();
        // The process died; after the lease another one takes the run over.
        let again = s
            .claim_digest_run(&req(t(8, 30), t(8, 32)))
            .unwrap()
            .unwrap();
        assert_eq!(again.run.message_id, first.run.message_id);
        assert_ne!(again.token, first.token);
        assert!(
            !s.finish_digest_run(&first, &RunOutcome::Sent { stories: 1 }, t(8, 33))
                .unwrap()
        );
        assert!(
            s.finish_digest_run(&again, &RunOutcome::Sent { stories: 1 }, t(8, 33))
                .unwrap()
        );
    }

    #[test]
    fn a_retry_waits_for_its_time_and_later_periods_start_where_the_last_ended() {
        let (_d, mut s) = store();
        s.claim_digest_run(&req(t(6, 0), t(6, 0))).unwrap();
        let c = s.claim_digest_run(&req(t(7, 0), t(7, 0))).unwrap().unwrap();
        let retry = RunOutcome::Retry {
            at: t(8, 30),
            error: "421 busy".into(),
        };
        s.finish_digest_run(&c, &retry, t(7, 1)).unwrap();
        // Not yet due: the next period is claimed instead, starting at the pending one's end.
        let next = s.claim_digest_run(&req(t(8, 0), t(8, 5))).unwrap().unwrap();
        assert_eq!(next.run.period_start, t(7, 0));
        s.finish_digest_run(&next, &RunOutcome::Empty, t(8, 5))
            .unwrap();
        assert_eq!(s.next_digest_retry("morning").unwrap(), Some(t(8, 30)));
        let due = s
            .claim_digest_run(&req(t(8, 0), t(8, 30)))
            .unwrap()
            .unwrap();
        assert_eq!(
            (due.run.period_end, due.run.attempts),
            (t(7, 0), 1),
            "the pending run comes back when due"
        );
        assert_eq!(
            s.next_digest_retry("morning").unwrap(),
            Some(t(8, 31) + chrono::Duration::seconds(30))
        );
    }

    #[test]
    fn a_manual_send_starts_a_new_digest_at_the_given_start() {
        let (_d, mut s) = store();
        let mut r = req(t(8, 12), t(8, 12));
        r.first_start = Some(t(7, 30));
        let c = s.claim_digest_run(&r).unwrap().unwrap();
        assert_eq!((c.run.period_start, c.run.period_end), (t(7, 30), t(8, 12)));
    }
}
