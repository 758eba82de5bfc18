//! The filters of the lists both front doors serve (members, API keys, the
//! audit log), each read from its query parameters by ONE function: the
//! pages read their address with it, `/api/v1/users`, `/api/v1/keys` and
//! `/api/v1/audit-events` their query, so what one refuses the other
//! refuses too, in the same words.
//!
//! A parameter is `None` when not given. The pages' GET forms send an empty
//! value for "Any" and for a blank date, so the pages read empty as not
//! given ([`form_value`]); the API has no form, and an empty value where it
//! names a choice or a date is refused.
use std::str::FromStr;

use thiserror::Error;

use crate::model::audit::{Action, AuditFilter};
use crate::model::error::AppError;
use crate::model::keys::KeyFilter;
use crate::model::users::UserFilter;

/// A filter value the lists do not know. The text is what the HTTP API has
/// always answered (`bad_request`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum FilterError {
    #[error("status must be active or inactive.")]
    Status,
    #[error("kind must be human or programmatic.")]
    Kind,
    #[error("scope must be mine or all.")]
    Scope,
    #[error("unknown action")]
    Action,
    /// `from` or `to` given, but empty.
    #[error("from and to are dates: YYYY-MM-DD.")]
    EmptyDate,
    /// Names the parameter, `from` or `to`.
    #[error("{0}: expected YYYY-MM-DD")]
    Date(&'static str),
}

impl From<FilterError> for AppError {
    fn from(err: FilterError) -> Self {
        AppError::BadRequest(err.to_string())
    }
}

