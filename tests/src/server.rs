//! Starting, using and stopping a private Dovecot.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::fs::{self, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use crate::certs;
use crate::config::{self, ConfigParams, TlsParams};
use crate::install::{DOVECOT_BIN, ensure_dovecot_installed, ensure_mail_user, is_root};
use crate::master::{MasterProcess, start_with_retries};

/// How long one start attempt waits for the greeting. One CI run on a fresh machine saw a
/// Cyrus give no greeting within 20 s and log nothing, so the wait is longer and a silent
/// server is tried again (see [`START_ATTEMPTS`]).
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(40);

/// How many times a server start is tried, each time on fresh ports in a fresh
/// directory, when a listener cannot bind or the server stays silent.
pub(crate) const START_ATTEMPTS: usize = 3;

/// Users written into the passwd-file at start. More are added on demand, which costs a
/// second (see [`Dovecot::new_user`]), so the pool is large enough for a whole test run.
const USER_POOL: usize = 500;

/// The prefix of every temporary directory this crate creates.
pub(crate) const DIR_PREFIX: &str = "imap-async-tests-";

/// What kind of server to start.
#[derive(Debug, Clone, Default)]
pub struct DovecotOptions {
    /// Serve TLS: STARTTLS on the plain port and an implicit-TLS port. Without it the
    /// server has `ssl = no` and does not offer STARTTLS.
    pub tls: bool,
    /// Lines appended to the generated configuration (for example an `imap_capability`
    /// that hides extensions, to test what the client does without them).
    pub extra_config: String,
}

impl DovecotOptions {
    /// Whether Dovecot offers NOTIFY (RFC 5465) after login. It does so only with the
    /// mailbox list index, which every test server has by default (`mailbox_list_index =
    /// yes`); `notify(false)` appends `mailbox_list_index = no` to
    /// [`extra_config`](Self::extra_config) for a server without NOTIFY, and `notify(true)`
    /// appends the default explicitly.
    ///
    /// ```no_run
    /// use imap_async_tests::{Dovecot, DovecotOptions};
    ///
    /// let without = Dovecot::start(DovecotOptions::default().notify(false)).unwrap();
    /// # drop(without);
    /// ```
    pub fn notify(mut self, on: bool) -> DovecotOptions {
        if !self.extra_config.is_empty() && !self.extra_config.ends_with('\n') {
            self.extra_config.push('\n');
        }
        self.extra_config.push_str(if on {
            "mailbox_list_index = yes\n"
        } else {
            "mailbox_list_index = no\n"
        });
        self
    }
}

/// A login on the test server. Each test should take its own from [`Dovecot::new_user`],
/// so that tests running in parallel never see each other's mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestUser {
    pub name: String,
    pub password: String,
}

/// Users handed out so far and those available in the passwd-file.
struct UserPool {
    /// Users present in the passwd-file, in order.
    users: Vec<TestUser>,
    /// Index of the next user to hand out.
    next: usize,
}

/// A private Dovecot running from its own temporary directory, on free loopback ports.
///
/// Dropping it stops the server and removes the directory. The server also dies when the
/// test process ends in any way (exit, panic, abort, kill): it is started with a parent
/// death signal.
pub struct Dovecot {
    dir: PathBuf,
    config_path: PathBuf,
    log_path: PathBuf,
    users_path: PathBuf,
    ca_pem: PathBuf,
    imap_port: u16,
    imaps_port: Option<u16>,
    mail_ids: (u32, u32),
    pool: Mutex<UserPool>,
    master: MasterProcess,
    oauth: Introspection,
}

/// Why one start attempt failed.
pub(crate) enum StartError {
    /// Worth another attempt on fresh ports: a listener could not bind, or the server
    /// did not greet in time.
    Retry(io::Error),
    /// Another attempt would fail the same way (a bad configuration, a missing binary).
    Other(io::Error),
}

impl From<io::Error> for StartError {
    fn from(e: io::Error) -> Self {
        StartError::Other(e)
    }
}

impl Dovecot {
    /// Starts a new server: writes its configuration, users, CA and server certificate
    /// into a fresh temporary directory, starts `dovecot -F` and waits until the IMAP
    /// port answers with a greeting: up to `START_TIMEOUT` (40 s) per attempt, on fresh
    /// ports up to `START_ATTEMPTS` (3) times.
    ///
    /// Installs Dovecot first if it is missing and the process is root. The error of a
    /// failed start carries the tail of the server's log.
    pub fn start(opts: DovecotOptions) -> io::Result<Dovecot> {
        Self::start_with_pool(opts, USER_POOL)
    }

