//! Crash safety: the real daemon against a small local farm (four feeds that grow while it runs,
//! some events carried by two sources), two alert rules to two signed webhook destinations on a
//! real receiver (one of them slow, the other failing now and then), and an `every 1m` digest to
//! a real SMTP server that holds its answer to DATA. The daemon is killed with SIGKILL at random
//! points (right after start, while webhook requests are in flight, around a digest fire time or
//! while the digest is being mailed, or anywhere) and restarted, `CRASH_KILLS` times (default 50;
//! more until one kill was aimed at a digest); then it runs once more until everything has settled
//! and is stopped with SIGTERM.
//!
//! What must hold afterwards (design.md, "Promises"):
//! - every farm item is stored exactly once, and the two copies of an event form one story;
//! - every (story, rule, destination) that matches got exactly one delivery id and it was received
//!   (signed); no id was used for another key; nothing failed or is still waiting. Delivery is at
//!   least once under a stable id: a request the receiver got just before the kill is sent again
//!   under the same id (those are counted, not refused);
//! - every digest period is recorded once, the periods follow each other without gap or overlap,
//!   each sent period's mail arrived under its own Message-ID (again possibly more than once when
//!   the kill fell between the server taking the mail and the daemon recording it), and every
//!   matching story is listed in exactly one period, the one in which it was stored;
//! - `PRAGMA integrity_check` is `ok` and `PRAGMA foreign_key_check` finds nothing.
//!
//! The random points come from a small PRNG seeded with `CRASH_SEED` (printed), so that a failing
//! run can be repeated.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use mail_parser::MessageParser;
use rusqlite::{Connection, OpenFlags};

use crate::harness::{ConfigSpec, Daemon, SourceSpec, Workspace};
use crate::receiver::{Answer, Receiver, SECRET};
use crate::server::FeedServer;
use crate::smtp::SmtpServer;

const DEFAULT_SEED: u64 = 0x15_C4A5_4BAD;
const DEFAULT_KILLS: usize = 50;
const SOURCES: usize = 4;
const EVENTS: usize = 36;
/// The farm publishes its events over this stretch after the warm-up.
const FARM_SPAN: Duration = Duration::from_secs(44);
/// Bound for the final run to settle: a digest fire time (one minute at most) plus slack.
const SETTLE_DEADLINE: Duration = Duration::from_secs(120);

/// SplitMix64: small, deterministic, good enough to pick kill points.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi` (`hi > lo`).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }

    fn ms(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(self.range(lo, hi))
    }

    /// True with probability `pct` percent.
    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|e| panic!("{name}={v:?} is not a number: {e}")))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Matches the `plots` rule (to `ops` and `flaky`) and the digest.
    Plot,
    /// Matches the `truces` rule (to `ops`) and the digest.
    Truce,
    /// Matches nothing.
    Rates,
}

/// One item of one feed.
#[derive(Clone, Debug)]
struct Item {
    source: usize,
    guid: String,
    link: String,
    title: String,
    text: String,
}

/// One event: published on one source, and sometimes a reworded copy on a second one.
#[derive(Clone, Debug)]
struct Event {
    n: usize,
    kind: Kind,
    items: Vec<Item>,
    /// When each item appears, after the farm starts.
    at: Vec<Duration>,
}

/// Made-up words, so that events share no wording besides their topic phrases.
fn word(rng: &mut Rng) -> String {
    const SYL: [&str; 16] = [
        "zor", "vak", "mel", "tun", "qir", "bex", "dal", "sur", "fen", "gol", "hab", "jix", "kor",
        "lum", "nep", "pyr",
    ];
    (0..3).map(|_| SYL[(rng.next() % 16) as usize]).collect()
}

