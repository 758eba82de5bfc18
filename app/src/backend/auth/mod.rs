//! Who is signed in, and whether they may do something.
pub mod api_caller;
pub mod guard;
pub mod leak_reporters;
pub mod operation;
pub mod password;
pub mod session;
pub mod throttle;
