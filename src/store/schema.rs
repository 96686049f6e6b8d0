//! Numbered schema migrations; `PRAGMA user_version` records how many have been applied.

/// Migration `i` brings the schema from version `i` to `i + 1`. Append only; never edit a shipped one.
pub const MIGRATIONS: &[&str] = &[
    // 1: sources, briefs, full-text index (filled behind the writer, see `fts_progress`), tombstones.
    r#"
CREATE TABLE sources (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    url             TEXT NOT NULL,
    interval_secs   INTEGER NOT NULL,
    origin          TEXT NOT NULL,
    enabled         INTEGER NOT NULL DEFAULT 1,
    settings        TEXT NOT NULL DEFAULT '{}',
    etag            TEXT,
    last_modified   TEXT,
    next_check_at   INTEGER,
    failures        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_status     INTEGER,
    last_checked_at INTEGER,
    last_success_at INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE TABLE briefs (
    -- AUTOINCREMENT: ids never come back after a delete, which the index catch-up relies on.
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id     INTEGER NOT NULL REFERENCES sources(id),
    guid_hash     INTEGER NOT NULL,
    guid          TEXT NOT NULL,
    url           TEXT,
    canonical_url TEXT,
    title         TEXT NOT NULL,
    text          TEXT NOT NULL,
    html          TEXT,
    author        TEXT,
    published_at  INTEGER,
    updated_at    INTEGER,
    fetched_at    INTEGER NOT NULL,
    sort_at       INTEGER NOT NULL,
    content_hash  INTEGER NOT NULL,
    story_id      INTEGER,
    UNIQUE (source_id, guid_hash)
);
CREATE INDEX briefs_by_time ON briefs (sort_at DESC, id DESC);
CREATE VIRTUAL TABLE briefs_fts USING fts5(
    title, text, content = 'briefs', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
-- Briefs with id <= last_id are in briefs_fts; newer ones are indexed when the writer is idle or
-- before a search.
CREATE TABLE fts_progress (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    last_id INTEGER NOT NULL
);
INSERT INTO fts_progress (id, last_id) VALUES (1, 0);
-- A larger in-memory term buffer makes fewer, larger segments: less merging during bulk polls.
INSERT INTO briefs_fts (briefs_fts, rank) VALUES ('hashsize', 16777216);
CREATE TABLE tombstones (
    source_id  INTEGER NOT NULL REFERENCES sources(id),
    guid_hash  INTEGER NOT NULL,
    deleted_at INTEGER NOT NULL,
    PRIMARY KEY (source_id, guid_hash)
) WITHOUT ROWID;
"#,
    // 2: stories (near-duplicate clusters), sightings (a stored brief carried by further sources;
    // the brief row itself is its first source's), fingerprints. Existing briefs each become a story of their own and a sighting of
    // their source.
    r#"
CREATE TABLE stories (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    first_seen           INTEGER NOT NULL,
    last_seen            INTEGER NOT NULL,
    briefs               INTEGER NOT NULL DEFAULT 1,
    sources              INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX stories_by_time ON stories (last_seen DESC);
CREATE TABLE sightings (
    source_id INTEGER NOT NULL REFERENCES sources(id),
    guid_hash INTEGER NOT NULL,
    brief_id  INTEGER NOT NULL REFERENCES briefs(id),
    seen_at   INTEGER NOT NULL,
    PRIMARY KEY (source_id, guid_hash)
) WITHOUT ROWID;
CREATE INDEX sightings_by_brief ON sightings (brief_id);
-- MinHash fingerprint (see transforms::fingerprint); the band index over it, and the exact-text
-- lookup by content_hash within the story window, live in memory (store::story_index).
ALTER TABLE briefs ADD COLUMN signature BLOB;
-- xxh3 of the canonical URL: a small integer index instead of one over the URL text. From this
-- version on, canonical_url is stored only when it differs from url.
ALTER TABLE briefs ADD COLUMN canonical_hash INTEGER;
CREATE INDEX briefs_by_canonical_hash ON briefs (canonical_hash) WHERE canonical_hash IS NOT NULL;
CREATE INDEX briefs_by_story ON briefs (story_id);
INSERT INTO stories (id, first_seen, last_seen, briefs, sources)
    SELECT id, sort_at, sort_at, 1, 1 FROM briefs;
UPDATE briefs SET story_id = id;
"#,
    // 3: topics and entities of briefs (written with the brief, replaced by `reclassify`), labels
    // users give for training, and trained models.
    r#"
-- A brief's topics (JSON [[topic, score], ...], best first) and entities (JSON [[name, kind], ...])
-- are kept in its row for display; the two tables below index them for filtering and hold the
-- evidence. One index row per topic or entity, no foreign keys: the store deletes them with the brief.
ALTER TABLE briefs ADD COLUMN topics TEXT;
ALTER TABLE briefs ADD COLUMN entities TEXT;
CREATE TABLE brief_topics (
    topic    TEXT NOT NULL,
    brief_id INTEGER NOT NULL,
    score    REAL NOT NULL,
    -- JSON array of [term, field, start, end, weight] (transforms::classify::StoredEvidence).
    evidence TEXT NOT NULL,
    PRIMARY KEY (topic, brief_id)
) WITHOUT ROWID;
CREATE TABLE brief_entities (
    -- Lower-cased canonical name: filters ignore case.
    entity   TEXT NOT NULL,
    brief_id INTEGER NOT NULL,
    PRIMARY KEY (entity, brief_id)
) WITHOUT ROWID;
CREATE TABLE labels (
    brief_id    INTEGER NOT NULL REFERENCES briefs(id) ON DELETE CASCADE,
    topic       TEXT NOT NULL,
    positive    INTEGER NOT NULL,
    labelled_at INTEGER NOT NULL,
    PRIMARY KEY (brief_id, topic)
) WITHOUT ROWID;
CREATE TABLE models (
    name       TEXT PRIMARY KEY,
    trained_at INTEGER NOT NULL,
    examples   INTEGER NOT NULL,
    -- The model as JSON (transforms::classify::Model).
    body       TEXT NOT NULL
);
"#,
    // 4: the link a sighting's source gave (it may differ from the stored brief's: same canonical
    // URL with other tracking parameters, or the same text under another address).
    r#"
ALTER TABLE sightings ADD COLUMN url TEXT;
"#,
    // 5: the alert outbox. A delivery row per (story, rule, destination) is written in the
    // transaction that stores the brief; `alerted` remembers which topics of a story each rule and
    // destination were already told about, so that a story alerts again only for a new topic.
    r#"
CREATE TABLE deliveries (
    -- The webhook-id: fixed when the row is written, reused by every retry.
    id           TEXT PRIMARY KEY,
    -- alert | summary (throttled alerts merged into one) | test
    kind         TEXT NOT NULL,
    rule         TEXT NOT NULL,
    destination  TEXT NOT NULL,
    story_id     INTEGER,
    brief_id     INTEGER,
    -- The rule's topics the brief matched, comma-separated.
    topics       TEXT NOT NULL DEFAULT '',
    -- pending | sending | delivered | held (over the rule's throttle) | merged (into a summary) | failed
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    -- Unix milliseconds.
    next_at      INTEGER NOT NULL,
    lease_until  INTEGER,
    lease_token  TEXT,
    last_status  INTEGER,
    last_error   TEXT,
    merged_into  TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    delivered_at INTEGER
);
-- Partial indexes, so that writing a pending row (at ingest, in the brief's transaction) touches
-- only the primary key and `deliveries_due`; the others gain a row when the dispatcher moves it.
CREATE INDEX deliveries_due ON deliveries (next_at) WHERE state = 'pending';
CREATE INDEX deliveries_leased ON deliveries (lease_until) WHERE state = 'sending';
CREATE INDEX deliveries_sent ON deliveries (rule, destination, delivered_at) WHERE state = 'delivered';
CREATE INDEX deliveries_held ON deliveries (rule, destination) WHERE state = 'held';
CREATE INDEX deliveries_by_summary ON deliveries (merged_into) WHERE merged_into IS NOT NULL;
CREATE TABLE alerted (
    story_id INTEGER NOT NULL,
    -- xxh3 of rule, destination and matched topic ('' for a rule without topics), NUL-separated:
    -- a small integer key instead of three text columns in a table that gains a row per alert.
    key      INTEGER NOT NULL,
    PRIMARY KEY (story_id, key)
) WITHOUT ROWID;
-- Destinations switched off by a 410 Gone; their deliveries wait until `alerts enable`.
CREATE TABLE destination_state (
    name        TEXT PRIMARY KEY,
    disabled_at INTEGER NOT NULL,
    reason      TEXT NOT NULL
);
"#,
    // 6: digests. A story's `created_at` is when briefwatch stored it (Unix milliseconds, the
    // writer's clock at insertion): digests list the stories created in their period, whatever the
    // briefs' own publication dates say, and a story committed after a period was gathered always
    // falls in a later period. `digest_runs` holds one row per digest period, claimed before the mail
    // is sent and marked sent after the server accepted it.
    r#"
ALTER TABLE stories ADD COLUMN created_at INTEGER;
UPDATE stories SET created_at = coalesce(
    (SELECT min(fetched_at) FROM briefs WHERE briefs.story_id = stories.id), first_seen) * 1000;
CREATE INDEX stories_by_creation ON stories (created_at);
CREATE TABLE digest_runs (
    digest       TEXT NOT NULL,
    -- The period [period_start, period_end), Unix milliseconds as every time here; period_end is
    -- a fire time of the schedule, or the moment of a `digest send`.
    period_start INTEGER NOT NULL,
    period_end   INTEGER NOT NULL,
    -- baseline (where a new digest starts: nothing sent) | sending (claimed, under lease) |
    -- pending (waiting to retry at next_at) | sent | empty (nothing matched; nothing sent) | failed
    state        TEXT NOT NULL,
    -- Fixed when the row is claimed; every attempt sends under it.
    message_id   TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      INTEGER,
    lease_until  INTEGER,
    lease_token  TEXT,
    stories      INTEGER,
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    sent_at      INTEGER,
    PRIMARY KEY (digest, period_end)
) WITHOUT ROWID;
"#,
    // 7: WebSub. The hub and topic each source's feed last announced (NULL: none), and the
    // subscriptions at those hubs: the opaque id of the callback URL, the secret the hub signs
    // pushes with, where the subscription stands and when the subscriber acts on it next (renew,
    // retry, give up waiting). Times in Unix milliseconds. No foreign key: a subscription outlives
    // its source long enough to be unsubscribed.
    r#"
ALTER TABLE sources ADD COLUMN websub_hub TEXT;
ALTER TABLE sources ADD COLUMN websub_topic TEXT;
CREATE TABLE websub_subscriptions (
    id           TEXT PRIMARY KEY,
    source_id    INTEGER NOT NULL,
    hub          TEXT NOT NULL,
    topic        TEXT NOT NULL,
    secret       TEXT NOT NULL,
    -- requested | verified | denied | failed | unsubscribing
    state        TEXT NOT NULL,
    -- subscribe | unsubscribe: a request whose verification of intent is awaited
    pending      TEXT,
    requested_at INTEGER,
    lease_secs   INTEGER,
    expires_at   INTEGER,
    next_at      INTEGER,
    failures     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX websub_by_source ON websub_subscriptions (source_id);
"#,
];
