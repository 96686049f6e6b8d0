//! Plain data shared by every pipeline stage: sources, briefs, fetch outcomes. No I/O lives here.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use url::Url;

/// Row id of a source in the store.
pub type SourceId = i64;

/// Row id of a brief in the store.
pub type BriefId = i64;

/// What a source publishes, and so how its bytes are parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// RSS 0.9x/1.0/2.0, Atom or JSON Feed.
    Feed,
    /// A plain web page listing briefs.
    Html,
}

impl SourceKind {
    /// The name used in config files and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Feed => "feed",
            SourceKind::Html => "html",
        }
    }

    /// Parses the name used in config files and the database.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "feed" => Some(SourceKind::Feed),
            "html" => Some(SourceKind::Html),
            _ => None,
        }
    }
}

/// Where a source's definition comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceOrigin {
    /// A `[[sources]]` entry of the config file; the file stays authoritative.
    Config,
    /// Added with `sources import` (OPML); lives in the database only.
    Imported,
}

impl SourceOrigin {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceOrigin::Config => "config",
            SourceOrigin::Imported => "imported",
        }
    }
}

/// The definition of a source: what to fetch and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceSpec {
    /// Unique, human-chosen name used in logs and the CLI.
    pub name: String,
    /// How the fetched bytes are parsed.
    pub kind: SourceKind,
    /// Where to fetch from.
    pub url: Url,
    /// Time between two polls when all is well.
    pub interval: Duration,
    /// Config file or database.
    pub origin: SourceOrigin,
    /// How pages are read: listing selectors, article fetching, limits.
    pub settings: SourceSettings,
}

/// Most article pages fetched per poll of one source, unless configured.
pub const DEFAULT_MAX_ARTICLES: usize = 20;
/// Most listing pages followed through `next_page`, unless configured.
pub const DEFAULT_MAX_PAGES: usize = 3;

/// Per-source settings beyond the URL; stored as JSON with the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SourceSettings {
    /// Listing and article selectors (kind `html`; for feeds only the article selectors apply).
    pub html: Option<HtmlSettings>,
    /// For feeds that carry only a teaser: fetch each new entry's page and extract the article.
    pub fetch_full_article: bool,
    /// Most article pages fetched per poll (the rest wait for the next poll).
    pub max_articles: usize,
    /// Poll at the pace the feed publishes, within these bounds, instead of a fixed interval.
    pub adaptive: Option<AdaptiveBounds>,
}

/// The bounds of an adaptive source's interval, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AdaptiveBounds {
    /// The shortest interval.
    pub min_secs: u64,
    /// The longest interval.
    pub max_secs: u64,
}

impl Default for SourceSettings {
    fn default() -> Self {
        SourceSettings {
            html: None,
            fetch_full_article: false,
            max_articles: DEFAULT_MAX_ARTICLES,
            adaptive: None,
        }
    }
}

impl SourceSettings {
    /// Whether these are the defaults (nothing worth storing or showing).
    pub fn is_default(&self) -> bool {
        *self == SourceSettings::default()
    }
}

/// CSS selectors of an HTML source, as written in the config (checked when the config loads).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct HtmlSettings {
    /// Links to briefs on the listing page.
    pub links: String,
    /// The listing's "next page" link, followed up to `max_pages` pages.
    pub next_page: Option<String>,
    /// Most listing pages read per poll.
    pub max_pages: usize,
    /// The headline on an article page (else automatic).
    pub title: Option<String>,
    /// The article body (else automatic main-content extraction).
    pub body: Option<String>,
    /// The publication date (`datetime`/`content` attribute or text; else automatic).
    pub published: Option<String>,
    /// The author (else automatic).
    pub author: Option<String>,
}

/// HTTP cache validators remembered per source for conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` of the last full response.
    pub etag: Option<String>,
    /// The `Last-Modified` of the last full response.
    pub last_modified: Option<String>,
}

/// A source as the scheduler sees it: its definition plus its fetch state.
#[derive(Debug, Clone)]
pub struct SourceState {
    /// Row id in the store.
    pub id: SourceId,
    /// The definition.
    pub spec: SourceSpec,
    /// Validators for the next conditional GET.
    pub validators: Validators,
    /// When the source is next due; `None` means now.
    pub next_check_at: Option<DateTime<Utc>>,
    /// Consecutive failures; zero after any success.
    pub failures: u32,
    /// Whether a poll of this source has succeeded before, so that some of its entries may be
    /// stored: the pipeline then asks the store which entries it knows before processing them.
    pub fetched_before: bool,
}