    pub(crate) fn start_with_pool(opts: DovecotOptions, pool: usize) -> io::Result<Dovecot> {
        if !is_root() {
            // Without root the server cannot switch to the mail user, and chown of the
            // home directories fails with a bare EPERM; say what is really wrong.
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the test Dovecot must be started as root (it runs mail as the `vmail` user)",
            ));
        }
        ensure_dovecot_installed()?;
        let mail_ids = ensure_mail_user()?;
        start_with_retries("Dovecot", || Self::try_start(&opts, pool, mail_ids))
    }

    /// A plaintext server of its own with `extra` appended to its configuration.
    pub fn start_with_config(extra: &str) -> io::Result<Dovecot> {
        Self::start(DovecotOptions {
            tls: false,
            extra_config: extra.to_owned(),
        })
    }

    /// The TLS-enabled server shared by all tests of this process, started on first use.
    ///
    /// Panics with the reason if it cannot be started: tests must fail, never skip.
    pub fn shared() -> &'static Dovecot {
        static SHARED: OnceLock<Result<Dovecot, String>> = OnceLock::new();
        let result = SHARED.get_or_init(|| {
            Dovecot::start(DovecotOptions {
                tls: true,
                ..Default::default()
            })
            .map_err(|e| e.to_string())
        });
        match result {
            Ok(server) => {
                // Statics are never dropped: the exit hook stops it and removes its files.
                register_shared_for_exit(server);
                server
            }
            Err(e) => panic!("cannot start the shared test Dovecot: {e}"),
        }
    }

    /// The address the server listens on.
    pub fn host(&self) -> &str {
        "127.0.0.1"
    }

    /// The plain IMAP port; it offers STARTTLS when the server has TLS.
    pub fn imap_port(&self) -> u16 {
        self.imap_port
    }

    /// The implicit-TLS port, if the server has TLS.
    pub fn imaps_port(&self) -> Option<u16> {
        self.imaps_port
    }

    /// A PEM file with the CA certificate that signed the server's certificate.
    pub fn ca_pem_path(&self) -> &Path {
        &self.ca_pem
    }

    /// The server's configuration file, for running Dovecot's tools against it.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// A fresh user that no other caller gets, usable for login at once.
    ///
    /// Users come from a pool written into the passwd-file at start. When it runs out,
    /// another batch is added to the file; Dovecot notices a changed passwd-file at most once a
    /// second, so that call waits a little over a second before returning.
    pub fn new_user(&self) -> TestUser {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        if pool.next == pool.users.len() {
            let batch = make_users(pool.users.len(), USER_POOL);
            pool.users.extend(batch);
            write_users(&self.users_path, &self.dir, self.mail_ids, &pool.users)
                .unwrap_or_else(|e| panic!("cannot add users to the test Dovecot: {e}"));
            // The auth process re-reads the file only when its clock has moved to a new
            // second since the last check; waiting past that makes the users visible.
            thread::sleep(Duration::from_millis(1100));
        }
        let user = pool.users[pool.next].clone();
        pool.next += 1;
        user
    }

    /// The server's log so far (Dovecot's log plus anything the master printed).
    pub fn log_text(&self) -> String {
        self.master.log_text()
    }

    /// Disconnects all sessions of `user` (`doveadm kick`).
    ///
    /// Panics if doveadm cannot be run or reports an error.
    pub fn kick(&self, user: &str) {
        let out = self
            .doveadm(&["kick", user], None)
            .unwrap_or_else(|e| panic!("cannot run doveadm kick: {e}"));
        if !out.status.success() {
            panic!("doveadm kick {user} failed: {}", describe_output(&out));
        }
    }

    /// Stores a message in `folder` of `user` (`doveadm save`), creating the folder if
    /// it does not exist yet.
    ///
    /// Panics if the message cannot be stored.
    pub fn append_message(&self, user: &str, folder: &str, rfc822: &[u8]) {
        let save = |this: &Self| {
            this.doveadm(&["save", "-u", user, "-m", folder], Some(rfc822))
                .unwrap_or_else(|e| panic!("cannot run doveadm save: {e}"))
        };
        let mut out = save(self);
        if !out.status.success() {
            // Creating first on every call would cost a process start each time; most
            // appends go to folders that exist.
            let created = self
                .doveadm(&["mailbox", "create", "-u", user, folder], None)
                .unwrap_or_else(|e| panic!("cannot run doveadm mailbox create: {e}"));
            if !created.status.success() {
                panic!(
                    "cannot store a message for {user} in {folder}: save said {}; \
                     create said {}",
                    describe_output(&out),
                    describe_output(&created)
                );
            }
            out = save(self);
        }
        if !out.status.success() {
            panic!(
                "doveadm save for {user} into {folder} failed: {}",
                describe_output(&out)
            );
        }
    }

    /// The `cur/` directory of `folder`'s maildir (the folder is created if missing). Files
    /// written there must be owned by the mail user ([`Dovecot::give_to_mail_user`]) and
    /// become messages after [`Dovecot::index_folder`]. Panics on failure.
    pub fn maildir_path(&self, user: &str, folder: &str) -> PathBuf {
        let _ = self.doveadm(&["mailbox", "create", "-u", user, folder], None);
        let out = self
            .doveadm(&["mailbox", "path", "-u", user, folder], None)
            .expect("doveadm");
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("cur");
        fs::create_dir_all(&dir).expect("create the maildir");
        dir
    }

    /// Makes a file written into a maildir belong to the mail user.
    pub fn give_to_mail_user(&self, path: &Path) {
        chown(path, Some(self.mail_ids.0), Some(self.mail_ids.1)).expect("chown");
    }

    /// `doveadm index` of a folder, so that files written into its maildir are messages.
    pub fn index_folder(&self, user: &str, folder: &str) {
        let out = self
            .doveadm(&["index", "-u", user, folder], None)
            .expect("doveadm");
        assert!(
            out.status.success(),
            "doveadm index: {}",
            describe_output(&out)
        );
    }

    /// Writes `messages` straight into `folder`'s maildir and indexes it: far faster than
    /// APPEND for large mailboxes. UIDs follow the order given. Panics on failure.
    pub fn fill_maildir(&self, user: &str, folder: &str, messages: impl Iterator<Item = Vec<u8>>) {
        let dir = self.maildir_path(user, folder);
        for (i, msg) in messages.enumerate() {
            let path = dir.join(format!("1700000000.M{i:09}P1.fill:2,"));
            fs::write(&path, msg).expect("write a maildir file");
            self.give_to_mail_user(&path);
        }
        self.index_folder(user, folder);
    }

    /// Runs `doveadm -c CONFIG ARGS...` (as the current user) with `stdin` as input.
    pub fn doveadm(&self, args: &[&str], stdin: Option<&[u8]>) -> io::Result<Output> {
        let mut child = Command::new("/usr/bin/doveadm")
            .arg("-c")
            .arg(&self.config_path)
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(input) = stdin {
            // Dropping the pipe after writing tells doveadm the input is complete.
            let mut pipe = child.stdin.take().expect("stdin was piped");
            pipe.write_all(input)?;
        }
        child.wait_with_output()
    }

    /// A fresh OAuth 2.0 access token for `user`, accepted by AUTHENTICATE XOAUTH2 and
    /// OAUTHBEARER: Dovecot checks every token with the harness's introspection endpoint
    /// (RFC 7662 style, `POST token=...`), which knows the tokens issued here. Any other
    /// token is refused (`401 {"active": false}`).
    pub fn oauth_token_for(&self, user: &str) -> String {
        self.oauth.state().issue(user, None, true)
    }

    /// The harness's OAuth 2.0 token endpoint (RFC 6749 §6 refresh-token grant, plain HTTP
    /// on loopback). It issues access tokens that Dovecot's introspection accepts.
    pub fn oauth_token_url(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.oauth.port)
    }

    /// Registers a fresh OAuth client and refresh token for `user` at
    /// [`Dovecot::oauth_token_url`]. Access tokens it grants live an hour unless
    /// [`Dovecot::set_oauth_token_lifetime`] says otherwise.
    pub fn oauth_client_for(&self, user: &str) -> OAuthClient {
        self.oauth.client_for(user)
    }

    /// Access tokens granted from now on for this refresh token say `expires_in: secs` and
    /// stop being accepted by introspection after that many seconds.
    pub fn set_oauth_token_lifetime(&self, refresh_token: &str, secs: u64) {
        if let Some(g) = self.oauth.state().refresh.get_mut(refresh_token) {
            g.lifetime = secs;
        }
    }

    /// The token endpoint refuses this refresh token from now on (`invalid_grant`).
    pub fn revoke_refresh_token(&self, refresh_token: &str) {
        self.oauth.revoke(refresh_token);
    }

    /// Grants for this refresh token still succeed, but the access tokens they give are
    /// refused by Dovecot (introspection answers `active: false`).
    pub fn grant_rejected_tokens(&self, refresh_token: &str) {
        if let Some(g) = self.oauth.state().refresh.get_mut(refresh_token) {
            g.grant_rejected_tokens = true;
        }
    }

    /// Every access token issued so far for `user` is refused from now on.
    pub fn revoke_access_tokens(&self, user: &str) {
        self.oauth.state().access.retain(|_, t| t.user != user);
    }

    /// How many access tokens the endpoint granted for this refresh token.
    pub fn oauth_grants(&self, refresh_token: &str) -> usize {
        self.oauth
            .state()
            .refresh
            .get(refresh_token)
            .map_or(0, |g| g.grants)
    }

    /// Stops the server. Idempotent; also done on drop and at process exit.
    pub fn stop(&self) {
        self.master.stop();
    }

    /// One attempt at starting, with fresh ports and a fresh directory.
    fn try_start(
        opts: &DovecotOptions,
        pool_size: usize,
        mail_ids: (u32, u32),
    ) -> Result<Dovecot, StartError> {
        static INSTANCE: AtomicUsize = AtomicUsize::new(0);
        let n = INSTANCE.fetch_add(1, Ordering::Relaxed);
        let dir = process_dir()?.join(n.to_string());
        // A fresh directory per attempt: base_dir must be empty, and a failed attempt
        // may have left sockets behind.
        let result = Self::try_start_in(&dir, n, opts, pool_size, mail_ids);
        if result.is_err() {
            let _ = fs::remove_dir_all(&dir);
        }
        result
    }

    fn try_start_in(
        dir: &Path,
        n: usize,
        opts: &DovecotOptions,
        pool_size: usize,
        mail_ids: (u32, u32),
    ) -> Result<Dovecot, StartError> {
        create_dir_mode(dir, 0o755)?;
        let tls_dir = dir.join("tls");
        create_dir_mode(&tls_dir, 0o755)?;
        let home_root = dir.join("home");
        create_dir_mode(&home_root, 0o755)?;
        // Dovecot creates each user's home on first use, as the mail user.
        chown(&home_root, Some(mail_ids.0), Some(mail_ids.1))?;
        let base_dir = dir.join("run");
        create_dir_mode(&base_dir, 0o755)?;
        let state_dir = dir.join("state");
        create_dir_mode(&state_dir, 0o755)?;

        let pki = certs::write_server_pki(&tls_dir)?;
        let users = make_users(0, pool_size);
        let users_path = dir.join("users");
        write_users(&users_path, dir, mail_ids, &users)?;

        let (imap_port, imaps_port) = free_ports()?;
        let oauth = Introspection::start()?;
        let oauth2_conf = dir.join("dovecot-oauth2.conf.ext");
        fs::write(&oauth2_conf, config::render_oauth2(oauth.port))?;
        fs::set_permissions(&oauth2_conf, fs::Permissions::from_mode(0o644))?;
        let log_path = dir.join("dovecot.log");
        let config_path = dir.join("dovecot.conf");
        let params = ConfigParams {
            instance_name: format!("{DIR_PREFIX}{}-{n}", std::process::id()),
            base_dir,
            state_dir,
            log_path: log_path.clone(),
            users_file: users_path.clone(),
            imap_port,
            tls: opts.tls.then(|| TlsParams {
                imaps_port,
                chain_pem: pki.chain_pem.clone(),
                key_pem: pki.key_pem.clone(),
            }),
            mail_uid: mail_ids.0,
            oauth2_conf,
            extra: opts.extra_config.clone(),
        };
        fs::write(&config_path, config::render(&params))?;

        let child = spawn_master(&config_path, &log_path)?;

        let server = Dovecot {
            dir: dir.to_path_buf(),
            config_path,
            log_path: log_path.clone(),
            users_path,
            ca_pem: pki.ca_pem,
            imap_port,
            imaps_port: opts.tls.then_some(imaps_port),
            mail_ids,
            pool: Mutex::new(UserPool { users, next: 0 }),
            master: MasterProcess::new("dovecot", log_path, child),
            oauth,
        };
        // On failure `server` is dropped here, which stops the master.
        server.wait_until_ready()?;
        Ok(server)
    }

    /// Waits until the plain port greets, failing early if the master exits.
    fn wait_until_ready(&self) -> Result<(), StartError> {
        self.master
            .wait_until_greets(self.imap_port, |status, log| {
                let e = io::Error::other(format!(
                    "dovecot exited during start ({status}); log tail:\n{}",
                    tail(log, 40)
                ));
                if log.contains("Address already in use") {
                    StartError::Retry(e)
                } else {
                    StartError::Other(e)
                }
            })
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
        remove_dir_best_effort(&self.dir);
    }
}

