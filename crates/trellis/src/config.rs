//! Configuration: built-in defaults, then an optional TOML file, then `TRELLIS_*` environment
//! variables, then command-line flags. A bad value is reported with its key and where it came
//! from (figment keeps the provenance of every value).

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the embedded SQLite database (and future local files) live.
    pub data_dir: PathBuf,
    /// Address to listen on; port 0 picks a free port.
    pub bind: String,
    /// `postgres://...` to run on PostgreSQL; empty for the embedded SQLite database.
    pub database_url: Option<String>,
    /// Connections to PostgreSQL, or SQLite readers.
    pub max_connections: u32,
    /// Mark the session cookie `Secure`. Browsers accept it on https and on localhost; turn it
    /// off only for plain-HTTP access over a network.
    pub secure_cookies: bool,
    /// Largest attachment, in MiB.
    pub max_attachment_mib: u32,
    /// `text` or `json` log lines.
    pub log_format: String,
    /// The address people reach Trellis at (links in notifications); default `http://<bind>`.
    pub public_url: Option<String>,
    /// SMTP server for outgoing mail: `smtp://host:25`, `smtp://user:pass@host:587?tls=required`
    /// or `smtps://host:465`. Without one, notifications are in-app only.
    pub smtp_url: Option<String>,
    /// The sender of outgoing mail.
    pub mail_from: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("data"),
            bind: "127.0.0.1:8080".into(),
            database_url: None,
            max_connections: 16,
            secure_cookies: true,
            max_attachment_mib: 10,
            log_format: "text".into(),
            public_url: None,
            smtp_url: None,
            mail_from: "Trellis <trellis@localhost>".into(),
        }
    }
}

const KEYS: &[&str] = &[
    "data_dir",
    "bind",
    "database_url",
    "max_connections",
    "secure_cookies",
    "max_attachment_mib",
    "log_format",
    "public_url",
    "smtp_url",
    "mail_from",
];

/// Values given on the command line (highest precedence).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

impl Config {
    /// Loads the configuration. `file` is the TOML file named by `--config` / `TRELLIS_CONFIG`;
    /// without one, `trellis.toml` in the working directory is read if it exists.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, String> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(f) => {
                if !f.exists() {
                    return Err(format!("configuration file {} does not exist", f.display()));
                }
                fig = fig.merge(Toml::file_exact(f));
            }
            None => fig = fig.merge(Toml::file("trellis.toml")),
        }
        fig = fig.merge(Env::prefixed("TRELLIS_").only(KEYS)).merge(Serialized::defaults(overrides));
        let mut c: Config = fig.extract().map_err(|e| {
            e.into_iter().map(|e| format!("configuration error: {e}")).collect::<Vec<_>>().join("\n")
        })?;
        for optional in [&mut c.database_url, &mut c.public_url, &mut c.smtp_url] {
            if optional.as_deref().is_some_and(str::is_empty) {
                *optional = None;
            }
        }
        c.validate()?;
        Ok(c)
    }

    fn validate(&self) -> Result<(), String> {
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(format!(
                "configuration error: log_format must be text or json, not {:?}",
                self.log_format
            ));
        }
        if self.max_connections == 0 {
            return Err("configuration error: max_connections must be at least 1".into());
        }
        if !(1..=1024).contains(&self.max_attachment_mib) {
            return Err("configuration error: max_attachment_mib must be between 1 and 1024".into());
        }
        if let Some(u) = &self.public_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            return Err(format!(
                "configuration error: public_url must start with http:// or https://, not {u:?}"
            ));
        }
        if let Some(u) = &self.smtp_url {
            trellis_mail::Mailer::new(u, &self.mail_from)
                .map_err(|e| format!("configuration error: smtp_url or mail_from: {e}"))?;
        }
        self.bind.parse::<std::net::SocketAddr>().map_err(|_| {
            format!("configuration error: bind must be an address like 127.0.0.1:8080, not {:?}", self.bind)
        })?;
        Ok(())
    }

    /// The base of links people follow.
    pub fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.bind))
    }

    /// The SMTP connection, when one is configured (checked in `validate`).
    pub fn mailer(&self) -> Option<trellis_mail::Mailer> {
        let url = self.smtp_url.as_deref()?;
        trellis_mail::Mailer::new(url, &self.mail_from).ok()
    }

    /// The database to open: the configured URL, or the SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| trellis_store::Db::sqlite_url_for(&self.data_dir))
    }
}

#[cfg(test)]
#[expect(clippy::result_large_err, reason = "figment's Jail closures return its error type")]
mod tests {
    use super::*;

    #[test]
    fn bad_values_name_the_key_and_the_source() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("TRELLIS_MAX_CONNECTIONS", "many");
            let e = Config::load(None, &Overrides::default()).expect_err("bad value accepted");
            assert!(e.to_lowercase().contains("max_connections"), "{e}");
            assert!(e.contains("TRELLIS_"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn file_then_env_then_flags() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "t.toml",
                "bind = \"127.0.0.1:9000\"\nmax_connections = 3\nlog_format = \"json\"",
            )?;
            jail.set_env("TRELLIS_MAX_CONNECTIONS", "5");
            let c = Config::load(Some(Path::new("t.toml")), &Overrides::default()).expect("loads");
            assert_eq!(
                (c.bind.as_str(), c.max_connections, c.log_format.as_str()),
                ("127.0.0.1:9000", 5, "json")
            );
            let o = Overrides { bind: Some("127.0.0.1:0".into()), ..Overrides::default() };
            let c = Config::load(Some(Path::new("t.toml")), &o).expect("loads");
            assert_eq!(c.bind, "127.0.0.1:0");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("t.toml", "bnd = \"127.0.0.1:9000\"")?;
            let e =
                Config::load(Some(Path::new("t.toml")), &Overrides::default()).expect_err("typo accepted");
            assert!(e.contains("bnd") && e.contains("t.toml"), "{e}");
            Ok(())
        });
    }
}
