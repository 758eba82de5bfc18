//! An invitation revoked while someone accepts it: exactly one of the two
//! wins, never both (a revoked invitation must not let anyone in, and an
//! accepted one must not read as revoked).

use std::time::Duration;

use crate::common::{Client, GOOD_PASSWORD, app, as_admin, org, role_id};
use app::backend::entities::{invitation, membership, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

const ROUNDS: u64 = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn revoke_and_accept_in_flight_never_both_succeed() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let member = role_id(&acme, "Member").to_string();
    let mut admin = as_admin(&app, &acme);
    let (mut accepted_wins, mut revoked_wins) = (0, 0);
    for round in 0..ROUNDS {
        let contact = format!("race{round}@example.com");
        let created = admin
            .call(
                "invitations/create",
                &[("contact", &contact), ("role_id", &member)],
            )
            .await;
        assert_eq!(created.status, 200, "{}", created.body);
        let link: String = serde_json::from_str(&created.body).expect("json string");
        let token = link.strip_prefix("/invite/").expect("link").to_owned();
        let id = invitation::Entity::find()
            .filter(invitation::Column::Contact.eq(contact.as_str()))
            .one(&app.server.state.db)
            .await
            .expect("q")
            .expect("invitation")
            .id
            .to_string();

        let mut revoker = as_admin(&app, &acme);
        let mut newcomer = Client::new(&app);
        // The revocation lands at different moments of the acceptance
        // (before its checks, during its password hash, after its commit).
        let delay = Duration::from_millis((round * 23) % 160);
        let revoke = async {
            tokio::time::sleep(delay).await;
            revoker.call("invitations/revoke", &[("id", &id)]).await
        };
        let form = [
            ("token", token.as_str()),
            ("name", "Racer"),
            ("password", GOOD_PASSWORD),
            ("password_confirm", GOOD_PASSWORD),
        ];
        let accept = newcomer.call("invitations/accept", &form);
        let (revoked, accepted) = tokio::join!(revoke, accept);
        let revoked_ok = revoked.status < 400;
        let accepted_ok = accepted.status < 400;
        assert!(
            !(revoked_ok && accepted_ok),
            "round {round}: both the revocation and the acceptance succeeded"
        );
        assert!(
            revoked_ok || accepted_ok,
            "round {round}: neither succeeded: {} {} / {} {}",
            revoked.status,
            revoked.body,
            accepted.status,
            accepted.body
        );
        if accepted_ok {
            accepted_wins += 1;
            assert_eq!(revoked.status, 404, "round {round}: {}", revoked.body);
        } else {
            revoked_wins += 1;
            assert_eq!(accepted.status, 409, "round {round}: {}", accepted.body);
            assert!(accepted.body.contains("invitation_invalid"));
        }

        // What is stored agrees: used or revoked, not both; a member only
        // when used.
        let row = invitation::Entity::find()
            .filter(invitation::Column::Contact.eq(contact.as_str()))
            .one(&app.server.state.db)
            .await
            .expect("q")
            .expect("invitation");
        assert!(
            row.accepted_at.is_some() != row.revoked_at.is_some(),
            "round {round}: accepted {:?}, revoked {:?}",
            row.accepted_at,
            row.revoked_at
        );
        let joined = user::Entity::find()
            .filter(user::Column::Username.eq(contact.as_str()))
            .one(&app.server.state.db)
            .await
            .expect("q");
        assert_eq!(joined.is_some(), accepted_ok, "round {round}");
        if let Some(joined) = joined {
            assert!(
                membership::Entity::find_by_id((joined.id, acme.id))
                    .one(&app.server.state.db)
                    .await
                    .expect("q")
                    .is_some()
            );
        }
    }
    // Both outcomes happened: the rounds did race.
    assert!(
        revoked_wins > 0,
        "accepted {accepted_wins}, revoked {revoked_wins}"
    );
}
