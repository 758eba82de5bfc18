//! Organization slugs (and the slugs organizations gave up, never handed to
//! another) and the keys:verify API set. Every organization gets a
//! stable public identifier (forward-auth and verification name the
//! organization they protect), derived from its name for the organizations
//! that exist; `keys:verify` is the built-in API set a service's own key
//! needs to call `POST /api/v1/keys/verify`.
use std::collections::HashSet;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, FromQueryResult};

use crate::model::validation::org_slug_from_name;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Name,
    Slug,
}

#[derive(DeriveIden)]
enum RetiredOrgSlugs {
    Table,
    Slug,
    OrganizationId,
    RetiredAt,
}

#[derive(DeriveIden)]
enum ApiSets {
    Table,
    Slug,
    Name,
    Description,
    Builtin,
    CreatedAt,
}

#[derive(FromQueryResult)]
struct Org {
    id: i64,
    name: String,
}

/// `base`, or `base-2`, `base-3`, … : the first not in `taken`.
fn unique(base: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| {
            let suffix = format!("-{n}");
            let keep = crate::model::validation::ORG_SLUG_MAX - suffix.len();
            let stem = base[..base.len().min(keep)].trim_end_matches('-');
            format!("{stem}{suffix}")
        })
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_else(|| base.to_owned())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Nullable in the schema (SQLite cannot add a NOT NULL column without
        // a default); every row gets one here and every new organization at
        // creation, under a unique index.
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(ColumnDef::new(Organizations::Slug).string_len(40).null())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let select = Query::select()
            .columns([Organizations::Id, Organizations::Name])
            .from(Organizations::Table)
            .order_by(Organizations::Id, Order::Asc)
            .to_owned();
        let orgs = Org::find_by_statement(db.get_database_backend().build(&select))
            .all(db)
            .await?;
        let mut taken = HashSet::new();
        for org in orgs {
            let slug = unique(&org_slug_from_name(&org.name), &taken);
            taken.insert(slug.clone());
            let update = Query::update()
                .table(Organizations::Table)
                .value(Organizations::Slug, slug)
                .and_where(Expr::col(Organizations::Id).eq(org.id))
                .to_owned();
            manager.exec_stmt(update).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("organizations_slug")
                    .table(Organizations::Table)
                    .col(Organizations::Slug)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RetiredOrgSlugs::Table)
                    .col(
                        ColumnDef::new(RetiredOrgSlugs::Slug)
                            .string_len(40)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RetiredOrgSlugs::OrganizationId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RetiredOrgSlugs::RetiredAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RetiredOrgSlugs::Table, RetiredOrgSlugs::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let seed = Query::insert()
            .into_table(ApiSets::Table)
            .columns([
                ApiSets::Slug,
                ApiSets::Name,
                ApiSets::Description,
                ApiSets::Builtin,
                ApiSets::CreatedAt,
            ])
            .values_panic([
                "keys:verify".into(),
                "Keys: verify".into(),
                "Verify keys of this organization (POST /api/v1/keys/verify).".into(),
                true.into(),
                Expr::current_timestamp(),
            ])
            .to_owned();
        manager.exec_stmt(seed).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(ApiSets::Table)
                    .and_where(Expr::col(ApiSets::Slug).eq("keys:verify"))
                    .and_where(Expr::col(ApiSets::Builtin).eq(true))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(RetiredOrgSlugs::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("organizations_slug")
                    .table(Organizations::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .drop_column(Organizations::Slug)
                    .to_owned(),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clashing_names_get_numbered_slugs() {
        let mut taken = HashSet::new();
        taken.insert("acme".to_owned());
        assert_eq!(unique("acme", &taken), "acme-2");
        taken.insert("acme-2".to_owned());
        assert_eq!(unique("acme", &taken), "acme-3");
        let long = "a".repeat(40);
        taken.insert(long.clone());
        let numbered = unique(&long, &taken);
        assert_eq!(numbered.len(), 40);
        assert!(numbered.ends_with("-2"));
        // A cut that ends on a hyphen does not make a double one.
        let hyphen = format!("{}-b", "a".repeat(37));
        taken.insert(hyphen.clone());
        assert_eq!(unique(&hyphen, &taken), format!("{}-2", "a".repeat(37)));
    }
}