impl std::fmt::Debug for Dovecot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dovecot")
            .field("dir", &self.dir)
            .field("imap_port", &self.imap_port)
            .field("imaps_port", &self.imaps_port)
            .finish_non_exhaustive()
    }
}

/// Starts `dovecot -F` for this config, its output appended to the log.
fn spawn_master(config_path: &Path, log_path: &Path) -> io::Result<Child> {
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)?;
    let mut cmd = Command::new(DOVECOT_BIN);
    cmd.arg("-F")
        .arg("-c")
        .arg(config_path)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // Its own process group, so that stopping can signal all of Dovecot's
        // processes at once (see `terminate`).
        .process_group(0);
    spawn_tied_to_process(cmd)
}

impl Dovecot {
    /// Stops the server and starts it again on the same ports, with the same users and
    /// mail: for tests of clients that must survive a server restart.
    pub fn restart(&self) -> io::Result<()> {
        self.stop();
        // base_dir must be empty at start: stale sockets stall the first login.
        let run = self.dir.join("run");
        fs::remove_dir_all(&run)?;
        create_dir_mode(&run, 0o755)?;
        self.master
            .replace(spawn_master(&self.config_path, &self.log_path)?);
        Ok(self.wait_until_ready()?)
    }
}

/// A client registered at the harness's token endpoint by [`Dovecot::oauth_client_for`].
#[derive(Debug, Clone)]
pub struct OAuthClient {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
}

