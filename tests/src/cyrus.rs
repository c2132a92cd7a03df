//! Starting, using and stopping a private Cyrus IMAP, the second real server.
//!
//! Cyrus runs like the test Dovecot: from its own temporary directory, on free loopback
//! ports, with a private CA for TLS and a pool of users. Its programs come from the
//! installed `cyrus-common` package and the extracted `cyrus-imapd` package (see
//! [`ensure_cyrus_installed`]); its configuration (`imapd.conf`, `cyrus.conf`), database,
//! spool and sasldb live in the temporary directory.
//!
//! Namespace: the server uses `altnamespace: yes` and `unixhierarchysep: yes` (the 3.x
//! defaults, which the Debian configuration turns off), so a user's folders sit beside
//! INBOX (`Sent`, `Archive/2024`) with `/` as the separator, as in the test Dovecot's
//! layout. Other users' folders appear under `Other Users/` and shared ones under
//! `Shared Folders/`.

use std::fs::{self, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use crate::certs;
use crate::install::{CyrusBinaries, ensure_cyrus_installed, is_root};
use crate::master::{MasterProcess, start_with_retries};
use crate::server::{
    DIR_PREFIX, Introspection, OAuthClient, StartError, StopAtExit, TestUser, create_dir_mode,
    free_ports, make_users, process_dir, register_shared_for_exit, remove_dir_best_effort,
    spawn_tied_to_process, tail,
};

/// Users written into the sasldb at start; more are added a batch at a time on demand.
/// Each costs a `saslpasswd2` run (a few milliseconds), so the first pool is modest.
const USER_POOL: usize = 64;

/// How long the harness's own IMAP conversations (append, fill) wait for an answer.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// The realm of every user in the sasldb; `servername` in `imapd.conf` is the same, so
/// a login as `NAME` finds `NAME@localhost`.
const REALM: &str = "localhost";

/// What kind of Cyrus to start.
#[derive(Debug, Clone, Default)]
pub struct CyrusOptions {
    /// Serve TLS: STARTTLS on the plain port and an implicit-TLS port. Without it the
    /// server has no certificate and does not offer STARTTLS.
    pub tls: bool,
}

/// Users handed out so far and those present in the sasldb.
struct UserPool {
    users: Vec<TestUser>,
    next: usize,
}

/// A private Cyrus IMAP 3.6 running from its own temporary directory, on free loopback
/// ports.
///
/// Dropping it stops the server and removes the directory. The server also dies when the
/// test process ends in any way: its master is started with a parent-death signal, as the
/// `cyrus` user directly (a change of user later would clear that signal).
pub struct Cyrus {
    dir: PathBuf,
    config_path: PathBuf,
    cyrus_conf_path: PathBuf,
    log_path: PathBuf,
    sasldb_path: PathBuf,
    ca_pem: PathBuf,
    imap_port: u16,
    imaps_port: Option<u16>,
    bins: CyrusBinaries,
    pool: Mutex<UserPool>,
    master: MasterProcess,
    oauth: Introspection,
}

impl Cyrus {
    /// Starts a new server: writes its configuration, users, CA and server certificate
    /// into a fresh temporary directory, starts Cyrus's `master` in the foreground and
    /// waits until the IMAP port greets: up to `START_TIMEOUT` (40 s) per attempt, on
    /// fresh ports up to `START_ATTEMPTS` (3) times.
    ///
    /// Installs what is missing first (see [`ensure_cyrus_installed`]) when the process
    /// is root. The error of a failed start carries the tail of the master's output.
    pub fn start(opts: CyrusOptions) -> io::Result<Cyrus> {
        if !is_root() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the test Cyrus must be started as root (it installs Cyrus if needed and \
                 gives its files to the `cyrus` user)",
            ));
        }
        let bins = ensure_cyrus_installed()?;
        start_with_retries("Cyrus", || Self::try_start(&opts, &bins))
    }

    /// The TLS-enabled Cyrus shared by all tests of this process, started on first use.
    ///
    /// Panics with the reason if it cannot be started: tests must fail, never skip.
    pub fn shared() -> &'static Cyrus {
        static SHARED: OnceLock<Result<Cyrus, String>> = OnceLock::new();
        let result = SHARED
            .get_or_init(|| Cyrus::start(CyrusOptions { tls: true }).map_err(|e| e.to_string()));
        match result {
            Ok(server) => {
                register_shared_for_exit(server);
                server
            }
            Err(e) => panic!("cannot start the shared test Cyrus: {e}"),
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

    /// The server's `imapd.conf`, for running Cyrus's tools against it (`-C PATH`).
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// What the master and its services printed. Cyrus logs through syslog, which the
    /// harness does not capture, so this holds only start-up complaints and crashes.
    pub fn log_text(&self) -> String {
        self.master.log_text()
    }

    /// A fresh user that no other caller gets, usable for login at once. Its mailbox is
    /// created by Cyrus at the first login, with INBOX, Sent, Drafts, Trash, Junk and
    /// Archive (all subscribed) and a quota of 10 GiB and a million messages.
    ///
    /// Users come from a pool written into the sasldb at start; when it runs out another
    /// batch is written into a copy of the sasldb that then replaces the original, so
    /// that logins running meanwhile never read a half-written database.
    pub fn new_user(&self) -> TestUser {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        if pool.next == pool.users.len() {
            let batch = make_users(pool.users.len(), USER_POOL);
            add_users(&self.bins, &self.sasldb_path, &batch)
                .unwrap_or_else(|e| panic!("cannot add users to the test Cyrus: {e}"));
            pool.users.extend(batch);
        }
        let user = pool.users[pool.next].clone();
        pool.next += 1;
        user
    }

    /// Stores a message in `folder` of `user`, creating the folder if it does not exist
    /// yet: the harness logs in as the user over the plain port and APPENDs it.
    ///
    /// Panics if the message cannot be stored.
    pub fn append_message(&self, user: &str, folder: &str, rfc822: &[u8]) {
        self.append_message_with_flags(user, folder, &[], rfc822);
    }

    /// [`Cyrus::append_message`] with flags set by the APPEND itself, so that nobody
    /// selects the folder (which would take `\Recent` away from the user's next session).
    pub fn append_message_with_flags(
        &self,
        user: &str,
        folder: &str,
        flags: &[&str],
        rfc822: &[u8],
    ) {
        self.append_all(
            user,
            folder,
            &flags.join(" "),
            &mut std::iter::once(rfc822.to_vec()),
        );
    }

    /// Stores many messages in `folder` of `user` (created if missing) over one
    /// connection, in MULTIAPPEND batches (RFC 3502): the Cyrus counterpart of
    /// [`Dovecot::fill_maildir`](crate::Dovecot::fill_maildir). UIDs follow the order
    /// given. Panics on failure.
    pub fn fill_folder(
        &self,
        user: &str,
        folder: &str,
        messages: &mut dyn Iterator<Item = Vec<u8>>,
    ) {
        self.append_all(user, folder, "", messages);
    }

    /// APPENDs `messages` with `flags` (space-separated, may be empty) as the user.
    fn append_all(
        &self,
        user: &str,
        folder: &str,
        flags: &str,
        messages: &mut dyn Iterator<Item = Vec<u8>>,
    ) {
        let password = self.password_of(user);
        let result = (|| -> io::Result<()> {
            let mut conn = RawImap::login(self.imap_port, user, &password)?;
            let mailbox = mailbox_arg(folder);
            let mut batch: Vec<Vec<u8>> = Vec::new();
            let mut batch_bytes = 0;
            let mut created = false;
            let mut flush = |conn: &mut RawImap, batch: &mut Vec<Vec<u8>>| -> io::Result<()> {
                if batch.is_empty() {
                    return Ok(());
                }
                let mut command = format!("APPEND {mailbox}").into_bytes();
                for msg in batch.iter() {
                    if !flags.is_empty() {
                        command.extend_from_slice(format!(" ({flags})").as_bytes());
                    }
                    command.extend_from_slice(format!(" {{{}+}}\r\n", msg.len()).as_bytes());
                    command.extend_from_slice(msg);
                }
                let mut reply = conn.command(&command)?;
                if !created && reply.contains("TRYCREATE") {
                    created = true;
                    conn.expect_ok(format!("CREATE {mailbox}").as_bytes())?;
                    reply = conn.command(&command)?;
                }
                if !reply.starts_with("OK") {
                    return Err(io::Error::other(format!("APPEND answered: {reply}")));
                }
                batch.clear();
                Ok(())
            };
            for msg in messages {
                batch_bytes += msg.len();
                batch.push(msg);
                if batch.len() >= 500 || batch_bytes >= 4 << 20 {
                    flush(&mut conn, &mut batch)?;
                    batch_bytes = 0;
                }
            }
            flush(&mut conn, &mut batch)?;
            conn.close();
            Ok(())
        })();
        if let Err(e) = result {
            panic!("cannot store messages for {user} in {folder} on the test Cyrus: {e}");
        }
    }

    /// How many lines of the transcripts of `user`'s sessions contain `needle`, waiting
    /// up to 5 s for there to be at least `want`. Cyrus writes a transcript of each
    /// session into `conf/log/USER/` (client lines start `<TIME<`, server lines
    /// `>TIME>`); a session ended by LOGOUT has the line `* BYE LOGOUT received`. The
    /// harness's own sessions never send LOGOUT.
    pub fn session_log_lines(&self, user: &str, needle: &str, want: usize) -> usize {
        let dir = self.dir.join("conf/log").join(user);
        let mut n = 0;
        for _ in 0..50 {
            n = fs::read_dir(&dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| {
                    let text = fs::read(entry.path()).unwrap_or_default();
                    String::from_utf8_lossy(&text)
                        .lines()
                        .filter(|l| l.contains(needle))
                        .count()
                })
                .sum();
            if n >= want {
                break;
            }
            thread::sleep(Duration::from_millis(100));
        }
        n
    }

    /// The INTERNALDATE of message `uid` in `folder` exactly as the server sends it
    /// (`"17-Jul-1996 02:44:25 -0700"` without the quotes), read in a session of the
    /// harness's own, for checking what the client under test makes of it. Panics on
    /// failure.
    pub fn raw_internal_date(&self, user: &str, folder: &str, uid: u32) -> String {
        let password = self.password_of(user);
        let result = RawImap::login(self.imap_port, user, &password).and_then(|mut conn| {
            let mailbox = mailbox_arg(folder);
            conn.expect_ok(format!("EXAMINE {mailbox}").as_bytes())?;
            let (lines, reply) =
                conn.command_with_data(format!("UID FETCH {uid} INTERNALDATE").as_bytes())?;
            conn.close();
            if !reply.starts_with("OK") {
                return Err(io::Error::other(format!("UID FETCH answered: {reply}")));
            }
            lines
                .iter()
                .find_map(|l| {
                    let rest = &l[l.find("INTERNALDATE \"")? + "INTERNALDATE \"".len()..];
                    Some(rest[..rest.find('"')?].to_owned())
                })
                .ok_or_else(|| io::Error::other(format!("no INTERNALDATE in {lines:?}")))
        });
        result
            .unwrap_or_else(|e| panic!("cannot read INTERNALDATE of {user}'s {folder} {uid}: {e}"))
    }

    /// Creates `folder` for `user` (logging in as the user) unless it exists. Panics on
    /// failure.
    pub fn create_folder(&self, user: &str, folder: &str) {
        let password = self.password_of(user);
        let result = RawImap::login(self.imap_port, user, &password).and_then(|mut conn| {
            let mailbox = mailbox_arg(folder);
            let reply = conn.command(format!("CREATE {mailbox}").as_bytes())?;
            conn.close();
            // RFC 5530 ALREADYEXISTS; Cyrus 3.6 says only "Mailbox already exists".
            if reply.starts_with("OK") || reply.contains("already exists") {
                Ok(())
            } else {
                Err(io::Error::other(format!("CREATE answered: {reply}")))
            }
        });
        if let Err(e) = result {
            panic!("cannot create {folder} for {user} on the test Cyrus: {e}");
        }
    }

    /// Adds (`op` `+`) or removes (`-`) `flags` on the messages `uids` of `folder`, in a
    /// session of the user's own (`UID STORE ... FLAGS.SILENT`). Panics on failure.
    pub fn store_flags(&self, user: &str, folder: &str, uids: &str, op: char, flags: &[&str]) {
        let flags = flags.join(" ");
        self.in_folder(
            user,
            folder,
            &[format!("UID STORE {uids} {op}FLAGS.SILENT ({flags})")],
        );
    }

    /// Expunges exactly the messages `uids` of `folder` (`\Deleted`, then UID EXPUNGE,
    /// RFC 4315), in a session of the user's own. Panics on failure.
    pub fn expunge(&self, user: &str, folder: &str, uids: &str) {
        self.in_folder(
            user,
            folder,
            &[
                format!("UID STORE {uids} +FLAGS.SILENT (\\Deleted)"),
                format!("UID EXPUNGE {uids}"),
            ],
        );
    }

    /// Moves the messages `uids` of `folder` to `to` (UID MOVE, RFC 6851), in a session
    /// of the user's own. Panics on failure.
    pub fn move_messages(&self, user: &str, folder: &str, uids: &str, to: &str) {
        let to = mailbox_arg(to);
        self.in_folder(user, folder, &[format!("UID MOVE {uids} {to}")]);
    }

    /// Logs in as `user`, SELECTs `folder` and runs `commands`, each of which must
    /// succeed. Panics on failure.
    fn in_folder(&self, user: &str, folder: &str, commands: &[String]) {
        let password = self.password_of(user);
        let result = RawImap::login(self.imap_port, user, &password).and_then(|mut conn| {
            let mailbox = mailbox_arg(folder);
            conn.expect_ok(format!("SELECT {mailbox}").as_bytes())?;
            for command in commands {
                conn.expect_ok(command.as_bytes())
                    .map_err(|e| io::Error::other(format!("{command}: {e}")))?;
            }
            conn.close();
            Ok(())
        });
        if let Err(e) = result {
            panic!("cannot change {folder} of {user} on the test Cyrus: {e}");
        }
    }

    /// Registers an OAuth client and refresh token for `user` at a token endpoint like
    /// the Dovecot harness's ([`Dovecot::oauth_client_for`](crate::Dovecot::oauth_client_for)).
    /// Cyrus offers no OAuth mechanism, so the access tokens it grants are accepted
    /// nowhere: this is for showing what the client does then (a configuration with
    /// `oauth2 = true` gets its token and then refuses to log in for lack of
    /// `AUTH=XOAUTH2`).
    pub fn oauth_client_for(&self, user: &str) -> OAuthClient {
        self.oauth.client_for(user)
    }

    /// The token endpoint refuses this refresh token from now on (`invalid_grant`).
    pub fn revoke_refresh_token(&self, refresh_token: &str) {
        self.oauth.revoke(refresh_token);
    }

    /// Ends every IMAP session of `user` by sending SIGTERM to the `imapd` processes
    /// serving it (Cyrus records each session's user in `proc_path`): the counterpart of
    /// `doveadm kick`. Returns how many sessions were ended.
    pub fn kick(&self, user: &str) -> usize {
        let mut ended = 0;
        let Ok(entries) = fs::read_dir(self.dir.join("proc")) else {
            return 0;
        };
        for entry in entries.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<libc::pid_t>() else {
                continue;
            };
            // "service\thost\tuser\tmailbox..."
            let text = fs::read_to_string(entry.path()).unwrap_or_default();
            // An entry can outlive its process (after SIGKILL, or across a restart) and
            // the pid be reused: signal only a process that is this server's imapd.
            let is_imapd =
                fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == self.bins.imapd);
            if is_imapd && text.split('\t').nth(2) == Some(user) {
                // SAFETY: plain kill(2); at worst the pid has just exited.
                if unsafe { libc::kill(pid, libc::SIGTERM) } == 0 {
                    ended += 1;
                }
            }
        }
        ended
    }

    /// Whether `user` has a mailbox yet. Cyrus creates it at the user's first login, so
    /// `false` means nobody has logged in as `user` (`mbpath -u USER` of `cyrus-common`).
    ///
    /// Panics if `mbpath` cannot be run.
    pub fn has_mailbox(&self, user: &str) -> bool {
        let out = Command::new(self.bins.master.with_file_name("mbpath"))
            .arg("-C")
            .arg(&self.config_path)
            .arg("-u")
            .arg(user)
            .current_dir(&self.dir)
            .uid(self.bins.ids.0)
            .gid(self.bins.ids.1)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run Cyrus's mbpath: {e}"));
        out.status.success()
    }

    /// Stops the server. Idempotent; also done on drop and at process exit.
    pub fn stop(&self) {
        self.master.stop();
    }

    /// Stops the server and starts it again on the same ports, with the same users and
    /// mail: for tests of clients that must survive a server restart.
    pub fn restart(&self) -> io::Result<()> {
        self.stop();
        let _ = fs::remove_file(self.dir.join("master.pid"));
        // Session records of the stopped server's processes.
        if let Ok(entries) = fs::read_dir(self.dir.join("proc")) {
            for entry in entries.flatten() {
                let _ = fs::remove_file(entry.path());
            }
        }
        let child = spawn_master(
            &self.bins,
            &self.dir,
            &self.config_path,
            &self.cyrus_conf_path,
            &self.log_path,
        )?;
        self.master.replace(child);
        Ok(self.wait_until_ready()?)
    }

    fn password_of(&self, user: &str) -> String {
        let pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        pool.users
            .iter()
            .find(|u| u.name == user)
            .map(|u| u.password.clone())
            .unwrap_or_else(|| panic!("{user} is not a user of this test Cyrus"))
    }

    fn try_start(opts: &CyrusOptions, bins: &CyrusBinaries) -> Result<Cyrus, StartError> {
        static INSTANCE: AtomicUsize = AtomicUsize::new(0);
        let n = INSTANCE.fetch_add(1, Ordering::Relaxed);
        let dir = process_dir()?.join(format!("cyrus-{n}"));
        let result = Self::try_start_in(&dir, n, opts, bins);
        if result.is_err() {
            let _ = fs::remove_dir_all(&dir);
        }
        result
    }

    fn try_start_in(
        dir: &Path,
        n: usize,
        opts: &CyrusOptions,
        bins: &CyrusBinaries,
    ) -> Result<Cyrus, StartError> {
        create_dir_mode(dir, 0o755)?;
        for sub in [
            "conf",
            "conf/db",
            "conf/socket",
            "spool",
            // Where APPEND stages a message. imapd creates it on first use, but two
            // imapds doing so at once make the loser's APPEND fail with "NO System I/O
            // error" (its mkdir meets EEXIST), so it exists before any session.
            "spool/stage.",
            "proc",
            "lock",
            "sieve",
            "tls",
        ] {
            create_dir_mode(&dir.join(sub), 0o750)?;
        }
        let pki = certs::write_server_pki(&dir.join("tls"))?;
        let users = make_users(0, USER_POOL);
        let sasldb_path = dir.join("sasldb2");
        add_users(bins, &sasldb_path, &users)?;

        let (imap_port, imaps_port) = free_ports()?;
        let config_path = dir.join("imapd.conf");
        let cyrus_conf_path = dir.join("cyrus.conf");
        let log_path = dir.join("master.log");
        let instance = format!("{DIR_PREFIX}{}-cyrus-{n}", std::process::id());
        fs::write(
            &config_path,
            render_imapd_conf(dir, &instance, opts.tls.then_some(&pki)),
        )?;
        fs::write(
            &cyrus_conf_path,
            render_cyrus_conf(
                bins,
                &config_path,
                imap_port,
                opts.tls.then_some(imaps_port),
            ),
        )?;
        // Everything belongs to the `cyrus` user, which runs the master and its services.
        give_tree_to(dir, bins.ids)?;

        let child = spawn_master(bins, dir, &config_path, &cyrus_conf_path, &log_path)?;
        let server = Cyrus {
            dir: dir.to_path_buf(),
            config_path,
            cyrus_conf_path,
            log_path: log_path.clone(),
            sasldb_path,
            ca_pem: pki.ca_pem,
            imap_port,
            imaps_port: opts.tls.then_some(imaps_port),
            bins: bins.clone(),
            pool: Mutex::new(UserPool { users, next: 0 }),
            master: MasterProcess::new("cyrus", log_path, child),
            oauth: Introspection::start()?,
        };
        // On failure `server` is dropped here, which stops the master.
        server.wait_until_ready()?;
        Ok(server)
    }

    /// Waits until the plain port greets, failing early if the master exits.
    fn wait_until_ready(&self) -> Result<(), StartError> {
        self.master
            .wait_until_greets(self.imap_port, |status, log| {
                // The master reports a failed bind only to syslog; a free-port race is the
                // likely cause of an early exit with a valid configuration.
                StartError::Retry(io::Error::other(format!(
                    "the Cyrus master exited during start ({status}); its output:\n{}\n\
                 (configuration in {}; Cyrus logs the rest to syslog)",
                    tail(log, 40),
                    self.config_path.display()
                )))
            })
    }
}