/// A parameter as the pages' GET forms send it: empty is not given.
pub fn form_value(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// `None`, or the value `text` names.
fn choice<T: FromStr>(text: Option<&str>, unknown: FilterError) -> Result<Option<T>, FilterError> {
    text.map(|t| t.parse().map_err(|_| unknown)).transpose()
}

/// A day that exists, written year-month-day as the audit filters have
/// always taken it (`2026-01-05`, also `2026-1-5` and `+2026-01-05`: what
/// `chrono`'s `%Y-%m-%d` accepted before the filters were checked here).
fn is_date(text: &str) -> bool {
    let number = |digits: &str, widths: std::ops::RangeInclusive<usize>| {
        (widths.contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse::<u32>().ok())
            .flatten()
    };
    let text = text.trim();
    let mut parts = text.strip_prefix('+').unwrap_or(text).split('-');
    let (Some(year), Some(month), Some(day), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Some(year), Some(month), Some(day)) = (
        number(year, 1..=4),
        number(month, 1..=2),
        number(day, 1..=2),
    ) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

impl UserFilter {
    /// `search` is any text; `status` and `kind`, when given, one of theirs.
    /// The first page.
    pub fn parse(
        search: Option<&str>,
        status: Option<&str>,
        kind: Option<&str>,
    ) -> Result<Self, FilterError> {
        Ok(UserFilter {
            search: search.unwrap_or_default().to_owned(),
            status: choice(status, FilterError::Status)?,
            kind: choice(kind, FilterError::Kind)?,
            page: 1,
        })
    }
}

impl KeyFilter {
    /// `scope`, when given, `mine` (the default) or `all`; `owner` is any
    /// username. The first page.
    pub fn parse(scope: Option<&str>, owner: Option<&str>) -> Result<Self, FilterError> {
        Ok(KeyFilter {
            scope: choice(scope, FilterError::Scope)?.unwrap_or_default(),
            owner: owner.unwrap_or_default().to_owned(),
            page: 1,
        })
    }
}

impl AuditFilter {
    /// `actor` is any username; `action` empty or one the log records;
    /// `from` and `to`, when given, dates. The first page.
    pub fn parse(
        actor: Option<&str>,
        action: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Self, FilterError> {
        if [from, to].contains(&Some("")) {
            return Err(FilterError::EmptyDate);
        }
        let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
        let filter = AuditFilter {
            actor: text(actor),
            action: text(action),
            from: text(from),
            to: text(to),
            page: 1,
        };
        filter.validate()?;
        Ok(filter)
    }

    /// What [`AuditFilter::parse`] checks of a filter that arrives whole
    /// (from a page, through its server function), where empty is "any".
    pub fn validate(&self) -> Result<(), FilterError> {
        if !self.action.is_empty() && self.action.parse::<Action>().is_err() {
            return Err(FilterError::Action);
        }
        for (name, value) in [("from", &self.from), ("to", &self.to)] {
            let value = value.trim();
            if !value.is_empty() && !is_date(value) {
                return Err(FilterError::Date(name));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{FilterError, form_value, is_date};
    use crate::model::audit::AuditFilter;
    use crate::model::keys::{KeyFilter, KeyScope};
    use crate::model::users::{UserFilter, UserKind, UserStatus};

    #[test]
    fn choices_are_absent_or_known() {
        let users = UserFilter::parse(Some("bot"), Some("active"), Some("programmatic"));
        assert_eq!(
            users.map(|f| (f.search, f.status, f.kind)),
            Ok((
                "bot".into(),
                Some(UserStatus::Active),
                Some(UserKind::Programmatic)
            ))
        );
        assert_eq!(
            UserFilter::parse(None, None, None),
            Ok(UserFilter {
                page: 1,
                ..UserFilter::default()
            })
        );
        assert_eq!(
            UserFilter::parse(None, Some("gone"), None),
            Err(FilterError::Status)
        );
        assert_eq!(
            UserFilter::parse(None, Some(""), None),
            Err(FilterError::Status)
        );
        assert_eq!(
            UserFilter::parse(None, None, Some("robot")),
            Err(FilterError::Kind)
        );
        assert_eq!(
            KeyFilter::parse(None, None).map(|f| f.scope),
            Ok(KeyScope::Mine)
        );
        assert_eq!(
            KeyFilter::parse(Some("all"), Some("dev")).map(|f| (f.scope, f.owner)),
            Ok((KeyScope::All, "dev".into()))
        );
        for scope in ["", "everything", "ALL"] {
            assert_eq!(KeyFilter::parse(Some(scope), None), Err(FilterError::Scope));
        }
    }

    #[test]
    fn audit_filters_take_known_actions_and_real_dates() {
        let ok = AuditFilter::parse(
            Some("admin"),
            Some("key.disabled"),
            Some("2024-02-29"),
            None,
        );
        assert_eq!(ok.map(|f| f.from), Ok("2024-02-29".into()));
        assert!(
            AuditFilter::parse(None, Some(""), None, None).is_ok(),
            "empty: any action"
        );
        let refused = |action, from, to| AuditFilter::parse(None, action, from, to).err();
        assert_eq!(
            refused(Some("made.up"), None, None),
            Some(FilterError::Action)
        );
        assert_eq!(refused(None, Some(""), None), Some(FilterError::EmptyDate));
        assert_eq!(refused(None, None, Some("")), Some(FilterError::EmptyDate));
        for date in [
            "yesterday",
            "24/11/2026",
            "2023-02-29",
            "2026-13-01",
            "2026--05",
        ] {
            assert_eq!(
                refused(None, Some(date), None),
                Some(FilterError::Date("from"))
            );
            assert_eq!(
                refused(None, None, Some(date)),
                Some(FilterError::Date("to"))
            );
        }
        // A whole filter from a page: empty is "any".
        assert_eq!(AuditFilter::default().validate(), Ok(()));
    }

    #[test]
    fn dates_are_days_that_exist() {
        for date in [
            "2026-11-24",
            "2000-02-29",
            "2024-12-31",
            "0001-01-01",
            // As chrono's `%Y-%m-%d` took them before.
            "2026-1-5",
            "+2026-01-01",
            " 2026-01-05 ",
        ] {
            assert!(is_date(date), "{date}");
        }
        for date in [
            "1900-02-29",
            "2026-04-31",
            "2026-00-10",
            "2026-01-00",
            "2026-01-1x",
            "2026-01-011",
            "2026-01-05-01",
            "-2026-01-01",
        ] {
            assert!(!is_date(date), "{date}");
        }
    }

    #[test]
    fn a_form_sends_empty_for_any() {
        assert_eq!(form_value(Some(String::new())), None);
        assert_eq!(form_value(Some("all".into())), Some("all".into()));
        assert_eq!(form_value(None), None);
    }

    #[test]
    fn the_api_words_stay() {
        assert_eq!(
            FilterError::Status.to_string(),
            "status must be active or inactive."
        );
        assert_eq!(
            FilterError::Date("to").to_string(),
            "to: expected YYYY-MM-DD"
        );
    }
}