/// Text as a source delivered it: plain, or HTML that still needs cleaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Markup {
    /// Plain text (entities already decoded by the parser).
    Text(String),
    /// HTML (or XHTML) markup.
    Html(String),
}

/// One entry as a source parsed it, before normalisation.
#[derive(Debug, Clone)]
pub struct RawBrief {
    /// The publisher's identifier (RSS guid, Atom id, JSON Feed id), when it has one.
    pub guid: Option<String>,
    /// The entry's link, already absolute.
    pub link: Option<Url>,
    /// The entry's title.
    pub title: Option<Markup>,
    /// The full content, when the source carries it.
    pub content: Option<Markup>,
    /// The summary or description.
    pub summary: Option<Markup>,
    /// Author names, in order.
    pub authors: Vec<String>,
    /// When the entry was first published.
    pub published: Option<DateTime<Utc>>,
    /// When the entry was last updated.
    pub updated: Option<DateTime<Utc>>,
    /// Base URL for relative references inside `content` and `summary`.
    pub base: Url,
}

impl RawBrief {
    /// An entry with nothing but its base URL, to be filled in field by field.
    pub fn empty(base: Url) -> RawBrief {
        RawBrief {
            guid: None,
            link: None,
            title: None,
            content: None,
            summary: None,
            authors: Vec::new(),
            published: None,
            updated: None,
            base,
        }
    }
}

/// A normalised brief, ready to be stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Brief {
    /// Stable identifier within its source.
    pub guid: String,
    /// Absolute URL of the brief, when known.
    pub url: Option<String>,
    /// `url` canonicalised (tracking parameters, fragments, AMP variants removed): the article's
    /// identity across sources.
    pub canonical_url: Option<String>,
    /// Plain-text title (may be empty when the source gave none).
    pub title: String,
    /// Plain-text body with paragraph breaks.
    pub text: String,
    /// Sanitised HTML body (allow-listed tags, absolute links); `None` when it is exactly the text's
    /// paragraphs (`transforms::normalize::paragraphs_html`), which readers rebuild.
    pub html: Option<String>,
    /// Authors, comma-separated.
    pub author: Option<String>,
    /// First publication time.
    pub published: Option<DateTime<Utc>>,
    /// Last update time.
    pub updated: Option<DateTime<Utc>>,
    /// Hash of the normalised title and text, for exact-duplicate detection.
    pub content_hash: i64,
    /// Near-duplicate fingerprint; `None` when there is too little text to compare.
    #[serde(skip)]
    pub signature: Option<Signature>,
    /// Topics the classifier gave it, best first.
    pub topics: Vec<TopicTag>,
    /// Entities named in it.
    pub entities: Vec<EntityTag>,
}

/// A topic given to a brief, as stored in `brief_topics`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicTag {
    /// The topic's id in its pack.
    pub topic: String,
    /// Confidence in `[0, 1]`; 1 only when the rule points dwarf the threshold.
    pub score: f32,
    /// Why, as a JSON array of matched terms with offsets, snippets and weights.
    pub evidence: String,
}

/// An entity named in a brief, as stored in `brief_entities`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntityTag {
    /// Canonical name (`Iran`, `IAEA`).
    pub name: String,
    /// `country`, `city` or `organisation`.
    pub kind: String,
}

/// A brief as read back from the store.
#[derive(Debug, Clone)]
pub struct StoredBrief {
    /// Row id.
    pub id: BriefId,
    /// Name of the source that delivered it.
    pub source: String,
    /// Stable identifier within its source.
    pub guid: String,
    /// Absolute URL.
    pub url: Option<String>,
    /// Plain-text title.
    pub title: String,
    /// Plain-text body.
    pub text: String,
    /// Sanitised HTML body.
    pub html: String,
    /// Authors, comma-separated.
    pub author: Option<String>,
    /// First publication time.
    pub published: Option<DateTime<Utc>>,
    /// Last update time.
    pub updated: Option<DateTime<Utc>>,
    /// When briefwatch stored it.
    pub fetched: DateTime<Utc>,
    /// Near-duplicate cluster, once clustering has run.
    pub story_id: Option<i64>,
}

