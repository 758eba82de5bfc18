//! The audit log as an organization reads it: scoped, filtered, guarded.

use crate::common::{Client, app, as_admin, create_bot, org, role_id, signed_in};

fn filter<'a>(
    actor: &'a str,
    action: &'a str,
    from: &'a str,
    to: &'a str,
) -> Vec<(&'static str, &'a str)> {
    vec![
        ("filter[actor]", actor),
        ("filter[action]", action),
        ("filter[from]", from),
        ("filter[to]", to),
        ("filter[page]", "1"),
    ]
}

#[tokio::test]
async fn audit_log_is_scoped_filtered_and_guarded() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    create_bot(&app, &acme, "member-bot", role_id(&acme, "Member")).await;
    let failed = Client::new(&app)
        .call(
            "auth/sign-in",
            &[
                ("login", "admin@acme.example"),
                ("password", "wrong password 1"),
            ],
        )
        .await;
    assert_eq!(failed.status, 401);

    let mut admin = as_admin(&app, &acme);
    let all: serde_json::Value =
        serde_json::from_str(&admin.call("audit/list", &filter("", "", "", "")).await.body)
            .expect("json");
    let actions: Vec<&str> = all["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    for expected in [
        "organization.created",
        "user.created",
        "sign_in.success",
        "sign_in.failure",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    assert!(
        !all.to_string().contains("other.example"),
        "only this organization's events"
    );
    assert!(!all.to_string().contains("wrong password"), "no secrets");

    let failures: serde_json::Value = serde_json::from_str(
        &admin
            .call("audit/list", &filter("", "sign_in.failure", "", ""))
            .await
            .body,
    )
    .expect("json");
    assert_eq!(failures["total"], 1);
    assert_eq!(failures["rows"][0]["client_ip"], "192.0.2.10");

    let by_actor: serde_json::Value = serde_json::from_str(
        &admin
            .call(
                "audit/list",
                &filter("ADMIN@acme.example", "user.created", "", ""),
            )
            .await
            .body,
    )
    .expect("json");
    assert_eq!(
        by_actor["total"], 2,
        "the Admin created their own account and member-bot"
    );

    let future: serde_json::Value = serde_json::from_str(
        &admin
            .call("audit/list", &filter("", "", "2999-01-01", ""))
            .await
            .body,
    )
    .expect("json");
    assert_eq!(future["total"], 0);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let up_to_today: serde_json::Value = serde_json::from_str(
        &admin
            .call("audit/list", &filter("", "", "", &today))
            .await
            .body,
    )
    .expect("json");
    assert_eq!(
        up_to_today["total"], all["total"],
        "'to' includes the whole day"
    );

    assert_eq!(
        admin
            .call("audit/list", &filter("", "", "24/11/2026", ""))
            .await
            .status,
        400
    );
    assert_eq!(
        admin
            .call("audit/list", &filter("", "drop table", "", ""))
            .await
            .status,
        400
    );

    assert_eq!(
        Client::new(&app)
            .call("audit/list", &filter("", "", "", ""))
            .await
            .status,
        401
    );
    let mut member = signed_in(&app, "member-bot").await;
    assert_eq!(
        member
            .call("audit/list", &filter("", "", "", ""))
            .await
            .status,
        403
    );
    let mut other_admin = as_admin(&app, &other);
    let theirs = other_admin
        .call("audit/list", &filter("", "", "", ""))
        .await;
    assert_eq!(theirs.status, 200);
    assert!(!theirs.body.contains("acme.example") && !theirs.body.contains("member-bot"));
}
