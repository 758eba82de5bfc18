//! The permission matrix, generated over BOTH front doors from the one
//! table of operations (`app::backend::operations::ALL`, each declared
//! beside its service): EVERY server function the app registers and EVERY
//! `/api/v1` route the OpenAPI document lists × (anonymous, Member,
//! Developer, Admin, a custom role, an Admin of ANOTHER organization; for
//! the HTTP API also a key without the API set). A function or route
//! missing from the table fails the test, so a new one cannot slip in
//! unclassified. A refused call answers 401 (not signed in)
//! or 403 (signed in, not allowed) and changes nothing in the organization;
//! the other organization's Admin, even where allowed, changes nothing in it.

use crate::common::{
    Client, GOOD_PASSWORD, Org, TestApp, app, as_admin, create_bot, custom_role, org, role_id,
};
use app::backend::auth::operation::{Caller, Need};
use app::backend::entities::{
    api_key, api_key_api_set, api_key_secret, api_set, invitation, membership, organization, role,
    role_authority, session, user,
};
use app::backend::operations;
use app::model::authz::Authority;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use Authority::*;

/// The expected answer class for a caller, from the operation's one
/// declaration: `Some(status)` when refused, `None` when let in.
pub(crate) fn expected(need: Need, who: Who) -> Option<u16> {
    match (need.caller, who) {
        (Caller::Anyone, _) => None,
        (_, Who::Anonymous) => Some(401),
        // A key or a session is no signature.
        (Caller::Signed, _) => Some(401),
        (Caller::Member | Caller::Key, _) => None,
        (Caller::Holding(a), who) if who.may(a) => None,
        (Caller::Holding(_), _) => Some(403),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Who {
    Anonymous,
    Member,
    Developer,
    Admin,
    Custom,
    OtherAdmin,
}

/// The Admin comes last: what they may do (delete the key, the invitation)
/// is still there for every other caller to try.
pub(crate) const EVERYONE: [Who; 6] = [
    Who::Anonymous,
    Who::Member,
    Who::Developer,
    Who::Custom,
    Who::OtherAdmin,
    Who::Admin,
];

/// The custom role's authorities.
pub(crate) const CUSTOM: [Authority; 2] = [ViewAuditLog, ManageIntegrations];

impl Who {
    pub(crate) fn login(self) -> Option<&'static str> {
        match self {
            Who::Anonymous => None,
            Who::Member => Some("member-bot"),
            Who::Developer => Some("dev-bot"),
            Who::Admin => Some("admin@acme.example"),
            Who::Custom => Some("custom-bot"),
            Who::OtherAdmin => Some("admin@other.example"),
        }
    }

    pub(crate) fn may(self, authority: Authority) -> bool {
        match self {
            Who::Anonymous | Who::Member => false,
            Who::Developer => authority == ManageUserApiKey,
            Who::Admin | Who::OtherAdmin => true,
            Who::Custom => CUSTOM.contains(&authority),
        }
    }
}

/// Everything of the organization a call could change, as text.
pub(crate) async fn snapshot(app: &TestApp, org_id: i64) -> String {
    let db = &app.server.state.db;
    let org = organization::Entity::find_by_id(org_id).one(db).await;
    let roles = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(org_id))
        .order_by_asc(role::Column::Id)
        .all(db)
        .await
        .expect("roles");
    let role_ids: Vec<i64> = roles.iter().map(|r| r.id).collect();
    let authorities = role_authority::Entity::find()
        .filter(role_authority::Column::RoleId.is_in(role_ids))
        .order_by_asc(role_authority::Column::RoleId)
        .order_by_asc(role_authority::Column::Authority)
        .all(db)
        .await;
    let memberships = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org_id))
        .order_by_asc(membership::Column::UserId)
        .all(db)
        .await
        .expect("memberships");
    let user_ids: Vec<i64> = memberships.iter().map(|m| m.user_id).collect();
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids.clone()))
        .order_by_asc(user::Column::Id)
        .all(db)
        .await;
    let invitations = invitation::Entity::find()
        .filter(invitation::Column::OrganizationId.eq(org_id))
        .order_by_asc(invitation::Column::Id)
        .all(db)
        .await;
    let sessions = session::Entity::find()
        .filter(session::Column::UserId.is_in(user_ids))
        .all(db)
        .await
        .expect("sessions")
        .len();
    let keys = api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(org_id))
        .order_by_asc(api_key::Column::Id)
        .all(db)
        .await
        .expect("keys");
    let key_ids: Vec<i64> = keys.iter().map(|k| k.id).collect();
    let secrets = api_key_secret::Entity::find()
        .filter(api_key_secret::Column::ApiKeyId.is_in(key_ids.clone()))
        .order_by_asc(api_key_secret::Column::Id)
        .all(db)
        .await;
    let links = api_key_api_set::Entity::find()
        .filter(api_key_api_set::Column::ApiKeyId.is_in(key_ids))
        .order_by_asc(api_key_api_set::Column::ApiKeyId)
        .order_by_asc(api_key_api_set::Column::ApiSetId)
        .all(db)
        .await;
    let sets = api_set::Entity::find()
        .filter(api_set::Column::OrganizationId.eq(org_id))
        .order_by_asc(api_set::Column::Id)
        .all(db)
        .await;
    format!(
        "{org:?}\n{roles:?}\n{authorities:?}\n{memberships:?}\n{users:?}\n{invitations:?}\n{sessions}\n{keys:?}\n{secrets:?}\n{links:?}\n{sets:?}"
    )
}

