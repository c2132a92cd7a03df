//! Configuration files in IMAPClient's INI format (see `docs/configuration.md`): a
//! `[DEFAULT]` section describing one account, and alternate sections that inherit from it
//! as in Python's `configparser`.
//!
//! ```
//! use imap_async::Config;
//!
//! let config = Config::from_str_with_env(
//!     "[DEFAULT]\nhost = imap.example.org\nusername = bob\npassword = sekret\n\
//!      [slow]\ntimeout = 120\n",
//!     "example.ini",
//!     |_| None,
//! )
//! .unwrap();
//! assert_eq!(config.default.port, 993);
//! assert_eq!(config.alternates["slow"].host, "imap.example.org");
//! ```

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::credentials::OAuthMechanism;
use crate::credentials::Secret;
use crate::error::Result;
#[cfg(feature = "oauth2")]
use crate::oauth::{self, RefreshParams};
use crate::options::{ConnectOptions, Security};
use crate::session::Session;

/// Every key a section may set.
pub const KEYS: &[&str] = &[
    "host",
    "username",
    "password",
    "port",
    "ssl",
    "starttls",
    "ssl_check_hostname",
    "ssl_verify_cert",
    "ssl_ca_file",
    "timeout",
    "oauth2",
    "oauth2_client_id",
    "oauth2_client_secret",
    "oauth2_refresh_token",
    "oauth2_token_url",
    "oauth2_mechanism",
    "expect_failure",
];

/// Keys whose values are secrets: never shown in errors.
const SECRET_KEYS: &[&str] = &["password", "oauth2_client_secret", "oauth2_refresh_token"];

/// Keys that may come from the environment (`IMAP_ASYNC_<KEY>` in upper case) when the
/// file does not set them.
pub const ENV_KEYS: &[&str] = &[
    "username",
    "password",
    "oauth2_client_id",
    "oauth2_client_secret",
    "oauth2_refresh_token",
];

/// The environment variable for `key`: `IMAP_ASYNC_` and the key in upper case.
///
/// ```
/// assert_eq!(imap_async::config::env_var_name("password"), "IMAP_ASYNC_PASSWORD");
/// ```
pub fn env_var_name(key: &str) -> String {
    format!("IMAP_ASYNC_{}", key.to_ascii_uppercase())
}

/// A configuration file that cannot be used. The text names the file, the section, the key
/// and (for syntax errors and bad values) the line; it never contains a secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file name, as given to the parser.
    pub file: String,
    /// The 1-based line the problem is on; `None` when it is not on one line (a missing
    /// key, an unreadable file).
    pub line: Option<usize>,
    /// The section (`DEFAULT` or an alternate's name); `None` for errors about the whole
    /// file.
    pub section: Option<String>,
    /// The key concerned; `None` for errors not about one key (syntax, unreadable file).
    pub key: Option<String>,
    /// What is wrong, for a person (never a secret value).
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(section) = &self.section {
            write!(f, ": section [{section}]")?;
        }
        if let Some(key) = &self.key {
            write!(f, ", key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

impl From<ConfigError> for crate::Error {
    fn from(e: ConfigError) -> Self {
        crate::Error::other(e)
    }
}

/// The OAuth 2.0 settings of a section with `oauth2 = true`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2Settings {
    /// `oauth2_client_id`: the OAuth client registered with the provider.
    pub client_id: String,
    /// `oauth2_client_secret` (or `IMAP_ASYNC_OAUTH2_CLIENT_SECRET`); may be empty for
    /// public clients.
    pub client_secret: Secret,
    /// `oauth2_refresh_token` (or `IMAP_ASYNC_OAUTH2_REFRESH_TOKEN`): exchanged for access
    /// tokens.
    pub refresh_token: Secret,
    /// `oauth2_token_url`, or the known URL for the host.
    pub token_url: String,
    /// `oauth2_mechanism`: `xoauth2` (the default) or `oauthbearer`.
    pub mechanism: OAuthMechanism,
}

/// One section, with `[DEFAULT]` applied and every value checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSection {
    /// The file name used in errors.
    pub file: String,
    /// `DEFAULT` or the alternate's name.
    pub name: String,
    /// `host`: the server's host name or address (required).
    pub host: String,
    /// `username`, else `IMAP_ASYNC_USERNAME`. Parsing fails without one, so a parsed
    /// section always has it.
    pub username: Option<String>,
    /// `password`, else `IMAP_ASYNC_PASSWORD`; `None` only with OAuth 2.0.
    pub password: Option<Secret>,
    /// `port`, else 993 with `ssl`, else 143.
    pub port: u16,
    /// `ssl`: TLS from the first byte (default true unless `starttls` is set).
    pub ssl: bool,
    /// `starttls`: plain TCP upgraded with STARTTLS (default false; not with `ssl`).
    pub starttls: bool,
    /// `ssl_check_hostname`: the certificate must name the host (default true).
    pub ssl_check_hostname: bool,
    /// `ssl_verify_cert`: the certificate chain must be trusted (default true).
    pub ssl_verify_cert: bool,
    /// With `~` expanded.
    pub ssl_ca_file: Option<PathBuf>,
    /// `timeout`, in seconds in the file: bounds the connection, each command and each
    /// response. `None` keeps the library's defaults.
    pub timeout: Option<Duration>,
    /// Present when `oauth2` is true.
    pub oauth2: Option<OAuth2Settings>,
    /// Alternates only: a regular expression the error of a connection with these settings
    /// must match (used by the live test suite).
    pub expect_failure: Option<String>,
}

