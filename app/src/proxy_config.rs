//! Ready-to-paste reverse-proxy configurations that put Keyhouse's
//! forward-auth in front of any HTTP service, filled in for one
//! organization (the Public API page's "Protect a service" panel). Every
//! value that goes into them is checked first, so no input can add a line
//! or a quote to a configuration.

/// What a configuration is filled in with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// This Keyhouse instance, e.g. `http://127.0.0.1:3000`.
    pub keyhouse: String,
    /// The organization's slug.
    pub org: String,
    /// The API set a key must have; empty for any working key.
    pub require: String,
    /// The protected service, e.g. `http://127.0.0.1:8080`.
    pub upstream: String,
}

/// The address a configuration sends the protected requests to, when the
/// user has not given one.
pub const DEFAULT_UPSTREAM: &str = "http://127.0.0.1:8080";

/// Headers forward-auth answers with, handed to the protected service.
const HEADERS: [&str; 9] = [
    "X-Keyhouse-User",
    "X-Keyhouse-User-Id",
    "X-Keyhouse-Key-Owner",
    "X-Keyhouse-Key-Owner-Id",
    "X-Keyhouse-Org",
    "X-Keyhouse-Org-Id",
    "X-Keyhouse-Key",
    "X-Keyhouse-Api-Sets",
    "X-Keyhouse-Key-Expires",
];

