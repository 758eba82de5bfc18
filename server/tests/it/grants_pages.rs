//! Who may grant what, as the pages show it: the role pickers offer only
//! the roles the caller may give, a refused grant reads as a sentence in the
//! page's language, and no form offers what the server would refuse.

use crate::common::{app, as_admin, create_bot, custom_role, org, role_id};
use app::model::authz::Authority;

/// The role pickers offer only roles the caller may give: Manage Users alone
/// is not offered Admin nor Developer; every authority is offered Admin.
#[tokio::test]
async fn role_pickers_offer_only_what_may_be_given() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let support = custom_role(&app, &acme, "Support", &[Authority::ManageUsers]).await;
    custom_role(&app, &acme, "Auditor", &[Authority::ViewAuditLog]).await;
    let owner = custom_role(&app, &acme, "Owner", &Authority::ALL).await;
    create_bot(&app, &acme, "support-bot", support).await;
    create_bot(&app, &acme, "owner-bot", owner).await;
    create_bot(&app, &acme, "dev-bot", role_id(&acme, "Developer")).await;

    let names = |body: &str| -> Vec<String> {
        let list: serde_json::Value = serde_json::from_str(body).expect("json");
        list.as_array()
            .expect("list")
            .iter()
            .map(|r| r["name"].as_str().expect("name").to_owned())
            .collect()
    };
    let mut support = crate::common::signed_in(&app, "support-bot").await;
    let offered = support.call("users/roles", &[]).await;
    assert_eq!(offered.status, 200, "{}", offered.body);
    assert_eq!(names(&offered.body), ["Member", "Support"]);
    // The details page's picker: what may be given, and the role held now.
    let details = support
        .call("users/details", &[("username", "dev-bot")])
        .await;
    let details: serde_json::Value = serde_json::from_str(&details.body).expect("json");
    let picker: Vec<&str> = details["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(picker, ["Developer", "Member", "Support"]);

    let mut owner = crate::common::signed_in(&app, "owner-bot").await;
    let offered = owner.call("users/roles", &[]).await;
    assert_eq!(
        names(&offered.body),
        [
            "Admin",
            "Developer",
            "Member",
            "Support",
            "Auditor",
            "Owner"
        ]
    );
    let admin = as_admin(&app, &acme).call("users/roles", &[]).await;
    assert_eq!(names(&admin.body), names(&offered.body));
}

/// A refused grant reads as a sentence in the page's language, not as
/// "not allowed".
#[tokio::test]
async fn a_refused_grant_is_explained() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let support = custom_role(&app, &acme, "Support", &[Authority::ManageUsers]).await;
    create_bot(&app, &acme, "support-bot", support).await;
    let mut support = crate::common::signed_in(&app, "support-bot").await;
    let admin_role = role_id(&acme, "Admin").to_string();
    let r = support
        .call(
            "invitations/create",
            &[("contact", "boss@example.com"), ("role_id", &admin_role)],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let err: app::model::error::AppError = serde_json::from_str(&r.body).expect("AppError");
    assert_eq!(
        err,
        app::model::error::AppError::GrantRefused(app::model::error::GrantRefusal::AdminRole)
    );
    for (file, words) in [
        ("en", "Only someone who holds every authority"),
        ("pl", "Rolę Admin może nadać tylko"),
    ] {
        let path = format!("{}/../app/locales/{file}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("locale");
        let json: serde_json::Value = serde_json::from_str(&text).expect("json");
        for key in [
            "grant_admin_role",
            "grant_role_exceeds_yours",
            "grant_own_role",
            "grant_authority_not_held",
        ] {
            assert!(json[key].is_string(), "{key} in {file}");
        }
        assert!(
            json["grant_admin_role"]
                .as_str()
                .is_some_and(|s| s.starts_with(words)),
            "{file}"
        );
    }
}

/// The pages offer nothing the server would refuse: the new-user form's role
/// picker lacks the roles the caller may not give; the Roles page shows the
/// caller's own role without an editor, and an authority the caller does not
/// hold cannot be ticked.
#[tokio::test]
async fn the_pages_offer_only_what_may_be_given() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let steward = custom_role(
        &app,
        &acme,
        "Steward",
        &[Authority::ManageUsers, Authority::ManageRoles],
    )
    .await;
    let auditor = custom_role(&app, &acme, "Auditor", &[Authority::ViewAuditLog]).await;
    create_bot(&app, &acme, "steward-bot", steward).await;
    let mut client = crate::common::signed_in(&app, "steward-bot").await;

    let page = client.get("/admin/programmatic-users/new").await;
    assert_eq!(page.status, 200);
    let options: Vec<&str> = page
        .body
        .split("<option")
        .skip(1)
        .filter_map(|o| o.split('>').nth(1)?.split('<').next())
        .collect();
    assert_eq!(options, ["Member", "Steward"], "{}", page.body);

    let page = client.get("/admin/roles").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("You cannot change or delete the role you hold yourself."),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains(&format!("id=\"role-{steward}-name\"")),
        "no editor of their own role"
    );
    assert!(page.body.contains(&format!("id=\"role-{auditor}-name\"")));
    let checkbox = |id: String| -> String {
        let start = page.body.find(&format!("id=\"{id}\"")).expect(&id);
        let open = page.body[..start].rfind('<').expect("tag");
        let end = start + page.body[start..].find('>').expect("tag end");
        page.body[open..end].to_owned()
    };
    assert!(!checkbox("new-role-manage_roles".into()).contains("disabled"));
    assert!(checkbox("new-role-view_audit_log".into()).contains("disabled"));
    // Auditor's View Audit Log may be taken away, not Manage Integrations added.
    assert!(!checkbox(format!("role-{auditor}-view_audit_log")).contains("disabled"));
    assert!(checkbox(format!("role-{auditor}-manage_integrations")).contains("disabled"));
    assert!(!checkbox(format!("role-{auditor}-manage_users")).contains("disabled"));
}