/// A parsed configuration file: the `[DEFAULT]` section and the alternates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The `[DEFAULT]` section: the main account.
    pub default: ConfigSection,
    /// The other sections by name, each with `[DEFAULT]`'s values for what it does not set.
    pub alternates: BTreeMap<String, ConfigSection>,
}

/// Raw `key → (value, line)` of one section.
type RawSection = HashMap<String, (String, usize)>;

impl Config {
    /// Read and parse a file; secrets missing from it come from the environment. Warns (with
    /// `tracing::warn!`) when the file holds a secret and others can read it.
    ///
    /// ```no_run
    /// let config = imap_async::Config::from_file("~/.config/imap-async/live.ini")?;
    /// # Ok::<(), imap_async::Error>(())
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Config> {
        let path = expand_tilde(path.as_ref().to_string_lossy().as_ref());
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| ConfigError {
            file: name.clone(),
            line: None,
            section: None,
            key: None,
            message: format!("cannot read the file: {e}"),
        })?;
        let config = Config::from_str_with_env(&text, &name, |k| std::env::var(k).ok())?;
        warn_if_readable_by_others(&path, &text);
        Ok(config)
    }

    /// Parse `text`; `file_name` is used in errors. Secrets missing from the text come from
    /// the environment (`IMAP_ASYNC_PASSWORD`, ...).
    ///
    /// ```
    /// use imap_async::Config;
    ///
    /// let config = Config::from_str("[DEFAULT]\nhost = imap.example.org\nport = 1993\nusername = bob\npassword = sekret\n", "test.ini")?;
    /// assert_eq!(config.default.host, "imap.example.org");
    /// assert_eq!(config.default.port, 1993);
    /// # Ok::<(), imap_async::Error>(())
    /// ```
    pub fn from_str(text: &str, file_name: &str) -> Result<Config> {
        Ok(Config::from_str_with_env(text, file_name, |k| {
            std::env::var(k).ok()
        })?)
    }

    /// Parse `text`, looking up missing secrets with `env` (given names like
    /// `IMAP_ASYNC_PASSWORD`).
    ///
    /// ```
    /// use imap_async::Config;
    ///
    /// let config = Config::from_str_with_env(
    ///     "[DEFAULT]\nhost = imap.example.org\nusername = bob\n",
    ///     "test.ini",
    ///     |key| (key == "IMAP_ASYNC_PASSWORD").then(|| "from-env".to_string()),
    /// )?;
    /// assert_eq!(config.default.username.as_deref(), Some("bob"));
    /// # Ok::<(), imap_async::ConfigError>(())
    /// ```
    pub fn from_str_with_env(
        text: &str,
        file_name: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> std::result::Result<Config, ConfigError> {
        let (sections, order) = parse_ini(text, file_name)?;
        let err = |section: Option<&str>, message: String| ConfigError {
            file: file_name.to_owned(),
            line: None,
            section: section.map(str::to_owned),
            key: None,
            message,
        };
        let Some(default_raw) = sections.get("DEFAULT") else {
            return Err(err(
                None,
                "there is no [DEFAULT] section (it is required)".into(),
            ));
        };
        if let Some((_, line)) = default_raw.get("expect_failure") {
            return Err(ConfigError {
                file: file_name.to_owned(),
                line: Some(*line),
                section: Some("DEFAULT".into()),
                key: Some("expect_failure".into()),
                message: "only alternate sections may set expect_failure".into(),
            });
        }
        let default = build_section(file_name, "DEFAULT", default_raw, None, &env)?;
        let mut alternates = BTreeMap::new();
        for name in order.iter().filter(|n| *n != "DEFAULT") {
            let section = build_section(file_name, name, &sections[name], Some(default_raw), &env)?;
            alternates.insert(name.clone(), section);
        }
        Ok(Config {
            default,
            alternates,
        })
    }
}

