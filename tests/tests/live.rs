//! The live test suite: the whole command surface against any real account described by a
//! configuration file (see `docs/configuration.md`).
//!
//! ```text
//! IMAP_ASYNC_LIVE=live.ini cargo test -p imap-async-tests --test live live_suite::dovecot -- --nocapture
//! ```
//!
//! The `[DEFAULT]` section's account is exercised inside a scratch folder
//! `imap-async-live-<random>` created under the personal namespace and removed afterwards
//! (also when a step fails or panics), once addressing messages by UID and once by sequence
//! number. Alternate sections without `expect_failure` get the same run; those with it must
//! fail to connect with an error matching that (case-insensitive) regular expression.
//!
//! Without `IMAP_ASYNC_LIVE` the suite writes a `live.ini` for each of the harness's servers,
//! Dovecot and Cyrus (a fresh user over STARTTLS with the test CA, an implicit-TLS
//! alternate, an OAuth2 alternate using the harness's token endpoint, and alternates that
//! must fail), and runs against both, so CI always runs it. Cyrus offers no OAuth
//! mechanism, so its OAuth2 alternate is one that must fail: the client gets a token and
//! then refuses to send it for lack of `AUTH=XOAUTH2`.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::time::Instant;

use futures::FutureExt;
use imap_async::proto::sequence::{Id, IdSet};
use imap_async::{Config, ConfigSection, Search, SearchKey, Seq, Session, Uid};
use imap_async_tests::{ImapServer, RealServer, on_both_servers};

type Res<T> = imap_async::Result<T>;

/// Searching by UID or by sequence number, so one suite body serves both.
trait Addressing: Id {
    const LABEL: &'static str;
    async fn find(s: &mut Session, key: SearchKey) -> Res<IdSet<Self>>;
}

impl Addressing for Uid {
    const LABEL: &'static str = "uid";
    async fn find(s: &mut Session, key: SearchKey) -> Res<IdSet<Uid>> {
        s.search(key).await
    }
}

impl Addressing for Seq {
    const LABEL: &'static str = "seq";
    async fn find(s: &mut Session, key: SearchKey) -> Res<IdSet<Seq>> {
        s.seq_search(key).await
    }
}

fn message(subject: &str) -> Vec<u8> {
    format!(
        "From: live@example.org\r\nTo: live@example.org\r\nSubject: {subject}\r\n\
         Message-ID: <{subject}@imap-async.live>\r\n\r\nBody of {subject}.\r\n"
    )
    .into_bytes()
}

fn count<K: Id>(set: &IdSet<K>) -> u64 {
    set.count().expect("a search result has no *")
}

