//! Versioned migrations, applied at start. The same migrations serve SQLite
//! and PostgreSQL; never edit one that has shipped, add a new one.
use sea_orm_migration::prelude::*;

mod m20261124_000001_initial;
mod m20261124_000002_sign_in;
mod m20261124_000003_membership_status;
mod m20261124_000004_invitations;
mod m20261124_000005_api_keys;
mod m20261124_000006_api_usage;
mod m20261129_000007_trust_boundaries;
mod m20261129_000008_sessions_throttle;
mod m20261129_000009_scale_out;
mod m20261130_000010_leaks;
mod m20261130_000011_allowed_addresses;
mod m20261130_000012_decoys;
mod m20261201_000013_key_policies;
mod m20261201_000014_webhooks;
mod m20261202_000015_mail_rotation;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_initial::Migration),
            Box::new(m20261124_000002_sign_in::Migration),
            Box::new(m20261124_000003_membership_status::Migration),
            Box::new(m20261124_000004_invitations::Migration),
            Box::new(m20261124_000005_api_keys::Migration),
            Box::new(m20261124_000006_api_usage::Migration),
            Box::new(m20261129_000007_trust_boundaries::Migration),
            Box::new(m20261129_000008_sessions_throttle::Migration),
            Box::new(m20261129_000009_scale_out::Migration),
            Box::new(m20261130_000010_leaks::Migration),
            Box::new(m20261130_000011_allowed_addresses::Migration),
            Box::new(m20261130_000012_decoys::Migration),
            Box::new(m20261201_000013_key_policies::Migration),
            Box::new(m20261201_000014_webhooks::Migration),
            Box::new(m20261202_000015_mail_rotation::Migration),
        ]
    }
}
