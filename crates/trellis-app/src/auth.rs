//! Logins, sessions and API tokens.
//!
//! Session ids and API tokens are 256-bit random values handed to the client once; only their
//! SHA-256 is stored, so a database leak gives no usable credential. Passwords are Argon2id,
//! hashed off the async runtime.

use crate::identity::actor_from_row;
use crate::{Actor, App, AppError};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use trellis_domain::access::Action;
use trellis_domain::journal::Channel;
use trellis_domain::validation::ValidationErrors;
use trellis_store::{auth as store, identity as users, micros};
use uuid::Uuid;

/// The visible prefix of every API token, so leaked tokens are easy to recognise and scan for.
pub const TOKEN_PREFIX: &str = "trl_";
pub const MIN_PASSWORD_LEN: usize = 12;

fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sha256(s: &str) -> Vec<u8> {
    Sha256::digest(s.as_bytes()).to_vec()
}

pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Internal(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(e.to_string()))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

async fn verify_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        // Without a stored hash, still spend the time of one verification so that response
        // times do not reveal which accounts exist.
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let stored = match hash.as_deref() {
            Some(h) => h,
            None => DUMMY.get_or_init(|| {
                let salt = SaltString::encode_b64(&[7u8; 16]).expect("16 bytes encode as a salt");
                Argon2::default()
                    .hash_password(random_secret().as_bytes(), &salt)
                    .map(|h| h.to_string())
                    .unwrap_or_default()
            }),
        };
        let ok = PasswordHash::new(stored)
            .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false);
        ok && hash.is_some()
    })
    .await
    .unwrap_or(false)
}

pub fn check_password_strength(errors: &mut ValidationErrors, field: &str, password: &str) {
    if password.chars().count() < MIN_PASSWORD_LEN {
        errors.add(field, format!("must be at least {MIN_PASSWORD_LEN} characters"));
    } else if password.len() > 1024 {
        errors.add(field, "must be at most 1024 bytes");
    }
}

/// A new session: the cookie value to hand to the browser, and who logged in.
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub actor: Actor,
}

/// Checks e-mail and password and opens a session. Failed attempts are counted per account and
/// per client address in the database, so the limit holds across several server processes.
pub async fn login(
    app: &App,
    email: &str,
    password: &str,
    ip: &str,
    user_agent: &str,
) -> Result<NewSession, AppError> {
    let email = email.trim().to_lowercase();
    let now = app.now();
    let since = micros(now - app.settings.login_window);
    let mut c = app.db.read();
    let (by_email, by_ip) = store::count_login_failures(&mut c, &email, ip, since).await?;
    if by_email >= app.settings.login_max_failures_per_account
        || by_ip >= app.settings.login_max_failures_per_ip
    {
        return Err(AppError::RateLimited);
    }
    let user = users::get_user_by_email(&mut c, &email).await?;
    let ok = verify_password(password.to_owned(), user.as_ref().and_then(|u| u.password_hash.clone())).await;
    let user = match user {
        Some(u) if ok && u.active => u,
        _ => {
            let mut tx = app.db.begin().await?;
            store::record_login_failure(&mut tx.conn(), &email, ip, micros(now)).await?;
            tx.commit().await?;
            tracing::info!(%email, %ip, "failed login");
            return Err(AppError::BadCredentials);
        }
    };
    let token = random_secret();
    let row = store::SessionRow {
        id_hash: sha256(&token),
        user_id: user.id,
        created_at: micros(now),
        last_seen_at: micros(now),
        expires_at: micros(now + app.settings.session_idle),
        user_agent: user_agent.chars().take(300).collect(),
        ip: ip.to_owned(),
        revoked_at: None,
    };
    let mut tx = app.db.begin().await?;
    store::insert_session(&mut tx.conn(), &row).await?;
    store::prune_login_failures(&mut tx.conn(), since).await?;
    tx.commit().await?;
    tracing::info!(user = %user.email, "login");
    Ok(NewSession { token, actor: actor_from_row(&user, Channel::Ui)? })
}

