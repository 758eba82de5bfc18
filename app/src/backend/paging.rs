//! The one way a list is cut up: numbered pages for the pages ([`page`]),
//! and for the HTTP API a cursor ([`after`]), which stays right while rows
//! come and go between requests.
use std::future::Future;

use sea_orm::{
    ConnectionTrait, Cursor, DbBackend, DbErr, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryResult, QuerySelect, QueryTrait, Select, SelectorTrait, Value, Values,
    sea_query::{Expr, IntoValueTuple},
};

use crate::model::error::AppError;
use crate::model::page::{self, Page};

/// Page `asked` of `query` (in its order) at `size` rows a page; a page
/// number out of range gives the nearest page. `rows` turns the models into
/// what the page shows.
///
/// One statement in the usual case: the rows carry the number of all rows
/// (a `COUNT(*)` of the same query as a subquery, which the database counts
/// once, from an index where it can, while the page itself stops after its
/// rows). Only a page with no rows past the first (out of range, or emptied
/// meanwhile) counts apart and reads the nearest page.
pub async fn page<C, E, T, F, Fut>(
    db: &C,
    query: Select<E>,
    size: u64,
    asked: u64,
    rows: F,
) -> Result<Page<T>, AppError>
where
    C: ConnectionTrait,
    E: EntityTrait,
    E::Model: Send + Sync,
    F: FnOnce(Vec<E::Model>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, AppError>>,
{
    let size = size.max(1);
    // Any page number from an address: its offset must stay a number both
    // databases take (past the rows, it reads the last page below).
    let last_possible = u64::try_from(i64::MAX).unwrap_or(u64::MAX) / size;
    let asked = asked.clamp(1, last_possible.max(1));
    let found = counted(db, query.clone(), size, asked).await?;
    let (models, total, page) = match found.first().map(|c| c.total) {
        Some(total) => (found, total, asked),
        None if asked == 1 => (found, 0, 1),
        None => {
            let total = query.clone().count(db).await?;
            let (page, _) = page::bounds(total, size, asked);
            let found = counted(db, query, size, page).await?;
            let total = found.first().map_or(total, |c| c.total);
            (found, total, page)
        }
    };
    let (page, pages) = page::bounds(total, size, page);
    Ok(Page {
        rows: rows(models.into_iter().map(|c| c.model).collect()).await?,
        page,
        pages,
        total,
    })
}

/// The column carrying the number of all rows of the query.
const TOTAL: &str = "keyhouse_page_total";

/// A row of a page with the number of all rows.
struct Counted<M> {
    model: M,
    total: u64,
}

impl<M: FromQueryResult> FromQueryResult for Counted<M> {
    fn from_query_result(row: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        let total: i64 = row.try_get(pre, TOTAL)?;
        Ok(Counted {
            model: M::from_query_result(row, pre)?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}

/// Page `page` (1-based) of `query`, each row with the number of all rows.
async fn counted<C, E>(
    db: &C,
    query: Select<E>,
    size: u64,
    page: u64,
) -> Result<Vec<Counted<E::Model>>, DbErr>
where
    C: ConnectionTrait,
    E: EntityTrait,
{
    let mut count = query.clone().into_query();
    count
        .clear_selects()
        .clear_order_by()
        .expr(Expr::cust("COUNT(*)"));
    // LIMIT written into the statement, not bound: SQLite prepares a
    // statement again on every run when a bound value sets its LIMIT (it
    // plans with the value). It is the page size, a number, so the
    // statements stay few; OFFSET is bound (SQLite does not plan with it).
    let backend = db.get_database_backend();
    let mut statement = query
        .expr_as(Expr::SubQuery(None, Box::new(count.into())), TOTAL)
        .build(backend);
    let mut values = statement.values.take().map(|v| v.0).unwrap_or_default();
    let offset = i64::try_from((page - 1) * size).unwrap_or(i64::MAX);
    values.push(Value::BigInt(Some(offset)));
    let placeholder = match backend {
        DbBackend::Postgres => format!("${}", values.len()),
        _ => "?".to_owned(),
    };
    statement
        .sql
        .push_str(&format!(" LIMIT {size} OFFSET {placeholder}"));
    statement.values = Some(Values(values));
    Counted::<E::Model>::find_by_statement(statement)
        .all(db)
        .await
}

/// Up to `limit` items of `cursor` (in its column's order) after the item
/// whose cursor value is `after`, and the value to continue after when
/// there are more; `value_of` reads it from an item.
pub async fn after<C, S, V>(
    db: &C,
    mut cursor: Cursor<S>,
    after: Option<V>,
    limit: u64,
    value_of: impl Fn(&S::Item) -> V,
) -> Result<(Vec<S::Item>, Option<V>), DbErr>
where
    C: ConnectionTrait,
    S: SelectorTrait,
    V: IntoValueTuple,
{
    if let Some(after) = after {
        cursor.after(after);
    }
    // One more than asked tells whether there is a next page.
    let mut items = cursor.first(limit.saturating_add(1)).all(db).await?;
    let more = items.len() as u64 > limit;
    items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = if more {
        items.last().map(value_of)
    } else {
        None
    };
    Ok((items, next))
}
