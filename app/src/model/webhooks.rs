//! Webhooks as the pages see them: the events an endpoint may ask for, an
//! endpoint, and its deliveries.
use serde::{Deserialize, Serialize};

use super::text_enum::text_enum;

text_enum! {
    /// What an endpoint may be told about; the text is the payload's
    /// `type`.
    pub enum EventType {
        KeyCreated = "key.created",
        /// 7 days and 1 day before a key expires.
        KeyExpiring = "key.expiring",
        KeyExpired = "key.expired",
        KeyDisabled = "key.disabled",
        KeyEnabled = "key.enabled",
        KeyDeleted = "key.deleted",
        KeyRolled = "key.rolled",
        KeyLeaked = "key.leaked",
        KeyDecoyUsed = "key.decoy_used",
        UserDeactivated = "user.deactivated",
        /// A departed member's key moved to another owner.
        KeyTransferred = "key.transferred",
        /// A key went over its own rate limit (at most once an hour).
        KeyRateLimited = "key.rate_limited",
    }
}

/// The type of the event "Send test event" sends (never subscribed to).
pub const TEST_EVENT: &str = "webhook.test";
/// Endpoints one organization may have.
pub const ENDPOINTS_MAX: u64 = 10;
pub const URL_MAX: usize = 2000;

text_enum! {
    /// Where one delivery stands.
    pub enum DeliveryState {
        /// Waiting for its first or next attempt.
        Pending = "pending",
        Delivered = "delivered",
        /// Every attempt failed (about 24 hours of retries).
        Failed = "failed",
    }
}

/// One endpoint in the Webhooks list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointRow {
    pub id: i64,
    pub url: String,
    pub description: String,
    pub events: Vec<EventType>,
    pub created_at: String,
    pub pending: u64,
    pub failed: u64,
}

/// One delivery in an endpoint's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub id: i64,
    /// `webhook-id`: the same on every attempt, for the receiver to skip
    /// what it has seen.
    pub message_id: String,
    pub event_type: String,
    pub state: DeliveryState,
    pub attempts: u32,
    /// The receiver's last answer, if it answered.
    pub response_status: Option<u16>,
    /// Why the last attempt failed, when it got no answer (a timeout, a
    /// refused connection, an address not allowed).
    pub last_error: Option<String>,
    pub created_at: String,
    pub last_attempt_at: Option<String>,
    pub next_attempt_at: Option<String>,
}

/// Settings → Integrations → Webhooks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhooksPage {
    pub endpoints: Vec<EndpointRow>,
    /// A fresh one-time token for the Add endpoint form: a form sent twice
    /// adds one endpoint.
    pub request_token: String,
}

/// One endpoint's page: its settings and its latest deliveries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointPage {
    pub endpoint: EndpointRow,
    pub deliveries: Vec<DeliveryRow>,
}

/// A new endpoint's signing secret, shown once (not `Debug`: no log holds
/// the secret).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEndpoint {
    pub id: i64,
    pub url: String,
    /// `whsec_` + base64 of 32 random bytes (the Standard Webhooks form).
    pub secret: String,
}