/// An `http://` or `https://` URL of a host (name, IPv4 or `[IPv6]`), an
/// optional port and an optional plain path: nothing a configuration file
/// could read as syntax.
pub fn url_ok(value: &str) -> bool {
    let Some(rest) = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"))
    else {
        return false;
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let authority_ok = !authority.is_empty()
        && authority.len() <= 255
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    let path_ok = path.len() <= 200
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_' | b'~'));
    authority_ok && path_ok
}

/// The forward-auth URL of `target`'s organization.
pub fn auth_url(target: &Target) -> String {
    format!(
        "{}/api/v1/orgs/{}/auth",
        target.keyhouse.trim_end_matches('/'),
        target.org
    )
}

fn comment(target: &Target, mark: &str) -> String {
    let require = if target.require.is_empty() {
        String::new()
    } else {
        format!(" with the API set {}", target.require)
    };
    format!(
        "{mark} Keyhouse forward-auth: only working keys of the organization {}{require} get through.\n",
        target.org
    )
}

/// For nginx: two `location` blocks to put inside the `server` block of the
/// protected service (`auth_request`, from the standard
/// `ngx_http_auth_request_module`).
pub fn nginx(target: &Target) -> String {
    let mut out = comment(target, "#");
    out.push_str("location = /_keyhouse_auth {\n    internal;\n");
    out.push_str(&format!("    proxy_pass {};\n", auth_url(target)));
    out.push_str("    proxy_pass_request_body off;\n");
    out.push_str("    proxy_set_header Content-Length \"\";\n");
    out.push_str(&format!(
        "    proxy_set_header X-Keyhouse-Require \"{}\";\n}}\n\n",
        target.require
    ));
    out.push_str("location / {\n    auth_request /_keyhouse_auth;\n");
    for header in HEADERS {
        out.push_str(&format!(
            "    auth_request_set ${} $upstream_http_{};\n",
            variable(header),
            variable(header).replacen("keyhouse", "x_keyhouse", 1)
        ));
    }
    // Set from the answer, or removed when it has none: a client's own
    // X-Keyhouse-* headers never reach the service.
    for header in HEADERS {
        out.push_str(&format!(
            "    proxy_set_header {header} ${};\n",
            variable(header)
        ));
    }
    // The key's coming expiry (RFC 8594), to the client: nginx adds no
    // header whose value is empty.
    out.push_str("    auth_request_set $keyhouse_sunset $upstream_http_sunset;\n");
    out.push_str("    # An add_header here replaces the server block's own: repeat them here.\n");
    out.push_str("    add_header Sunset $keyhouse_sunset always;\n");
    // The key stays between the client and Keyhouse.
    out.push_str("    proxy_set_header Authorization \"\";\n");
    out.push_str("    proxy_set_header X-API-Key \"\";\n");
    out.push_str(&format!("    proxy_pass {};\n}}\n", target.upstream));
    out
}

/// `X-Keyhouse-User-Id` → `keyhouse_user_id`.
fn variable(header: &str) -> String {
    header
        .trim_start_matches("X-")
        .to_ascii_lowercase()
        .replace('-', "_")
}

/// For Caddy: a site block with `forward_auth`.
pub fn caddy(target: &Target) -> String {
    let mut out = comment(target, "#");
    out.push_str("service.example.com {\n");
    // `copy_headers` leaves a header the answer lacks as the client sent
    // it: drop them all first.
    for header in HEADERS {
        out.push_str(&format!("\trequest_header -{header}\n"));
    }
    out.push_str(&format!(
        "\tforward_auth {} {{\n",
        target.keyhouse.trim_end_matches('/')
    ));
    out.push_str(&format!("\t\turi /api/v1/orgs/{}/auth\n", target.org));
    out.push_str(&format!(
        "\t\theader_up X-Keyhouse-Require \"{}\"\n",
        target.require
    ));
    out.push_str(&format!("\t\tcopy_headers {}\n\t}}\n", HEADERS.join(" ")));
    out.push_str(&format!(
        "\treverse_proxy {} {{\n\t\theader_up -Authorization\n\t\theader_up -X-API-Key\n\t}}\n}}\n",
        target.upstream
    ));
    out
}

/// For Traefik: dynamic configuration (YAML) with a `forwardAuth`
/// middleware, after one that drops a client's own X-Keyhouse-* headers.
pub fn traefik(target: &Target) -> String {
    let mut out = comment(target, "#");
    out.push_str("http:\n  middlewares:\n    keyhouse-headers:\n      headers:\n");
    out.push_str("        customRequestHeaders:\n");
    out.push_str(&format!(
        "          X-Keyhouse-Require: \"{}\"\n",
        target.require
    ));
    for header in HEADERS {
        out.push_str(&format!("          {header}: \"\"\n"));
    }
    out.push_str("    keyhouse-strip-key:\n      headers:\n        customRequestHeaders:\n");
    out.push_str("          Authorization: \"\"\n          X-API-Key: \"\"\n");
    out.push_str("    keyhouse:\n      forwardAuth:\n");
    out.push_str(&format!("        address: \"{}\"\n", auth_url(target)));
    out.push_str("        authRequestHeaders:\n");
    for header in ["Authorization", "X-API-Key", "X-Keyhouse-Require"] {
        out.push_str(&format!("          - \"{header}\"\n"));
    }
    out.push_str("        authResponseHeaders:\n");
    for header in HEADERS {
        out.push_str(&format!("          - \"{header}\"\n"));
    }
    out.push_str("  routers:\n    service:\n");
    out.push_str("      rule: \"Host(`service.example.com`)\"\n");
    out.push_str(
        "      middlewares: [\"keyhouse-headers\", \"keyhouse\", \"keyhouse-strip-key\"]\n",
    );
    out.push_str("      service: service\n");
    out.push_str("  services:\n    service:\n      loadBalancer:\n        servers:\n");
    out.push_str(&format!("          - url: \"{}\"\n", target.upstream));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme() -> Target {
        Target {
            keyhouse: "http://127.0.0.1:3000".into(),
            org: "acme".into(),
            require: "billing".into(),
            upstream: "http://127.0.0.1:8080".into(),
        }
    }

    #[test]
    fn urls_that_could_break_a_configuration_are_refused() {
        for good in [
            "http://127.0.0.1:8080",
            "https://billing.internal",
            "http://[::1]:9000/api",
        ] {
            assert!(url_ok(good), "{good}");
        }
        for bad in [
            "",
            "127.0.0.1:8080",
            "ftp://x",
            "http://",
            "http://a b",
            "http://x;\n}",
            "http://x\"",
            "http://x/$host",
            "http://x/{y}",
        ] {
            assert!(!url_ok(bad), "{bad}");
        }
    }

    #[test]
    fn every_configuration_names_the_organization_and_the_set() {
        let t = acme();
        for text in [nginx(&t), caddy(&t), traefik(&t)] {
            assert!(text.contains("/api/v1/orgs/acme/auth"), "{text}");
            assert!(text.contains("\"billing\""), "{text}");
            assert!(text.contains("http://127.0.0.1:8080"), "{text}");
        }
        let n = nginx(&t);
        assert!(n.contains("proxy_pass http://127.0.0.1:3000/api/v1/orgs/acme/auth;"));
        assert!(n.contains("proxy_set_header X-Keyhouse-Key-Expires $keyhouse_key_expires;"));
        assert!(n.contains("add_header Sunset $keyhouse_sunset always;"));
        assert!(
            n.contains("auth_request_set $keyhouse_user_id $upstream_http_x_keyhouse_user_id;")
        );
        assert!(n.contains("proxy_set_header X-Keyhouse-User $keyhouse_user;"));
        assert_eq!(n.matches('{').count(), n.matches('}').count());
        // The key itself never reaches the service; nor a client's own
        // X-Keyhouse-* header through Caddy.
        assert!(n.contains("proxy_set_header Authorization \"\";"));
        let c = caddy(&t);
        assert!(c.contains("request_header -X-Keyhouse-Key-Owner-Id"));
        assert!(c.contains("header_up -Authorization"));
        assert_eq!(c.matches('{').count(), c.matches('}').count());
        let tr = traefik(&t);
        assert!(tr.contains("[\"keyhouse-headers\", \"keyhouse\", \"keyhouse-strip-key\"]"));
    }
}
