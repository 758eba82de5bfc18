//! A form's outcome ("API set created.", the invitation link) is said once,
//! on the page its redirect leads to, by an `HttpOnly` cookie signed under
//! the session: so it shows without JavaScript, and with it (forms are posted
//! in place and the next page is what the server renders). Callers of the
//! server function itself get the answer and no cookie; a planted cookie, or
//! one taken to another session, says nothing.
use crate::common::{Client, TestResponse, app, as_admin, form_encode, org, role_id, signed_in};

const SETS: &str = "/settings/integrations/api-sets";
const INVITATIONS: &str = "/admin/invitations";

/// A browser's form post (no JavaScript, or the in-place post: the same).
async fn post_form(
    client: &mut Client<'_>,
    endpoint: &str,
    form: &[(&str, &str)],
    from: &str,
) -> TestResponse {
    let builder = axum::http::Request::post(format!("/rpc/{endpoint}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html,application/xhtml+xml")
        .header("origin", "http://keyhouse.test")
        .header("referer", format!("http://keyhouse.test{from}"));
    client.request(builder, form_encode(form)).await
}

fn notice_cookies(r: &TestResponse) -> Vec<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.starts_with("keyhouse_notice="))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_forms_outcome_is_said_once_on_the_next_page() {
    let app = app().await;
    let acme = org(&app, "notices@acme.example", "Acme").await;
    let mut browser = as_admin(&app, &acme);

    let posted = post_form(
        &mut browser,
        "integrations/create-api-set",
        &[("slug", "billing"), ("name", "Billing")],
        SETS,
    )
    .await;
    assert!(
        (302..=303).contains(&posted.status),
        "{} {}",
        posted.status,
        posted.body
    );
    let set = notice_cookies(&posted);
    assert_eq!(set.len(), 1, "{set:?}");
    for part in [
        "keyhouse_notice=api_set_created|",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
    ] {
        assert!(set[0].contains(part), "{}", set[0]);
    }

    assert!(
        !set[0].contains("Max-Age"),
        "kept in memory only: {}",
        set[0]
    );

    let page = browser.get(SETS).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("API set created."),
        "the notice is shown"
    );
    assert!(
        notice_cookies(&page)
            .iter()
            .any(|c| c.contains("Max-Age=0")),
        "and cleared with the page that shows it"
    );
    let again = browser.get(SETS).await;
    assert!(!again.body.contains("API set created."), "said once");

    // The server function's own callers get its answer, and no cookie.
    let called = browser
        .call(
            "integrations/create-api-set",
            &[("slug", "crm"), ("name", "CRM")],
        )
        .await;
    assert!(called.status < 300, "{} {}", called.status, called.body);
    assert!(notice_cookies(&called).is_empty());
    // A refused form leaves no notice either.
    let refused = post_form(
        &mut browser,
        "integrations/create-api-set",
        &[("slug", "Bad slug!"), ("name", "Bad")],
        SETS,
    )
    .await;
    assert!(
        refused
            .header("location")
            .unwrap_or_default()
            .contains("__err=")
    );
    assert!(notice_cookies(&refused).is_empty());
}

#[tokio::test]
async fn the_invitation_link_is_shown_once_and_never_in_an_address() {
    let app = app().await;
    let acme = org(&app, "links@acme.example", "Acme").await;
    let developer = role_id(&acme, "Developer").to_string();
    let mut browser = as_admin(&app, &acme);
    let posted = post_form(
        &mut browser,
        "invitations/create",
        &[("contact", "grace@example.com"), ("role_id", &developer)],
        INVITATIONS,
    )
    .await;
    assert!(
        (302..=303).contains(&posted.status),
        "{} {}",
        posted.status,
        posted.body
    );
    assert!(
        !posted
            .header("location")
            .unwrap_or_default()
            .contains("/invite/")
    );
    assert_eq!(notice_cookies(&posted).len(), 1);
    // Taken to another session (the same admin, signed in elsewhere), the
    // cookie says nothing: it is signed under this one.
    let stolen = browser
        .jar
        .iter()
        .find(|(n, _)| n == "keyhouse_notice")
        .cloned()
        .expect("the notice cookie");
    let mut other = signed_in(&app, "links@acme.example").await;
    other.jar.push(stolen);
    let elsewhere = other.get(INVITATIONS).await;
    assert_eq!(elsewhere.status, 200);
    assert!(!elsewhere.body.contains(r#"data-testid="invitation-link""#));

    let page = browser.get(INVITATIONS).await;
    assert!(page.body.contains(r#"data-testid="invitation-link""#));
    let link = page
        .body
        .split("http://keyhouse.test/invite/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the link, whole");
    assert_eq!(link.len(), 43, "{link}");
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let again = browser.get(INVITATIONS).await;
    assert!(
        !again.body.contains(r#"data-testid="invitation-link""#),
        "shown once"
    );

    // A cookie planted by someone else opens nothing and links nowhere, even
    // a well-formed one naming a real-looking invitation.
    for planted in [
        "invitation:https://evil.example/invite/x",
        "invitation:/invite/<b>",
        "invitation:/invite/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA|99999999999|forged",
        "invitation:/invite/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        browser.jar.push(("keyhouse_notice".into(), planted.into()));
        let page = browser.get(INVITATIONS).await;
        assert!(
            !page.body.contains(r#"data-testid="invitation-link""#),
            "{planted}"
        );
        assert!(!page.body.contains("evil.example"));
    }
}