/// Splits the text into sections with `serde_ini`'s line parser (one item per line, so
/// the line number of a syntax error is known). Keys are case-insensitive (lower-cased),
/// section names are not, as in Python's `configparser`.
fn parse_ini(
    text: &str,
    file: &str,
) -> std::result::Result<(HashMap<String, RawSection>, Vec<String>), ConfigError> {
    let mut sections: HashMap<String, RawSection> = HashMap::new();
    let mut order = Vec::new();
    let mut current: Option<String> = None;
    let lines = text.lines().map(|l| Ok::<_, Infallible>(l.trim()));
    for (i, item) in serde_ini::Parser::new(lines).enumerate() {
        let line = i + 1;
        let err = |section: Option<&String>, key: Option<&str>, message: String| ConfigError {
            file: file.to_owned(),
            line: Some(line),
            section: section.cloned(),
            key: key.map(str::to_owned),
            message,
        };
        let item = item.map_err(|e| {
            let message = match e {
                serde_ini::parse::Error::Syntax(s) => format!("syntax error: {s}"),
                serde_ini::parse::Error::Inner(never) => match never {},
            };
            err(current.as_ref(), None, message)
        })?;
        match item {
            serde_ini::Item::Empty | serde_ini::Item::Comment { .. } => {}
            serde_ini::Item::Section { name } => {
                let name = name.trim().to_owned();
                if name.is_empty() {
                    return Err(err(None, None, "empty section name".into()));
                }
                if sections.contains_key(&name) {
                    return Err(err(Some(&name), None, "section defined twice".into()));
                }
                sections.insert(name.clone(), RawSection::new());
                order.push(name.clone());
                current = Some(name);
            }
            serde_ini::Item::Value { key, value } => {
                let Some(section) = &current else {
                    return Err(err(
                        None,
                        Some(&key),
                        "a key before the first section header".into(),
                    ));
                };
                let key = key.to_ascii_lowercase();
                if key.is_empty() {
                    return Err(err(Some(section), None, "syntax error: empty key".into()));
                }
                if !KEYS.contains(&key.as_str()) {
                    let hint = nearest_key(&key)
                        .map(|k| format!("; did you mean `{k}`?"))
                        .unwrap_or_default();
                    return Err(err(Some(section), Some(&key), format!("unknown key{hint}")));
                }
                let raw = sections.get_mut(section).expect("current section exists");
                if let Some((_, first)) = raw.get(&key) {
                    return Err(err(
                        Some(section),
                        Some(&key),
                        format!("set twice (first on line {first})"),
                    ));
                }
                raw.insert(key, (value, line));
            }
        }
    }
    Ok((sections, order))
}

