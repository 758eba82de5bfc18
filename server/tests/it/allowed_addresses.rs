//! A key's allowed addresses: set on its page (or through the API), bad
//! input refused with nothing saved, suggested from the key's own traffic;
//! a request from elsewhere is refused with 403 `address_not_allowed` on
//! forward-auth, the management API and verify, and counted as refused.
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use crate::common::api::{all_sets, error_code, json, new_key, set_id};
use crate::common::keys::PAGE;
use crate::common::{
    Client, TestApp, TestResponse, as_admin, create_bot, custom_role, org, role_id, signed_in,
};
use app::backend::entities::{api_key, api_key_usage_day, audit_event};
use app::model::authz::Authority;
use axum::body::Body;
use axum::http::Request;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// A request with `key` from `ip` (the socket peer: no proxy involved).
async fn from(
    app: &TestApp,
    ip: &str,
    method: &str,
    path: &str,
    key: &str,
    body: Option<String>,
) -> TestResponse {
    let ip: IpAddr = ip.parse().expect("ip");
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(Body::from(body.unwrap_or_default()))
        .expect("request");
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(SocketAddr::new(ip, 50000)));
    app.send(request).await
}

async fn set(
    client: &mut Client<'_>,
    id: &str,
    addresses: &str,
    suggested: &[&str],
) -> TestResponse {
    let mut form = vec![("id", id), ("addresses", addresses)];
    form.extend(suggested.iter().map(|s| ("suggested[]", *s)));
    client.call("keys/set-allowed-addresses", &form).await
}

async fn stored(app: &TestApp, id: &str) -> Option<String> {
    api_key::Entity::find_by_id(id.parse::<i64>().expect("id"))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("key")
        .allowed_addresses
}

async fn changes(app: &TestApp) -> usize {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("key.allowed_addresses_changed"))
        .all(&app.server.state.db)
        .await
        .expect("audit")
        .len()
}