/// Every command family once, in `folder`, with `dest` as the target of COPY and MOVE.
async fn exercise<K: Addressing>(s: &mut Session, folder: &str, dest: &str) -> Res<()> {
    s.create_folder(folder).await?;
    s.create_folder(dest).await?;
    assert!(s.folder_exists(folder).await?);
    let listed = s.list_folders("", &format!("{folder}*")).await?;
    assert_eq!(listed.len(), 2, "{listed:?}");

    for subject in ["alpha", "beta", "gamma"] {
        let flags: &[&str] = if subject == "beta" {
            &["\\Flagged"]
        } else {
            &[]
        };
        s.append(folder, message(subject), flags, None).await?;
    }
    let info = s.select_folder(folder).await?;
    assert_eq!(info.exists, 3);

    let all = K::find(s, Search::all()).await?;
    assert_eq!(count(&all), 3);
    let flagged = K::find(s, Search::flagged()).await?;
    assert_eq!(count(&flagged), 1);

    // FETCH: headers and bodies of every message.
    let fetched = s
        .fetch(
            &all,
            "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)] RFC822.SIZE)",
        )
        .await?;
    assert_eq!(fetched.len(), 3);
    let mut subjects: Vec<String> = fetched
        .iter()
        .map(|f| {
            let header = f
                .body("HEADER.FIELDS (SUBJECT)")
                .expect("the requested header section");
            String::from_utf8_lossy(&header).trim().to_owned()
        })
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        ["Subject: alpha", "Subject: beta", "Subject: gamma"]
    );
    assert!(fetched.iter().all(|f| f.size().is_some_and(|n| n > 0)));

    // Flags: add, get, remove, set.
    let alpha = K::find(s, Search::subject("alpha")).await?;
    s.add_flags(&alpha, &["\\Seen", "\\Answered"]).await?;
    let flags = s.get_flags(&alpha).await?;
    let got = flags.values().next().expect("alpha's flags");
    assert!(got.iter().any(|f| f == "\\Seen") && got.iter().any(|f| f == "\\Answered"));
    s.remove_flags(&alpha, [imap_async::Flag::Answered]).await?;
    s.set_flags(&alpha, &["\\Seen", "\\Draft"]).await?;
    let flags = s.get_flags(&alpha).await?;
    let got = flags.values().next().expect("alpha's flags");
    assert!(got.iter().any(|f| f == "\\Draft") && !got.iter().any(|f| f == "\\Answered"));
    assert_eq!(count(&K::find(s, Search::seen()).await?), 1);

    // COPY alpha, MOVE beta.
    s.copy(&alpha, dest).await?;
    let beta = K::find(s, Search::subject("beta")).await?;
    s.move_messages(&beta, dest).await?;
    assert_eq!(count(&K::find(s, Search::all()).await?), 2);

    // Delete and expunge gamma.
    let gamma = K::find(s, Search::subject("gamma")).await?;
    s.delete_messages(&gamma, false).await?;
    let expunged = s.expunge().await?;
    assert_eq!(expunged.seqs.len() + expunged.vanished_len(), 1);
    assert_eq!(count(&K::find(s, Search::all()).await?), 1);

    // STATUS of both folders (not the selected one's, as RFC 3501 §6.3.10 advises).
    s.unselect_or_close().await?;
    let st = s.folder_status(dest, None).await?;
    assert_eq!(st.messages, Some(2));
    let st = s.folder_status(folder, None).await?;
    assert_eq!(st.messages, Some(1));
    Ok(())
}

/// Small helpers the suite needs beyond the library's API.
trait SessionExt {
    async fn unselect_or_close(&mut self) -> Res<()>;
}

impl SessionExt for Session {
    async fn unselect_or_close(&mut self) -> Res<()> {
        if self.has_capability("UNSELECT").await? {
            self.unselect_folder().await
        } else {
            self.close_folder().await
        }
    }
}

trait ExpungedExt {
    fn vanished_len(&self) -> usize;
}

impl ExpungedExt for imap_async::Expunged {
    fn vanished_len(&self) -> usize {
        self.vanished.count().unwrap_or(0) as usize
    }
}

/// The scratch folder's name under the personal namespace, and the COPY/MOVE target inside
/// it (or beside it when the server has no hierarchy).
async fn scratch_names(s: &mut Session, label: &str) -> Res<(String, String)> {
    let ns = s.namespace().await?;
    let (prefix, delimiter) = ns
        .personal
        .first()
        .map(|n| (n.prefix.clone(), n.delimiter))
        .unwrap_or_default();
    let name = format!("{prefix}imap-async-live-{:016x}-{label}", random());
    let dest = match delimiter {
        Some(d) => format!("{name}{d}dest"),
        None => format!("{name}-dest"),
    };
    Ok((name, dest))
}

/// Deletes the scratch folders, children first; tolerant of folders that were never made.
async fn remove_scratch(s: &mut Session, folder: &str, dest: &str) -> Res<()> {
    if s.selected_folder().is_some() {
        let _ = s.unselect_or_close().await;
    }
    for name in [dest, folder] {
        if s.folder_exists(name).await? {
            s.delete_folder(name).await?;
        }
    }
    assert!(!s.folder_exists(folder).await?);
    Ok(())
}