struct RefreshGrant {
    user: String,
    client_id: String,
    client_secret: String,
    lifetime: u64,
    revoked: bool,
    grant_rejected_tokens: bool,
    grants: usize,
}

struct IssuedToken {
    user: String,
    expires: Option<Instant>,
}

/// The OAuth state: access tokens (checked by introspection) and refresh tokens (used at
/// the token endpoint).
#[derive(Default)]
struct OAuthState {
    access: HashMap<String, IssuedToken>,
    refresh: HashMap<String, RefreshGrant>,
}

impl OAuthState {
    /// A new access token for `user`; introspection accepts it only when `accepted`.
    fn issue(&mut self, user: &str, lifetime: Option<u64>, accepted: bool) -> String {
        let token = format!("at{:016x}{:016x}", random(), random());
        if accepted {
            self.access.insert(
                token.clone(),
                IssuedToken {
                    user: user.to_owned(),
                    expires: lifetime.map(|s| Instant::now() + Duration::from_secs(s)),
                },
            );
        }
        token
    }
}

type Tokens = Arc<Mutex<OAuthState>>;

/// The OAuth2 token introspection endpoint Dovecot's `oauth2` passdb asks, and the token
/// endpoint clients use (`POST /token`), on one loopback port (a minimal HTTP/1.1 responder,
/// one thread per request, `Connection: close`).
pub(crate) struct Introspection {
    port: u16,
    tokens: Tokens,
    stop: Arc<AtomicBool>,
}

