//! The lists' filters read the same at both front doors: a value the HTTP
//! API refuses, the page (which reads it from its address) refuses too and
//! says so; what the API accepts, and the empty values the pages' forms
//! send for "Any", the page lists.

use crate::common::api::{all_sets, call, error_code, new_key};
use crate::common::keys::PAGE as KEYS_PAGE;
use crate::common::{app, as_admin, org};

const REFUSED: &str = "These filters are not valid";

#[tokio::test]
async fn both_front_doors_take_and_refuse_the_same_filters() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let sets = all_sets(&mut admin).await;
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let (_, key) = new_key(&mut admin, "Manager", &sets).await;

    for (page, api) in [
        ("/admin/users?status=gone", "/api/v1/users?status=gone"),
        ("/admin/users?kind=robot", "/api/v1/users?kind=robot"),
        (
            "/admin/audit?action=made.up",
            "/api/v1/audit-events?action=made.up",
        ),
        (
            "/admin/audit?from=yesterday",
            "/api/v1/audit-events?from=yesterday",
        ),
        (
            "/admin/audit?to=2026-02-30",
            "/api/v1/audit-events?to=2026-02-30",
        ),
        (
            &format!("{KEYS_PAGE}?scope=everything"),
            "/api/v1/keys?scope=everything",
        ),
    ] {
        let r = call(&app, "GET", api, Some(&key), &[], None).await;
        assert_eq!(r.status, 400, "{api}: {}", r.body);
        assert_eq!(error_code(&r), "bad_request", "{api}");
        let shown = admin.get(page).await;
        assert!(shown.body.contains(REFUSED), "{page}: {}", shown.body);
        assert!(!shown.body.contains("data-table"), "{page}: no list");
    }

    for (page, api) in [
        ("/admin/users?search=&status=&kind=&page=1", "/api/v1/users"),
        (
            "/admin/users?status=active&kind=human",
            "/api/v1/users?status=active&kind=human",
        ),
        (
            "/admin/audit?actor=&action=&from=&to=",
            "/api/v1/audit-events?action=",
        ),
        (
            "/admin/audit?action=key.created&from=2024-02-29",
            "/api/v1/audit-events?action=key.created&from=2024-02-29",
        ),
        (&format!("{KEYS_PAGE}?scope=all"), "/api/v1/keys?scope=all"),
    ] {
        let r = call(&app, "GET", api, Some(&key), &[], None).await;
        assert_eq!(r.status, 200, "{api}: {}", r.body);
        let shown = admin.get(page).await;
        assert_eq!(shown.status, 200, "{page}");
        assert!(!shown.body.contains(REFUSED), "{page}: {}", shown.body);
        assert!(shown.body.contains("data-table"), "{page}: {}", shown.body);
    }
}
