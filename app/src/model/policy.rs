//! An organization's key policy (Settings → Integrations → Key policy) as
//! the pages see it, and the rules of its form. The dates themselves are
//! the server's (`backend::services::key_policy`): this side only says
//! which Expires choices to offer.
use serde::{Deserialize, Serialize};

use super::validation::{Field, FieldError, Problem};

/// The most days a lifetime or an unused period may be (ten years).
pub const POLICY_DAYS_MAX: u32 = 3650;
/// What the Create dialog's Expires field may start on.
pub const DEFAULT_EXPIRY_CHOICES: [&str; 5] = ["never", "30", "90", "365", "date"];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPolicy {
    /// The longest a key may live from its creation (or roll), in days.
    pub max_lifetime_days: Option<u32>,
    /// "Every key must have an expiry" as ticked (a maximum lifetime
    /// implies it anyway: see [`KeyPolicy::requires_expiry`]).
    pub expiry_required: bool,
    /// The Expires choice the Create dialog starts on.
    pub default_expiry: String,
    /// Keys unused this many days are disabled (off: `None`).
    pub disable_unused_days: Option<u32>,
    /// With a maximum lifetime: the last day (`YYYY-MM-DD`, UTC) a key
    /// made now may expire on, for the date field's `max`.
    pub latest_date: Option<String>,
    /// With a maximum lifetime: the latest a key made now may expire (RFC
    /// 3339, UTC, as key rows give theirs, so the two compare as text).
    pub latest_expiry: Option<String>,
}

impl Default for KeyPolicy {
    /// No policy: any expiry, never by default, nothing disabled.
    fn default() -> Self {
        KeyPolicy {
            max_lifetime_days: None,
            expiry_required: false,
            default_expiry: "never".to_owned(),
            disable_unused_days: None,
            latest_date: None,
            latest_expiry: None,
        }
    }
}

impl KeyPolicy {
    pub fn requires_expiry(&self) -> bool {
        self.expiry_required || self.max_lifetime_days.is_some()
    }

    /// Whether the Expires field may offer `choice` (`never`, a number of
    /// days, or `date`, which the server bounds).
    pub fn offers(&self, choice: &str) -> bool {
        match choice {
            "never" => !self.requires_expiry(),
            "date" => true,
            days => days
                .parse::<u32>()
                .is_ok_and(|d| self.max_lifetime_days.is_none_or(|max| d <= max)),
        }
    }

    /// The choice the Expires field starts on: the policy's default, or
    /// the first one it offers.
    pub fn initial_choice(&self) -> &str {
        if self.offers(&self.default_expiry) {
            &self.default_expiry
        } else {
            ["never", "30", "90", "365"]
                .into_iter()
                .find(|c| self.offers(c))
                .unwrap_or("date")
        }
    }

    /// Anything asked of keys at all.
    pub fn is_set(&self) -> bool {
        self.requires_expiry() || self.disable_unused_days.is_some()
    }
}

/// What the Key policy form sends.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyForm {
    pub max_lifetime_days: String,
    pub expiry_required: bool,
    pub default_expiry: String,
    pub disable_unused_days: String,
}

fn days(text: &str) -> Result<Option<u32>, Problem> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(n) if (1..=POLICY_DAYS_MAX).contains(&n) => Ok(Some(n)),
        _ => Err(Problem::DaysOutOfRange),
    }
}

