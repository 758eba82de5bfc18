//! The notice a form post left for the page being rendered
//! ([`crate::model::notice`]). Pages are rendered on the server only.
use crate::model::notice::Notice;

/// Taken once: the page that shows it clears it.
pub fn take() -> Option<Notice> {
    #[cfg(feature = "ssr")]
    {
        super::support::take_notice()
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// Marks the page as not to be stored by any cache: it shows a secret once
/// (the invitation link).
pub fn no_store() {
    #[cfg(feature = "ssr")]
    super::support::no_store();
}
