//! The HTTP half of the permission matrix: every route the OpenAPI document
//! lists, found in the one table of operations, × a key of every kind of
//! caller (each with every API set), a key WITHOUT the API sets, and no key.
//! What the table says decides the expected answer; refused calls change
//! nothing in Acme, and another organization's key changes nothing in Acme
//! even where it is let in.
use crate::common::api::{all_sets, call_from, error_code, new_key};
use crate::common::grants::put_in_role;
use crate::common::{
    GOOD_PASSWORD, TestApp, as_admin, create_bot, custom_role, org, role_id, signed_in,
};
use crate::matrix::{CUSTOM, EVERYONE, Who, expected, snapshot};
use app::backend::auth::operation::Caller;
use app::backend::operations;
use utoipa::OpenApi;

/// Every `METHOD /path` the OpenAPI document lists.
fn documented_routes() -> Vec<String> {
    let doc = serde_json::to_value(server::api::ApiDoc::openapi()).expect("openapi json");
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                routes.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    routes
}

/// A key with every built-in API set (and `keys:verify`) for `login`, made
/// while they were an Admin and kept after they were put back into `role`
/// (a key survives a change of role; the guard reads the role now).
async fn key_of(app: &TestApp, acme: &crate::common::Org, login: &str, role: i64) -> String {
    put_in_role(app, acme, login, role_id(acme, "Admin")).await;
    let mut client = signed_in(app, login).await;
    let mut sets = all_sets(&mut client).await;
    sets.push(crate::common::api::set_id(&mut client, "keys:verify").await);
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let (_, key) = new_key(&mut client, &format!("{login} key"), &sets).await;
    put_in_role(app, acme, login, role).await;
    key
}

