use sea_orm::entity::prelude::*;

/// A named set of authorities within one organization. Built-in roles
/// (Admin, Developer, Member) have `builtin = true`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "roles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub name: String,
    pub builtin: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrganizationId",
        to = "super::organization::Column::Id",
        on_delete = "Cascade"
    )]
    Organization,
    #[sea_orm(has_many = "super::role_authority::Entity")]
    RoleAuthority,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::role_authority::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RoleAuthority.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
