//! Decoy keys: list, create (shown once, like any key), delete.
use leptos::prelude::*;

use crate::model::error::AppError;
use crate::model::keys::{DecoyRow, GeneratedKey};

#[server(prefix = "/rpc", endpoint = "decoys/list")]
pub async fn list_decoys() -> Result<Vec<DecoyRow>, AppError> {
    use super::support::call;
    use crate::backend::services::decoys;
    call(decoys::LIST, move |c| async move {
        decoys::list(&c.state, &c.who).await
    })
    .await
}

/// "Create decoy key": answered like Create API key (the key once, or a
/// redirect to `back`, which shows it once).
#[server(prefix = "/rpc", endpoint = "decoys/create")]
pub async fn create_decoy(
    name: String,
    #[server(default)] description: String,
    #[server(default)] back: String,
) -> Result<Option<GeneratedKey>, AppError> {
    use super::keys::{delivery, hand_over};
    use super::support::{call, no_store};
    use crate::backend::services::decoys;
    call(decoys::CREATE, move |c| async move {
        let delivery = delivery(&back);
        let issued =
            decoys::create(&c.state, &c.who, &name, &description, &c.meta, delivery).await?;
        Ok(hand_over(&c.state, issued, &back))
    })
    .await
    .inspect(|_| no_store())
}

#[server(prefix = "/rpc", endpoint = "decoys/delete")]
pub async fn delete_decoy(id: i64, #[server(default)] back: String) -> Result<(), AppError> {
    use super::keys::redirect_back;
    use super::support::call;
    use crate::backend::services::decoys;
    call(decoys::DELETE, move |c| async move {
        decoys::delete(&c.state, &c.who, id, &c.meta).await?;
        redirect_back(&back);
        Ok(())
    })
    .await
}