impl StopAtExit for Cyrus {
    fn stop_at_exit(&self) {
        self.stop();
    }
}

impl Drop for Cyrus {
    fn drop(&mut self) {
        self.stop();
        remove_dir_best_effort(&self.dir);
    }
}

impl std::fmt::Debug for Cyrus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cyrus")
            .field("dir", &self.dir)
            .field("imap_port", &self.imap_port)
            .field("imaps_port", &self.imaps_port)
            .finish_non_exhaustive()
    }
}

/// The server's `imapd.conf`.
fn render_imapd_conf(dir: &Path, instance: &str, tls: Option<&certs::PkiFiles>) -> String {
    let d = dir.display();
    let mut c = format!(
        "# Generated by imap-async-tests for one private test server.\n\
         configdirectory: {d}/conf\n\
         defaultpartition: default\n\
         partition-default: {d}/spool\n\
         proc_path: {d}/proc\n\
         mboxname_lockpath: {d}/lock\n\
         # imapd binds its end of the idled link at CONFIGDIRECTORY/socket/idle.PID\n\
         # whatever idlesocket says, so all sockets live there.\n\
         idlesocket: {d}/conf/socket/idle\n\
         notifysocket: {d}/conf/socket/notify\n\
         lmtpsocket: {d}/conf/socket/lmtp\n\
         sievedir: {d}/sieve\n\
         syslog_prefix: {instance}\n\
         servername: {REALM}\n\
         # Folders beside INBOX with \"/\" as the separator, like the test Dovecot.\n\
         altnamespace: yes\n\
         unixhierarchysep: yes\n\
         # Authentication: LOGIN and AUTHENTICATE PLAIN against the private sasldb, also\n\
         # without TLS, and no pause after a failed login.\n\
         allowplaintext: yes\n\
         sasl_pwcheck_method: auxprop\n\
         sasl_auxprop_plugin: sasldb\n\
         sasl_sasldb_path: {d}/sasldb2\n\
         sasl_mech_list: PLAIN LOGIN\n\
         failedloginpause: 0\n\
         # Mailboxes are created at the first login, with the usual folders and the\n\
         # quota of the test Dovecot (10 GiB and a million messages).\n\
         autocreate_quota: 10485760\n\
         autocreate_quota_messages: 1000000\n\
         autocreate_inbox_folders: Sent|Drafts|Trash|Junk|Archive\n\
         autocreate_subscribe_folders: Sent|Drafts|Trash|Junk|Archive\n\
         # A deleted folder is gone at once instead of kept under DELETED/.\n\
         delete_mode: immediate\n"
    );
    if let Some(pki) = tls {
        c.push_str(&format!(
            "tls_server_cert: {}\ntls_server_key: {}\n",
            pki.chain_pem.display(),
            pki.key_pem.display()
        ));
    }
    c
}