impl Introspection {
    /// Registers a fresh client and refresh token for `user` (see
    /// [`Dovecot::oauth_client_for`]).
    pub(crate) fn client_for(&self, user: &str) -> OAuthClient {
        let client = OAuthClient {
            token_url: format!("http://127.0.0.1:{}/token", self.port),
            client_id: format!("client-{:08x}", random() as u32),
            client_secret: format!("cs{:016x}", random()),
            refresh_token: format!("rt{:016x}{:016x}", random(), random()),
        };
        self.state().refresh.insert(
            client.refresh_token.clone(),
            RefreshGrant {
                user: user.to_owned(),
                client_id: client.client_id.clone(),
                client_secret: client.client_secret.clone(),
                lifetime: 3600,
                revoked: false,
                grant_rejected_tokens: false,
                grants: 0,
            },
        );
        client
    }

    /// The token endpoint refuses this refresh token from now on.
    pub(crate) fn revoke(&self, refresh_token: &str) {
        if let Some(g) = self.state().refresh.get_mut(refresh_token) {
            g.revoked = true;
        }
    }

    pub(crate) fn start() -> io::Result<Introspection> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = listener.local_addr()?.port();
        let tokens: Tokens = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (t, st) = (tokens.clone(), stop.clone());
        thread::Builder::new()
            .name("oauth-introspection".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if st.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let tokens = t.clone();
                    thread::spawn(move || {
                        let _ = answer_introspection(stream, &tokens);
                    });
                }
            })?;
        Ok(Introspection { port, tokens, stop })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, OAuthState> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Introspection {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so that it sees the flag and ends.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
    }
}

/// Reads one HTTP request and answers it: `POST /token` is the token endpoint, anything
/// else introspection (`token=...` in the form body).
fn answer_introspection(stream: TcpStream, tokens: &Tokens) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut content_length = 0usize;
    let mut line = String::new();
    reader.read_line(&mut line)?; // request line
    let is_token_request = line.split_whitespace().nth(1) == Some("/token");
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; content_length.min(64 * 1024)];
    reader.read_exact(&mut body)?;
    let body = String::from_utf8_lossy(&body);
    let form = |name: &str| {
        body.split('&')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .map(percent_decode)
            .unwrap_or_default()
    };
    let (status, json) = if is_token_request {
        answer_token_grant(&form, tokens)
    } else {
        answer_token_check(&form("token"), tokens)
    };
    let mut out = &stream;
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{json}",
        json.len()
    )?;
    out.flush()
}