#[tokio::test]
async fn every_api_route_for_every_kind_of_key() {
    // With a leak reporter configured: a key or a session is refused at
    // the leak route for want of a signature, not for want of a reporter.
    let reporter = app::backend::auth::leak_reporters::testing::Reporter::generate();
    let pem = reporter.public_pem();
    let (app, _clock) = crate::common::app_configured(|config| {
        config.leak_report_keys =
            Some(app::backend::auth::leak_reporters::LeakReporters::from_pem(&pem).expect("pem"));
    })
    .await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let member = role_id(&acme, "Member");
    let developer = role_id(&acme, "Developer");
    create_bot(&app, &acme, "member-bot", member).await;
    create_bot(&app, &acme, "dev-bot", developer).await;
    create_bot(&app, &acme, "target-bot", member).await;
    let custom = custom_role(&app, &acme, "Auditor", &CUSTOM).await;
    create_bot(&app, &acme, "custom-bot", custom).await;

    let mut keys = std::collections::HashMap::new();
    keys.insert(Who::Member, key_of(&app, &acme, "member-bot", member).await);
    keys.insert(
        Who::Developer,
        key_of(&app, &acme, "dev-bot", developer).await,
    );
    keys.insert(Who::Custom, key_of(&app, &acme, "custom-bot", custom).await);
    let admin_role = role_id(&acme, "Admin");
    keys.insert(
        Who::Admin,
        key_of(&app, &acme, "admin@acme.example", admin_role).await,
    );
    let mut other_admin = as_admin(&app, &other);
    let mut other_sets = all_sets(&mut other_admin).await;
    other_sets.push(crate::common::api::set_id(&mut other_admin, "keys:verify").await);
    let other_sets: Vec<&str> = other_sets.iter().map(String::as_str).collect();
    keys.insert(
        Who::OtherAdmin,
        new_key(&mut other_admin, "other", &other_sets).await.1,
    );
    // The Admin's key without any API set, and the key every call acts on.
    let mut admin = as_admin(&app, &acme);
    let (_, bare) = new_key(&mut admin, "no sets", &[]).await;
    let (victim_id, victim) = new_key(&mut admin, "victim", &[]).await;

    let routes = documented_routes();
    for op in operations::ALL {
        for route in op.http {
            assert!(
                routes.iter().any(|r| r == route),
                "{route} ({}) is in the table but not documented",
                op.name
            );
        }
    }
    let mut cases = 0;
    let mut seen = Vec::new();
    for route in &routes {
        let op = operations::by_route(route)
            .unwrap_or_else(|| panic!("{route} is not in app::backend::operations::ALL"));
        let (method, template) = route.split_once(' ').expect("METHOD path");
        let path = template
            .replace("{id}", &victim_id)
            .replace("{username}", "target-bot")
            .replace("{org}", "acme");
        let body = match op.name {
            "check.verify" => Some(serde_json::json!({ "key": victim }).to_string()),
            // Every matrix call comes from 192.0.2.x: the victim keeps working.
            "keys.set_allowed_addresses" => {
                Some(serde_json::json!({ "addresses": ["192.0.2.0/24"] }).to_string())
            }
            // The victim key reported as leaked, without a signature.
            "leaks.report" => Some(
                serde_json::json!([{ "token": victim, "type": "keyhouse_api_key",
                    "url": "https://example.com/leak", "source": "matrix" }])
                .to_string(),
            ),
            "user_tokens.issue" => Some(
                serde_json::json!({ "login": "target-bot", "password": GOOD_PASSWORD }).to_string(),
            ),
            _ => None,
        };
        let send = |key: Option<String>, ip: u8| {
            let (path, body) = (path.clone(), body.clone());
            let app = &app;
            async move {
                let authorization = key.map(|k| format!("Bearer {k}"));
                call_from(app, ip, method, &path, authorization.as_deref(), &[], body).await
            }
        };
        for who in EVERYONE {
            let before = snapshot(&app, acme.id).await;
            let key = keys.get(&who).cloned();
            let r = send(key, 150 + who as u8).await;
            let case = format!("{route} with {who:?}'s key: {} {}", r.status, r.body);
            seen.push(format!(
                "{route} {who:?} {}",
                crate::golden::class(r.status)
            ));
            match expected(op.need, who) {
                Some(status) => {
                    assert_eq!(r.status, status, "{case}");
                    assert_eq!(
                        snapshot(&app, acme.id).await,
                        before,
                        "refused, yet changed: {case}"
                    );
                }
                // Another organization's key is let in at its own door but
                // never finds Acme's things (forward-auth on Acme's path:
                // 401 as an unknown key).
                None if who == Who::OtherAdmin => {
                    assert_eq!(
                        snapshot(&app, acme.id).await,
                        before,
                        "changed Acme: {case}"
                    );
                }
                None => {
                    assert!(
                        r.status != 401 && r.status != 403,
                        "should be let in: {case}"
                    );
                    if r.status >= 400 {
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
        // The Admin's key without the operation's API set.
        let before = snapshot(&app, acme.id).await;
        let r = send(Some(bare.clone()), 149).await;
        let case = format!(
            "{route} with a key without API sets: {} {}",
            r.status, r.body
        );
        if op.need.api_set.is_some() {
            assert_eq!(r.status, 403, "{case}");
            assert_eq!(error_code(&r), "missing_api_set", "{case}");
            assert_eq!(
                snapshot(&app, acme.id).await,
                before,
                "refused, yet changed: {case}"
            );
        } else if op.need.caller == Caller::Signed {
            assert_eq!(r.status, 401, "{case}");
            assert_eq!(
                snapshot(&app, acme.id).await,
                before,
                "refused, yet changed: {case}"
            );
        } else {
            assert_eq!(op.need.caller, Caller::Key, "{case}");
            assert!(
                r.status != 401 && r.status != 403,
                "should be let in: {case}"
            );
        }
        cases += 1;
    }
    assert_eq!(cases, routes.len() * (EVERYONE.len() + 1));
    crate::golden::check("permissions-http.txt", seen);
    println!(
        "permission matrix (HTTP API): {} routes × {} callers = {cases} cases",
        routes.len(),
        EVERYONE.len() + 1
    );
}