/// What one poll of one source produced, as the store records it.
#[derive(Debug)]
pub enum FetchOutcome {
    /// New content was fetched and parsed.
    Fetched {
        /// The entries of the document, normalised, except those the store was already known to
        /// hold (see `known`).
        briefs: Vec<Brief>,
        /// Entries skipped before processing because this source's brief, sighting or deletion
        /// tombstone with the same guid was already stored.
        known: usize,
        /// Validators to send next time.
        validators: Validators,
        /// HTTP status of the response.
        status: u16,
        /// The WebSub hub and topic the document announced (Link headers or the feed's own
        /// links); `None` when it announced none. Boxed: two URLs would triple the size of
        /// every outcome.
        websub: Option<Box<WebSubLinks>>,
    },
    /// A WebSub hub pushed new content: the briefs are stored like a poll's, and the source's
    /// polling state (validators, schedule, failures) is left as it is.
    Pushed {
        /// The pushed entries, normalised, except those already known to be stored.
        briefs: Vec<Brief>,
    },
    /// The origin answered 304: nothing changed.
    NotModified,
    /// Fetching or parsing failed.
    Failed {
        /// A one-line description naming what failed.
        error: String,
        /// HTTP status, when the origin answered.
        status: Option<u16>,
    },
}

/// The outcome of one poll of one source plus when to poll it next.
#[derive(Debug)]
pub struct SourceReport {
    /// Which source.
    pub source_id: SourceId,
    /// What happened.
    pub outcome: FetchOutcome,
    /// When the poll finished.
    pub checked_at: DateTime<Utc>,
    /// When the scheduler wants it next.
    pub next_check_at: DateTime<Utc>,
}

/// The fetch state of a source as `sources list` shows it.
#[derive(Debug, Clone)]
pub struct SourceStatus {
    /// Unique name.
    pub name: String,
    /// `feed` or `html`.
    pub kind: SourceKind,
    /// Where it is fetched from.
    pub url: String,
    /// Poll interval in seconds.
    pub interval_secs: u64,
    /// `config` or `imported`.
    pub origin: SourceOrigin,
    /// False when the source left the config file; its briefs stay.
    pub enabled: bool,
    /// Consecutive failures.
    pub failures: u32,
    /// The last error, when the last poll failed.
    pub last_error: Option<String>,
    /// HTTP status of the last response (304 included).
    pub last_status: Option<u16>,
    /// When the last poll finished.
    pub last_checked: Option<DateTime<Utc>>,
    /// When the last poll succeeded.
    pub last_success: Option<DateTime<Utc>>,
    /// When the source is next due.
    pub next_check: Option<DateTime<Utc>>,
    /// Number of stored briefs.
    pub briefs: u64,
    /// Briefs stored from it in the last 24 hours.
    pub briefs_24h: u64,
    /// Its WebSub hub and subscription, when its feed announced a hub.
    pub websub: Option<WebSubStatus>,
}

/// A WebSub hub and topic a feed announced (`rel="hub"`, `rel="self"`), from its HTTP `Link`
/// headers or its own links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSubLinks {
    /// The hub to subscribe at.
    pub hub: Url,
    /// The topic: the feed's `rel="self"` URL, else the URL it was fetched from.
    pub topic: Url,
}

/// Where a WebSub subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionState {
    /// Asked for (or about to be); the hub has not verified it yet.
    Requested,
    /// Verified by the hub: pushes arrive until the lease expires.
    Verified,
    /// The hub refused it (`hub.mode=denied`); asked again later.
    Denied,
    /// The request failed, went unverified or the lease lapsed; asked again after a backoff.
    Failed,
    /// The source is gone (or changed hub): an unsubscribe is being asked for.
    Unsubscribing,
}

impl SubscriptionState {
    /// The name stored in the database and shown by `sources status`.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionState::Requested => "requested",
            SubscriptionState::Verified => "verified",
            SubscriptionState::Denied => "denied",
            SubscriptionState::Failed => "failed",
            SubscriptionState::Unsubscribing => "unsubscribing",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "requested" => SubscriptionState::Requested,
            "verified" => SubscriptionState::Verified,
            "denied" => SubscriptionState::Denied,
            "failed" => SubscriptionState::Failed,
            "unsubscribing" => SubscriptionState::Unsubscribing,
            _ => return None,
        })
    }
}

/// A request to a hub waiting for its verification of intent (`hub.mode` of the GET that
/// confirms it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HubMode {
    /// `hub.mode=subscribe` (a new subscription or a renewal).
    Subscribe,
    /// `hub.mode=unsubscribe`.
    Unsubscribe,
}