/// The known key closest to `key` by edit distance, when close enough to be a typo.
fn nearest_key(key: &str) -> Option<&'static str> {
    KEYS.iter()
        .map(|k| (levenshtein(key, k), *k))
        .min()
        .filter(|(d, k)| *d <= 3.max(k.len() / 3))
        .map(|(_, k)| k)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Looks values up in a section, then in `[DEFAULT]`, then (for secrets) the environment.
struct Lookup<'a, E> {
    file: &'a str,
    name: &'a str,
    own: &'a RawSection,
    default: Option<&'a RawSection>,
    env: &'a E,
}

impl<E: Fn(&str) -> Option<String>> Lookup<'_, E> {
    /// The value and its line; empty values count as absent (as in IMAPClient).
    fn raw(&self, key: &str) -> Option<(&str, usize)> {
        self.own
            .get(key)
            .or_else(|| self.default.and_then(|d| d.get(key)))
            .filter(|(v, _)| !v.is_empty())
            .map(|(v, l)| (v.as_str(), *l))
    }

    fn error(&self, key: &str, line: Option<usize>, message: String) -> ConfigError {
        ConfigError {
            file: self.file.to_owned(),
            line,
            section: Some(self.name.to_owned()),
            key: Some(key.to_owned()),
            message,
        }
    }

    fn string(&self, key: &str) -> Option<String> {
        match self.raw(key) {
            Some((v, _)) => Some(v.to_owned()),
            None if ENV_KEYS.contains(&key) => {
                (self.env)(&env_var_name(key)).filter(|v| !v.is_empty())
            }
            None => None,
        }
    }

    fn boolean(&self, key: &str, default: bool) -> std::result::Result<bool, ConfigError> {
        let Some((v, line)) = self.raw(key) else {
            return Ok(default);
        };
        match v.to_ascii_lowercase().as_str() {
            "1" | "yes" | "true" | "on" => Ok(true),
            "0" | "no" | "false" | "off" => Ok(false),
            _ => Err(self.error(
                key,
                Some(line),
                format!("{v:?} is not a boolean (use 1/yes/true/on or 0/no/false/off)"),
            )),
        }
    }

    fn shown(&self, key: &str, v: &str) -> String {
        if SECRET_KEYS.contains(&key) {
            "the value".into()
        } else {
            format!("{v:?}")
        }
    }
}

