//! Leak reports: a secret scanner (GitHub's secret scanning, a company's
//! own) tells us where it found keys. Every reported secret that still
//! works disables its key at once and marks it leaked (the key page's red
//! banner), with an audit row `key.leaked`; the key works again only once
//! its owner rolls it. The answer says only, per token, whether it is one
//! of ours: nothing about whose, or about tokens that are not.
use std::collections::HashMap;

use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::entities::{api_key, api_key_secret};
use crate::backend::keys::{format, status};
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::error::AppError;

/// Reporting needs a signature the operator's configured keys verify.
pub const REPORT: Operation =
    Operation::new("leaks.report", Need::signed()).http(&["POST /api/v1/leaks"]);

/// The most tokens one report may carry.
pub const MAX_TOKENS: usize = 1000;
/// What is kept of a report's URL and source (characters).
const URL_MAX: usize = 2048;
const SOURCE_MAX: usize = 200;

/// One token a scanner found, and where.
pub struct Reported<'a> {
    pub token: &'a str,
    pub url: &'a str,
    pub source: &'a str,
}

/// Whether a reported token is a Keyhouse key that exists (or existed as
/// a rolled secret of a key that still does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    TruePositive,
    FalsePositive,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::TruePositive => "true_positive",
            Verdict::FalsePositive => "false_positive",
        }
    }
}

/// Text from a report as we keep it: any key-shaped word (a URL may carry
/// the key itself, as `kh_…`, `KH_…` or `kh%5F…`) cut to its visible start,
/// then no control characters, bounded.
fn kept(text: &str, max: usize) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < text.len() {
        let prefix = ["kh_", "kh%5f"]
            .into_iter()
            .find(|p| lower[at..].starts_with(p));
        let Some(prefix) = prefix else {
            let c = text[at..].chars().next().unwrap_or(' ');
            out.push(c);
            at += c.len_utf8();
            continue;
        };
        let body = at + prefix.len();
        let run = text[body..]
            .bytes()
            .take_while(u8::is_ascii_alphanumeric)
            .count();
        // More than the four characters a key shows anyway: cut.
        let shown = run.min(VISIBLE_AFTER_PREFIX);
        out.push_str(&text[at..body + shown]);
        if run > shown {
            out.push('…');
        }
        at = body + run;
    }
    out.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// What a key's visible start shows after its prefix.
const VISIBLE_AFTER_PREFIX: usize = format::VISIBLE_LEN - format::PREFIX.len();

