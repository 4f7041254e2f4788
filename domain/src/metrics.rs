//! What `/metrics` reports, recorded through the `metrics` facade (a no-op until the server installs the Prometheus
//! recorder). Names and labels live here so the dashboards an operator builds on them have one place to look.

use std::sync::LazyLock;
use std::time::Duration;

use metrics::{counter, gauge, histogram, Counter, Histogram};

pub const SOCKETS_OPEN: &str = "helpdesk_sockets_open";
pub const MESSAGES_STORED: &str = "helpdesk_messages_stored_total";
pub const MESSAGE_SECONDS: &str = "helpdesk_message_store_and_fanout_seconds";
pub const WRITER_BATCH: &str = "helpdesk_writer_batch_size";
pub const ERRORS: &str = "helpdesk_errors_total";
pub const DATABASE_UP: &str = "helpdesk_database_up";
pub const REDIS_UP: &str = "helpdesk_redis_up";
pub const CLUSTER_NOTES: &str = "helpdesk_cluster_notes_total";

/// Buckets for the message path, in seconds: sub-millisecond to a second.
pub const MESSAGE_BUCKETS: &[f64] = &[0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];
/// Buckets for the writer's batch sizes.
pub const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

static STORED: LazyLock<Counter> = LazyLock::new(|| counter!(MESSAGES_STORED));
static LATENCY: LazyLock<Histogram> = LazyLock::new(|| histogram!(MESSAGE_SECONDS));
static BATCH: LazyLock<Histogram> = LazyLock::new(|| histogram!(WRITER_BATCH));

/// A socket of `kind` ("visitor", "agent") opened (`+1`) or closed (`-1`).
pub fn socket(kind: &'static str, delta: f64) {
    gauge!(SOCKETS_OPEN, "kind" => kind).increment(delta);
}

/// A message was stored and handed to this node's subscribers (and the relay), `took` after it arrived.
pub fn message_stored(took: Duration) {
    STORED.increment(1);
    LATENCY.record(took.as_secs_f64());
}

/// One database write of `size` messages.
pub fn writer_batch(size: usize) {
    BATCH.record(size as f64);
}

/// A refusal or failure answered with `code` (`rate_limited`, `unavailable`, `internal`, …), over HTTP or a socket.
pub fn error(code: &'static str) {
    counter!(ERRORS, "code" => code).increment(1);
}

/// At each scrape: whether the database and Redis answer, and how many notes went between nodes.
pub fn health(database: bool, redis: Option<bool>, notes: Option<(u64, u64)>) {
    gauge!(DATABASE_UP).set(if database { 1.0 } else { 0.0 });
    if let Some(up) = redis {
        gauge!(REDIS_UP).set(if up { 1.0 } else { 0.0 });
    }
    if let Some((sent, received)) = notes {
        counter!(CLUSTER_NOTES, "direction" => "sent").absolute(sent);
        counter!(CLUSTER_NOTES, "direction" => "received").absolute(received);
        counter!(CLUSTER_NOTES, "direction" => "dropped")
            .absolute(crate::hub::RELAY_DROPPED.load(std::sync::atomic::Ordering::Relaxed));
    }
}