fn plan(rng: &mut Rng) -> Vec<Event> {
    let step = FARM_SPAN / EVENTS as u32;
    (0..EVENTS)
        .map(|n| {
            let kind = match rng.next() % 20 {
                0..=7 => Kind::Plot,
                8..=12 => Kind::Truce,
                _ => Kind::Rates,
            };
            let (phrase, title) = match kind {
                Kind::Plot => (
                    "assassination plot",
                    format!(
                        "Police foil assassination plot near the {} and {}",
                        word(rng),
                        word(rng)
                    ),
                ),
                Kind::Truce => (
                    "ceasefire and truce",
                    format!("Ceasefire agreed as truce halts fighting in {}", word(rng)),
                ),
                Kind::Rates => (
                    "interest rates",
                    format!(
                        "Central bank of {} keeps interest rates unchanged",
                        word(rng)
                    ),
                ),
            };
            let words: Vec<String> = (0..40)
                .map(|i| {
                    if i % 10 == 0 {
                        phrase.to_string()
                    } else {
                        word(rng)
                    }
                })
                .collect();
            let source = n % SOURCES;
            let mut items = vec![Item {
                source,
                guid: format!("e{n:03}"),
                link: format!("https://s{source}.example/e{n:03}"),
                title: title.clone(),
                text: words.join(" "),
            }];
            let at0 = step * n as u32;
            let mut at = vec![at0];
            if rng.chance(35) {
                // The same story from another outlet: one word in forty changed, title prefixed,
                // published together or a few polls later.
                let other = (source + 1 + (rng.next() % (SOURCES as u64 - 1)) as usize) % SOURCES;
                let mut copy = words.clone();
                copy[5] = "reportedly".into();
                items.push(Item {
                    source: other,
                    guid: format!("e{n:03}-copy"),
                    link: format!("https://s{other}.example/e{n:03}-copy"),
                    title: format!("Update: {title}"),
                    text: copy.join(" "),
                });
                at.push(at0 + rng.ms(0, 4000));
            }
            Event { n, kind, items, at }
        })
        .collect()
}

fn rss(source: usize, items: &[&Item]) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Source {source}</title>\
         <link>https://s{source}.example/</link>"
    );
    for it in items {
        out.push_str(&format!(
            "<item><guid isPermaLink=\"false\">{}</guid><title>{}</title><link>{}</link>\
             <description>{}</description></item>",
            it.guid, it.title, it.link, it.text
        ));
    }
    out.push_str("</channel></rss>");
    out
}

/// The feeds, growing on the farm's clock.
struct Farm {
    origin: FeedServer,
    events: Vec<Event>,
    /// Items published so far, per source (newest last).
    published: Vec<Vec<Item>>,
    done: BTreeSet<(usize, usize)>,
    started: Option<Instant>,
}

impl Farm {
    fn start(&mut self) {
        self.started = Some(Instant::now());
    }

    /// Publishes every item due by now (all of them when `all`).
    fn tick(&mut self, all: bool) {
        let Some(started) = self.started else { return };
        let elapsed = started.elapsed();
        let mut changed = BTreeSet::new();
        for e in &self.events {
            for (i, (item, at)) in e.items.iter().zip(&e.at).enumerate() {
                if (all || *at <= elapsed) && self.done.insert((e.n, i)) {
                    self.published[item.source].push(item.clone());
                    changed.insert(item.source);
                }
            }
        }
        for s in changed {
            let items: Vec<&Item> = self.published[s].iter().rev().collect();
            self.origin
                .publish(&format!("/s{s}.xml"), rss(s, &items), "application/rss+xml");
        }
    }

    fn items(&self) -> impl Iterator<Item = (&Event, &Item)> {
        self.events
            .iter()
            .flat_map(|e| e.items.iter().map(move |i| (e, i)))
    }
}

/// Sleeps `d`, keeping the farm publishing.
async fn live(farm: &mut Farm, d: Duration) {
    let end = Instant::now() + d;
    loop {
        farm.tick(false);
        let now = Instant::now();
        if now >= end {
            return;
        }
        tokio::time::sleep((end - now).min(Duration::from_millis(40))).await;
    }
}

