//! Input rules for the account forms, shared by server (which decides) and
//! browser (which warns early). Problems are codes; the UI translates them.
use serde::{Deserialize, Serialize};

pub const NAME_MAX: usize = 100;
pub const EMAIL_MAX: usize = 254;
pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    Name,
    Email,
    Password,
    PasswordConfirm,
    LocationName,
    CurrentPassword,
    Contact,
    Username,
    Role,
    Description,
    ApiSets,
    Expires,
    Slug,
    RateLimit,
    AllowedAddresses,
    MaxLifetime,
    DefaultExpiry,
    DisableUnused,
    Url,
    Events,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Problem {
    Required,
    TooLong,
    ControlCharacters,
    InvalidEmail,
    EmailTaken,
    PasswordTooShort,
    PasswordTooLong,
    PasswordTooCommon,
    PasswordMismatch,
    InvalidUsername,
    UsernameTaken,
    NameTaken,
    WrongPassword,
    InvalidPhone,
    InvalidDate,
    ExpiryInPast,
    UnknownApiSet,
    InvalidSlug,
    SlugTaken,
    OutOfRange,
    /// Not an IPv4 or IPv6 address or range in CIDR form.
    InvalidAddress,
    /// A range written with an address inside it, not its first.
    HostBitsSet,
    TooManyAddresses,
    /// A number of days outside 1 to 3,650.
    DaysOutOfRange,
    /// The organization's key policy requires an expiry.
    ExpiryRequired,
    /// Longer than the organization's key policy allows.
    BeyondPolicy,
    /// Not an `http` or `https` URL with a host (and no credentials).
    InvalidUrl,
    /// The URL's host does not resolve.
    UnresolvableHost,
    /// The URL's host resolves to a loopback, private or reserved address.
    PrivateAddress,
    /// Not an active member whose role holds Manage User API Key.
    CannotHoldKeys,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: Field,
    pub problem: Problem,
}

/// A short piece of text such as a name: required, at most `max` characters,
/// no control characters. Returns the trimmed value.
pub fn short_text(value: &str, max: usize) -> Result<String, Problem> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Problem::Required);
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Problem::ControlCharacters);
    }
    if trimmed.chars().count() > max {
        return Err(Problem::TooLong);
    }
    Ok(trimmed.to_owned())
}

/// An e-mail address, lower-cased: one `@`, a non-empty local part, a domain
/// with a dot, no spaces or control characters, at most 254 characters.
pub fn email(value: &str) -> Result<String, Problem> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Problem::Required);
    }
    if trimmed.chars().count() > EMAIL_MAX {
        return Err(Problem::TooLong);
    }
    if trimmed.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Problem::InvalidEmail);
    }
    let Some((local, domain)) = trimmed.split_once('@') else {
        return Err(Problem::InvalidEmail);
    };
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !domain.contains("..");
    if local.is_empty() || !domain_ok {
        return Err(Problem::InvalidEmail);
    }
    Ok(trimmed.to_lowercase())
}

/// Length rule of a new password (the common-password rule is server-side).
pub fn password_length(value: &str) -> Result<(), Problem> {
    match value.chars().count() {
        n if n < PASSWORD_MIN => Err(Problem::PasswordTooShort),
        n if n > PASSWORD_MAX => Err(Problem::PasswordTooLong),
        _ => Ok(()),
    }
}

/// Optional longer text (a description): at most `max` characters; line
/// breaks and tabs allowed, other control characters not. Returns it trimmed.
pub fn long_text(value: &str, max: usize) -> Result<String, Problem> {
    let trimmed = value.trim();
    if trimmed
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Problem::ControlCharacters);
    }
    if trimmed.chars().count() > max {
        return Err(Problem::TooLong);
    }
    Ok(trimmed.to_owned())
}

/// An API set's slug: 1–64 of `a-z 0-9 : . _ -`, starting with a letter.
pub fn slug(value: &str) -> Result<String, Problem> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Problem::Required);
    }
    let ok = value.len() <= 64
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, ':' | '.' | '_' | '-')
        });
    if ok {
        Ok(value.to_owned())
    } else {
        Err(Problem::InvalidSlug)
    }
}

