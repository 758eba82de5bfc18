//! What a page says once after a form of it succeeded ("Rate limit
//! saved.", the invitation link). A form post is answered with a redirect,
//! so the outcome travels to the page it leads to in a short-lived cookie
//! (`HttpOnly`, `SameSite=Strict`, one minute), taken by that page's render.
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Notice {
    RoleSaved,
    PasswordChanged,
    RateLimitSaved,
    AllowedAddressesSaved,
    GraceEnded,
    ApiSetCreated,
    KeyPolicySaved,
    KeysShortened,
    TestEventQueued,
    SentAgain,
    KeysTransferred,
    /// The new invitation's path, `/invite/<token>`: shown once.
    InvitationCreated(String),
}

const INVITATION: &str = "invitation:";

impl Notice {
    /// The cookie's value: a word, or the invitation's path.
    pub fn encode(&self) -> String {
        match self {
            Notice::RoleSaved => "role_saved".into(),
            Notice::PasswordChanged => "password_changed".into(),
            Notice::RateLimitSaved => "rate_limit_saved".into(),
            Notice::AllowedAddressesSaved => "allowed_addresses_saved".into(),
            Notice::GraceEnded => "grace_ended".into(),
            Notice::ApiSetCreated => "api_set_created".into(),
            Notice::KeyPolicySaved => "key_policy_saved".into(),
            Notice::KeysShortened => "keys_shortened".into(),
            Notice::TestEventQueued => "test_event_queued".into(),
            Notice::SentAgain => "sent_again".into(),
            Notice::KeysTransferred => "keys_transferred".into(),
            Notice::InvitationCreated(path) => format!("{INVITATION}{path}"),
        }
    }

    /// The notice a cookie's value names; anything else (a value of another
    /// version, a planted one) is none.
    pub fn decode(value: &str) -> Option<Notice> {
        Some(match value {
            "role_saved" => Notice::RoleSaved,
            "password_changed" => Notice::PasswordChanged,
            "rate_limit_saved" => Notice::RateLimitSaved,
            "allowed_addresses_saved" => Notice::AllowedAddressesSaved,
            "grace_ended" => Notice::GraceEnded,
            "api_set_created" => Notice::ApiSetCreated,
            "key_policy_saved" => Notice::KeyPolicySaved,
            "keys_shortened" => Notice::KeysShortened,
            "test_event_queued" => Notice::TestEventQueued,
            "sent_again" => Notice::SentAgain,
            "keys_transferred" => Notice::KeysTransferred,
            _ => {
                let path = value.strip_prefix(INVITATION)?;
                let token = path.strip_prefix("/invite/")?;
                let token_ok = !token.is_empty()
                    && token.len() <= 64
                    && token
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                return token_ok.then(|| Notice::InvitationCreated(path.to_owned()));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Notice;

    #[test]
    fn notices_survive_the_cookie_and_nothing_else_is_read() {
        for notice in [
            Notice::RoleSaved,
            Notice::PasswordChanged,
            Notice::RateLimitSaved,
            Notice::AllowedAddressesSaved,
            Notice::GraceEnded,
            Notice::ApiSetCreated,
            Notice::KeyPolicySaved,
            Notice::KeysShortened,
            Notice::TestEventQueued,
            Notice::SentAgain,
            Notice::KeysTransferred,
            Notice::InvitationCreated("/invite/AbC_-09".into()),
        ] {
            assert_eq!(Notice::decode(&notice.encode()), Some(notice));
        }
        for planted in [
            "",
            "saved",
            "invitation:",
            "invitation:/invite/",
            "invitation:https://evil.example/invite/x",
            "invitation:/invite/a b",
            "invitation:/invite/<script>",
        ] {
            assert_eq!(Notice::decode(planted), None, "{planted}");
        }
    }
}