fn open_ro(path: &Path) -> Option<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()?;
    conn.busy_timeout(Duration::from_secs(5)).ok()?;
    Some(conn)
}

fn count(conn: &Connection, sql: &str) -> rusqlite::Result<i64> {
    conn.query_row(sql, [], |r| r.get(0))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn kill9(daemon: &Daemon) {
    let status = std::process::Command::new("kill")
        .args(["-KILL", &daemon.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -KILL {} failed", daemon.pid());
}

/// (source name, guid) -> every stored brief with it: (brief id, story id, the story's
/// `created_at`), -1 where a brief has no story.
type StoredBriefs = HashMap<(String, String), Vec<(i64, i64, i64)>>;

fn stored_briefs(conn: &Connection) -> StoredBriefs {
    let mut out = StoredBriefs::new();
    let mut stmt = conn
        .prepare(
            "SELECT s.name, b.guid, b.id, coalesce(b.story_id, -1), coalesce(st.created_at, -1)
               FROM briefs b JOIN sources s ON s.id = b.source_id
               LEFT JOIN stories st ON st.id = b.story_id",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                (r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                (r.get(2)?, r.get(3)?, r.get(4)?),
            ))
        })
        .unwrap();
    for row in rows {
        let (k, v) = row.unwrap();
        out.entry(k).or_default().push(v);
    }
    out
}

#[derive(Debug)]
struct RunRow {
    start: i64,
    end: i64,
    state: String,
    message_id: String,
    stories: Option<i64>,
}

fn digest_runs(conn: &Connection) -> Vec<RunRow> {
    let mut stmt = conn
        .prepare(
            "SELECT period_start, period_end, state, message_id, stories FROM digest_runs
              WHERE digest = 'desk' ORDER BY period_end",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok(RunRow {
            start: r.get(0)?,
            end: r.get(1)?,
            state: r.get(2)?,
            message_id: r.get(3)?,
            stories: r.get(4)?,
        })
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// Whether the final run has nothing left to do: every item stored, no delivery waiting, every
/// digest period recorded up to after the newest story and none waiting.
fn settled(conn: &Connection, items: usize) -> rusqlite::Result<Option<String>> {
    let briefs = count(conn, "SELECT count(*) FROM briefs")?;
    if briefs < items as i64 {
        return Ok(Some(format!("{briefs} of {items} briefs stored")));
    }
    let waiting = count(
        conn,
        "SELECT count(*) FROM deliveries WHERE state IN ('pending', 'sending')",
    )?;
    if waiting > 0 {
        return Ok(Some(format!("{waiting} deliveries waiting")));
    }
    let runs_waiting = count(
        conn,
        "SELECT count(*) FROM digest_runs WHERE state IN ('pending', 'sending')",
    )?;
    if runs_waiting > 0 {
        return Ok(Some(format!("{runs_waiting} digest runs waiting")));
    }
    let newest_story = count(conn, "SELECT coalesce(max(created_at), 0) FROM stories")?;
    let last_end = count(
        conn,
        "SELECT coalesce(max(period_end), 0) FROM digest_runs WHERE digest = 'desk'",
    )?;
    if last_end <= newest_story {
        return Ok(Some(format!(
            "the newest story ({newest_story}) is not in a recorded digest period yet (last ends {last_end})"
        )));
    }
    Ok(None)
}

