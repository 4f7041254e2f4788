//! Digests: everything a report reads of one website's UTC day (its chats' facts, its message counts and visitor
//! activity), lossless, as one compact value. A past day's digest is kept in `analytics_days` and valid while its
//! `digest_version` equals the day's `version`, which triggers bump on every write to that day's rows (migration
//! 23); a report decodes the valid digests and reads the raw rows of the other days, then stores digests for the
//! past days it had to read. Today and yesterday are always read raw: they change all day, and a digest is only
//! taken of days no write can still be committing to from before the day ended.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use protocol::{AppError, ChatStatus, SenderType};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};

use crate::db::WriteLane;
use crate::entities::{analytics_days, chats, message_counts, visitor_activity};

const DAY: i64 = 86_400;
/// The layout's version, first byte of every digest: a digest of another layout is read as missing.
const FORMAT: u8 = 1;
/// Digests larger than this are not kept (the day is read raw each time).
const MAX_BYTES: usize = 16 << 20;

/// One chat as a report counts it. Times in milliseconds; ids are indexes into [`Digest::strings`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChatFact {
    pub started_ms: i64,
    pub status: ChatStatus,
    pub assigned: Option<u32>,
    pub answered: bool,
    pub responder: Option<u32>,
    pub first_response_ms: Option<u64>,
    pub resolution_ms: Option<u64>,
}

/// Messages stored in a bucket; `agent` for an agent's (admin sender with an id), `None` for everyone else's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MessageFact {
    pub bucket: i64,
    pub agent: Option<u32>,
    pub messages: i64,
}

/// A visitor active on the website in a bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Visit {
    pub bucket: i64,
    pub visitor: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Digest {
    pub strings: Vec<String>,
    pub chats: Vec<ChatFact>,
    pub messages: Vec<MessageFact>,
    pub visits: Vec<Visit>,
}

/// A [`Digest`] being filled, with its strings interned.
#[derive(Default)]
pub(crate) struct Builder {
    digest: Digest,
    index: HashMap<String, u32>,
}

fn millis(from: NaiveDateTime, to: NaiveDateTime) -> u64 {
    (to - from).num_milliseconds().max(0) as u64
}

/// One chat as the raw rows give it.
pub(crate) type ChatRow = (
    String,                // website_id
    NaiveDateTime,         // started_at
    ChatStatus,            // status
    Option<String>,        // assigned_to
    Option<NaiveDateTime>, // first_visitor_at
    Option<NaiveDateTime>, // first_response_at
    Option<String>,        // first_response_by
    Option<NaiveDateTime>, // ended_at
);

impl Builder {
    fn intern(&mut self, s: String) -> u32 {
        if let Some(i) = self.index.get(&s) {
            return *i;
        }
        let i = self.digest.strings.len() as u32;
        self.digest.strings.push(s.clone());
        self.index.insert(s, i);
        i
    }

    fn chat(&mut self, row: ChatRow) {
        let (_, started, status, assigned, first_visitor, first_response, responder, ended) = row;
        let fact = ChatFact {
            started_ms: started.and_utc().timestamp_millis(),
            status,
            assigned: assigned.map(|a| self.intern(a)),
            answered: first_response.is_some(),
            responder: responder.map(|r| self.intern(r)),
            // First response = the first agent message after the visitor's first message.
            first_response_ms: first_visitor.zip(first_response).map(|(v, r)| millis(v, r)),
            // Resolution time = chat start to resolved.
            resolution_ms: (status == ChatStatus::Resolved).then_some(ended).flatten().map(|e| millis(started, e)),
        };
        self.digest.chats.push(fact);
    }

    fn messages(&mut self, bucket: i64, sender_type: SenderType, sender_id: String, messages: i64) {
        let agent = (sender_type == SenderType::Admin && !sender_id.is_empty()).then(|| self.intern(sender_id));
        self.digest.messages.push(MessageFact { bucket, agent, messages });
    }