/// The refresh-token grant (RFC 6749 §6 and §5.1/§5.2): client credentials in the form
/// body; `invalid_grant` for an unknown or revoked refresh token.
fn answer_token_grant(form: &dyn Fn(&str) -> String, tokens: &Tokens) -> (&'static str, String) {
    let error = |status, code: &str, description: &str| {
        (
            status,
            format!("{{\"error\": \"{code}\", \"error_description\": \"{description}\"}}"),
        )
    };
    if form("grant_type") != "refresh_token" {
        return error(
            "400 Bad Request",
            "unsupported_grant_type",
            "only refresh_token",
        );
    }
    let mut state = tokens.lock().unwrap_or_else(|e| e.into_inner());
    let Some(grant) = state.refresh.get_mut(&form("refresh_token")) else {
        return error("400 Bad Request", "invalid_grant", "unknown refresh token");
    };
    if grant.client_id != form("client_id") || grant.client_secret != form("client_secret") {
        return error(
            "401 Unauthorized",
            "invalid_client",
            "client authentication failed",
        );
    }
    if grant.revoked {
        return error("400 Bad Request", "invalid_grant", "refresh token revoked");
    }
    grant.grants += 1;
    let (user, lifetime, accepted) = (
        grant.user.clone(),
        grant.lifetime,
        !grant.grant_rejected_tokens,
    );
    let token = state.issue(&user, Some(lifetime), accepted);
    (
        "200 OK",
        format!(
            "{{\"access_token\": \"{token}\", \"token_type\": \"bearer\", \"expires_in\": {lifetime}}}"
        ),
    )
}

/// Introspection: 200 `{"active": true, "username": USER}` for a live token, else 401.
fn answer_token_check(token: &str, tokens: &Tokens) -> (&'static str, String) {
    let user = tokens
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .access
        .get(token)
        .filter(|t| t.expires.is_none_or(|e| Instant::now() < e))
        .map(|t| t.user.clone());
    match user {
        Some(user) => (
            "200 OK",
            format!(
                "{{\"active\": true, \"username\": \"{}\"}}",
                user.replace('\\', "\\\\").replace('"', "\\\"")
            ),
        ),
        None => ("401 Unauthorized", "{\"active\": false}".to_owned()),
    }
}

/// `application/x-www-form-urlencoded` value decoding (`+` and `%XX`).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Dovecot {
    /// How many lines of this user's IMAP sessions (`imap(USER)<pid><session>: ...`) in
    /// the log contain `needle`, waiting up to 5 s for there to be at least `want`: Dovecot
    /// writes its log asynchronously. A session ended by LOGOUT logs "Logged out"; one
    /// that was cut off logs "Disconnected".
    pub fn session_log_lines(&self, user: &str, needle: &str, want: usize) -> usize {
        let who = format!("imap({user})");
        let mut n = 0;
        for _ in 0..50 {
            n = self
                .log_text()
                .lines()
                .filter(|l| l.contains(&who) && l.contains(needle))
                .count();
            if n >= want {
                break;
            }
            thread::sleep(Duration::from_millis(100));
        }
        n
    }
}

/// A connection to `port` on loopback, given up after a second.
pub(crate) fn connect_loopback(port: u16) -> io::Result<TcpStream> {
    TcpStream::connect_timeout(
        &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        Duration::from_secs(1),
    )
}

/// Whether something on `port` answers with an IMAP `* OK` greeting.
pub(crate) fn greets(port: u16) -> bool {
    let Ok(stream) = connect_loopback(port) else {
        return false;
    };
    if stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .is_err()
    {
        return false;
    }
    let mut line = String::new();
    match BufReader::new(stream).read_line(&mut line) {
        Ok(_) => line.starts_with("* OK"),
        Err(_) => false,
    }
}

/// Two distinct free loopback ports, found by letting the kernel choose.
pub(crate) fn free_ports() -> io::Result<(u16, u16)> {
    // Both listeners are held at once so the kernel cannot hand out the same port twice.
    let a = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let b = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok((a.local_addr()?.port(), b.local_addr()?.port()))
}

/// `count` users numbered from `first`, each with its own random password.
pub(crate) fn make_users(first: usize, count: usize) -> Vec<TestUser> {
    (first..first + count)
        .map(|i| TestUser {
            name: format!("user{i:04}"),
            password: format!("pw{:016x}", random()),
        })
        .collect()
}

