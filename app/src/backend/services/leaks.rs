//! Leak reports: a secret scanner (GitHub's secret scanning, a company's
//! own) tells us where it found keys. Every reported secret that still
//! works disables its key at once and marks it leaked (the key page's red
//! banner), with an audit row `key.leaked`; the key works again only once
//! its owner rolls it. The answer says only, per token, whether it is one
//! of ours: nothing about whose, or about tokens that are not.
use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

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

/// Text from a report as we keep it: no control characters, bounded.
fn kept(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

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
