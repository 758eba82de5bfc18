//! Webhooks: endpoints an organization registers, events written to an
//! outbox in the transaction of their change, and a sender that signs and
//! delivers them with retries.
pub mod address;
pub mod outbox;
pub mod sender;
pub mod signing;