/// Writes the passwd-file with all `users` (`name:{PLAIN}password:uid:gid::home::`).
fn write_users(
    path: &Path,
    dir: &Path,
    (uid, gid): (u32, u32),
    users: &[TestUser],
) -> io::Result<()> {
    let home_root = dir.join("home");
    let mut text = String::new();
    for user in users {
        let home = home_root.join(&user.name);
        text.push_str(&format!(
            "{}:{{PLAIN}}{}:{uid}:{gid}::{}::\n",
            user.name,
            user.password,
            home.display()
        ));
    }
    // Written beside and renamed over the old file, so that the auth process, which may
    // re-read it at any moment, never sees half a file.
    let tmp = path.with_extension("new");
    fs::write(&tmp, text)?;
    // Readable by Dovecot's auth processes whatever user they run as.
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644))?;
    fs::rename(&tmp, path)
}

/// A random number from the standard library's per-process hash keys; good enough for
/// test passwords and needs no extra crate.
pub(crate) fn random() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(Instant::now().elapsed().as_nanos());
    hasher.finish()
}

pub(crate) fn create_dir_mode(path: &Path, mode: u32) -> io::Result<()> {
    fs::create_dir(path)?;
    // Set explicitly: the umask may have removed the bits Dovecot's unprivileged
    // processes need to reach sockets and homes.
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

/// The last `lines` lines of `text`.
pub(crate) fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

pub(crate) fn describe_output(out: &Output) -> String {
    format!(
        "{}; stdout: {}; stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    )
}

/// Stops a server's master (Dovecot's or Cyrus's) and its children: SIGTERM to its
/// process group, SIGKILL to whatever of the group is still there after a few seconds.
/// Returns once the whole group is gone, since a child still exiting may hold the
/// listening sockets that a restart on the same ports needs.
pub(crate) fn terminate(mut child: Child) {
    let pid = child.id() as libc::pid_t;
    // The whole process group: signalled alone, the master takes over a second to stop
    // its children; signalled together, everything is gone in milliseconds.
    // SAFETY: `pid` is our unreaped child and leads its own process group, so neither
    // can have been reused.
    unsafe { libc::kill(-pid, libc::SIGTERM) };
    let mut group_gone = |until: Instant| {
        while Instant::now() < until {
            // Reap the master as soon as it exits: a zombie would still count as a member
            // of the group. Its children, reparented, keep the group id.
            let _ = child.try_wait();
            // SAFETY: signal 0 only asks whether any process of the group exists.
            if unsafe { libc::kill(-pid, 0) } != 0 {
                return true;
            }
            thread::sleep(Duration::from_millis(10));
        }
        false
    };
    if !group_gone(Instant::now() + Duration::from_secs(5)) {
        // SAFETY: as above; the group id stays reserved while the master is unreaped or
        // any member lives.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
        group_gone(Instant::now() + Duration::from_secs(5));
    }
    let _ = child.wait();
}

pub(crate) fn remove_dir_best_effort(dir: &Path) {
    // Dovecot's children may still be finishing a write just after the master died;
    // one retry covers that race.
    if fs::remove_dir_all(dir).is_err() {
        thread::sleep(Duration::from_millis(100));
        let _ = fs::remove_dir_all(dir);
    }
}

/// A request to the spawner thread.
type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// Spawns `cmd` so that it receives SIGTERM when this process ends, however it ends.
///
/// The parent-death signal fires when the *thread* that forked the child exits, not the
/// process; so all spawning is done by one dedicated thread that never exits.
pub(crate) fn spawn_tied_to_process(cmd: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<mpsc::Sender<SpawnRequest>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        thread::Builder::new()
            .name("dovecot-spawner".into())
            .spawn(move || {
                // The sender lives in a static, so this loop never ends.
                for (mut cmd, reply) in rx {
                    let _ = reply.send(spawn_with_death_signal(&mut cmd));
                }
                loop {
                    thread::park();
                }
            })
            .expect("cannot start the dovecot spawner thread");
        tx
    });
    let (reply_tx, reply_rx) = mpsc::channel();
    spawner
        .send((cmd, reply_tx))
        .map_err(|_| io::Error::other("the dovecot spawner thread is gone"))?;
    reply_rx
        .recv()
        .map_err(|_| io::Error::other("the dovecot spawner thread is gone"))?
}

fn spawn_with_death_signal(cmd: &mut Command) -> io::Result<Child> {
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure only makes async-signal-safe system calls (prctl, getppid,
    // getrlimit, setrlimit) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before the signal was armed.
            if libc::getppid() != parent {
                return Err(io::Error::other("test process exited during spawn"));
            }
            // Thousands of test connections need file descriptors; allow the hard limit.
            let mut lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
                lim.rlim_cur = lim.rlim_max;
                libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            }
            Ok(())
        })
    };
    cmd.spawn()
}

