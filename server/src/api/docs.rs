//! The API's description: OpenAPI 3.1 generated from the handlers and their
//! types (utoipa) at `/api/v1/openapi.json`, rendered by Swagger UI at
//! `/docs` from files inside the binary (no CDN; works offline).
use app::model::audit::Action;
use axum::Router;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config, SwaggerUi};

use super::{check, leaks, manage, user_token};

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key (`kh_…`). Add `, User <user token>` to act as that user.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
        // The audit log's `action` filter takes the actions the log knows.
        if let Some(operation) = openapi
            .paths
            .paths
            .get_mut("/api/v1/audit-events")
            .and_then(|item| item.get.as_mut())
            && let Some(parameter) = operation
                .parameters
                .iter_mut()
                .flatten()
                .find(|p| p.name == "action")
        {
            let actions = std::iter::once("").chain(Action::ALL.iter().map(|a| a.as_str()));
            parameter.schema = Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(actions))
                    .into(),
            );
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Keyhouse API",
        description = "Check API keys, protect services behind a reverse proxy, and manage keys, users and the audit log with API sets as scopes. Keys go in `Authorization: Bearer <key>` or `X-API-Key`, never in the URL. Errors are `{\"error\": {\"code\", \"message\"}}`.",
        version = "1"
    ),
    paths(
        check::forward_auth,
        check::me,
        check::verify_key,
        user_token::issue,
        manage::list_keys,
        manage::get_key,
        manage::disable_key,
        manage::enable_key,
        manage::set_allowed_addresses,
        manage::delete_key,
        manage::list_users,
        manage::get_user,
        manage::deactivate_user,
        manage::activate_user,
        manage::list_audit_events,
        leaks::report,
    ),
    modifiers(&Security),
    tags(
        (name = "Key check", description = "For services that receive keys, and reverse proxies."),
        (name = "User token", description = "Act as a user through a key."),
        (name = "Keys", description = "API sets keys:read, keys:write."),
        (name = "Users", description = "API sets users:read, users:write; Manage Users."),
        (name = "Audit log", description = "API set audit:read; View Audit Log."),
        (name = "Leaks", description = "For secret scanners: report keys found in public (signed, no key)."),
    )
)]
pub struct ApiDoc;

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    // Serves the spec at the given URL too. No online validator: the page
    // would send the document's address to swagger.io (and its badge is an
    // image from there, which the page's policy refuses).
    Router::new().merge(
        SwaggerUi::new("/docs")
            .url("/api/v1/openapi.json", ApiDoc::openapi())
            .config(Config::default().validator_url("none")),
    )
}
