//! What an operator's Prometheus scrapes (`/metrics` on its own address,
//! `KEYHOUSE_METRICS_ADDR`, never on the public router): key checks by
//! outcome and how long they took, the key cache, the usage writes, webhook
//! deliveries, sign-ins, and the database pool. One registry per process;
//! recording is an uncontended read lock and an atomic add per counter, and
//! a short lock for the latency histogram.
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = [(&'static str, &'static str); 1];

pub struct Metrics {
    registry: Registry,
    key_checks: Family<Labels, Counter>,
    key_check_seconds: Histogram,
    key_cache: Family<Labels, Counter>,
    usage_flushes: Family<Labels, Counter>,
    usage_flush_seconds: Histogram,
    usage_flush_lag: Gauge<f64, std::sync::atomic::AtomicU64>,
    webhook_deliveries: Family<Labels, Counter>,
    sign_ins: Family<Labels, Counter>,
    db_connections: Family<Labels, Gauge>,
    /// When the usage was last written (Unix milliseconds; 0: never).
    last_flush_ms: AtomicI64,
}

fn build() -> Metrics {
    let mut registry = Registry::with_prefix("keyhouse");
    let key_checks = Family::<Labels, Counter>::default();
    registry.register(
        "key_checks",
        "Key checks by the key's state: ok, unknown, decoy, disabled, expired, leaked, owner_inactive, public_api_off",
        key_checks.clone(),
    );
    // 10 µs to about 1.3 s.
    let key_check_seconds = Histogram::new(exponential_buckets(0.000_01, 2.0, 18));
    registry.register(
        "key_check_duration_seconds",
        "How long a key check took (cache or database)",
        key_check_seconds.clone(),
    );
    let key_cache = Family::<Labels, Counter>::default();
    registry.register(
        "key_cache_lookups",
        "Key cache lookups by result: hit, miss, reload",
        key_cache.clone(),
    );
    let usage_flushes = Family::<Labels, Counter>::default();
    registry.register(
        "usage_flushes",
        "Writes of the keys' use to the database by result: ok, failed",
        usage_flushes.clone(),
    );
    let usage_flush_seconds = Histogram::new(exponential_buckets(0.000_5, 2.0, 14));
    registry.register(
        "usage_flush_duration_seconds",
        "How long a write of the keys' use took",
        usage_flush_seconds.clone(),
    );
    let usage_flush_lag = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
    registry.register(
        "usage_flush_lag_seconds",
        "Seconds since the keys' use was last written (at scrape time)",
        usage_flush_lag.clone(),
    );
    let webhook_deliveries = Family::<Labels, Counter>::default();
    registry.register(
        "webhook_deliveries",
        "Webhook delivery attempts by result: delivered, retrying, failed (given up)",
        webhook_deliveries.clone(),
    );
    let sign_ins = Family::<Labels, Counter>::default();
    registry.register(
        "sign_ins",
        "Sign-ins by result: success, failure, throttled",
        sign_ins.clone(),
    );
    let db_connections = Family::<Labels, Gauge>::default();
    registry.register(
        "db_connections",
        "Database pool connections by state: in_use, idle (at scrape time)",
        db_connections.clone(),
    );
    // Every label value from the start, at zero: a rate over a series
    // that does not exist yet shows nothing rather than 0.
    for (family, label, values) in [
        (
            &key_checks,
            "outcome",
            &[
                "ok",
                "unknown",
                "decoy",
                "disabled",
                "expired",
                "leaked",
                "owner_inactive",
                "public_api_off",
            ][..],
        ),
        (&key_cache, "result", &["hit", "miss", "reload"][..]),
        (&usage_flushes, "result", &["ok", "failed"][..]),
        (
            &webhook_deliveries,
            "result",
            &["delivered", "retrying", "failed"][..],
        ),
        (
            &sign_ins,
            "result",
            &["success", "failure", "throttled"][..],
        ),
    ] {
        for value in values {
            let _ = family.get_or_create(&[(label, *value)]);
        }
    }
    Metrics {
        registry,
        key_checks,
        key_check_seconds,
        key_cache,
        usage_flushes,
        usage_flush_seconds,
        usage_flush_lag,
        webhook_deliveries,
        sign_ins,
        db_connections,
        last_flush_ms: AtomicI64::new(0),
    }
}