impl PolicyForm {
    /// The policy it asks for, or every field's problem.
    pub fn parse(&self) -> Result<KeyPolicy, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut problem = |field, problem| errors.push(FieldError { field, problem });
        let max = days(&self.max_lifetime_days)
            .map_err(|p| problem(Field::MaxLifetime, p))
            .ok();
        let unused = days(&self.disable_unused_days)
            .map_err(|p| problem(Field::DisableUnused, p))
            .ok();
        let default = self.default_expiry.trim();
        let default = if default.is_empty() { "never" } else { default };
        if !DEFAULT_EXPIRY_CHOICES.contains(&default) {
            problem(Field::DefaultExpiry, Problem::BeyondPolicy);
        }
        let (Some(max), Some(unused)) = (max, unused) else {
            return Err(errors);
        };
        let policy = KeyPolicy {
            max_lifetime_days: max,
            expiry_required: self.expiry_required,
            default_expiry: default.to_owned(),
            disable_unused_days: unused,
            latest_date: None,
            latest_expiry: None,
        };
        let default_allowed = policy.offers(default);
        if errors.is_empty() && !default_allowed {
            errors.push(FieldError {
                field: Field::DefaultExpiry,
                problem: Problem::BeyondPolicy,
            });
        }
        if errors.is_empty() {
            Ok(policy)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(max: &str, required: bool, default: &str, unused: &str) -> PolicyForm {
        PolicyForm {
            max_lifetime_days: max.to_owned(),
            expiry_required: required,
            default_expiry: default.to_owned(),
            disable_unused_days: unused.to_owned(),
        }
    }

    #[test]
    fn a_maximum_lifetime_offers_only_what_fits_and_requires_an_expiry() {
        let p = form("60", false, "30", "").parse().expect("valid");
        assert!(
            p.requires_expiry() && !p.expiry_required,
            "implied, not ticked"
        );
        let offered: Vec<&str> = ["never", "30", "90", "365", "date"]
            .into_iter()
            .filter(|c| p.offers(c))
            .collect();
        assert_eq!(offered, ["30", "date"]);
        assert_eq!(p.initial_choice(), "30");
        let none = KeyPolicy::default();
        assert!(
            ["never", "30", "90", "365", "date"]
                .iter()
                .all(|c| none.offers(c))
        );
        assert!(!none.is_set());
        let required = form("", true, "90", "").parse().expect("valid");
        assert!(!required.offers("never") && required.offers("365"));
    }

    #[test]
    fn bad_forms_name_each_field() {
        let err = form("0", false, "never", "3651")
            .parse()
            .expect_err("refused");
        assert_eq!(
            err,
            [
                FieldError {
                    field: Field::MaxLifetime,
                    problem: Problem::DaysOutOfRange
                },
                FieldError {
                    field: Field::DisableUnused,
                    problem: Problem::DaysOutOfRange
                },
            ]
        );
        let err = form("30", false, "90", "").parse().expect_err("refused");
        assert_eq!(err[0].problem, Problem::BeyondPolicy);
        let err = form("30", false, "never", "").parse().expect_err("refused");
        assert_eq!(err[0].field, Field::DefaultExpiry);
        assert!(form(" 3650 ", false, "365", " 1 ").parse().is_ok());
        assert!(form("ten", false, "never", "").parse().is_err());
        assert!(form("", false, "7", "").parse().is_err());
        // Under 30 days only a date fits: it may be the default.
        assert_eq!(
            form("7", false, "date", "")
                .parse()
                .map(|p| p.initial_choice().to_owned()),
            Ok("date".to_owned())
        );
    }
}

/// A key that would outlive the policy from today (no expiry, or a later
/// one than a key made now may have).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeyondKey {
    pub id: i64,
    pub name: String,
    pub owner: String,
    /// RFC 3339; `None`: never expires.
    pub expires_at: Option<String>,
}

/// Settings → Integrations → Key policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPolicyPage {
    pub policy: KeyPolicy,
    /// Manage Integrations: may change the policy.
    pub may_change: bool,
    /// Manage Integrations and Manage All API Keys: sees the keys beyond
    /// the policy by name, and may shorten them.
    pub may_shorten: bool,
    /// The keys beyond the policy (the first [`BEYOND_SHOWN`]), only for
    /// those who may shorten them; `beyond_total` for Manage Integrations.
    pub beyond: Vec<BeyondKey>,
    pub beyond_total: u64,
}

/// How many keys beyond the policy the page names.
pub const BEYOND_SHOWN: u64 = 100;