/// The server's `cyrus.conf`: the services with absolute paths and `-C`, since without
/// them the services would read the system's configuration.
fn render_cyrus_conf(
    bins: &CyrusBinaries,
    config: &Path,
    imap_port: u16,
    imaps_port: Option<u16>,
) -> String {
    let imapd = bins.imapd.display();
    let ctl_cyrusdb = bins.ctl_cyrusdb.display();
    let conf = config.display();
    let mut services =
        format!("  imap cmd=\"{imapd} -C {conf}\" listen=\"127.0.0.1:{imap_port}\" prefork=2\n");
    if let Some(port) = imaps_port {
        services.push_str(&format!(
            "  imaps cmd=\"{imapd} -s -C {conf}\" listen=\"127.0.0.1:{port}\" prefork=1\n"
        ));
    }
    format!(
        "# Generated by imap-async-tests for one private test server.\n\
         START {{\n  \
           # Creates the databases before any service opens them, as Debian's own\n  \
           # configuration does; the master starts the services after it ends.\n  \
           recover cmd=\"{ctl_cyrusdb} -r -C {conf}\"\n\
         }}\n\
         SERVICES {{\n{services}}}\n\
         EVENTS {{\n}}\n\
         DAEMON {{\n  \
           # Wakes IDLE sessions at once; without it they poll every 60 s.\n  \
           idled cmd=\"{} -C {conf}\"\n\
         }}\n",
        bins.idled.display()
    )
}