#[tokio::test]
async fn a_key_is_refused_from_anywhere_but_its_allowed_addresses() {
    let app = crate::common::app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let mut sets = all_sets(&mut admin).await;
    sets.push(set_id(&mut admin, "keys:verify").await);
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let (id, key) = new_key(&mut admin, "Restricted", &sets).await;
    let (_, service) = new_key(&mut admin, "Service", &sets).await;

    // Bad input: a clear problem, nothing saved, nothing audited.
    let many: Vec<String> = (0..101).map(|i| format!("10.0.0.{i}")).collect();
    for (bad, problem) in [
        ("10.0.0.0/33", "InvalidAddress"),
        ("192.0.2.0/24\nexample.com", "InvalidAddress"),
        ("203.0.113.7/24", "HostBitsSet"),
        (many.join("\n").as_str(), "TooManyAddresses"),
    ] {
        let r = set(&mut admin, &id, bad, &[]).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
        assert!(
            r.body.contains(problem) && r.body.contains("AllowedAddresses"),
            "{bad}: {}",
            r.body
        );
    }
    assert_eq!(stored(&app, &id).await, None);
    assert_eq!(changes(&app).await, 0);

    let r = set(
        &mut admin,
        &id,
        "192.0.2.0/24, 2001:db8::/32\n192.0.2.0/24",
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        stored(&app, &id).await.as_deref(),
        Some("192.0.2.0/24\n2001:db8::/32")
    );
    assert_eq!(changes(&app).await, 1);
    let page = admin.get(&format!("{PAGE}/keys/{id}")).await;
    assert!(
        page.body.contains("Accepted only from:")
            && page.body.contains("<code>2001:db8::/32</code>")
    );

    for (ip, status) in [
        ("192.0.2.10", 200),
        ("2001:db8::5", 200),
        ("::ffff:192.0.2.9", 200),
        ("198.51.100.7", 403),
        ("2001:db9::1", 403),
    ] {
        let r = from(&app, ip, "GET", "/api/v1/me", &key, None).await;
        assert_eq!(r.status, status, "{ip}: {}", r.body);
        if status == 403 {
            assert_eq!(error_code(&r), "address_not_allowed", "{ip}");
            assert!(
                !r.body.contains("Restricted"),
                "nothing about the key: {}",
                r.body
            );
        }
    }
    let auth = from(
        &app,
        "198.51.100.7",
        "GET",
        "/api/v1/orgs/acme/auth",
        &key,
        None,
    )
    .await;
    assert_eq!(
        (auth.status, error_code(&auth).as_str()),
        (403, "address_not_allowed")
    );
    let manage = from(&app, "198.51.100.7", "GET", "/api/v1/keys", &key, None).await;
    assert_eq!(
        (manage.status, error_code(&manage).as_str()),
        (403, "address_not_allowed")
    );
    assert_eq!(
        from(&app, "192.0.2.10", "GET", "/api/v1/keys", &key, None)
            .await
            .status,
        200
    );

    // Verify: the address the service names; without it the presenter is
    // unknown (the request is the service's own), so the key is refused
    // even when the service itself calls from an allowed address.
    let verify = |client_ip: Option<&str>, ip: &'static str| {
        let mut body = serde_json::json!({ "key": key });
        if let Some(c) = client_ip {
            body["client_ip"] = c.into();
        }
        let (app, service) = (&app, service.clone());
        async move {
            from(
                app,
                ip,
                "POST",
                "/api/v1/keys/verify",
                &service,
                Some(body.to_string()),
            )
            .await
        }
    };
    let r = verify(Some("198.51.100.7"), "192.0.2.1").await;
    assert_eq!(
        (json(&r)["valid"].as_bool(), json(&r)["reason"].as_str()),
        (Some(false), Some("address_not_allowed"))
    );
    assert_eq!(
        json(&verify(Some("192.0.2.44"), "198.51.100.1").await)["valid"],
        true
    );
    assert_eq!(
        json(&verify(None, "192.0.2.45").await)["reason"],
        "address_not_allowed"
    );
    assert_eq!(
        json(&verify(None, "198.51.100.45").await)["reason"],
        "address_not_allowed"
    );
    // Text that is not an address: unknown, so refused as well.
    assert_eq!(
        json(&verify(Some("not an address"), "192.0.2.1").await)["reason"],
        "address_not_allowed"
    );

    // Eight refusals counted for today, apart from the five uses.
    let state = &app.server.state;
    state.usage.flush(&state.db).await.expect("flush");
    let days = api_key_usage_day::Entity::find()
        .filter(api_key_usage_day::Column::ApiKeyId.eq(id.parse::<i64>().expect("id")))
        .all(&state.db)
        .await
        .expect("usage");
    assert_eq!(days.iter().map(|d| d.refused).sum::<i64>(), 8, "{days:?}");
    assert_eq!(days.iter().map(|d| d.requests).sum::<i64>(), 5, "{days:?}");

    // Through the API, with keys:write, from an allowed address; emptied:
    // anywhere again.
    let path = format!("/api/v1/keys/{id}/allowed-addresses");
    let bad = from(
        &app,
        "192.0.2.10",
        "PUT",
        &path,
        &key,
        Some(r#"{"addresses":["203.0.113.7/24"]}"#.into()),
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let cleared = from(
        &app,
        "192.0.2.10",
        "PUT",
        &path,
        &key,
        Some(r#"{"addresses":[]}"#.into()),
    )
    .await;
    assert_eq!(cleared.status, 200, "{}", cleared.body);
    assert_eq!(json(&cleared)["allowed_addresses"], serde_json::json!([]));
    assert_eq!(
        from(&app, "198.51.100.7", "GET", "/api/v1/me", &key, None)
            .await
            .status,
        200
    );
    assert_eq!(changes(&app).await, 2);
}

#[tokio::test]
async fn suggestions_come_from_the_keys_own_traffic_and_are_saved_only_when_ticked() {
    let app = crate::common::app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (id, key) = new_key(&mut admin, "Traffic", &[]).await;
    for ip in ["192.0.2.10", "192.0.2.20", "198.51.100.7", "2001:db8::1"] {
        assert_eq!(
            from(&app, ip, "GET", "/api/v1/me", &key, None).await.status,
            200
        );
    }
    let state = &app.server.state;
    state.usage.flush(&state.db).await.expect("flush");
    let page = admin.get(&format!("{PAGE}/keys/{id}")).await;
    assert!(page.body.contains("Suggest from the last 30 days"));
    for suggestion in ["192.0.2.0/24", "198.51.100.7", "2001:db8::1"] {
        assert!(
            page.body
                .contains(&format!("name=\"suggested[]\" value=\"{suggestion}\"")),
            "{suggestion} suggested"
        );
    }
    assert!(
        !page.body.contains("value=\"192.0.2.10\""),
        "grouped into its /24"
    );
    // Unticked suggestions are not saved; ticked ones are, with the lines.
    let r = set(&mut admin, &id, "", &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(stored(&app, &id).await, None);
    let r = set(&mut admin, &id, "203.0.113.0/24", &["192.0.2.0/24"]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        stored(&app, &id).await.as_deref(),
        Some("192.0.2.0/24\n203.0.113.0/24")
    );
    let page = admin.get(&format!("{PAGE}/keys/{id}")).await;
    assert!(
        !page.body.contains("value=\"192.0.2.0/24\""),
        "an allowed range is not suggested again"
    );
}

#[tokio::test]
async fn only_those_who_may_put_a_key_to_work_restrict_it_and_strangers_never() {
    let app = crate::common::app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let mut admin = as_admin(&app, &acme);
    let (id, _) = new_key(&mut admin, "Admin's", &[]).await;
    create_bot(&app, &acme, "dev-bot", role_id(&acme, "Developer")).await;
    let all_keys = custom_role(&app, &acme, "Key keeper", &[Authority::ManageAllApiKeys]).await;
    create_bot(&app, &acme, "keeper-bot", all_keys).await;

    // A Developer (Manage User API Key only) does not find the Admin's key;
    // a stranger's Admin does not either.
    let mut dev = signed_in(&app, "dev-bot").await;
    assert_eq!(set(&mut dev, &id, "192.0.2.0/24", &[]).await.status, 404);
    let mut stranger = as_admin(&app, &other);
    assert_eq!(
        set(&mut stranger, &id, "192.0.2.0/24", &[]).await.status,
        404
    );
    assert_eq!(stored(&app, &id).await, None);
    // The delegated admin holding exactly Manage All API Keys may.
    let mut keeper = signed_in(&app, "keeper-bot").await;
    assert_eq!(set(&mut keeper, &id, "192.0.2.0/24", &[]).await.status, 200);
    assert_eq!(stored(&app, &id).await.as_deref(), Some("192.0.2.0/24"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_change_fifty_times_at_once_is_made_and_audited_once() {
    let app = Arc::new(crate::common::app().await);
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (id, _) = new_key(&mut admin, "Raced", &[]).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (app, id) = (app.clone(), id.clone());
        let (cookie, jar) = (admin.cookie.clone(), admin.jar.clone());
        tasks.spawn(async move {
            let mut client = Client::new(&app);
            client.cookie = cookie;
            client.jar = jar;
            set(&mut client, &id, "198.51.100.0/24", &[]).await.status
        });
    }
    assert!(tasks.join_all().await.iter().all(|s| *s == 200));
    assert_eq!(stored(&app, &id).await.as_deref(), Some("198.51.100.0/24"));
    assert_eq!(changes(&app).await, 1);
}