    fn visit(&mut self, bucket: i64, visitor_id: String) {
        let visitor = self.intern(visitor_id);
        self.digest.visits.push(Visit { bucket, visitor });
    }

    pub fn finish(self) -> Digest {
        self.digest
    }
}

impl Digest {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            16 + self.strings.iter().map(|s| s.len() + 2).sum::<usize>()
                + self.chats.len() * 35
                + self.messages.len() * 20
                + self.visits.len() * 12,
        );
        out.push(FORMAT);
        let len = |out: &mut Vec<u8>, n: usize| out.extend_from_slice(&(n as u32).to_le_bytes());
        let opt = |v: Option<u32>| v.unwrap_or(u32::MAX).to_le_bytes();
        len(&mut out, self.strings.len());
        for s in &self.strings {
            // Ids are at most 36 bytes; a longer string would not round-trip, so it is cut at a char boundary.
            let mut end = s.len().min(u16::MAX as usize);
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            out.extend_from_slice(&(end as u16).to_le_bytes());
            out.extend_from_slice(&s.as_bytes()[..end]);
        }
        len(&mut out, self.chats.len());
        for c in &self.chats {
            out.extend_from_slice(&c.started_ms.to_le_bytes());
            let status = ChatStatus::ALL.iter().position(|s| *s == c.status).unwrap_or(0) as u8;
            out.push(status);
            let flags = u8::from(c.answered)
                | u8::from(c.first_response_ms.is_some()) << 1
                | u8::from(c.resolution_ms.is_some()) << 2;
            out.push(flags);
            out.extend_from_slice(&opt(c.assigned));
            out.extend_from_slice(&opt(c.responder));
            out.extend_from_slice(&c.first_response_ms.unwrap_or(0).to_le_bytes());
            out.extend_from_slice(&c.resolution_ms.unwrap_or(0).to_le_bytes());
        }
        len(&mut out, self.messages.len());
        for m in &self.messages {
            out.extend_from_slice(&m.bucket.to_le_bytes());
            out.extend_from_slice(&opt(m.agent));
            out.extend_from_slice(&m.messages.to_le_bytes());
        }
        len(&mut out, self.visits.len());
        for v in &self.visits {
            out.extend_from_slice(&v.bucket.to_le_bytes());
            out.extend_from_slice(&v.visitor.to_le_bytes());
        }
        out
    }

    /// The digest `bytes` hold, or `None` for anything else (another layout, cut short): then the day is read raw.
    pub fn decode(bytes: &[u8]) -> Option<Digest> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(1)?[0] != FORMAT {
            return None;
        }
        let mut digest = Digest::default();
        let strings = r.u32()? as usize;
        let valid = |i: u32, n: usize| -> Option<Option<u32>> {
            match i {
                u32::MAX => Some(None),
                i if (i as usize) < n => Some(Some(i)),
                _ => None,
            }
        };
        digest.strings.reserve(strings.min(bytes.len()));
        for _ in 0..strings {
            let n = r.u16()? as usize;
            digest.strings.push(std::str::from_utf8(r.take(n)?).ok()?.to_string());
        }
        let n = digest.strings.len();
        for _ in 0..r.u32()? {
            let started_ms = r.i64()?;
            let status = *ChatStatus::ALL.get(r.take(1)?[0] as usize)?;
            let flags = r.take(1)?[0];
            let assigned = valid(r.u32()?, n)?;
            let responder = valid(r.u32()?, n)?;
            let first_response = r.i64()? as u64;
            let resolution = r.i64()? as u64;
            digest.chats.push(ChatFact {
                started_ms,
                status,
                assigned,
                answered: flags & 1 != 0,
                responder,
                first_response_ms: (flags & 2 != 0).then_some(first_response),
                resolution_ms: (flags & 4 != 0).then_some(resolution),
            });
        }
        for _ in 0..r.u32()? {
            let bucket = r.i64()?;
            let agent = valid(r.u32()?, n)?;
            digest.messages.push(MessageFact { bucket, agent, messages: r.i64()? });
        }
        for _ in 0..r.u32()? {
            let bucket = r.i64()?;
            let visitor = valid(r.u32()?, n)??;
            digest.visits.push(Visit { bucket, visitor });
        }
        (r.at == bytes.len()).then_some(digest)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let slice = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