/// This process's private temporary directory, `$TMPDIR/imap-async-tests-PID`, created
/// on first use. Creating it also removes directories left by earlier test processes
/// that died without cleaning up, and arranges removal of this one at exit.
pub(crate) fn process_dir() -> io::Result<PathBuf> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(|| {
        remove_stale_dirs();
        let dir = std::env::temp_dir().join(format!("{DIR_PREFIX}{}", std::process::id()));
        // A leftover from a dead process that had our pid is stale too.
        let _ = fs::remove_dir_all(&dir);
        create_dir_mode(&dir, 0o755)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        // SAFETY: `at_exit` is a plain extern "C" function without arguments.
        unsafe { libc::atexit(at_exit) };
        Ok(dir)
    })
    .clone()
    .map_err(io::Error::other)
}

/// Removes `imap-async-tests-PID` directories whose process no longer exists.
fn remove_stale_dirs() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(DIR_PREFIX)) else {
            continue;
        };
        let Ok(pid) = pid.parse::<libc::pid_t>() else {
            continue;
        };
        // SAFETY: signal 0 only checks whether the process exists.
        let gone = unsafe { libc::kill(pid, 0) } != 0
            && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if gone {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// The shared servers (Dovecot and Cyrus), once started, for the exit hook.
static SHARED_FOR_EXIT: Mutex<Vec<&'static dyn StopAtExit>> = Mutex::new(Vec::new());

/// A shared server the exit hook stops.
pub(crate) trait StopAtExit: Sync {
    fn stop_at_exit(&self);
}

impl StopAtExit for Dovecot {
    fn stop_at_exit(&self) {
        self.stop();
    }
}

/// Makes the exit hook stop `server`; registering the same server again does nothing.
pub(crate) fn register_shared_for_exit(server: &'static dyn StopAtExit) {
    let mut all = SHARED_FOR_EXIT.lock().unwrap_or_else(|e| e.into_inner());
    let address = server as *const dyn StopAtExit as *const ();
    if !all
        .iter()
        .any(|s| std::ptr::eq(*s as *const dyn StopAtExit as *const (), address))
    {
        all.push(server);
    }
}

/// Runs at normal process exit: stops the shared servers (statics are never dropped) and
/// removes this process's temporary directory. After a crash the parent-death signal
/// stops the servers and the next test process removes the directory.
extern "C" fn at_exit() {
    let servers = SHARED_FOR_EXIT
        .lock()
        .map(|all| all.clone())
        .unwrap_or_default();
    for server in servers {
        server.stop_at_exit();
    }
    if let Ok(dir) = process_dir() {
        remove_dir_best_effort(&dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Logs in over a plain connection and returns the tagged LOGIN response.
    fn login(server: &Dovecot, user: &TestUser) -> String {
        let stream = TcpStream::connect((server.host(), server.imap_port())).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        write!(&stream, "a LOGIN {} {}\r\n", user.name, user.password).unwrap();
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            if line.starts_with("a ") {
                return line;
            }
        }
    }

    #[test]
    fn users_beyond_the_pool_are_added_and_work_at_once() {
        let server = Dovecot::start_with_pool(
            DovecotOptions {
                tls: false,
                ..Default::default()
            },
            1,
        )
        .unwrap();
        let first = server.new_user();
        // Make the auth process read the passwd-file now, so the next check really
        // depends on it noticing the change.
        assert!(login(&server, &first).starts_with("a OK"));
        let second = server.new_user();
        let third = server.new_user();
        assert_ne!(first, second);
        assert_ne!(second, third);
        for user in [&second, &third] {
            let reply = login(&server, user);
            assert!(reply.starts_with("a OK"), "{reply}");
        }
    }

    #[test]
    fn drop_stops_the_server_and_removes_its_directory() {
        let server = Dovecot::start(DovecotOptions {
            tls: true,
            ..Default::default()
        })
        .unwrap();
        let dir = server.dir.clone();
        let port = server.imap_port();
        assert!(dir.join("dovecot.conf").exists());
        drop(server);
        assert!(!dir.exists(), "{} still exists", dir.display());
        assert!(TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err());
    }

    #[test]
    fn users_are_unique_and_passwords_random() {
        let users = make_users(0, 100);
        let names: std::collections::HashSet<_> = users.iter().map(|u| &u.name).collect();
        let passwords: std::collections::HashSet<_> = users.iter().map(|u| &u.password).collect();
        assert_eq!(names.len(), 100);
        assert_eq!(passwords.len(), 100);
    }
}