/// Starts `master` in the foreground as the `cyrus` user, its output appended to the log.
fn spawn_master(
    bins: &CyrusBinaries,
    dir: &Path,
    config: &Path,
    cyrus_conf: &Path,
    log_path: &Path,
) -> io::Result<Child> {
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)?;
    chown(log_path, Some(bins.ids.0), Some(bins.ids.1))?;
    let mut cmd = Command::new(&bins.master);
    cmd.arg("-C")
        .arg(config)
        .arg("-M")
        .arg(cyrus_conf)
        .arg("-p")
        .arg(dir.join("master.pid"))
        // Keep stdout and stderr (the log) open instead of closing them.
        .arg("-D")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // Started as `cyrus` rather than switching later: a change of user clears the
        // parent-death signal, which must survive to stop Cyrus with the test process.
        .uid(bins.ids.0)
        .gid(bins.ids.1)
        .process_group(0);
    spawn_tied_to_process(cmd)
}

/// Adds `users` to the sasldb at `path` (created if missing): into a copy, which then
/// replaces the original by rename.
///
/// Each user also gets a directory under `conf/log/`: Cyrus then writes a transcript of
/// every session of that user into it (its "telemetry"), which
/// [`Cyrus::session_log_lines`] reads.
fn add_users(bins: &CyrusBinaries, path: &Path, users: &[TestUser]) -> io::Result<()> {
    let log_root = path.with_file_name("conf").join("log");
    fs::create_dir_all(&log_root)?;
    chown(&log_root, Some(bins.ids.0), Some(bins.ids.1))?;
    for user in users {
        let dir = log_root.join(&user.name);
        fs::create_dir_all(&dir)?;
        chown(&dir, Some(bins.ids.0), Some(bins.ids.1))?;
    }
    let copy = path.with_extension("new");
    let _ = fs::remove_file(&copy);
    if path.exists() {
        fs::copy(path, &copy)?;
    }
    for user in users {
        let mut child = Command::new(&bins.saslpasswd)
            .args(["-p", "-c", "-u", REALM, "-f"])
            .arg(&copy)
            .arg(&user.name)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot run saslpasswd2: {e}")))?;
        // `-p`: the password is the first line of the input.
        child
            .stdin
            .take()
            .expect("stdin was piped")
            .write_all(user.password.as_bytes())?;
        let out = child.wait_with_output()?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "saslpasswd2 for {} failed ({}): {}",
                user.name,
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
    }
    chown(&copy, Some(bins.ids.0), Some(bins.ids.1))?;
    fs::set_permissions(&copy, fs::Permissions::from_mode(0o640))?;
    fs::rename(&copy, path)
}