fn build_section<E: Fn(&str) -> Option<String>>(
    file: &str,
    name: &str,
    own: &RawSection,
    default: Option<&RawSection>,
    env: &E,
) -> std::result::Result<ConfigSection, ConfigError> {
    let l = Lookup {
        file,
        name,
        own,
        default,
        env,
    };
    let host = l.string("host").ok_or_else(|| {
        l.error(
            "host",
            None,
            "missing: the IMAP host name is required".into(),
        )
    })?;
    let starttls = l.boolean("starttls", false)?;
    // IMAPClient's `ssl` defaults to true; `starttls = true` alone means plain TCP upgraded
    // with STARTTLS, so `ssl` then defaults to false. Both set to true is an error.
    let ssl = l.boolean("ssl", !starttls)?;
    if ssl && starttls {
        let (_, line) = l.raw("ssl").expect("ssl was set explicitly");
        let inherited = if own.contains_key("ssl") {
            ""
        } else {
            " (ssl is inherited from [DEFAULT]; set `ssl = false` here)"
        };
        return Err(l.error(
            "starttls",
            Some(l.raw("starttls").map(|(_, n)| n).unwrap_or(line)),
            format!("ssl and starttls are both true; choose one{inherited}"),
        ));
    }
    let port = match l.raw("port") {
        None => {
            if ssl {
                993
            } else {
                143
            }
        }
        Some((v, line)) => match v.parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => {
                return Err(l.error(
                    "port",
                    Some(line),
                    format!("{} is not a port number (1 to 65535)", l.shown("port", v)),
                ));
            }
        },
    };
    let timeout = match l.raw("timeout") {
        None => None,
        Some((v, line)) => match v.parse::<f64>() {
            Ok(s) if s.is_finite() && s > 0.0 && s < 1e9 => Some(Duration::from_secs_f64(s)),
            _ => {
                return Err(l.error(
                    "timeout",
                    Some(line),
                    format!("{v:?} is not a positive number of seconds"),
                ));
            }
        },
    };
    let oauth2 = if l.boolean("oauth2", false)? {
        oauth2_settings(&l, &host)?
    } else {
        None
    };
    let username = l.string("username");
    let password = l.string("password").map(Secret::new);
    if username.is_none() {
        let why = if oauth2.is_some() {
            "OAuth2 logins need the user name"
        } else {
            "needed to log in"
        };
        return Err(l.error(
            "username",
            None,
            format!("missing ({why}; set it in the file or in IMAP_ASYNC_USERNAME)"),
        ));
    }
    if oauth2.is_none() && password.is_none() {
        return Err(l.error(
            "password",
            None,
            "missing (set it in the file or in IMAP_ASYNC_PASSWORD, or use oauth2)".into(),
        ));
    }
    Ok(ConfigSection {
        file: file.to_owned(),
        name: name.to_owned(),
        host,
        username,
        password,
        port,
        ssl,
        starttls,
        ssl_check_hostname: l.boolean("ssl_check_hostname", true)?,
        ssl_verify_cert: l.boolean("ssl_verify_cert", true)?,
        ssl_ca_file: l.string("ssl_ca_file").map(|p| expand_tilde(&p)),
        timeout,
        oauth2,
        expect_failure: own
            .get("expect_failure")
            .map(|(v, _)| v.clone())
            .filter(|v| !v.is_empty()),
    })
}

/// The OAuth 2.0 settings of a section with `oauth2 = true`.
#[cfg(feature = "oauth2")]
fn oauth2_settings<E: Fn(&str) -> Option<String>>(
    l: &Lookup<'_, E>,
    host: &str,
) -> std::result::Result<Option<OAuth2Settings>, ConfigError> {
    let missing: Vec<&str> = [
        "oauth2_client_id",
        "oauth2_client_secret",
        "oauth2_refresh_token",
    ]
    .into_iter()
    .filter(|k| l.string(k).is_none())
    .collect();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|k| env_var_name(k)).collect();
        return Err(l.error(
            missing[0],
            l.raw("oauth2").map(|(_, n)| n),
            format!(
                "oauth2 is true but {} missing (set in the file or in {})",
                if missing.len() == 1 {
                    format!("`{}` is", missing[0])
                } else {
                    format!("`{}` are", missing.join("`, `"))
                },
                names.join(", ")
            ),
        ));
    }
    let token_url = match l.string("oauth2_token_url") {
        Some(u) => u,
        None => oauth::token_url_for_host(host)
            .map(str::to_owned)
            .ok_or_else(|| {
                l.error(
                    "oauth2_token_url",
                    None,
                    format!(
                        "missing: the token endpoint of {host:?} is not known \
                         (known: Gmail, Yahoo, Outlook/Office 365); set oauth2_token_url"
                    ),
                )
            })?,
    };
    let mechanism = match l.raw("oauth2_mechanism") {
        None => OAuthMechanism::XOAuth2,
        Some((v, line)) => match v.to_ascii_lowercase().as_str() {
            "xoauth2" => OAuthMechanism::XOAuth2,
            "oauthbearer" => OAuthMechanism::OAuthBearer,
            _ => {
                return Err(l.error(
                    "oauth2_mechanism",
                    Some(line),
                    format!("{v:?} is not a mechanism (use xoauth2 or oauthbearer)"),
                ));
            }
        },
    };
    Ok(Some(OAuth2Settings {
        client_id: l.string("oauth2_client_id").unwrap_or_default(),
        client_secret: Secret::new(l.string("oauth2_client_secret").unwrap_or_default()),
        refresh_token: Secret::new(l.string("oauth2_refresh_token").unwrap_or_default()),
        token_url,
        mechanism,
    }))
}