fn time_of(seconds: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp(seconds, 0).map(|t| t.naive_utc()).unwrap_or_default()
}

/// Reads the raw rows of `days` (UTC day numbers, per website) into one builder per website and day; the message
/// counts and visitor activity only `with_rollups`.
pub(crate) async fn raw(
    db: &impl ConnectionTrait,
    days: &BTreeMap<(i64, i64), Vec<String>>,
    with_rollups: bool,
) -> Result<HashMap<(String, i64), Builder>, AppError> {
    let mut built: HashMap<(String, i64), Builder> = HashMap::new();
    for ((first, last), websites) in days {
        let (from, to) = (first * DAY, (last + 1) * DAY);
        let rows: Vec<ChatRow> = chats::Entity::find()
            .select_only()
            .columns([
                chats::Column::WebsiteId,
                chats::Column::StartedAt,
                chats::Column::Status,
                chats::Column::AssignedTo,
                chats::Column::FirstVisitorAt,
                chats::Column::FirstResponseAt,
                chats::Column::FirstResponseBy,
                chats::Column::EndedAt,
            ])
            .filter(chats::Column::WebsiteId.is_in(websites))
            .filter(chats::Column::StartedAt.gte(time_of(from)))
            .filter(chats::Column::StartedAt.lt(time_of(to)))
            .into_tuple()
            .all(db)
            .await?;
        for row in rows {
            let day = row.1.and_utc().timestamp().div_euclid(DAY);
            built.entry((row.0.clone(), day)).or_default().chat(row);
        }
        if !with_rollups {
            continue;
        }
        let counts: Vec<(String, i64, SenderType, String, i64)> = message_counts::Entity::find()
            .select_only()
            .columns([
                message_counts::Column::WebsiteId,
                message_counts::Column::Bucket,
                message_counts::Column::SenderType,
                message_counts::Column::SenderId,
                message_counts::Column::Messages,
            ])
            .filter(message_counts::Column::WebsiteId.is_in(websites))
            .filter(message_counts::Column::Bucket.gte(from))
            .filter(message_counts::Column::Bucket.lt(to))
            .into_tuple()
            .all(db)
            .await?;
        for (website, bucket, sender_type, sender_id, n) in counts {
            built.entry((website, bucket.div_euclid(DAY))).or_default().messages(bucket, sender_type, sender_id, n);
        }
        let visits: Vec<(String, i64, String)> = visitor_activity::Entity::find()
            .select_only()
            .columns([
                visitor_activity::Column::WebsiteId,
                visitor_activity::Column::Bucket,
                visitor_activity::Column::VisitorId,
            ])
            .filter(visitor_activity::Column::WebsiteId.is_in(websites))
            .filter(visitor_activity::Column::Bucket.gte(from))
            .filter(visitor_activity::Column::Bucket.lt(to))
            .into_tuple()
            .all(db)
            .await?;
        for (website, bucket, visitor) in visits {
            built.entry((website, bucket.div_euclid(DAY))).or_default().visit(bucket, visitor);
        }
    }
    Ok(built)
}

/// `days` as runs of consecutive days per website, and the websites that share each run.
pub(crate) fn runs(days: &[(String, i64)]) -> BTreeMap<(i64, i64), Vec<String>> {
    let mut by_website: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for (website, day) in days {
        by_website.entry(website).or_default().push(*day);
    }
    let mut runs: BTreeMap<(i64, i64), Vec<String>> = BTreeMap::new();
    for (website, mut list) in by_website {
        list.sort_unstable();
        let mut start = 0;
        for i in 1..=list.len() {
            if i == list.len() || list[i] != list[i - 1] + 1 {
                runs.entry((list[start], list[i - 1])).or_default().push(website.to_string());
                start = i;
            }
        }
    }
    runs
}