/// The longest organization slug.
pub const ORG_SLUG_MAX: usize = 40;

/// An organization's public identifier (its slug): 3–40 of `a-z 0-9 -`,
/// starting and ending with a letter or digit, no two hyphens in a row —
/// safe in a URL path and in a proxy's configuration as it is.
pub fn org_slug(value: &str) -> Result<String, Problem> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Problem::Required);
    }
    let bytes = value.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let ok = (3..=ORG_SLUG_MAX).contains(&bytes.len())
        && bytes.iter().all(|b| alnum(b) || *b == b'-')
        && bytes.first().is_some_and(alnum)
        && bytes.last().is_some_and(alnum)
        && !value.contains("--");
    if ok {
        Ok(value.to_owned())
    } else {
        Err(Problem::InvalidSlug)
    }
}

/// A valid [`org_slug`] made from an organization's name: lower-case ASCII
/// letters and digits (Polish letters without their marks), anything else one
/// hyphen; `org` in front of what is too short.
pub fn org_slug_from_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'ą' => 'a',
            'ć' => 'c',
            'ę' => 'e',
            'ł' => 'l',
            'ń' => 'n',
            'ó' => 'o',
            'ś' => 's',
            'ź' | 'ż' => 'z',
            other => other,
        };
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= ORG_SLUG_MAX {
            break;
        }
    }
    let mut slug = out.trim_end_matches('-').to_owned();
    if slug.len() < 3 {
        slug = if slug.is_empty() {
            "org".to_owned()
        } else {
            format!("org-{slug}")
        };
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_rules() {
        assert_eq!(short_text("  Acme  ", 100), Ok("Acme".into()));
        assert_eq!(short_text("   ", 100), Err(Problem::Required));
        assert_eq!(short_text("a\u{0}b", 100), Err(Problem::ControlCharacters));
        assert_eq!(short_text(&"ż".repeat(100), 100), Ok("ż".repeat(100)));
        assert_eq!(short_text(&"ż".repeat(101), 100), Err(Problem::TooLong));
    }

    #[test]
    fn email_rules() {
        assert_eq!(email(" Ada@Example.COM "), Ok("ada@example.com".into()));
        for bad in [
            "ada",
            "@example.com",
            "ada@example",
            "ada@.com",
            "a da@example.com",
            "a@b@c.d",
            "ada@ex..com",
        ] {
            assert_eq!(email(bad), Err(Problem::InvalidEmail), "{bad}");
        }
        assert_eq!(email(""), Err(Problem::Required));
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(email(&long), Err(Problem::TooLong));
    }

    #[test]
    fn password_length_counts_characters() {
        assert_eq!(
            password_length("elevenchars"),
            Err(Problem::PasswordTooShort)
        );
        assert_eq!(password_length("żółćżółćżółć"), Ok(()));
        assert_eq!(
            password_length(&"x".repeat(129)),
            Err(Problem::PasswordTooLong)
        );
    }

    #[test]
    fn org_slugs() {
        assert_eq!(org_slug(" acme-eu "), Ok("acme-eu".into()));
        for bad in [
            "ab", "-acme", "acme-", "ac--me", "Acme", "acme_eu", "acmé", "a/b",
        ] {
            assert_eq!(org_slug(bad), Err(Problem::InvalidSlug), "{bad}");
        }
        assert_eq!(org_slug(&"a".repeat(41)), Err(Problem::InvalidSlug));
        assert_eq!(org_slug(""), Err(Problem::Required));
        for (name, slug) in [
            ("Acme Corp.", "acme-corp"),
            ("Łódź Żółć", "lodz-zolc"),
            ("  --  ", "org"),
            ("X", "org-x"),
            ("株式会社", "org"),
        ] {
            assert_eq!(org_slug_from_name(name), slug, "{name}");
            assert_eq!(org_slug(&org_slug_from_name(name)), Ok(slug.to_owned()));
        }
        let long = org_slug_from_name(&"word ".repeat(30));
        assert!(org_slug(&long).is_ok(), "{long}");
    }
}
