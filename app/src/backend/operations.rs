//! Every operation either front door performs, in one list. Each is
//! declared beside its service; the permission matrix test walks this list
//! against every registered server function and every documented `/api/v1`
//! route, so an operation missing here fails that test.
use crate::backend::auth::operation::Operation;
use crate::backend::services::{
    accounts, api_keys, audit_log, decoys, integrations, invitations, key_bulk, key_check,
    key_policy, key_transfer, leaks, org_slugs, roles, user_tokens, users, webhooks,
};

pub const ALL: &[Operation] = &[
    accounts::SIGN_UP_OPEN,
    accounts::REGISTER,
    accounts::SIGN_IN,
    accounts::SIGN_OUT,
    accounts::ME,
    accounts::CHANGE_PASSWORD,
    accounts::ORGANIZATIONS,
    accounts::SWITCH_ORGANIZATION,
    invitations::PREVIEW,
    invitations::ACCEPT,
    invitations::JOIN,
    invitations::CREATE,
    invitations::LIST,
    invitations::REVOKE,
    users::LIST,
    users::DETAILS,
    users::SET_STATUS,
    users::SET_ROLE,
    users::CREATE_PROGRAMMATIC,
    users::ROLE_OPTIONS,
    roles::LIST,
    roles::CREATE,
    roles::UPDATE,
    roles::DELETE,
    audit_log::LIST,
    api_keys::LIST,
    api_keys::DETAILS,
    api_keys::SET_ENABLED,
    api_keys::DELETE,
    api_keys::SET_RATE_LIMIT,
    api_keys::SET_ALLOWED_ADDRESSES,
    key_bulk::BULK,
    api_keys::END_GRACE,
    api_keys::TAKE_GENERATED,
    api_keys::NEW_FORM,
    api_keys::CREATE,
    api_keys::ROLL,
    integrations::PUBLIC_API,
    integrations::API_SETS,
    integrations::SET_PUBLIC_API,
    integrations::CREATE_API_SET,
    integrations::DELETE_API_SET,
    org_slugs::SET_SLUG,
    key_check::FORWARD_AUTH,
    key_check::ME,
    key_check::VERIFY,
    user_tokens::ISSUE,
    leaks::REPORT,
    decoys::LIST,
    decoys::CREATE,
    decoys::DELETE,
    key_policy::PAGE,
    key_policy::SAVE,
    key_policy::SHORTEN,
    key_policy::EXPIRING,
    webhooks::LIST,
    webhooks::ENDPOINT,
    webhooks::CREATE,
    webhooks::DELETE,
    webhooks::SEND_TEST,
    webhooks::RESEND,
    webhooks::TAKE_SECRET,
    key_transfer::FORM,
    key_transfer::TRANSFER,
];

/// The operation a server function endpoint (`users/list`) performs.
pub fn by_rpc(endpoint: &str) -> Option<&'static Operation> {
    ALL.iter().find(|op| op.rpc == Some(endpoint))
}

/// The operation an HTTP route (`GET /api/v1/users`) performs.
pub fn by_route(route: &str) -> Option<&'static Operation> {
    ALL.iter().find(|op| op.http.contains(&route))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_endpoints_and_routes_are_unique() {
        let mut names = HashSet::new();
        let mut rpcs = HashSet::new();
        let mut routes = HashSet::new();
        for op in ALL {
            assert!(names.insert(op.name), "{} twice", op.name);
            if let Some(rpc) = op.rpc {
                assert!(rpcs.insert(rpc), "{rpc} twice");
            }
            for route in op.http {
                assert!(routes.insert(*route), "{route} twice");
                assert!(
                    op.need.api_set.is_some()
                        || matches!(
                            op.need.caller,
                            crate::backend::auth::operation::Caller::Key
                                | crate::backend::auth::operation::Caller::Signed
                        ),
                    "{route}: an HTTP operation acting as a user names its API set"
                );
            }
            assert!(
                op.rpc.is_some() || !op.http.is_empty(),
                "{} has no door",
                op.name
            );
        }
    }
}