/// This process's metrics.
pub fn get() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(build)
}

impl Metrics {
    /// A key check ended with `outcome` after `took`.
    pub fn key_checked(&self, outcome: &'static str, took: Duration) {
        self.key_checks.get_or_create(&[("outcome", outcome)]).inc();
        self.key_check_seconds.observe(took.as_secs_f64());
    }

    /// The key cache answered a lookup: `hit`, `miss` or `reload`.
    pub fn key_cache(&self, result: &'static str) {
        self.key_cache.get_or_create(&[("result", result)]).inc();
    }

    /// The usage writes start now: the lag counts from here until the
    /// first good one (an instance whose writes never succeed shows it).
    pub fn usage_watched_from(&self, now_ms: i64) {
        let _ =
            self.last_flush_ms
                .compare_exchange(0, now_ms, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// A write of the keys' use ended (`ok` or not) after `took`.
    pub fn usage_flushed(&self, ok: bool, took: Duration, now_ms: i64) {
        let result = if ok { "ok" } else { "failed" };
        self.usage_flushes
            .get_or_create(&[("result", result)])
            .inc();
        self.usage_flush_seconds.observe(took.as_secs_f64());
        if ok {
            self.last_flush_ms.store(now_ms, Ordering::Relaxed);
        }
    }

    /// A webhook attempt ended: `delivered`, `retrying` or `failed`.
    pub fn webhook(&self, result: &'static str, n: u32) {
        self.webhook_deliveries
            .get_or_create(&[("result", result)])
            .inc_by(u64::from(n));
    }

    /// An audited action, counted when it is a sign-in's.
    pub fn audited(&self, action: &str) {
        let result = match action {
            "sign_in.success" => "success",
            "sign_in.failure" => "failure",
            "sign_in.throttled" => "throttled",
            _ => return,
        };
        self.sign_ins.get_or_create(&[("result", result)]).inc();
    }

    /// The text Prometheus reads (OpenMetrics), with the pool's
    /// connections and the usage lag as of `now_ms`.
    pub fn render(&self, in_use: i64, idle: i64, now_ms: i64) -> String {
        self.db_connections
            .get_or_create(&[("state", "in_use")])
            .set(in_use);
        self.db_connections
            .get_or_create(&[("state", "idle")])
            .set(idle);
        let last = self.last_flush_ms.load(Ordering::Relaxed);
        if last > 0 {
            #[allow(clippy::cast_precision_loss)]
            self.usage_flush_lag
                .set((now_ms.saturating_sub(last)) as f64 / 1000.0);
        }
        let mut text = String::new();
        if encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_named_and_counted() {
        let m = build();
        m.key_checked("ok", Duration::from_micros(40));
        m.key_cache("hit");
        m.usage_flushed(true, Duration::from_millis(2), 10_000);
        m.webhook("delivered", 3);
        m.audited("sign_in.failure");
        m.audited("key.created");
        let text = m.render(1, 4, 12_500);
        for line in [
            "keyhouse_key_checks_total{outcome=\"ok\"} 1",
            "keyhouse_key_cache_lookups_total{result=\"hit\"} 1",
            "keyhouse_usage_flushes_total{result=\"ok\"} 1",
            "keyhouse_usage_flush_lag_seconds 2.5",
            "keyhouse_webhook_deliveries_total{result=\"delivered\"} 3",
            "keyhouse_sign_ins_total{result=\"failure\"} 1",
            "keyhouse_db_connections{state=\"in_use\"} 1",
            "keyhouse_db_connections{state=\"idle\"} 4",
            "keyhouse_key_check_duration_seconds_count 1",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        assert!(
            text.contains("keyhouse_sign_ins_total{result=\"success\"} 0"),
            "at zero from the start"
        );
        assert!(text.contains("keyhouse_webhook_deliveries_total{result=\"failed\"} 0"));
    }
}