/// The digests of UTC days `first..=last` of `website_ids` at `now` (day numbers): stored ones where valid, the
/// others from the raw rows, all read in one snapshot; then the past days read raw are stored (through `lane`).
pub(crate) async fn gather(
    db: &DatabaseConnection,
    lane: &WriteLane,
    website_ids: &[String],
    (first, last): (i64, i64),
    now: NaiveDateTime,
) -> Result<Vec<Digest>, AppError> {
    // Days before yesterday are kept; a write to them committed before they ended is in any snapshot taken now.
    let kept_last = last.min(now.and_utc().timestamp().div_euclid(DAY) - 2);
    let wanted: Vec<(String, i64)> =
        website_ids.iter().flat_map(|w| (first..=kept_last).map(move |d| (w.clone(), d))).collect();
    if !wanted.is_empty() {
        // A day gets its row before its rows are read, so a write committed after the read bumps its version.
        let known: Vec<(String, i64)> = analytics_days::Entity::find()
            .select_only()
            .columns([analytics_days::Column::WebsiteId, analytics_days::Column::Day])
            .filter(analytics_days::Column::WebsiteId.is_in(website_ids))
            .filter(analytics_days::Column::Day.between(first, kept_last))
            .into_tuple()
            .all(db)
            .await?;
        if known.len() < wanted.len() {
            let known: std::collections::HashSet<(String, i64)> = known.into_iter().collect();
            let missing = wanted.iter().filter(|k| !known.contains(*k)).map(|(website_id, day)| {
                analytics_days::ActiveModel::from(analytics_days::Model {
                    website_id: website_id.clone(),
                    day: *day,
                    version: 0,
                    digest_version: None,
                    digest: None,
                })
            });
            let missing: Vec<_> = missing.collect();
            let turn = lane.turn().await;
            let txn = crate::db::begin_write(turn.db()).await?;
            for chunk in missing.chunks(200) {
                analytics_days::Entity::insert_many(chunk.to_vec())
                    .on_conflict(
                        OnConflict::columns([analytics_days::Column::WebsiteId, analytics_days::Column::Day])
                            // MySQL has no DO NOTHING: `version = version` there.
                            .do_nothing_on([analytics_days::Column::Version])
                            .to_owned(),
                    )
                    .exec_without_returning(&txn)
                    .await?;
            }
            txn.commit().await?;
        }
    }

    // Read-only: one snapshot for the stored digests and the raw rows read beside them.
    let txn = db.begin().await?;
    let stored: Vec<analytics_days::Model> = match wanted.is_empty() {
        true => Vec::new(),
        false => {
            analytics_days::Entity::find()
                .filter(analytics_days::Column::WebsiteId.is_in(website_ids))
                .filter(analytics_days::Column::Day.between(first, kept_last))
                .all(&txn)
                .await?
        }
    };
    let mut digests = Vec::with_capacity(stored.len());
    let mut valid: std::collections::HashSet<(String, i64)> = std::collections::HashSet::new();
    let mut versions: HashMap<(String, i64), i64> = HashMap::new();
    for row in stored {
        let digest = (row.digest_version == Some(row.version)).then_some(row.digest.as_deref()).flatten();
        match digest.and_then(Digest::decode) {
            Some(digest) => {
                digests.push(digest);
                valid.insert((row.website_id, row.day));
            }
            None => {
                versions.insert((row.website_id, row.day), row.version);
            }
        }
    }
    let to_read: Vec<(String, i64)> = website_ids
        .iter()
        .flat_map(|w| (first..=last).map(move |d| (w.clone(), d)))
        .filter(|key| !valid.contains(key))
        .collect();
    let mut built = raw(&txn, &runs(&to_read), true).await?;
    txn.commit().await?;

    // Past days read raw are kept, those with nothing in them as empty digests.
    let mut keep = Vec::with_capacity(versions.len());
    for (key, version) in versions {
        let digest = built.remove(&key).map(Builder::finish).unwrap_or_default();
        keep.push((key, version, digest.encode()));
        digests.push(digest);
    }
    digests.extend(built.into_values().map(Builder::finish));
    if !keep.is_empty() {
        store(lane, keep).await?;
    }
    Ok(digests)
}