/// `oauth2 = true` in a build without token refresh: an error that says which feature
/// the section needs, rather than a login that cannot work.
#[cfg(not(feature = "oauth2"))]
fn oauth2_settings<E: Fn(&str) -> Option<String>>(
    l: &Lookup<'_, E>,
    _host: &str,
) -> std::result::Result<Option<OAuth2Settings>, ConfigError> {
    Err(l.error(
        "oauth2",
        l.raw("oauth2").map(|(_, n)| n),
        "OAuth 2.0 token refresh is not built in: enable the `oauth2` feature of imap-async".into(),
    ))
}

/// `~` or `~/...` → the home directory.
fn expand_tilde(path: &str) -> PathBuf {
    if (path == "~" || path.starts_with("~/"))
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(path[1..].trim_start_matches('/'));
    }
    PathBuf::from(path)
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o777;
    let holds_secret = text.lines().any(|l| {
        l.split_once('=').is_some_and(|(k, v)| {
            SECRET_KEYS.contains(&k.trim().to_ascii_lowercase().as_str()) && !v.trim().is_empty()
        })
    });
    if holds_secret && mode & 0o077 != 0 {
        tracing::warn!(
            file = %path.display(),
            mode = format_args!("{mode:o}"),
            "configuration file holds a password or OAuth2 secret and can be read by other \
             users; restrict it with chmod 600"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path, _text: &str) {}

impl ConfigSection {
    /// Options for this section. With `oauth2` (and the `oauth2` feature), their
    /// credentials are an [`OAuth2Provider`](crate::oauth::OAuth2Provider): every connect and reconnect asks it for an access token
    /// (from the cache while it is valid, else with the refresh-token grant), so the
    /// options stay good for as long as the refresh token does.
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// let config = imap_async::Config::from_file("live.ini")?;
    /// let opts = config.default.connect_options().await?;
    /// let session = imap_async::Session::connect(&opts).await?;
    /// # let _ = session;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect_options(&self) -> Result<ConnectOptions> {
        let opts = self.base_options();
        let username = self.username.clone().unwrap_or_default();
        if let Some(o) = &self.oauth2 {
            #[cfg(feature = "oauth2")]
            return Ok(opts.credentials(
                oauth::OAuth2Provider::new(self.refresh_params_of(o), username, o.mechanism)
                    .http_timeout(self.http_timeout()),
            ));
            #[cfg(not(feature = "oauth2"))]
            return Err(crate::Error::invalid(
                format!("configuration section [{}] of {}", self.name, self.file),
                format!(
                    "it logs in with OAuth 2.0 token refresh ({}), which is not built in: \
                     enable the `oauth2` feature of imap-async",
                    o.token_url
                ),
            ));
        }
        Ok(opts.login(username, self.password.clone().unwrap_or(Secret::new(""))))
    }

    /// Options without credentials: host, port, TLS and timeouts only.
    ///
    /// ```
    /// use imap_async::{Config, Security};
    ///
    /// let config = Config::from_str_with_env(
    ///     "[DEFAULT]\nhost = imap.example.org\nusername = bob\npassword = sekret\nssl = false\nstarttls = true\nport = 143\n",
    ///     "test.ini",
    ///     |_| None,
    /// )?;
    /// let opts = config.default.base_options();
    /// assert_eq!(opts.security, Security::StartTls);
    /// assert_eq!(opts.effective_port(), 143);
    /// assert!(opts.auth.is_none());
    /// # Ok::<(), imap_async::ConfigError>(())
    /// ```
    pub fn base_options(&self) -> ConnectOptions {
        let mut opts = ConnectOptions::new(&self.host).port(self.port);
        opts = opts.security(if self.ssl {
            Security::Tls
        } else if self.starttls {
            Security::StartTls
        } else {
            Security::Plain
        });
        // Unlike IMAPClient, the verification options and the CA file apply to STARTTLS too.
        opts.tls.check_hostname = self.ssl_check_hostname;
        opts.tls.verify_cert = self.ssl_verify_cert;
        opts.tls.ca_file = self.ssl_ca_file.clone();
        // `timeout` bounds every wait: each read, and each whole response however slowly
        // its bytes trickle in.
        if let Some(t) = self.timeout {
            opts = opts
                .connect_timeout(t)
                .command_timeout(t)
                .response_timeout(t);
        }
        opts
    }

    /// The refresh-token grant's parameters when `oauth2` is set.
    ///
    /// ```
    /// use imap_async::Config;
    ///
    /// let config = Config::from_str_with_env(
    ///     "[DEFAULT]\nhost = imap.example.org\nusername = bob\npassword = sekret\n",
    ///     "test.ini",
    ///     |_| None,
    /// )?;
    /// // No `oauth2 = true`, so there is no refresh-token grant.
    /// assert!(config.default.refresh_params().is_none());
    /// # Ok::<(), imap_async::ConfigError>(())
    /// ```
    #[cfg(feature = "oauth2")]
    #[cfg_attr(docsrs, doc(cfg(feature = "oauth2")))]
    pub fn refresh_params(&self) -> Option<RefreshParams> {
        self.oauth2.as_ref().map(|o| self.refresh_params_of(o))
    }

    #[cfg(feature = "oauth2")]
    fn refresh_params_of(&self, o: &OAuth2Settings) -> RefreshParams {
        RefreshParams {
            token_url: o.token_url.clone(),
            client_id: o.client_id.clone(),
            client_secret: o.client_secret.clone(),
            refresh_token: o.refresh_token.clone(),
        }
    }

    /// The deadline for the token endpoint: `timeout`, else 30 s.
    #[cfg(feature = "oauth2")]
    fn http_timeout(&self) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(30))
    }

    /// Connect, secure the connection as configured and log in (password or OAuth2).
    /// With `oauth2`, the access token comes from [`crate::oauth::OAuth2Provider`]: when the
    /// server refuses a cached token, the token is refreshed and the login tried once more.
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// let config = imap_async::Config::from_file("live.ini")?;
    /// let mut session = config.default.connect().await?;
    /// session.noop().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(&self) -> Result<Session> {
        let opts = self.connect_options().await?;
        match Session::connect(&opts).await {
            Err(e) if e.is_auth_failed() && self.oauth2.is_some() => {
                let token_url = self.oauth2.as_ref().map_or("", |o| o.token_url.as_str());
                Err(crate::Error::other(format!(
                    "the server refused the OAuth2 access token from {} for {:?}: {e}",
                    token_url,
                    self.username.as_deref().unwrap_or_default()
                )))
            }
            other => other,
        }
    }
}

impl Session {
    /// Connect and log in as a configuration section says (see [`ConfigSection::connect`]).
    ///
    /// ```no_run
    /// # async fn run() -> imap_async::Result<()> {
    /// let config = imap_async::Config::from_file("live.ini")?;
    /// let session = imap_async::Session::connect_config(&config.default).await?;
    /// session.logout().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect_config(section: &ConfigSection) -> Result<Session> {
        section.connect().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein_suggests_typos() {
        assert_eq!(nearest_key("hots"), Some("host"));
        assert_eq!(nearest_key("ssl_verify_certs"), Some("ssl_verify_cert"));
        assert_eq!(nearest_key("completely_unrelated_thing"), None);
    }

    #[test]
    fn tilde_is_expanded() {
        let home = std::env::var("HOME").unwrap();
        assert_eq!(expand_tilde("~/ca.pem"), PathBuf::from(home).join("ca.pem"));
        assert_eq!(expand_tilde("/x/~/y"), PathBuf::from("/x/~/y"));
    }
}