/// One full run: connect, exercise in a scratch folder, always remove it, log out.
async fn run_suite<K: Addressing>(section: &ConfigSection) -> Res<()> {
    let started = Instant::now();
    let result = in_scratch(section, K::LABEL, async |s, folder, dest| {
        exercise::<K>(s, folder, dest).await
    })
    .await;
    println!(
        "live: [{}] by {} in {:?}: {}",
        section.name,
        K::LABEL,
        started.elapsed(),
        if result.is_ok() { "ok" } else { "FAILED" }
    );
    result
}

/// Runs `body` with fresh scratch folder names and removes the folders afterwards, whether
/// `body` succeeded, failed or panicked.
async fn in_scratch<F>(section: &ConfigSection, label: &str, body: F) -> Res<()>
where
    F: AsyncFnOnce(&mut Session, &str, &str) -> Res<()>,
{
    let mut s = section.connect().await?;
    let (folder, dest) = scratch_names(&mut s, label).await?;
    let outcome = AssertUnwindSafe(body(&mut s, &folder, &dest))
        .catch_unwind()
        .await;
    // Clean up on the same connection, or a new one if that one is broken.
    if remove_scratch(&mut s, &folder, &dest).await.is_err() {
        let mut fresh = section.connect().await?;
        remove_scratch(&mut fresh, &folder, &dest).await?;
        fresh.logout().await?;
    } else {
        s.logout().await?;
    }
    match outcome {
        Err(panic) => std::panic::resume_unwind(panic),
        Ok(r) => r,
    }
}

fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish()
}