/// Stores digests read at their day's `version`; a day written since (its version moved on) is left alone.
async fn store(lane: &WriteLane, keep: Vec<((String, i64), i64, Vec<u8>)>) -> Result<(), AppError> {
    // A turn per few days: the message path takes turns on SQLite too, and waits for at most one chunk.
    for chunk in keep.chunks(30) {
        let turn = lane.turn().await;
        let txn = crate::db::begin_write(turn.db()).await?;
        for ((website_id, day), version, bytes) in chunk {
            if bytes.len() > MAX_BYTES {
                continue;
            }
            analytics_days::Entity::update_many()
                .col_expr(analytics_days::Column::Digest, Expr::value(bytes.clone()))
                .col_expr(analytics_days::Column::DigestVersion, Expr::value(*version))
                .filter(analytics_days::Column::WebsiteId.eq(website_id))
                .filter(analytics_days::Column::Day.eq(*day))
                .filter(analytics_days::Column::Version.eq(*version))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_round_trip_and_refuse_anything_else() {
        let mut b = Builder::default();
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.3f").expect("time");
        b.chat((
            "w".into(),
            t("2026-11-02 10:00:00.000"),
            ChatStatus::Resolved,
            Some("agent-1".into()),
            Some(t("2026-11-02 10:00:01.500")),
            Some(t("2026-11-02 10:01:00.250")),
            Some("agent-1".into()),
            Some(t("2026-11-02 10:30:00.000")),
        ));
        b.chat(("w".into(), t("2026-11-02 11:00:00.000"), ChatStatus::Waiting, None, None, None, None, None));
        b.messages(1_793_000_000 / 900 * 900, SenderType::Admin, "agent-1".into(), 4);
        b.messages(1_793_000_000 / 900 * 900, SenderType::Visitor, String::new(), 7);
        b.visit(1_793_000_000 / 900 * 900, "visitor-ü".into());
        let digest = b.finish();
        assert_eq!(digest.strings, vec!["agent-1".to_string(), "visitor-ü".to_string()]);
        assert_eq!(digest.chats[0].first_response_ms, Some(58_750));
        assert_eq!(digest.chats[0].resolution_ms, Some(1_800_000));
        assert_eq!((digest.chats[1].answered, digest.chats[1].resolution_ms), (false, None));
        let bytes = digest.encode();
        assert_eq!(Digest::decode(&bytes), Some(digest.clone()));
        assert_eq!(Digest::decode(&bytes[..bytes.len() - 1]), None);
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Digest::decode(&longer), None);
        let mut other = bytes;
        other[0] = FORMAT + 1;
        assert_eq!(Digest::decode(&other), None);
        assert_eq!(Digest::decode(&Digest::default().encode()), Some(Digest::default()));
    }

    #[test]
    fn days_group_into_runs_shared_by_websites() {
        let days = [("a", 1), ("a", 2), ("a", 4), ("b", 1), ("b", 2)].map(|(w, d)| (w.to_string(), d));
        let runs = runs(&days);
        assert_eq!(runs.get(&(1, 2)), Some(&vec!["a".to_string(), "b".to_string()]));
        assert_eq!(runs.get(&(4, 4)), Some(&vec!["a".to_string()]));
        assert_eq!(runs.len(), 2);
    }
}