/// Acts on a report: one verdict per token, in order. The keys whose
/// reported secret still works are disabled and marked leaked in ONE
/// transaction, each with its audit row; a key already marked is left as
/// it is (the same report sent twice, or 50 times at once, disables and
/// audits once).
pub async fn report(
    state: &AppState,
    reports: &[Reported<'_>],
    meta: &RequestMeta,
) -> Result<Vec<Verdict>, AppError> {
    let hashes: Vec<Option<String>> = reports
        .iter()
        .map(|r| format::parse(r.token.trim()).ok().map(|k| k.hash()))
        .collect();
    let wanted: Vec<&String> = hashes.iter().flatten().collect();
    if wanted.is_empty() {
        return Ok(vec![Verdict::FalsePositive; reports.len()]);
    }
    let secrets: HashMap<String, api_key_secret::Model> = api_key_secret::Entity::find()
        .filter(api_key_secret::Column::SecretHash.is_in(wanted))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| (s.secret_hash.clone(), s))
        .collect();
    let now = state.clock.now();
    // The first report of each key whose reported secret still works.
    let mut to_mark: Vec<(i64, &Reported<'_>, &api_key_secret::Model)> = Vec::new();
    let verdicts = reports
        .iter()
        .zip(&hashes)
        .map(|(reported, hash)| {
            let Some(secret) = hash.as_ref().and_then(|h| secrets.get(h)) else {
                return Verdict::FalsePositive;
            };
            // A secret rolled and past its grace opens nothing: the key
            // (and its current secret) stay as they are.
            if status::secret_accepted(secret, now)
                && !to_mark.iter().any(|(id, _, _)| *id == secret.api_key_id)
            {
                to_mark.push((secret.api_key_id, reported, secret));
            }
            Verdict::TruePositive
        })
        .collect();
    if to_mark.is_empty() {
        return Ok(verdicts);
    }
    // Rows are locked in id order, as everywhere else (no deadlock with the
    // usage flush or a bulk action on PostgreSQL).
    to_mark.sort_unstable_by_key(|(id, _, _)| *id);
    let ids: Vec<i64> = to_mark.iter().map(|(id, _, _)| *id).collect();
    let keys: HashMap<i64, api_key::Model> = api_key::Entity::find()
        .filter(api_key::Column::Id.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|k| (k.id, k))
        .collect();
    let mut work = Work::begin(state).await?;
    let mut marked = 0;
    for (id, reported, secret) in to_mark {
        // A decoy found in public is where it was planted: it never
        // works, so there is nothing to disable.
        let Some(key) = keys.get(&id).filter(|k| !k.decoy) else {
            continue;
        };
        // Still working, as committed now (a roll may have retired it since
        // the read above).
        // Locked: a roll in flight (it updates this row) is waited for, and
        // its outcome read.
        let current = api_key_secret::Entity::find_by_id(secret.id)
            .lock(LockType::Update)
            .one(&work)
            .await?;
        if !current.is_some_and(|s| status::secret_accepted(&s, now)) {
            continue;
        }
        let (url, source) = (
            kept(reported.url, URL_MAX),
            kept(reported.source, SOURCE_MAX),
        );
        // Only a key not marked yet: concurrent reports of the same key
        // wait for each other's row lock (PostgreSQL) or the write lock
        // (SQLite), and the later ones find it marked.
        let changed = api_key::Entity::update_many()
            .col_expr(api_key::Column::Enabled, Expr::value(false))
            .col_expr(api_key::Column::LeakedAt, Expr::value(now))
            .col_expr(api_key::Column::LeakUrl, Expr::value(url.clone()))
            .col_expr(api_key::Column::LeakSource, Expr::value(source.clone()))
            .filter(api_key::Column::Id.eq(id))
            .filter(api_key::Column::LeakedAt.is_null())
            .exec(&work)
            .await?
            .rows_affected;
        if changed == 0 {
            continue;
        }
        marked += 1;
        work.audit(Entry {
            action: Action::KeyLeaked,
            organization_id: Some(key.organization_id),
            actor_user_id: None,
            target: Some(format!("key:{id}")),
            details: Some(serde_json::json!({
                "name": key.name,
                "owner": key.user_id,
                "visible_start": secret.visible_start,
                "url": url,
                "source": source,
                "was_enabled": key.enabled,
            })),
            meta,
            at: now,
        });
    }
    if marked > 0 {
        tracing::warn!(keys = marked, "keys reported as leaked were disabled");
    }
    work.commit(if marked > 0 {
        Invalidate::Keys
    } else {
        Invalidate::None
    })
    .await?;
    Ok(verdicts)
}

#[cfg(test)]
mod tests {
    use super::kept;

    #[test]
    fn kept_text_never_holds_a_key() {
        let key = crate::backend::keys::format::generate()
            .expect("key")
            .into_exposed();
        let url = format!("https://example.com/x?token={key}&kh_ab=1 kh_");
        let shown = kept(&url, 2048);
        assert!(!shown.contains(&key[3..]), "{shown}");
        assert_eq!(
            shown,
            format!("https://example.com/x?token={}…&kh_ab=1 kh_", &key[..7])
        );
        let loud = kept(&format!("KH_{} kh%5F{}", &key[3..], &key[3..]), 2048);
        assert!(!loud.contains(&key[8..]), "{loud}");
        // Cut first, bounded after: a key across the bound leaves nothing.
        let long = kept(&format!("{}{key}", "-".repeat(2040)), 2048);
        assert!(!long.contains(&key[7..10]), "{long}");
        assert_eq!(kept("a\u{7}b", 10), "ab");
        assert_eq!(kept("abcdef", 3), "abc");
    }
}