/// The live.ini for one of the harness's servers.
fn harness_live_ini(server: &dyn ImapServer) -> PathBuf {
    let user = server.new_user();
    let client = server.oauth_client_for(&user.name);
    let revoked = server.oauth_client_for(&user.name);
    server.revoke_refresh_token(&revoked.refresh_token);
    let (wrong_password, oauth2_expectation) = match server.kind() {
        RealServer::Dovecot => ("AUTHENTICATIONFAILED|Authentication failed", ""),
        // Cyrus says "NO Login failed: authentication failure", without a response code.
        // It has no OAuth mechanism: the client refuses before sending the token.
        RealServer::Cyrus => (
            "Login failed: authentication failure",
            "expect_failure = AUTH=XOAUTH2\n",
        ),
    };
    let text = format!(
        "; Generated by tests/tests/live.rs for the harness's {kind}.\n\
         [DEFAULT]\nhost = {host}\nport = {port}\nssl = false\nstarttls = true\n\
         ssl_ca_file = {ca}\nusername = {user}\npassword = {password}\ntimeout = 20\n\n\
         [implicit tls]\nstarttls = false\nssl = true\nport = {imaps}\n\n\
         [oauth2]\noauth2 = true\noauth2_client_id = {cid}\noauth2_client_secret = {cs}\n\
         oauth2_refresh_token = {rt}\noauth2_token_url = {url}\n{oauth2_expectation}\n\
         [wrong password]\npassword = not-the-password\n\
         expect_failure = {wrong_password}\n\n\
         [wrong ca]\nssl_ca_file = {other_ca}\nexpect_failure = unknown ?issuer\n\n\
         [revoked refresh token]\noauth2 = true\noauth2_client_id = {cid2}\n\
         oauth2_client_secret = {cs2}\noauth2_refresh_token = {rt2}\noauth2_token_url = {url}\n\
         expect_failure = invalid_grant\n",
        kind = server.name(),
        host = server.host(),
        port = server.imap_port(),
        imaps = server.imaps_port().expect("the shared server has TLS"),
        ca = server.ca_pem_path().display(),
        other_ca = imap_async_tests::other_ca_pem().display(),
        user = user.name,
        password = user.password,
        cid = client.client_id,
        cs = client.client_secret,
        rt = client.refresh_token,
        cid2 = revoked.client_id,
        cs2 = revoked.client_secret,
        rt2 = revoked.refresh_token,
        url = client.token_url,
    );
    let dir = std::env::temp_dir().join(format!(
        "imap-async-live-{}-{:08x}",
        std::process::id(),
        random() as u32
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("live.ini");
    std::fs::write(&path, text).expect("write live.ini");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    path
}

/// Removes a generated live.ini and its directory once it has been read.
fn remove_generated(path: &std::path::Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The suite for the configuration file at `path`; `generated` files are removed once read.
async fn live_suite(path: PathBuf, generated: bool) {
    let started = Instant::now();
    println!("live: using {}", path.display());
    let config = Config::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
    if generated {
        remove_generated(&path);
    }

    let mut sections = vec![&config.default];
    let mut failures = Vec::new();
    sections.extend(config.alternates.values());
    let mut runs = 0;
    let mut expected_failures = 0;
    for section in sections {
        match &section.expect_failure {
            None => {
                for result in [
                    run_suite::<Uid>(section).await,
                    run_suite::<Seq>(section).await,
                ] {
                    runs += 1;
                    if let Err(e) = result {
                        failures.push(format!("[{}]: {e}", section.name));
                    }
                }
            }
            Some(pattern) => {
                expected_failures += 1;
                let re = regex::RegexBuilder::new(pattern)
                    .case_insensitive(true)
                    .build()
                    .unwrap_or_else(|e| panic!("[{}] expect_failure: {e}", section.name));
                match section.connect().await {
                    Ok(s) => {
                        let _ = s.logout().await;
                        failures.push(format!(
                            "[{}]: connected, but should have failed with /{pattern}/",
                            section.name
                        ));
                    }
                    Err(e) if re.is_match(&e.to_string()) => {
                        println!("live: [{}] failed as expected: {e}", section.name);
                    }
                    Err(e) => failures.push(format!(
                        "[{}]: failed with {e:?}, which does not match /{pattern}/",
                        section.name
                    )),
                }
            }
        }
    }
    println!(
        "live: {runs} suite runs and {expected_failures} expected failures in {:?}",
        started.elapsed()
    );
    assert!(
        runs >= 2,
        "the DEFAULT section runs by UID and by sequence number"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

mod live_suite {
    use super::*;

    /// The account `IMAP_ASYNC_LIVE` describes, or without it the harness's Dovecot.
    #[tokio::test]
    async fn dovecot() {
        match std::env::var_os("IMAP_ASYNC_LIVE") {
            Some(path) => live_suite(PathBuf::from(path), false).await,
            None => live_suite(harness_live_ini(imap_async_tests::Dovecot::shared()), true).await,
        }
    }

    /// Always the harness's Cyrus.
    #[tokio::test]
    async fn cyrus() {
        live_suite(harness_live_ini(imap_async_tests::Cyrus::shared()), true).await;
    }
}

async fn scratch_folders_are_removed_when_a_step_fails_or_panics(server: &dyn ImapServer) {
    let path = harness_live_ini(server);
    let config = Config::from_file(&path).unwrap();
    remove_generated(&path);
    let section = &config.default;
    let seen = std::sync::Mutex::new(Vec::new());
    let failed = in_scratch(section, "fail", async |s, folder, dest| {
        seen.lock().unwrap().push(folder.to_owned());
        s.create_folder(folder).await?;
        s.create_folder(dest).await?;
        s.append(folder, message("doomed"), imap_async::Flag::NONE, None)
            .await?;
        s.select_folder(folder).await?;
        // A step that fails: the folder already exists.
        s.create_folder(folder).await
    })
    .await;
    assert!(failed.is_err());
    let panicked = AssertUnwindSafe(in_scratch(section, "panic", async |s, folder, dest| {
        seen.lock().unwrap().push(folder.to_owned());
        s.create_folder(folder).await?;
        s.create_folder(dest).await?;
        panic!("a step panicked");
    }))
    .catch_unwind()
    .await;
    assert!(panicked.is_err());

    let folders = seen.into_inner().unwrap();
    assert_eq!(folders.len(), 2);
    let mut s = section.connect().await.unwrap();
    for folder in &folders {
        assert!(
            !s.folder_exists(folder).await.unwrap(),
            "{folder} left behind"
        );
    }
    let left = s.list_folders("", "imap-async-live-*").await.unwrap();
    assert!(left.is_empty(), "{left:?}");
    s.logout().await.unwrap();
}
on_both_servers!(scratch_folders_are_removed_when_a_step_fails_or_panics);
