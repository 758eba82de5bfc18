//! The expiry e-mail: with `KEYHOUSE_SMTP_URL` set, a key's owner gets one
//! message 7 days and one 1 day before the key expires, through a real SMTP
//! server (aiosmtpd) and read back from its mailbox: never for a disabled
//! key, a programmatic user's or another organization's, never twice
//! however many rounds run at once, retried when the server fails, and
//! never with the key in it.
use std::sync::Arc;

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::common::smtp::Sink;
use crate::common::{Client, app_configured, as_admin, create_bot, org, role_id, signed_in};
use app::backend::clock::Clock;
use app::backend::entities::key_mail;
use app::backend::mail::Mailer;
use app::backend::mail::SmtpUrl;
use app::backend::services::expiry_mail_send;

/// A key expiring in 30 days; returns (id, key).
async fn key(client: &mut Client<'_>, name: &str) -> (String, String) {
    let r = client
        .call("keys/create", &[("name", name), ("expires", "30")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let json: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    (
        json["id"].as_i64().expect("id").to_string(),
        json["key"].as_str().expect("key").to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn owners_are_mailed_7_days_and_1_day_before_their_key_expires_once_each() {
    let sink = Sink::start().await;
    let url = sink.url.clone();
    let (app, clock) = app_configured(|c| c.smtp_url = Some(SmtpUrl(url))).await;
    let app = Arc::new(app);
    let state = &app.server.state;
    let mailer = state.settings.mailer.clone().expect("a mailer");
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let mut admin = as_admin(&app, &acme);
    let (_, billing) = key(&mut admin, "Billing").await;
    let (paused, _) = key(&mut admin, "Paused").await;
    let r = admin
        .call("keys/set-enabled", &[("id", &paused), ("enabled", "false")])
        .await;
    assert_eq!(r.status, 200);
    let mut stranger = as_admin(&app, &other);
    let (theirs, _) = key(&mut stranger, "Theirs").await;
    create_bot(&app, &acme, "ci-bot", role_id(&acme, "Developer")).await;
    key(&mut signed_in(&app, "ci-bot").await, "Bot key").await;

    // 23 days later (6 days 23 hours left), fifty rounds at once.
    clock.advance(Duration::days(23) + Duration::hours(1));
    let now = clock.now();
    let mut rounds = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (app, mailer) = (app.clone(), mailer.clone());
        rounds.spawn(async move { expiry_mail_send::run(&app.server.state, &mailer, now).await });
    }
    let sent: u64 = rounds
        .join_all()
        .await
        .into_iter()
        .map(|r| r.expect("round").sent)
        .sum();
    assert_eq!(sent, 2);
    let mut mail = sink.messages();
    mail.sort_by(|a, b| a.to.cmp(&b.to));
    let to: Vec<&str> = mail.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(to, ["admin@acme.example", "admin@other.example"]);
    let acme_mail = &mail[0];
    assert_eq!(
        acme_mail.subject,
        "Your API key “Billing” expires in 7 days / Twój klucz API „Billing” wygasa za 7 dni"
    );
    assert_eq!(acme_mail.from, "Keyhouse <keyhouse@localhost>");
    assert!(
        acme_mail.body.contains("in Acme expires on"),
        "{}",
        acme_mail.body
    );
    assert!(
        acme_mail.body.contains("w organizacji Acme"),
        "{}",
        acme_mail.body
    );
    assert!(mail[1].subject.contains("Theirs"), "only their own key");
    for m in &mail {
        assert!(!m.body.contains(&billing[3..]), "never a key");
    }
    // The next round has nothing new to say.
    let again = expiry_mail_send::run(state, &mailer, now)
        .await
        .expect("round");
    assert_eq!((again.written, again.sent), (0, 0));

    // 1 day left; the SMTP server is down at first: tried again later.
    clock.advance(Duration::days(6));
    let now = clock.now();
    let down = Mailer::new("smtp://127.0.0.1:9", "keyhouse@localhost").expect("mailer");
    let round = expiry_mail_send::run(state, &down, now)
        .await
        .expect("round");
    assert_eq!((round.written, round.sent, round.failed), (2, 0, 0));
    let waiting = key_mail::Entity::find()
        .filter(key_mail::Column::State.eq("pending"))
        .all(&state.db)
        .await
        .expect("mail");
    assert_eq!(waiting.len(), 2);
    assert!(
        waiting
            .iter()
            .all(|m| m.attempts == 1 && m.last_error.is_some())
    );
    let too_soon = expiry_mail_send::run(state, &mailer, now)
        .await
        .expect("round");
    assert_eq!(too_soon.sent, 0, "not before its next attempt");
    // Disabled meanwhile: nobody is told that it expires.
    let mut stranger = signed_in(&app, "admin@other.example").await;
    let r = stranger
        .call("keys/set-enabled", &[("id", &theirs), ("enabled", "false")])
        .await;
    assert_eq!(r.status, 200);
    let later = expiry_mail_send::run(state, &mailer, now + Duration::minutes(5))
        .await
        .expect("round");
    assert_eq!(later.sent, 1);
    let skipped = key_mail::Entity::find()
        .filter(key_mail::Column::State.eq("skipped"))
        .all(&state.db)
        .await
        .expect("mail");
    assert_eq!(skipped.len(), 1);
    let mail = sink.messages();
    assert_eq!(mail.len(), 3);
    assert!(
        mail.iter().any(|m| m.to == "admin@acme.example"
            && m.subject
                .starts_with("Your API key “Billing” expires within a day")),
        "{mail:?}"
    );
}
