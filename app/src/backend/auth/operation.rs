//! What each operation needs, declared ONCE beside its service and read by
//! both front doors (the pages' server functions and the `/api/v1`
//! handlers) and by the permission matrix test. A new operation is one
//! constant here-and-there plus a line in [`crate::backend::operations::ALL`];
//! the matrix fails for any server function or HTTP route not in that list.
use crate::model::authz::Authority;

/// Who may start the operation at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// Anyone, signed in or not (sign-up, sign-in, invitation links).
    Anyone,
    /// Any signed-in member (about themselves: their keys, their password).
    Member,
    /// A member whose role holds the authority (a request through the HTTP
    /// API: the acting user, whose authorities a user token narrows to those
    /// both the user and the key's owner hold).
    Holding(Authority),
    /// Any working key of the organization, acting as nobody (the key
    /// checks: forward-auth, `/me`); never a browser session.
    Key,
    /// A secret scanner whose signature over the request verifies with a
    /// public key the operator configured (`KEYHOUSE_LEAK_REPORT_KEYS`);
    /// no key, no session.
    Signed,
}

/// What an operation needs: a kind of caller and, through the HTTP API, an
/// API set on the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Need {
    pub caller: Caller,
    pub api_set: Option<&'static str>,
}

impl Need {
    pub const fn anyone() -> Need {
        Need {
            caller: Caller::Anyone,
            api_set: None,
        }
    }

    pub const fn member() -> Need {
        Need {
            caller: Caller::Member,
            api_set: None,
        }
    }

    pub const fn authority(authority: Authority) -> Need {
        Need {
            caller: Caller::Holding(authority),
            api_set: None,
        }
    }

    pub const fn key() -> Need {
        Need {
            caller: Caller::Key,
            api_set: None,
        }
    }

    pub const fn signed() -> Need {
        Need {
            caller: Caller::Signed,
            api_set: None,
        }
    }

    /// Through the HTTP API, the key must carry this API set.
    pub const fn api_set(self, slug: &'static str) -> Need {
        Need {
            api_set: Some(slug),
            ..self
        }
    }

    /// The authority the acting user must hold, if any.
    pub const fn authority_needed(self) -> Option<Authority> {
        match self.caller {
            Caller::Holding(authority) => Some(authority),
            _ => None,
        }
    }
}

/// One operation and the doors it is reachable through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    /// A stable name for logs and reports (`users.set_status`).
    pub name: &'static str,
    pub need: Need,
    /// The server function's endpoint under `/rpc/` (as in its
    /// `#[server(endpoint = …)]`), if the pages call it.
    pub rpc: Option<&'static str>,
    /// The HTTP API routes (`METHOD /api/v1/…`, axum's path syntax) that
    /// perform it.
    pub http: &'static [&'static str],
}

impl Operation {
    pub const fn new(name: &'static str, need: Need) -> Operation {
        Operation {
            name,
            need,
            rpc: None,
            http: &[],
        }
    }

    pub const fn rpc(self, endpoint: &'static str) -> Operation {
        Operation {
            rpc: Some(endpoint),
            ..self
        }
    }

    pub const fn http(self, routes: &'static [&'static str]) -> Operation {
        Operation {
            http: routes,
            ..self
        }
    }
}
