//! The API's lists (`/keys`, `/users`, `/audit-events`): one page is
//! `{"data": [...], "next_cursor": ...}`, walked with `limit` and `cursor`
//! (the services cut it with `backend::paging::after`).
use std::borrow::Cow;

use serde::Serialize;
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::error::ApiError;

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 100;

/// The `limit` parameter: 1 to 100, default 50.
pub fn limit(value: Option<u64>) -> Result<u64, ApiError> {
    match value.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=MAX_LIMIT => Ok(n),
        _ => Err(ApiError::bad_request(
            "invalid_limit",
            "limit must be from 1 to 100.",
        )),
    }
}

/// What a list holds, and how the document names and describes its pages.
pub trait Listed: ToSchema {
    /// What `next_cursor` holds: the last item's id or name.
    type Cursor: Serialize + CursorValue;
    /// The page's schema name in the document (API clients name types
    /// after it).
    const PAGE: &'static str;
    /// `next_cursor`, as the document describes it.
    const NEXT_CURSOR: &'static str;
}

/// How the document shows a cursor value (always nullable: null on the
/// last page).
pub trait CursorValue {
    fn schema() -> ObjectBuilder;
}

impl CursorValue for i64 {
    fn schema() -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
    }
}

impl CursorValue for String {
    fn schema() -> ObjectBuilder {
        ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null]))
    }
}

/// One page of a list. Its schema is written out below rather than derived:
/// a derived generic schema would be named `CursorPage_ApiKey`, and the
/// document has always named them `KeyPage`, `UserPage`, `AuditEventPage`.
#[derive(Serialize)]
pub struct CursorPage<T: Listed> {
    pub data: Vec<T>,
    pub next_cursor: Option<T::Cursor>,
}

impl<T: Listed> CursorPage<T> {
    /// The page of a service's rows and the cursor after them.
    pub fn of<R>((rows, next_cursor): (Vec<R>, Option<T::Cursor>)) -> Self
    where
        T: From<R>,
    {
        CursorPage {
            data: rows.into_iter().map(T::from).collect(),
            next_cursor,
        }
    }
}

impl<T: Listed> PartialSchema for CursorPage<T> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .property(
                "data",
                ArrayBuilder::new().items(Ref::from_schema_name(T::name())),
            )
            .required("data")
            .property(
                "next_cursor",
                T::Cursor::schema().description(Some(T::NEXT_CURSOR)),
            )
            .into()
    }
}

impl<T: Listed> ToSchema for CursorPage<T> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed(T::PAGE)
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}