impl HubMode {
    /// The `hub.mode` value.
    pub fn as_str(self) -> &'static str {
        match self {
            HubMode::Subscribe => "subscribe",
            HubMode::Unsubscribe => "unsubscribe",
        }
    }

    /// Parses a `hub.mode` value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "subscribe" => Some(HubMode::Subscribe),
            "unsubscribe" => Some(HubMode::Unsubscribe),
            _ => None,
        }
    }
}

/// One WebSub subscription of one source, as stored. The secret is never printed (`Debug` hides
/// it).
#[derive(Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The opaque id in its callback URL (`/websub/<id>`).
    pub id: String,
    /// The source it delivers to.
    pub source_id: SourceId,
    /// The hub.
    pub hub: Url,
    /// The topic.
    pub topic: Url,
    /// The `hub.secret` the hub signs content with.
    pub secret: String,
    /// Where it stands.
    pub state: SubscriptionState,
    /// A request sent whose verification of intent is awaited.
    pub pending: Option<HubMode>,
    /// When the last request went to the hub.
    pub requested_at: Option<DateTime<Utc>>,
    /// The lease the hub granted, in seconds.
    pub lease_secs: Option<u64>,
    /// When the granted lease ends.
    pub expires_at: Option<DateTime<Utc>>,
    /// When the subscriber acts on it next (renew, retry, give up waiting).
    pub next_at: Option<DateTime<Utc>>,
    /// Failed attempts in a row.
    pub failures: u32,
    /// Why the last attempt failed (or the hub's reason for a denial).
    pub last_error: Option<String>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("source_id", &self.source_id)
            .field("hub", &self.hub.as_str())
            .field("topic", &self.topic.as_str())
            .field("secret", &"***")
            .field("state", &self.state)
            .field("pending", &self.pending)
            .field("expires_at", &self.expires_at)
            .field("next_at", &self.next_at)
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

/// A source's WebSub hub and subscription as `sources status` shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSubStatus {
    /// The hub its feed announced.
    pub hub: String,
    /// The topic URL.
    pub topic: String,
    /// `discovered` (no subscription: WebSub is off, or not asked yet) or the subscription's
    /// [`SubscriptionState`].
    pub state: String,
    /// When the granted lease ends.
    pub lease_expires: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// Values in a near-duplicate [`Signature`] (MinHash bins).
pub const SIGNATURE_LEN: usize = 126;

/// A MinHash signature: for each of the [`SIGNATURE_LEN`] bins, the smallest (16-bit) value of the
/// brief's shingles that fell into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(pub [u32; SIGNATURE_LEN]);

impl Signature {
    /// The values as `2 · SIGNATURE_LEN` little-endian bytes (values are 16-bit, see the fingerprint transform's `min_hashes`).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0
            .iter()
            .flat_map(|v| (*v as u16).to_le_bytes())
            .collect()
    }

    /// The inverse of [`Signature::to_bytes`]; `None` unless `b` is exactly `2 · SIGNATURE_LEN` long.
    pub fn from_bytes(b: &[u8]) -> Option<Signature> {
        if b.len() != 2 * SIGNATURE_LEN {
            return None;
        }
        let mut values = [0u32; SIGNATURE_LEN];
        for (v, chunk) in values.iter_mut().zip(b.chunks_exact(2)) {
            *v = u32::from(u16::from_le_bytes(chunk.try_into().ok()?));
        }
        Some(Signature(values))
    }
}

/// An alert rule, validated (`[[alerts]]`): which new briefs are worth telling whom about.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    /// Unique name; part of every delivery's identity.
    pub name: String,
    /// Topic ids; empty: any brief, whatever its topics.
    pub topics: Vec<String>,
    /// With `true`, every listed topic must be present; otherwise any one of them is enough.
    pub all_topics: bool,
    /// A listed topic counts only at or above this score.
    pub min_score: f32,
    /// Source names; empty: every source.
    pub sources: Vec<String>,
    /// Canonical entity names (lower-cased); when set, the brief must name at least one of them.
    pub entities: Vec<String>,
    /// A full-text query over title and text (`transforms::route::Query` syntax), if any.
    pub query: Option<String>,
    /// Destination names the rule's alerts go to.
    pub destinations: Vec<String>,
    /// At most this many messages per window and destination; the overflow is merged into one
    /// summary message at the window's end.
    pub throttle: Option<Throttle>,
}

/// A per-rule message budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Messages allowed per window.
    pub max: u32,
    /// The window.
    pub window: Duration,
}