/// Gives `dir` and everything in it to `ids` (uid, gid).
fn give_tree_to(dir: &Path, ids: (u32, u32)) -> io::Result<()> {
    chown(dir, Some(ids.0), Some(ids.1))?;
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            give_tree_to(&path, ids)?;
        } else {
            chown(&path, Some(ids.0), Some(ids.1))?;
        }
    }
    Ok(())
}

/// A folder name as a quoted IMAP string in modified UTF-7 (RFC 3501 §5.1.3). The
/// harness encodes names itself rather than with the client under test, so that a bug in
/// the client's encoder cannot hide in the test setup.
fn mailbox_arg(name: &str) -> String {
    quoted(&modified_utf7(name))
}

/// Modified UTF-7: printable ASCII as is (`&` as `&-`), every other run as UTF-16BE in
/// base64 with `,` for `/` and no padding, between `&` and `-`.
fn modified_utf7(name: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    let mut run: Vec<u16> = Vec::new();
    let flush = |run: &mut Vec<u16>, out: &mut String| {
        if run.is_empty() {
            return;
        }
        let bytes: Vec<u8> = run.iter().flat_map(|u| u.to_be_bytes()).collect();
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes);
        out.push('&');
        out.push_str(&b64.replace('/', ","));
        out.push('-');
        run.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut run, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            run.extend(c.encode_utf16(&mut [0; 2]).iter());
        }
    }
    flush(&mut run, &mut out);
    out
}