/// The user behind a session cookie, sliding the idle expiry at most once a minute (so that
/// ordinary page views do not each cost a write).
pub async fn session_actor(app: &App, token: &str) -> Result<Actor, AppError> {
    let now = app.now();
    let hash = sha256(token);
    let found = store::live_session(&mut app.db.read(), &hash, micros(now)).await?;
    let s = found.ok_or(AppError::Unauthenticated)?;
    if micros(now) - s.last_seen_at > 60_000_000 {
        let mut tx = app.db.begin().await?;
        store::touch_session(&mut tx.conn(), &hash, micros(now), micros(now + app.settings.session_idle))
            .await?;
        tx.commit().await?;
    }
    let mut actor = actor_from_row(&s.user, Channel::Ui)?;
    if !actor.role.is_staff() {
        actor.channel = Channel::Portal;
    }
    Ok(actor)
}

pub async fn logout(app: &App, token: &str) -> Result<(), AppError> {
    let mut tx = app.db.begin().await?;
    store::revoke_session(&mut tx.conn(), &sha256(token), micros(app.now())).await?;
    tx.commit().await?;
    Ok(())
}

/// The user behind an API token.
pub async fn token_actor(app: &App, token: &str) -> Result<Actor, AppError> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
        return Err(AppError::TokenInvalid);
    }
    let now = app.now();
    let t = store::find_token(&mut app.db.read(), &sha256(token)).await?.ok_or(AppError::TokenInvalid)?;
    if t.token_expires_at.is_some_and(|e| e <= micros(now)) {
        return Err(AppError::TokenExpired);
    }
    // Last use is recorded with a minute's resolution, so API traffic does not write per request.
    if t.token_last_used_at.is_none_or(|l| micros(now) - l > 60_000_000) {
        let mut tx = app.db.begin().await?;
        store::touch_token(&mut tx.conn(), t.token_id, micros(now)).await?;
        tx.commit().await?;
    }
    actor_from_row(&t.user, Channel::Api)
}

/// A new API token: its id and the secret, which is shown only now.
#[derive(Debug)]
pub struct NewToken {
    pub id: Uuid,
    pub name: String,
    pub token: String,
    pub expires_at: Option<jiff::Timestamp>,
}

/// Creates an API token for the actor. `expires_in` of `None` means no expiry.
pub async fn create_token(
    app: &App,
    actor: &Actor,
    name: &str,
    expires_in: Option<jiff::SignedDuration>,
) -> Result<NewToken, AppError> {
    actor.require(Action::TokenCreateOwn)?;
    let mut errors = ValidationErrors::default();
    let name = errors.required_line("name", name, 100);
    errors.into_result()?;
    let now = app.now();
    let token = format!("{TOKEN_PREFIX}{}", random_secret());
    let expires_at = expires_in.map(|d| now + d);
    let row = store::TokenRow {
        id: Uuid::now_v7(),
        user_id: actor.user_id,
        name: name.clone(),
        token_hash: sha256(&token),
        created_at: micros(now),
        last_used_at: None,
        expires_at: expires_at.map(micros),
        revoked_at: None,
    };
    let mut tx = app.db.begin().await?;
    store::insert_token(&mut tx.conn(), &row).await?;
    tx.commit().await?;
    Ok(NewToken { id: row.id, name, token, expires_at })
}

pub async fn list_tokens(app: &App, actor: &Actor) -> Result<Vec<store::TokenRow>, AppError> {
    Ok(store::list_tokens(&mut app.db.read(), actor.user_id).await?)
}

pub async fn revoke_token(app: &App, actor: &Actor, id: Uuid) -> Result<(), AppError> {
    let mut tx = app.db.begin().await?;
    let done = store::revoke_token(&mut tx.conn(), id, actor.user_id, micros(app.now())).await?;
    tx.commit().await?;
    if done { Ok(()) } else { Err(AppError::NotFound) }
}

/// Creates an API token for the user with this e-mail, on behalf of an operator at the command
/// line (who already holds the server's own credentials).
pub async fn create_token_for_email(app: &App, email: &str, name: &str) -> Result<NewToken, AppError> {
    let user = users::get_user_by_email(&mut app.db.read(), &email.trim().to_lowercase())
        .await?
        .filter(|u| u.active)
        .ok_or(AppError::NotFound)?;
    let actor = actor_from_row(&user, Channel::Cli)?;
    create_token(app, &actor, name, None).await
}

/// Signs in a user for the command line (demo loading, tools): the actor of an existing e-mail.
pub async fn actor_for_email(app: &App, email: &str, channel: Channel) -> Result<Actor, AppError> {
    let user = users::get_user_by_email(&mut app.db.read(), &email.trim().to_lowercase())
        .await?
        .ok_or(AppError::NotFound)?;
    actor_from_row(&user, channel)
}