fn config(farm: &FeedServer, receiver: &Receiver, smtp_port: u16) -> String {
    let mut spec = ConfigSpec::for_server(farm);
    spec.allow_hosts.push(receiver.host_port());
    // The mail relay is on loopback: the private-network guard covers it too.
    spec.allow_hosts.push(format!("localhost:{smtp_port}"));
    for s in 0..SOURCES {
        spec = spec.source(
            SourceSpec::new(&format!("s{s}"), farm.url(&format!("/s{s}.xml"))).interval("1s"),
        );
    }
    let hp = receiver.host_port();
    format!(
        "{}\n[delivery]\n\
         retry_schedule = [\"0s\", \"200ms\", \"300ms\", \"500ms\", \"500ms\", \"1s\", \"1s\", \"1s\", \"1s\", \"1s\", \"1s\", \"1s\"]\n\
         timeout_secs = 5\n\n\
         [[destinations]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"http://{hp}/ops\"\nsecret_file = \"hook.secret\"\n\n\
         [[destinations]]\nname = \"flaky\"\nkind = \"webhook\"\nurl = \"http://{hp}/flaky\"\nsecret_file = \"hook.secret\"\n\n\
         [[alerts]]\nname = \"plots\"\ntopics = [\"assassination_plot\"]\ndestinations = [\"ops\", \"flaky\"]\n\n\
         [[alerts]]\nname = \"truces\"\ntopics = [\"ceasefire\"]\ndestinations = [\"ops\"]\n\n\
         [smtp]\nhost = \"localhost\"\nport = {smtp_port}\ntls = \"none\"\n\
         from = \"briefwatch <bw@news.example.org>\"\ntimeout_secs = 3\n\n\
         [[digests]]\nname = \"desk\"\nschedule = \"every 1m\"\nto = [\"desk@example.org\"]\n\
         topics = [\"assassination_plot\", \"ceasefire\"]\nmax_stories = 500\n",
        spec.render()
    )
}

/// Scripted webhook answers: `ops` is often slow (a kill lands while the request is in flight),
/// `flaky` fails with 500/503 about a third of the time and is sometimes slow. After the script, 200.
fn script_receiver(receiver: &Receiver, rng: &mut Rng) {
    let slow = |rng: &mut Rng, status| Answer {
        status,
        retry_after: None,
        delay: rng.ms(200, 1200),
    };
    let ops: Vec<Answer> = (0..150)
        .map(|_| {
            if rng.chance(50) {
                slow(rng, 200)
            } else {
                Answer::status(200)
            }
        })
        .collect();
    let flaky: Vec<Answer> = (0..150)
        .map(|_| match rng.next() % 10 {
            0..=1 => Answer::status(500),
            2 => Answer::status(503),
            3..=4 => slow(rng, 200),
            _ => Answer::status(200),
        })
        .collect();
    receiver.script("/ops", ops);
    receiver.script("/flaky", flaky);
}

