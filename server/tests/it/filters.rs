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

/// The key list shows 50 keys a page and links the others: Previous and
/// Next keep the view's filters, a page past the end shows the last page
/// (read in one statement with its count, and apart when out of range).
#[tokio::test]
async fn the_key_list_pages_through_every_key() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    for i in 1..=51 {
        new_key(&mut admin, &format!("paged key {i:02}"), &[]).await;
    }
    let first = admin.get(KEYS_PAGE).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(
        first.body.contains("Page 1 of 2 (51 keys)"),
        "{}",
        first.body
    );
    assert!(first.body.contains("paged key 51"), "newest first");
    assert!(
        !first.body.contains("paged key 01<"),
        "the oldest is on page 2"
    );
    assert!(
        first
            .body
            .contains(&format!(r#"href="{KEYS_PAGE}?page=2" rel="next""#)),
        "{}",
        first.body
    );
    assert!(!first.body.contains(r#"rel="prev""#));

    let all = admin.get(&format!("{KEYS_PAGE}?scope=all&page=2")).await;
    assert!(all.body.contains("Page 2 of 2 (51 keys)"), "{}", all.body);
    assert!(all.body.contains("paged key 01<"), "{}", all.body);
    assert!(!all.body.contains("paged key 02<"), "one key on page 2");
    assert!(
        all.body.contains(&format!(
            r#"href="{KEYS_PAGE}?scope=all&amp;page=1" rel="prev""#
        )),
        "{}",
        all.body
    );
    assert!(!all.body.contains(r#"rel="next""#));

    let past = admin.get(&format!("{KEYS_PAGE}?page=9")).await;
    assert!(past.body.contains("Page 2 of 2 (51 keys)"), "{}", past.body);
    assert!(past.body.contains("paged key 01<"), "{}", past.body);
    // The largest page number an address can say: the last page, on every
    // paged list (its offset would not fit the databases' integers).
    let huge = u64::MAX;
    let far = admin.get(&format!("{KEYS_PAGE}?page={huge}")).await;
    assert_eq!(far.status, 200, "{}", far.body);
    assert!(far.body.contains("Page 2 of 2 (51 keys)"), "{}", far.body);
    for (list, says) in [
        ("/admin/users", "Page 1 of 1 (1 users)"),
        ("/admin/audit", "Page 2 of 2 ("),
    ] {
        let far = admin.get(&format!("{list}?page={huge}")).await;
        assert_eq!(far.status, 200, "{list}: {}", far.body);
        assert!(far.body.contains(says), "{list}: {}", far.body);
    }

    // Without a second page, no pagination at all.
    let beta = org(&app, "admin@beta.example", "Beta").await;
    let mut other = as_admin(&app, &beta);
    new_key(&mut other, "only key", &[]).await;
    let single = other.get(KEYS_PAGE).await;
    assert!(single.body.contains("only key"), "{}", single.body);
    assert!(
        !single.body.contains("paged key"),
        "another organization's keys"
    );
    assert!(!single.body.contains(r#"class="pagination""#));
}
