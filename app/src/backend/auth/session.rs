//! The signed-in user as the session holds it, and the checks that end a
//! session: idle timeout, absolute timeout, deactivated user, lost membership,
//! credentials changed since sign-in.
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::backend::entities::{membership, organization, role, role_authority, user};
use crate::backend::session_store::SESSION_AUTH_KEY;
use crate::backend::state::AppState;
use crate::model::auth::OrgChoice;
use crate::model::authz::Authority;
use crate::model::error::AppError;
use crate::model::users::UserStatus;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// Stored in the session under [`SESSION_AUTH_KEY`]. Times are Unix seconds
/// of the application clock.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionAuth {
    pub user_id: i64,
    pub org_id: i64,
    pub signed_in_at: i64,
    pub last_seen_at: i64,
    /// The user's `credential_version` at sign-in; a session holding an
    /// older one has ended (sessions from before the field hold 0).
    #[serde(default)]
    pub credential_version: i64,
}

impl SessionAuth {
    /// Signed in just now as `user`, acting in `org_id`.
    pub fn new(user: &user::Model, org_id: i64, now: chrono::DateTime<chrono::Utc>) -> Self {
        let at = now.timestamp();
        SessionAuth {
            user_id: user.id,
            org_id,
            signed_in_at: at,
            last_seen_at: at,
            credential_version: user.credential_version,
        }
    }
}

/// A signed-in user acting in one organization. Server-side only.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: user::Model,
    /// The user's (active) membership in `organization`.
    pub membership: membership::Model,
    pub organization: organization::Model,
    pub role: role::Model,
    pub authorities: Vec<Authority>,
    /// Every organization where the user is an active member (this one
    /// too), oldest membership first: the user menu's choices.
    pub organizations: Vec<OrgChoice>,
    pub session_id: Option<tower_sessions::session::Id>,
}

impl Principal {
    pub fn may(&self, authority: Authority) -> bool {
        self.authorities.contains(&authority)
    }
}

/// Starts a signed-in session: a new session id (no fixation), then the user.
pub async fn start(session: &Session, auth: &SessionAuth) -> Result<(), AppError> {
    session.cycle_id().await.map_err(AppError::internal)?;
    session
        .insert(SESSION_AUTH_KEY, auth)
        .await
        .map_err(AppError::internal)
}

/// Gives this session the user's new credential version (after this very
/// session changed the password), so it stays signed in.
pub async fn renew_credentials(session: &Session, version: i64) -> Result<(), AppError> {
    let Some(mut auth) = session
        .get::<SessionAuth>(SESSION_AUTH_KEY)
        .await
        .map_err(AppError::internal)?
    else {
        return Ok(());
    };
    auth.credential_version = version;
    session
        .insert(SESSION_AUTH_KEY, &auth)
        .await
        .map_err(AppError::internal)
}

/// Ends the session and deletes it from the store.
pub async fn end(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(AppError::internal)
}

/// Only touch the session (a store write) when it has been idle this long.
const TOUCH_AFTER_SECONDS: i64 = 60;

/// The principal of this session, or `None` when nobody is signed in or the
/// session has just been ended by one of the rules.
pub async fn principal(state: &AppState, session: &Session) -> Result<Option<Principal>, AppError> {
    let Some(mut auth) = session
        .get::<SessionAuth>(SESSION_AUTH_KEY)
        .await
        .map_err(AppError::internal)?
    else {
        return Ok(None);
    };
    let now = state.clock.now().timestamp();
    let settings = &state.settings;
    let idle = now - auth.last_seen_at > settings.session_idle.num_seconds();
    let absolute = now - auth.signed_in_at > settings.session_absolute.num_seconds();
    if idle || absolute {
        end(session).await?;
        return Ok(None);
    }
    let Some(principal) = load_once(state, auth.user_id, auth.org_id).await? else {
        end(session).await?;
        return Ok(None);
    };
    // A password change raised the version: this session started before it.
    if principal.user.credential_version != auth.credential_version {
        end(session).await?;
        return Ok(None);
    }
    if now - auth.last_seen_at >= TOUCH_AFTER_SECONDS {
        auth.last_seen_at = now;
        session
            .insert(SESSION_AUTH_KEY, &auth)
            .await
            .map_err(AppError::internal)?;
    }
    Ok(Some(Principal {
        session_id: session.id(),
        ..principal
    }))
}

/// One load of the principal per request: a page asks through several of
/// its parts (the top bar, the key list, the Public API state), each with
/// the same session. Provided for each request by the server's router;
/// without it every call loads afresh.
#[derive(Clone, Default)]
pub struct RequestPrincipal(std::sync::Arc<tokio::sync::OnceCell<Loaded>>);

/// `(user id, organization id)` and what [`load`] found for them.
type Loaded = ((i64, i64), Option<Principal>);

/// [`load`], remembered for the rest of this request (for the same user and
/// organization only).
async fn load_once(
    state: &AppState,
    user_id: i64,
    org_id: i64,
) -> Result<Option<Principal>, AppError> {
    let Some(RequestPrincipal(cell)) = leptos::prelude::use_context::<RequestPrincipal>() else {
        return load(state, user_id, org_id).await;
    };
    let (key, principal) = cell
        .get_or_try_init(|| async {
            load(state, user_id, org_id)
                .await
                .map(|p| ((user_id, org_id), p))
        })
        .await?;
    if *key == (user_id, org_id) {
        Ok(principal.clone())
    } else {
        load(state, user_id, org_id).await
    }
}

/// The user in that organization, if the user is active and still a member.
pub async fn load(
    state: &AppState,
    user_id: i64,
    org_id: i64,
) -> Result<Option<Principal>, AppError> {
    let db = &state.db;
    // The user's active memberships with the user, organization and role in
    // one statement (a page asks for this on every request): the one in
    // `org_id` is the principal's, all of them are the user menu's choices.
    let found = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::Status.eq(UserStatus::Active))
        .order_by_asc(membership::Column::CreatedAt)
        .order_by_asc(membership::Column::OrganizationId)
        .find_also_related(user::Entity)
        .find_also(membership::Entity, organization::Entity)
        .find_also(membership::Entity, role::Entity)
        .all(db)
        .await?;
    let organizations = found
        .iter()
        .filter_map(|(_, _, organization, _)| organization.as_ref())
        .map(|o| OrgChoice {
            id: o.id,
            name: o.name.clone(),
            current: o.id == org_id,
        })
        .collect();
    let current = found
        .into_iter()
        .find(|(m, ..)| m.organization_id == org_id);
    let Some((membership, Some(user), Some(organization), Some(role))) = current else {
        return Ok(None);
    };
    if user.status != UserStatus::Active {
        return Ok(None);
    }
    let authorities = role_authority::Entity::find()
        .filter(role_authority::Column::RoleId.eq(role.id))
        .all(db)
        .await?
        .iter()
        .filter_map(|ra| Authority::parse(&ra.authority))
        .collect();
    Ok(Some(Principal {
        user,
        membership,
        organization,
        role,
        authorities,
        organizations,
        session_id: None,
    }))
}