#[derive(Default, Debug)]
struct KillStats {
    early: usize,
    in_flight: usize,
    digest: usize,
    anywhere: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_loses_and_duplicates_nothing() {
    let started = Instant::now();
    let seed = env_u64("CRASH_SEED").unwrap_or(DEFAULT_SEED);
    let kills = env_u64("CRASH_KILLS").map_or(DEFAULT_KILLS, |k| k as usize);
    assert!(kills >= 1, "CRASH_KILLS must be at least 1");
    println!("crash harness: CRASH_SEED={seed:#x} CRASH_KILLS={kills}");
    let mut rng = Rng(seed);

    let origin = FeedServer::start().await;
    for s in 0..SOURCES {
        origin.publish(&format!("/s{s}.xml"), rss(s, &[]), "application/rss+xml");
    }
    let receiver = Receiver::start().await;
    script_receiver(&receiver, &mut rng);
    let smtp = SmtpServer::start().await;
    // The mail is recorded, then the answer waits: a kill in between makes the daemon send it again.
    smtp.set_data_delay(Duration::from_millis(700));
    let ws = Workspace::new();
    std::fs::write(ws.path("hook.secret"), SECRET).unwrap();
    ws.write_config(&config(&origin, &receiver, smtp.port));
    let db = ws.path("bw.db");

    let events = plan(&mut rng);
    let mut farm = Farm {
        origin,
        events,
        published: vec![Vec::new(); SOURCES],
        done: BTreeSet::new(),
        started: None,
    };
    let total_items = farm.items().count();

    // Warm-up: the first daemon creates the database and records the digest's baseline (a digest
    // seen for the first time starts at its last fire time); only then does the farm start, so
    // every story falls in a period the digest covers.
    let mut daemon = ws.spawn(&["run"]);
    let warm = Instant::now();
    loop {
        let baseline = open_ro(&db)
            .and_then(|c| count(&c, "SELECT count(*) FROM digest_runs WHERE digest = 'desk'").ok());
        if baseline.unwrap_or(0) > 0 {
            break;
        }
        assert!(
            warm.elapsed() < Duration::from_secs(30),
            "the digest baseline was not recorded\n{}",
            daemon.output_so_far()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    farm.start();
    let farm_minute = now_ms() / 60_000;
    let mut periods_recorded = 0;
    let (mut digest_fire, mut digest_kills) = (0, 0);

    let mut stats = KillStats::default();
    // At least `kills` kills, and more until one was aimed at a digest (a fire time comes within
    // a minute; the final run would wait for it anyway).
    let mut k = 0;
    while k < kills || stats.digest == 0 {
        if k > 0 {
            daemon = ws.spawn(&["run"]);
        }
        let life_start = Instant::now();
        let mode = rng.next() % 100;
        let how: &str;
        let to_fire = {
            let now = now_ms();
            Duration::from_millis((60_000 - now.rem_euclid(60_000)) as u64)
        };
        // Fire times since the farm started whose period no daemon has recorded (each logs it
        // after the commit): a digest is due.
        let fires = (now_ms() / 60_000 - farm_minute) as usize;
        if fires != digest_fire {
            (digest_fire, digest_kills) = (fires, 0);
        }
        // At most four kills per fire time go to the digest (the log line that counts a period
        // as recorded can itself be cut off by a kill).
        let digest_due = fires > periods_recorded && digest_kills < 4;
        if digest_due || to_fire < Duration::from_millis(3000) {
            digest_kills += 1;
            // A digest period is due (a fire time passed and no daemon recorded it) or about to
            // be: kill while it is claimed, gathered or being mailed, or, half the time, just
            // after the server took the mail and before the daemon learnt it did (the server holds
            // its answer to DATA for 700 ms).
            stats.digest += 1;
            how = "digest";
            let mails = smtp.received().len();
            if !digest_due {
                live(&mut farm, to_fire).await;
            }
            if rng.chance(50) {
                let give_up = Instant::now() + Duration::from_millis(3000);
                while smtp.received().len() == mails && Instant::now() < give_up {
                    live(&mut farm, Duration::from_millis(10)).await;
                }
                let d = rng.ms(0, 600);
                live(&mut farm, d).await;
            } else {
                let d = rng.ms(0, 800);
                live(&mut farm, d).await;
            }
        } else if mode < 20 {
            // Right after start: while opening the store, releasing leases, the first polls.
            stats.early += 1;
            how = "early";
            let d = rng.ms(30, 300);
            live(&mut farm, d).await;
        } else if mode < 45 {
            // While webhook requests are in flight: wait for one to arrive, then a little more.
            stats.in_flight += 1;
            how = "in-flight";
            let before = receiver.seen().len();
            let give_up = Instant::now() + Duration::from_millis(2500);
            while receiver.seen().len() == before && Instant::now() < give_up {
                live(&mut farm, Duration::from_millis(10)).await;
            }
            let d = rng.ms(0, 300);
            live(&mut farm, d).await;
        } else {
            stats.anywhere += 1;
            how = "anywhere";
            let d = rng.ms(250, 2000);
            live(&mut farm, d).await;
        }
        kill9(&daemon);
        println!(
            "kill {:2}: {how} after {:?} (fire times {fires}, periods recorded {periods_recorded}, {} webhook requests, {} mails)",
            k + 1,
            life_start.elapsed(),
            receiver.seen().len(),
            smtp.received().len()
        );
        let (status, _, err) = daemon
            .wait_exit(Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("kill {}: the daemon did not die", k + 1));
        periods_recorded += err
            .lines()
            .filter(|l| l.contains("digest sent") || l.contains("digest period had no stories"))
            .count();
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(
                status.signal(),
                Some(9),
                "kill {} (after {:?}): the daemon ended by itself before the SIGKILL ({status:?})\n{err}",
                k + 1,
                life_start.elapsed()
            );
        }
        k += 1;
    }
    let (asked, kills) = (kills, k);
    // The farm is complete and changes no more.
    farm.tick(true);
    let loop_done = started.elapsed();

    // The final run: until everything has settled.
    let mut daemon = ws.spawn(&["run"]);
    let settle_start = Instant::now();
    loop {
        let up = daemon.output_so_far().contains("briefwatch running");
        let state = open_ro(&db)
            .map(|c| settled(&c, total_items))
            .unwrap_or(Ok(Some("database not readable".into())));
        match state {
            Ok(None) if up => break,
            Ok(None) => assert!(
                settle_start.elapsed() < SETTLE_DEADLINE,
                "the final daemon did not start\n{}",
                daemon.output_so_far()
            ),
            Ok(Some(why)) => assert!(
                settle_start.elapsed() < SETTLE_DEADLINE,
                "the final run did not settle within {SETTLE_DEADLINE:?}: {why}\n{}",
                daemon.output_so_far()
            ),
            Err(e) => assert!(
                settle_start.elapsed() < SETTLE_DEADLINE,
                "reading the database: {e}\n{}",
                daemon.output_so_far()
            ),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Settled means nothing is left to send: a quiet stretch must bring no further request or mail.
    let (requests_settled, mails_settled) = (receiver.seen().len(), smtp.received().len());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        (receiver.seen().len(), smtp.received().len()),
        (requests_settled, mails_settled),
        "webhook requests or mails after everything was recorded as sent\n{}",
        daemon.output_so_far()
    );
    daemon.signal("TERM");
    let (status, _, err) = daemon
        .wait_exit(Duration::from_secs(20))
        .await
        .expect("the final daemon stops on SIGTERM");
    assert!(
        status.success(),
        "the final daemon exits 0: {status:?}\n{err}"
    );

    let conn = open_ro(&db).expect("open the database");

    // (4) The database is intact.
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "PRAGMA integrity_check");
    let fk: Vec<String> = conn
        .prepare("PRAGMA foreign_key_check")
        .unwrap()
        .query_map([], |r| {
            Ok(format!(
                "{:?}/{:?}",
                r.get::<_, String>(0),
                r.get::<_, i64>(1)
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(fk.is_empty(), "PRAGMA foreign_key_check: {fk:?}");

    // (1) Every farm item stored exactly once, and nothing else.
    let stored = stored_briefs(&conn);
    let stored_total: usize = stored.values().map(Vec::len).sum();
    let mut story_of_event: BTreeMap<usize, i64> = BTreeMap::new();
    let mut created_of_story: HashMap<i64, i64> = HashMap::new();
    for (e, item) in farm.items() {
        let key = (format!("s{}", item.source), item.guid.clone());
        let rows = stored.get(&key).map(Vec::as_slice).unwrap_or(&[]);
        assert_eq!(
            rows.len(),
            1,
            "farm item {key:?} ({:?}) is stored {} times",
            item.title,
            rows.len()
        );
        let (brief, story, created) = rows[0];
        assert!(
            story >= 0 && created >= 0,
            "brief {brief} ({key:?}) has no story"
        );
        created_of_story.insert(story, created);
        // The copies of an event form one story.
        let first = *story_of_event.entry(e.n).or_insert(story);
        assert_eq!(
            first, story,
            "event {} is split over stories {first} and {story}",
            e.n
        );
    }
    assert_eq!(stored_total, total_items, "briefs that are not farm items");
    let distinct: BTreeSet<i64> = story_of_event.values().copied().collect();
    assert_eq!(
        distinct.len(),
        EVENTS,
        "unrelated events were merged into one story: {story_of_event:?}"
    );

    // (2) Deliveries: the expected (story, rule, destination) keys.
    let kind_of_story: HashMap<i64, Kind> = farm
        .events
        .iter()
        .map(|e| (story_of_event[&e.n], e.kind))
        .collect();
    let mut expected: BTreeSet<(i64, String, String)> = BTreeSet::new();
    for e in &farm.events {
        let story = story_of_event[&e.n];
        match e.kind {
            Kind::Plot => {
                expected.insert((story, "plots".into(), "ops".into()));
                expected.insert((story, "plots".into(), "flaky".into()));
            }
            Kind::Truce => {
                expected.insert((story, "truces".into(), "ops".into()));
            }
            Kind::Rates => {}
        }
    }
    // The outbox: one row per key, all delivered.
    let mut stmt = conn
        .prepare("SELECT id, story_id, rule, destination, state, kind FROM deliveries")
        .unwrap();
    let rows: Vec<(String, i64, String, String, String, String)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut key_of_id: HashMap<String, (i64, String, String)> = HashMap::new();
    let mut id_of_key: BTreeMap<(i64, String, String), String> = BTreeMap::new();
    for (id, story, rule, dest, state, kind) in &rows {
        assert_eq!(kind, "alert", "delivery {id} is a {kind}");
        assert_eq!(
            state, "delivered",
            "delivery {id} ({story}, {rule}, {dest}) ended {state} (dead letter or lost)"
        );
        let key = (*story, rule.clone(), dest.clone());
        if let Some(other) = id_of_key.insert(key.clone(), id.clone()) {
            panic!("{key:?} has two delivery ids: {other} and {id} (a duplicate alert)");
        }
        key_of_id.insert(id.clone(), key);
    }
    let got_keys: BTreeSet<_> = id_of_key.keys().cloned().collect();
    let missing: Vec<_> = expected.difference(&got_keys).collect();
    let extra: Vec<_> = got_keys.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "outbox keys differ from the farm's: missing {missing:?}, unexpected {extra:?} (kinds {kind_of_story:?})"
    );
    // What the receiver got: signed, each id for one key, every id received.
    let seen = receiver.seen();
    let mut received: BTreeMap<String, usize> = BTreeMap::new();
    for req in &seen {
        assert!(
            req.signature_ok(SECRET),
            "a request with a bad signature: {:?}",
            req.headers
        );
        let id = req.header("webhook-id").expect("webhook-id").to_string();
        let body = req.json();
        assert_eq!(
            body["id"].as_str(),
            Some(id.as_str()),
            "body id = header id"
        );
        let dest = req.path.trim_start_matches('/').to_string();
        let key = (
            body["story"]["id"].as_i64().unwrap_or(-1),
            body["rule"].as_str().unwrap_or("").to_string(),
            dest,
        );
        let recorded = key_of_id.get(&id).unwrap_or_else(|| {
            panic!("received delivery id {id} that the outbox does not hold: {key:?}")
        });
        assert_eq!(
            recorded, &key,
            "delivery id {id} arrived for {key:?} but belongs to {recorded:?}"
        );
        *received.entry(id).or_default() += 1;
    }
    let lost: Vec<_> = id_of_key
        .iter()
        .filter(|(_, id)| !received.contains_key(*id))
        .collect();
    assert!(lost.is_empty(), "deliveries never received: {lost:?}");
    let redelivered = received.values().filter(|n| **n > 1).count();
    let requests = seen.len();

    // (3) Digest periods: recorded once each, contiguous, sent under one Message-ID each.
    let runs = digest_runs(&conn);
    assert!(!runs.is_empty(), "no digest runs");
    assert_eq!(
        runs[0].state, "baseline",
        "the first run is the baseline: {runs:?}"
    );
    for pair in runs.windows(2) {
        assert_eq!(
            pair[1].start, pair[0].end,
            "digest periods leave a gap or overlap: {:?} then {:?}",
            pair[0], pair[1]
        );
    }
    for r in &runs {
        assert!(
            matches!(r.state.as_str(), "baseline" | "sent" | "empty"),
            "digest period {r:?} was not sent (state {})",
            r.state
        );
    }
    let mids: BTreeSet<&str> = runs.iter().map(|r| r.message_id.as_str()).collect();
    assert_eq!(
        mids.len(),
        runs.len(),
        "two periods share a Message-ID: {runs:?}"
    );
    let mails = smtp.received();
    // Message-ID -> the stories each copy lists (by their briefs' links).
    let link_story: Vec<(String, i64)> = farm
        .items()
        .map(|(e, i)| (format!("href=\"{}\"", i.link), story_of_event[&e.n]))
        .collect();
    let mut by_mid: BTreeMap<String, Vec<BTreeSet<i64>>> = BTreeMap::new();
    for m in &mails {
        let msg = MessageParser::default()
            .parse(&m.data)
            .expect("the digest parses as MIME");
        let mid = format!("<{}>", msg.message_id().expect("a Message-ID"));
        let html = msg.body_html(0).expect("an HTML part").into_owned();
        let listed: BTreeSet<i64> = link_story
            .iter()
            .filter(|(href, _)| html.contains(href.as_str()))
            .map(|(_, s)| *s)
            .collect();
        by_mid.entry(mid).or_default().push(listed);
    }
    let mut periods_sent = 0;
    let mut mail_redelivered = 0;
    let mut listed_in: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, r) in runs.iter().enumerate() {
        let copies = by_mid.remove(&r.message_id).unwrap_or_default();
        if r.state != "sent" {
            assert!(
                copies.is_empty(),
                "a mail arrived for period {r:?}, recorded {}",
                r.state
            );
            continue;
        }
        periods_sent += 1;
        assert!(
            !copies.is_empty(),
            "period {r:?} is recorded sent but no mail arrived"
        );
        mail_redelivered += copies.len() - 1;
        for c in &copies[1..] {
            assert_eq!(
                c, &copies[0],
                "two mails of period {r:?} list different stories"
            );
        }
        assert_eq!(
            r.stories,
            Some(copies[0].len() as i64),
            "period {r:?} lists {:?}",
            copies[0]
        );
        for s in &copies[0] {
            listed_in.entry(*s).or_default().push(i);
        }
    }
    assert!(
        by_mid.is_empty(),
        "mails under Message-IDs of no sent period (a period sent under another id?): {:?}",
        by_mid.keys().collect::<Vec<_>>()
    );
    for (story, kind) in &kind_of_story {
        let periods = listed_in.get(story).cloned().unwrap_or_default();
        if *kind == Kind::Rates {
            assert!(
                periods.is_empty(),
                "story {story} matches no digest topic but was listed"
            );
            continue;
        }
        assert_eq!(
            periods.len(),
            1,
            "story {story} ({kind:?}) is listed in {} digest periods: {periods:?}",
            periods.len()
        );
        let r = &runs[periods[0]];
        let created = created_of_story[story];
        assert!(
            r.start <= created && created < r.end,
            "story {story} created at {created} is listed in period {r:?}"
        );
    }
    assert!(periods_sent >= 1, "no digest period was sent: {runs:?}");

    println!(
        "crash harness: seed {seed:#x}: {kills}/{kills} kills survived ({asked} asked; early {}, webhooks in flight {}, digest due {}, anywhere {}), \
         {total_items} items stored once in {EVENTS} stories, {} deliveries ({redelivered} redelivered under the same id; \
         {requests} requests), {periods_sent} digest periods sent once ({mail_redelivered} resent under the same Message-ID; \
         {} periods recorded), integrity ok; kill loop {:.1?}, total {:.1?}",
        stats.early,
        stats.in_flight,
        stats.digest,
        stats.anywhere,
        id_of_key.len(),
        runs.len(),
        loop_done,
        started.elapsed()
    );
}