async fn client_for<'a>(app: &'a TestApp, who: Who) -> Client<'a> {
    // Each caller comes from its own address: no caller's sign-in attempts
    // count against another's.
    let ip = [192, 0, 2, 100 + who as u8];
    let mut client = Client::new(app).with_ip(ip);
    if let Some(login) = who.login() {
        let r = client
            .call(
                "auth/sign-in",
                &[("login", login), ("password", GOOD_PASSWORD)],
            )
            .await;
        assert!(r.status < 400, "{login}: {}", r.body);
    }
    client
}

#[tokio::test]
async fn every_server_function_for_every_kind_of_caller() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    create_bot(&app, &acme, "member-bot", role_id(&acme, "Member")).await;
    create_bot(&app, &acme, "dev-bot", role_id(&acme, "Developer")).await;
    create_bot(&app, &acme, "target-bot", role_id(&acme, "Member")).await;
    let custom = custom_role(&app, &acme, "Auditor", &CUSTOM).await;
    create_bot(&app, &acme, "custom-bot", custom).await;
    let invitation = pending_invitation(&app, &acme).await;
    let (key, set) = admin_key_and_set(&app, &acme).await;
    // The other organization has a user of the same name as acme's target,
    // so a call that ignored the organization would find something.
    create_bot(&app, &other, "other-bot", role_id(&other, "Member")).await;

    let member_role = role_id(&acme, "Member").to_string();
    let acme_id = acme.id.to_string();
    let invitation = invitation.to_string();
    let (key, set) = (key.to_string(), set.to_string());
    let common: Vec<(&str, &str)> = vec![
        ("username", "target-bot"),
        ("active", "false"),
        ("role_id", &member_role),
        ("name", "Renamed"),
        ("password", "x"),
        ("current_password", "x"),
        ("new_password", "x"),
        ("new_password_confirm", "x"),
        ("filter[search]", ""),
        ("filter[status]", ""),
        ("filter[kind]", ""),
        ("filter[actor]", ""),
        ("filter[action]", ""),
        ("filter[from]", ""),
        ("filter[to]", ""),
        ("filter[page]", "1"),
        ("contact", "newcomer@example.com"),
        ("token", "made-up"),
        ("org_id", &acme_id),
        ("enabled", "false"),
        ("grace_hours", "24"),
        ("per_minute", "100"),
        ("slug", "billing-v2"),
        ("description", "x"),
        ("api_sets[]", &set),
        ("expires", "never"),
        ("url", "https://93.184.215.14/hook"),
        ("events[]", "key.created"),
        ("delivery", "1"),
        ("from", "target-bot"),
        ("to", "other-bot"),
    ];
    // `id` names the thing each function acts on: an Acme Admin's key, an
    // Acme API set, or a pending Acme invitation.
    let args_for = |endpoint: &str| {
        let id = if endpoint.starts_with("keys/") {
            key.as_str()
        } else if endpoint.starts_with("integrations/") {
            set.as_str()
        } else {
            invitation.as_str()
        };
        let mut args = common.clone();
        args.push(("id", id));
        if endpoint == "keys/bulk" {
            args.extend([("action", "disable"), ("ids[]", id)]);
        }
        args
    };

    let paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _method)| path.trim_start_matches("/rpc/").to_owned())
        .collect();
    // In the same order every run, so every recorded answer is the same.
    let mut paths = paths;
    paths.sort();
    for op in operations::ALL {
        if let Some(endpoint) = op.rpc {
            assert!(
                paths.iter().any(|p| p == endpoint),
                "{endpoint} is in the table but not registered"
            );
        }
    }
    let mut cases = 0;
    let mut seen = Vec::new();
    for endpoint in &paths {
        let need = operations::by_rpc(endpoint)
            .unwrap_or_else(|| panic!("{endpoint} is not in app::backend::operations::ALL"))
            .need;
        for who in EVERYONE {
            let mut client = client_for(&app, who).await;
            let before = snapshot(&app, acme.id).await;
            let response = client.call(endpoint, &args_for(endpoint)).await;
            let expected = expected(need, who);
            let body: String = response.body.chars().take(300).collect();
            let case = format!("{endpoint} as {who:?}: {} {body}", response.status);
            seen.push(format!(
                "{endpoint} {who:?} {}",
                crate::golden::class(response.status)
            ));
            match expected {
                Some(status) => {
                    assert_eq!(response.status, status, "{case}");
                    assert_eq!(
                        snapshot(&app, acme.id).await,
                        before,
                        "refused, yet changed: {case}"
                    );
                }
                None => {
                    assert!(
                        response.status != 401 && response.status != 403,
                        "should be allowed: {case}"
                    );
                    // Allowed to call, yet refused for what was asked (not
                    // your key, a stale id, bad input): nothing changes.
                    if response.status >= 400 || who == Who::OtherAdmin {
                        assert_eq!(
                            snapshot(&app, acme.id).await,
                            before,
                            "changed Acme: {case}"
                        );
                    }
                }
            }
            cases += 1;
        }
    }
    assert_eq!(cases, paths.len() * EVERYONE.len());
    crate::golden::check("permissions-rpc.txt", seen);
    println!(
        "permission matrix: {} server functions × {} callers = {cases} cases",
        paths.len(),
        EVERYONE.len()
    );
}

async fn pending_invitation(app: &TestApp, org: &Org) -> i64 {
    let member = role_id(org, "Member").to_string();
    let r = as_admin(app, org)
        .call(
            "invitations/create",
            &[("contact", "pending@example.com"), ("role_id", &member)],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    invitation::Entity::find()
        .filter(invitation::Column::OrganizationId.eq(org.id))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("invitation")
        .id
}

/// A key of Acme's Admin with an Acme API set, made through the UI's calls.
async fn admin_key_and_set(app: &TestApp, org: &Org) -> (i64, i64) {
    let mut admin = as_admin(app, org);
    let r = admin
        .call(
            "integrations/create-api-set",
            &[
                ("slug", "billing"),
                ("name", "Billing"),
                ("description", ""),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let set = api_set::Entity::find()
        .filter(api_set::Column::OrganizationId.eq(org.id))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("set")
        .id;
    let set_id = set.to_string();
    let r = admin
        .call(
            "keys/create",
            &[
                ("name", "CRM"),
                ("api_sets[]", &set_id),
                ("expires", "never"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let key = api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(org.id))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("key")
        .id;
    (key, set)
}