/// An IMAP string for `text`: quoted, with `\` and `"` escaped.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A minimal blocking IMAP conversation for the harness's own use (not the client under
/// test): commands with LITERAL+ literals, answers read line by line.
struct RawImap {
    reader: BufReader<TcpStream>,
    stream: TcpStream,
    tag: u32,
}

impl RawImap {
    fn login(port: u16, user: &str, password: &str) -> io::Result<RawImap> {
        let stream = TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), IO_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        let mut conn = RawImap {
            reader: BufReader::new(stream.try_clone()?),
            stream,
            tag: 0,
        };
        let greeting = conn.read_line()?;
        if !greeting.starts_with("* OK") {
            return Err(io::Error::other(format!("unexpected greeting: {greeting}")));
        }
        conn.expect_ok(format!("LOGIN {} {}", quoted(user), quoted(password)).as_bytes())
            .map_err(|e| io::Error::other(format!("LOGIN as {user}: {e}")))?;
        Ok(conn)
    }

    /// Sends one command and returns the text after the tag of its tagged answer
    /// (`OK ...`, `NO ...`).
    fn command(&mut self, command: &[u8]) -> io::Result<String> {
        Ok(self.command_with_data(command)?.1)
    }

    /// [`RawImap::command`], also returning the untagged lines that came before the
    /// tagged answer.
    fn command_with_data(&mut self, command: &[u8]) -> io::Result<(Vec<String>, String)> {
        self.tag += 1;
        let tag = format!("h{}", self.tag);
        let mut line = format!("{tag} ").into_bytes();
        line.extend_from_slice(command);
        line.extend_from_slice(b"\r\n");
        self.stream.write_all(&line)?;
        let prefix = format!("{tag} ");
        let mut untagged = Vec::new();
        loop {
            let answer = self.read_line()?;
            match answer.strip_prefix(&prefix) {
                Some(rest) => return Ok((untagged, rest.to_owned())),
                None => untagged.push(answer),
            }
        }
    }

    fn expect_ok(&mut self, command: &[u8]) -> io::Result<()> {
        let reply = self.command(command)?;
        if reply.starts_with("OK") {
            Ok(())
        } else {
            Err(io::Error::other(format!("server answered: {reply}")))
        }
    }

    fn read_line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        Ok(line.trim_end().to_owned())
    }

    /// Ends the conversation by closing the connection. Deliberately no LOGOUT: the
    /// session transcripts then show only the LOGOUTs of the client under test.
    fn close(self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_beyond_the_pool_are_added_and_work_at_once() {
        let server = Cyrus::start(CyrusOptions { tls: false }).unwrap();
        let mut users = Vec::new();
        for _ in 0..USER_POOL + 2 {
            users.push(server.new_user());
        }
        let names: std::collections::HashSet<_> = users.iter().map(|u| &u.name).collect();
        assert_eq!(names.len(), users.len());
        for user in [&users[0], &users[USER_POOL], &users[USER_POOL + 1]] {
            RawImap::login(server.imap_port(), &user.name, &user.password)
                .unwrap()
                .close();
        }
        let wrong = RawImap::login(server.imap_port(), &users[0].name, "wrong");
        assert!(wrong.is_err());
    }

    #[test]
    fn drop_stops_the_server_and_removes_its_directory() {
        let server = Cyrus::start(CyrusOptions { tls: true }).unwrap();
        let dir = server.dir.clone();
        let port = server.imap_port();
        assert!(dir.join("imapd.conf").exists());
        drop(server);
        assert!(!dir.exists(), "{} still exists", dir.display());
        assert!(TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err());
    }

    #[test]
    fn modified_utf7_of_known_names() {
        // Examples from RFC 3501 §5.1.3 and from Gmail's Russian folder names.
        assert_eq!(
            modified_utf7("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(modified_utf7("Tom & Jerry"), "Tom &- Jerry");
        assert_eq!(
            modified_utf7("[Gmail]/Отправленные"),
            "[Gmail]/&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"
        );
        assert_eq!(modified_utf7("été 😀"), "&AOk-t&AOk- &2D3eAA-");
    }

    #[test]
    fn append_creates_the_folder_and_kick_ends_the_session() {
        let server = Cyrus::start(CyrusOptions { tls: false }).unwrap();
        let user = server.new_user();
        server.append_message(&user.name, "Archive/2024 ä", b"Subject: a\r\n\r\nx\r\n");
        let mut conn = RawImap::login(server.imap_port(), &user.name, &user.password).unwrap();
        let encoded = mailbox_arg("Archive/2024 ä");
        let status = conn
            .command(format!("EXAMINE {encoded}").as_bytes())
            .unwrap();
        assert!(status.starts_with("OK"), "{status}");
        // At least this session; the harness's own APPEND session may still be closing.
        assert!(server.kick(&user.name) >= 1);
        let after = conn.command(b"NOOP");
        assert!(after.is_err(), "{after:?}");
    }
}
