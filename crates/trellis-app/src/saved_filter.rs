//! Saved filters: each person keeps their own named views of the incident, request and problem
//! lists. Nobody reads, uses or deletes another person's filters.

use crate::{Actor, App, AppError};
use trellis_domain::saved_filter::{self as domain, PER_LIST_MAX, SavedList};
use trellis_store::saved_filter::{self as store, SavedFilterRow};
use trellis_store::{StoreError, micros};
use uuid::Uuid;

fn owner(actor: &Actor, list: SavedList) -> Result<Uuid, AppError> {
    actor.require(list.read_action())?;
    actor.journal_id().ok_or(AppError::Forbidden)
}

/// The actor's filters of one list, by name.
pub async fn list(app: &App, actor: &Actor, list: SavedList) -> Result<Vec<SavedFilterRow>, AppError> {
    let user = owner(actor, list)?;
    Ok(store::list(&mut app.db.read(), user, Some(list.as_str())).await?)
}

/// The actor's filters of every list they may read.
pub async fn list_all(app: &App, actor: &Actor) -> Result<Vec<SavedFilterRow>, AppError> {
    let user = actor.journal_id().ok_or(AppError::Forbidden)?;
    let rows = store::list(&mut app.db.read(), user, None).await?;
    Ok(rows
        .into_iter()
        .filter(|r| SavedList::parse(&r.list).is_some_and(|l| actor.may(l.read_action())))
        .collect())
}

/// Saves a filter under a name of the actor's own. `query` must already have been checked
/// against the list's parameters (the web layer parses it exactly as the list does).
pub async fn create(
    app: &App,
    actor: &Actor,
    list: SavedList,
    name: &str,
    query: &str,
) -> Result<SavedFilterRow, AppError> {
    let user = owner(actor, list)?;
    let (name, query) = domain::validate(name, query)?;
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    if store::count(&mut c, user, list.as_str()).await? >= PER_LIST_MAX {
        return Err(AppError::conflict(
            "saved_filter.too_many",
            format!("you have {PER_LIST_MAX} saved filters of this list; delete one first"),
        ));
    }
    let row = SavedFilterRow {
        id: Uuid::now_v7(),
        user_id: user,
        list: list.as_str().into(),
        name,
        query,
        created_at: micros(app.now()),
    };
    c.execute(store::insert(&row)).await.map_err(|e| match e {
        StoreError::Unique(_) => AppError::conflict(
            "saved_filter.name_taken",
            format!("you already have a filter named “{}”", row.name),
        ),
        e => e.into(),
    })?;
    tx.commit().await?;
    Ok(row)
}

/// Deletes one of the actor's filters; another person's is not found.
pub async fn delete(app: &App, actor: &Actor, id: Uuid) -> Result<(), AppError> {
    let user = actor.journal_id().ok_or(AppError::Forbidden)?;
    let mut tx = app.db.begin().await?;
    let n = tx.conn().execute(store::delete(user, id)).await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}
