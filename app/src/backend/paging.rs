//! The one way a list is cut up: numbered pages for the pages ([`page`]),
//! and for the HTTP API a cursor ([`after`]), which stays right while rows
//! come and go between requests.
use std::future::Future;

use sea_orm::{
    ConnectionTrait, Cursor, DbErr, EntityTrait, PaginatorTrait, Select, SelectorTrait,
    sea_query::IntoValueTuple,
};

use crate::model::error::AppError;
use crate::model::page::{self, Page};

/// Page `asked` of `query` (in its order) at `size` rows a page; a page
/// number out of range gives the nearest page. `rows` turns the models into
/// what the page shows.
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
    let paginator = query.paginate(db, size);
    let total = paginator.num_items().await?;
    let (page, pages) = page::bounds(total, size, asked);
    let models = paginator.fetch_page(page - 1).await?;
    Ok(Page {
        rows: rows(models).await?,
        page,
        pages,
        total,
    })
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
