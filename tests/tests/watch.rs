//! The long-lived folder watcher (`imap_async::watch`) against the real servers: it says
//! what happened to its connection, gives up on what retrying cannot fix, backs off from a
//! server that drops it, renews OAuth 2.0 tokens, and after every reconnect (or in a new
//! process, from saved state) yields exactly what changed while it was away.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use imap_async::{
    ConnectOptions, IdleOptions, ResyncMethod, Session, Uid, UidSet, Watch, WatchEvent,
    WatchOptions, WatchState, watch,
};
use imap_async_tests::{Dovecot, ImapServer, RealServer, on_both_server_kinds};

const MSG: &[u8] = b"From: a@example.org\r\nSubject: watch test\r\n\r\nbody\r\n";

fn quick() -> WatchOptions {
    WatchOptions::default()
        .idle(IdleOptions::default().done_timeout(Duration::from_secs(3)))
        .backoff(Duration::from_millis(100), Duration::from_secs(1))
        .stable_after(Duration::from_secs(2))
}

fn opts(server: &dyn ImapServer, user: &imap_async_tests::TestUser) -> ConnectOptions {
    server
        .plaintext_options(user)
        .connect_timeout(Duration::from_secs(3))
        .command_timeout(Duration::from_secs(5))
}

/// The next event within `secs`, or a panic naming what was awaited.
async fn next(w: &mut Watch, secs: u64, what: &str) -> WatchEvent {
    match tokio::time::timeout(Duration::from_secs(secs), w.next()).await {
        Err(_) => panic!("no event within {secs} s while waiting for {what}"),
        Ok(None) => panic!("the watcher ended while waiting for {what}"),
        Ok(Some(Err(e))) => panic!("the watcher failed while waiting for {what}: {e}"),
        Ok(Some(Ok(e))) => e,
    }
}

fn uid(n: u32) -> Uid {
    Uid::new(n).unwrap()
}

fn set(uids: &[u32]) -> UidSet {
    uids.iter().map(|&n| uid(n)).collect()
}

/// Changes as yielded between a (Re)connect and `Resynced`, collected.
#[derive(Debug, Default, PartialEq)]
struct Changes {
    new: UidSet,
    expunged: UidSet,
    flags: Vec<(u32, Vec<imap_async::Flag>)>,
}

async fn collect_resync(w: &mut Watch) -> (Changes, ResyncMethod) {
    let mut c = Changes::default();
    loop {
        match next(w, 20, "the resynchronisation").await {
            WatchEvent::New(s) => c.new.union_with(&s),
            WatchEvent::Expunged(s) => c.expunged.union_with(&s),
            WatchEvent::FlagsChanged { uid, flags, .. } => c.flags.push((uid.get(), flags)),
            WatchEvent::Resynced {
                method,
                new,
                expunged,
                flags_changed,
            } => {
                assert_eq!(new, c.new.count().unwrap());
                assert_eq!(expunged, c.expunged.count().unwrap());
                assert_eq!(flags_changed as usize, c.flags.len());
                return (c, method);
            }
            other => panic!("unexpected during resync: {other:?}"),
        }
    }
}

/// Append 3, expunge 2 (UIDs 2 and 4), flag 1 (UID 1 \Flagged) from another connection.
async fn change_the_folder(opts: &ConnectOptions) -> UidSet {
    let mut s = Session::connect(opts).await.unwrap();
    let mut added = UidSet::new();
    for _ in 0..3 {
        let a = s
            .append("INBOX", MSG.to_vec(), imap_async::Flag::NONE, None)
            .await
            .unwrap();
        added.union_with(&a.expect("APPENDUID").uids);
    }
    s.select_folder("INBOX").await.unwrap();
    s.add_flags(&set(&[2, 4]), [imap_async::Flag::Deleted])
        .await
        .unwrap();
    s.uid_expunge(&set(&[2, 4])).await.unwrap();
    s.add_flags(&set(&[1]), [imap_async::Flag::Flagged])
        .await
        .unwrap();
    s.logout().await.unwrap();
    added
}

fn assert_the_changes(c: &Changes, added: &UidSet) {
    assert_eq!(&c.new, added, "{c:?}");
    assert_eq!(c.expunged, set(&[2, 4]), "{c:?}");
    assert_eq!(c.flags.len(), 1, "exactly one flag change: {c:?}");
    assert_eq!(c.flags[0].0, 1);
    assert!(
        c.flags[0].1.iter().any(|f| f == "\\Flagged"),
        "{:?}",
        c.flags
    );
}

async fn changes_made_while_the_server_was_down_are_yielded_exactly(kind: RealServer) {
    let server = kind.start(false);
    let user = server.new_user();
    for _ in 0..5 {
        server.append_message(&user.name, "INBOX", MSG);
    }
    let opts = opts(&*server, &user);
    let mut w = watch(opts.clone(), "INBOX", quick());
    match next(&mut w, 20, "Started").await {
        WatchEvent::Started { exists, .. } => assert_eq!(exists, 5),
        other => panic!("expected Started, got {other:?}"),
    }
    // A live change first: one new message, reported by UID.
    let mut s = Session::connect(&opts).await.unwrap();
    let live = s
        .append("INBOX", MSG.to_vec(), imap_async::Flag::NONE, None)
        .await
        .unwrap();
    s.logout().await.unwrap();
    match next(&mut w, 20, "the live append").await {
        WatchEvent::New(uids) => assert_eq!(uids, live.unwrap().uids),
        other => panic!("expected New, got {other:?}"),
    }

    // The server stops: the watcher says so and when it will try again.
    tokio::task::block_in_place(|| server.stop());
    match next(&mut w, 20, "Disconnected").await {
        WatchEvent::Disconnected(e) => assert!(e.is_retryable(), "{e}"),
        other => panic!("expected Disconnected, got {other:?}"),
    }
    match next(&mut w, 5, "Retrying").await {
        WatchEvent::Retrying { attempt, after } => {
            assert_eq!(attempt, 1);
            assert!(after <= Duration::from_secs(1), "{after:?}");
        }
        other => panic!("expected Retrying, got {other:?}"),
    }
    // While the watcher is not polled it does nothing: the server comes back and the
    // folder changes behind its back.
    tokio::task::block_in_place(|| server.restart().expect("restart"));
    let added = change_the_folder(&opts).await;

    // Polled again, it reconnects (maybe after failed attempts while the server was
    // down) and yields exactly those changes, then goes on with live ones.
    loop {
        match next(&mut w, 30, "Reconnected").await {
            WatchEvent::Reconnected { exists, .. } => {
                assert_eq!(exists, 6 + 3 - 2);
                // Part-way through the catch-up, the state to save is still the one
                // from before it: saved now, a resumed watcher would report it all.
                assert!(w.state().known_uids.contains(2), "{:?}", w.state());
                break;
            }
            WatchEvent::Disconnected(_) | WatchEvent::Retrying { .. } => {}
            other => panic!("expected Reconnected, got {other:?}"),
        }
    }
    let (c, method) = collect_resync(&mut w).await;
    assert_the_changes(&c, &added);
    eprintln!("{}: resynchronised with {method:?}: {c:?}", kind.name());
    // Once the batch is out, the state says what it said.
    let state = w.state();
    assert!(!state.known_uids.contains(2) && !state.known_uids.contains(4));
    assert!(
        added
            .iter()
            .unwrap()
            .all(|u| state.known_uids.contains(u.get()))
    );
    assert_eq!(
        state.flags_of(uid(1)),
        Some(&[imap_async::Flag::Flagged][..]),
        "{state:?}"
    );

    let mut s = Session::connect(&opts).await.unwrap();
    let after = s
        .append("INBOX", MSG.to_vec(), imap_async::Flag::NONE, None)
        .await
        .unwrap();
    s.logout().await.unwrap();
    match next(&mut w, 20, "a live append after the resync").await {
        WatchEvent::New(uids) => assert_eq!(uids, after.unwrap().uids),
        other => panic!("expected New, got {other:?}"),
    }
    w.close().await;
}
on_both_server_kinds!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    changes_made_while_the_server_was_down_are_yielded_exactly
);

async fn a_watcher_resumed_from_saved_json_yields_the_changes_since(kind: RealServer) {
    let server = kind.shared();
    let user = server.new_user();
    for _ in 0..5 {
        server.append_message(&user.name, "INBOX", MSG);
    }
    let opts = opts(server, &user);
    let mut w = watch(opts.clone(), "INBOX", quick());
    assert!(matches!(
        next(&mut w, 20, "Started").await,
        WatchEvent::Started { exists: 5, .. }
    ));
    let saved = serde_json::to_string(&w.close().await).unwrap();
    eprintln!("saved state: {saved}");
    assert!(saved.contains("\"known_uids\":\"1:5\""), "{saved}");

    let added = change_the_folder(&opts).await;

    // A new watcher, as a new process would make it, from the JSON alone.
    let state: WatchState = serde_json::from_str(&saved).unwrap();
    let mut w = Watch::resume(opts.clone(), "INBOX", quick(), state);
    assert!(matches!(
        next(&mut w, 20, "Started").await,
        WatchEvent::Started { exists: 6, .. }
    ));
    let (c, method) = collect_resync(&mut w).await;
    assert_the_changes(&c, &added);
    assert_ne!(method, ResyncMethod::Compare, "both servers have CONDSTORE");
    let state = w.close().await;
    assert_eq!(state.known_uids, {
        let mut k = set(&[1, 3, 5]);
        k.union_with(&added);
        k
    });
}
on_both_server_kinds!(a_watcher_resumed_from_saved_json_yields_the_changes_since);

/// The third resynchronisation method, for servers with neither QRESYNC nor CONDSTORE:
/// the same Dovecot with its capability list cut down.
#[tokio::test]
async fn without_condstore_the_watcher_compares_uids_and_flags() {
    let server = Dovecot::start_with_config(
        "imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE UIDPLUS ESEARCH",
    )
    .expect("a Dovecot without CONDSTORE");
    let user = server.new_user();
    for _ in 0..5 {
        server.append_message(&user.name, "INBOX", MSG);
    }
    let opts = opts(&server, &user);
    let mut w = watch(opts.clone(), "INBOX", quick());
    assert!(matches!(
        next(&mut w, 20, "Started").await,
        WatchEvent::Started { exists: 5, .. }
    ));
    let saved = w.close().await;
    assert_eq!(saved.highest_modseq, None, "no CONDSTORE advertised");
    let added = change_the_folder(&opts).await;
    let mut w = Watch::resume(opts, "INBOX", quick(), saved);
    assert!(matches!(
        next(&mut w, 20, "Started").await,
        WatchEvent::Started { .. }
    ));
    let (c, method) = collect_resync(&mut w).await;
    assert_eq!(method, ResyncMethod::Compare);
    assert_the_changes(&c, &added);
    w.close().await;
}

async fn twenty_restarts_with_appends_running_miss_nothing_and_repeat_nothing(kind: RealServer) {
    let server: Arc<Box<dyn ImapServer>> = Arc::new(kind.start(false));
    let user = server.new_user();
    let opts = opts(&**server, &user);
    let mut w = watch(opts.clone(), "INBOX", quick());
    assert!(matches!(
        next(&mut w, 20, "Started").await,
        WatchEvent::Started { exists: 0, .. }
    ));

    // Appends run on their own task throughout, each on a fresh connection, retried
    // until the server takes it.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let confirmed = Arc::new(Mutex::new(UidSet::new()));
    let appender = {
        let (stop, confirmed, opts) = (stop.clone(), confirmed.clone(), opts.clone());
        tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r: imap_async::Result<Option<imap_async::AppendUid>> = async {
                    let mut s = Session::connect(&opts).await?;
                    let a = s
                        .append("INBOX", MSG.to_vec(), imap_async::Flag::NONE, None)
                        .await?;
                    let _ = s.logout().await;
                    Ok(a)
                }
                .await;
                if let Ok(Some(a)) = r {
                    confirmed.lock().unwrap().union_with(&a.uids);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    // The watcher's events are counted on their own task too.
    let seen: Arc<Mutex<Vec<u32>>> = Arc::default();
    let reconnects = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let watcher = {
        let (seen, reconnects) = (seen.clone(), reconnects.clone());
        tokio::spawn(async move {
            while let Some(e) = w.next().await {
                match e.expect("only retryable errors here") {
                    WatchEvent::New(s) => {
                        seen.lock().unwrap().extend(s.iter().unwrap().map(Uid::get))
                    }
                    WatchEvent::Reconnected { .. } => {
                        reconnects.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    WatchEvent::UidValidityChanged { .. } => panic!("UIDVALIDITY must not change"),
                    _ => {}
                }
            }
        })
    };

    let started = Instant::now();
    for i in 0..20 {
        let s = server.clone();
        tokio::task::spawn_blocking(move || s.restart().expect("restart"))
            .await
            .unwrap();
        // Let the watcher reconnect before the next restart, most of the time.
        let deadline = Instant::now() + Duration::from_secs(10);
        while reconnects.load(std::sync::atomic::Ordering::Relaxed) < i + 1
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    appender.await.unwrap();

    // The truth, from the server itself.
    let mut s = Session::connect(&opts).await.unwrap();
    s.select_folder("INBOX").await.unwrap();
    let all = s.search(imap_async::SearchKey::All).await.unwrap();
    s.logout().await.unwrap();
    let want: BTreeSet<u32> = all.iter().unwrap().map(Uid::get).collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got: BTreeSet<u32> = seen.lock().unwrap().iter().copied().collect();
        if got == want || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    watcher.abort();
    let seen = seen.lock().unwrap().clone();
    let unique: BTreeSet<u32> = seen.iter().copied().collect();
    let confirmed = confirmed.lock().unwrap().clone();
    eprintln!(
        "{}: 20 restarts in {:?}; {} reconnects; {} messages in the folder, {} appends confirmed, {} reported new",
        kind.name(),
        started.elapsed(),
        reconnects.load(std::sync::atomic::Ordering::Relaxed),
        want.len(),
        confirmed.count().unwrap_or(0),
        seen.len()
    );
    assert_eq!(
        seen.len(),
        unique.len(),
        "a message reported twice: {seen:?}"
    );
    assert_eq!(unique, want, "reported new vs in the folder");
    assert!(
        confirmed.iter().unwrap().all(|u| unique.contains(&u.get())),
        "every confirmed append was reported"
    );
    assert!(want.len() >= 20, "appends ran throughout: {}", want.len());
    assert!(reconnects.load(std::sync::atomic::Ordering::Relaxed) >= 20);
}
on_both_server_kinds!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    twenty_restarts_with_appends_running_miss_nothing_and_repeat_nothing
);

async fn a_wrong_password_ends_the_stream_after_one_attempt(kind: RealServer) {
    let server = kind.shared();
    let user = server.new_user();
    let opts = opts(server, &user).login(&user.name, "not-the-password");
    let started = Instant::now();
    let mut w = watch(opts, "INBOX", quick());
    let mut events = Vec::new();
    let end = loop {
        match tokio::time::timeout(Duration::from_secs(20), w.next()).await {
            Err(_) => panic!("the watcher kept going: {events:?}"),
            Ok(None) => panic!("ended without saying why: {events:?}"),
            Ok(Some(Ok(e))) => events.push(format!("{e:?}")),
            Ok(Some(Err(e))) => break e,
        }
    };
    assert!(end.is_auth_failed(), "{end}");
    assert!(events.is_empty(), "no retry announced: {events:?}");
    assert!(w.next().await.is_none(), "the stream ends after the error");
    eprintln!(
        "{}: wrong password: 1 login attempt, stream ended after {:?} with: {end}",
        kind.name(),
        started.elapsed()
    );
}
on_both_server_kinds!(a_wrong_password_ends_the_stream_after_one_attempt);

#[tokio::test]
async fn a_folder_that_does_not_exist_ends_the_stream() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let mut w = watch(opts(server, &user), "No/Such/Folder", quick());
    match tokio::time::timeout(Duration::from_secs(20), w.next()).await {
        Ok(Some(Err(e))) => {
            assert!(!e.is_retryable(), "{e}");
            assert!(e.to_string().contains("SELECT"), "{e}");
        }
        other => panic!("expected the error, got {other:?}"),
    }
    assert!(w.next().await.is_none());
}

/// A proxy in front of Dovecot that closes each connection right after the server's
/// IDLE continuation: the watcher must back off, not reconnect at once every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_drops_every_idle_gets_the_backoff_curve() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let proxy = imap_async_tests::proxy::DropAfterIdle::start(server.host(), server.imap_port())
        .await
        .unwrap();
    let mut opts = server.plaintext_options(&user).port(proxy.port());
    opts.host = proxy.host().to_owned();
    let wopts = quick()
        .backoff(Duration::from_millis(50), Duration::from_millis(800))
        .stable_after(Duration::from_secs(30));
    let mut w = watch(opts, "INBOX", wopts);
    let mut attempts = Vec::new();
    let run = Duration::from_secs(6);
    let started = Instant::now();
    let _ = tokio::time::timeout(run, async {
        while let Some(e) = w.next().await {
            if let WatchEvent::Retrying { attempt, after } = e.expect("retryable") {
                attempts.push((attempt, after));
            }
        }
    })
    .await;
    let connections = proxy.connection_times();
    let gaps: Vec<Duration> = connections.windows(2).map(|w| w[1] - w[0]).collect();
    eprintln!(
        "{} connections in {:?}; gaps {:?}",
        connections.len(),
        started.elapsed(),
        gaps
    );
    // Without backoff (the old watcher) this was one connection every 50-100 ms: 60+.
    assert!(connections.len() <= 20, "{} connections", connections.len());
    assert!(
        connections.len() >= 4,
        "it kept trying: {}",
        connections.len()
    );
    // The announced attempts count up and the waits grow to the cap.
    for (i, (attempt, _)) in attempts.iter().enumerate() {
        assert_eq!(*attempt as usize, i + 1, "{attempts:?}");
    }
    let longest = attempts.iter().map(|a| a.1).max().unwrap();
    assert!(longest >= Duration::from_millis(400), "{attempts:?}");
    assert!(
        gaps.iter().any(|g| *g >= Duration::from_millis(400)),
        "{gaps:?}"
    );
}

/// OAuth 2.0 tokens that live 3 s, a watcher that runs across several of them and is
/// kicked off again and again: every reconnect logs in with a fresh token and events
/// keep coming.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_outlives_its_oauth_tokens() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let client = server.oauth_client_for(&user.name);
    server.set_oauth_token_lifetime(&client.refresh_token, 3);
    let text = format!(
        "[DEFAULT]\nhost = {}\nport = {}\nssl = false\nstarttls = true\nssl_ca_file = {}\n\
         username = {}\ntimeout = 10\noauth2 = true\noauth2_client_id = {}\n\
         oauth2_client_secret = {}\noauth2_refresh_token = {}\noauth2_token_url = {}\n",
        server.host(),
        server.imap_port(),
        server.ca_pem_path().display(),
        user.name,
        client.client_id,
        client.client_secret,
        client.refresh_token,
        client.token_url,
    );
    let section = imap_async::Config::from_str_with_env(&text, "oauth.ini", |_| None)
        .unwrap()
        .default;
    let opts = section.connect_options().await.unwrap();
    let mut w = watch(opts.clone(), "INBOX", quick());
    assert!(matches!(
        next(&mut w, 20, "Started").await,
        WatchEvent::Started { .. }
    ));
    let grants_at_start = server.oauth_grants(&client.refresh_token);
    for round in 1..=4u32 {
        // Outlive the token, then lose the connection: the reconnect needs a new one.
        tokio::time::sleep(Duration::from_millis(3200)).await;
        server.revoke_access_tokens(&user.name);
        tokio::task::block_in_place(|| server.kick(&user.name));
        loop {
            match next(&mut w, 20, "Reconnected").await {
                WatchEvent::Reconnected { .. } => break,
                WatchEvent::Disconnected(_) | WatchEvent::Retrying { .. } => {}
                other => panic!("round {round}: expected Reconnected, got {other:?}"),
            }
        }
        let (c, _) = collect_resync(&mut w).await;
        assert_eq!(c, Changes::default(), "nothing changed meanwhile");
        server.append_message(&user.name, "INBOX", MSG);
        match next(&mut w, 20, "the live append").await {
            WatchEvent::New(uids) => assert_eq!(uids, set(&[round])),
            other => panic!("round {round}: expected New, got {other:?}"),
        }
    }
    let grants = server.oauth_grants(&client.refresh_token) - grants_at_start;
    eprintln!("4 token lifetimes, 4 kicks: {grants} fresh access tokens granted");
    assert!(grants >= 4, "a fresh token for every reconnect: {grants}");
    w.close().await;
}

/// The race behind a message once missed on Cyrus: a reconnect finds a new message, then
/// the server goes away before IDLE starts. The attempt fails, and the next one must still
/// report the message (the state is only updated with the events that say so). Scripted,
/// because a real server gives that window only now and then.
#[tokio::test]
async fn a_reconnect_that_fails_after_its_resync_still_reports_what_it_found() {
    use imap_async_tests::fake::{FakeServer, Step, expect, send};
    let caps = "IMAP4rev1 IDLE";
    let login = |exists: u32, search: &str| {
        vec![
            send(&format!("* OK [CAPABILITY {caps}] fake\r\n")),
            expect("LOGIN"),
            send(&format!("{{tag}} OK [CAPABILITY {caps}] in\r\n")),
            expect("SELECT INBOX"),
            send(&format!(
                "* {exists} EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT {}] n\r\n{{tag}} OK [READ-WRITE] sel\r\n",
                exists + 1
            )),
            expect("UID SEARCH ALL"),
            send(&format!("* SEARCH {search}\r\n{{tag}} OK s\r\n")),
        ]
    };
    let mut first = login(1, "1");
    first.extend([
        expect("UID FETCH 1 (UID FLAGS)"),
        send("* 1 FETCH (UID 1 FLAGS ())\r\n{tag} OK f\r\n"),
        expect("IDLE"),
        send("+ idling\r\n"),
        Step::Close,
    ]);
    let resync = |last: Vec<Step>| {
        let mut s = login(2, "1 2");
        s.extend([
            expect("UID FETCH 2 (UID FLAGS)"),
            send("* 2 FETCH (UID 2 FLAGS ())\r\n{tag} OK f\r\n"),
            expect("UID FETCH 1 (UID FLAGS)"),
            send("* 1 FETCH (UID 1 FLAGS ())\r\n{tag} OK f\r\n"),
            expect("IDLE"),
        ]);
        s.extend(last);
        s
    };
    // Second connection: the resync sees UID 2, then the server closes instead of `+`.
    let second = resync(vec![Step::Close]);
    // Third: the same, and this time IDLE starts.
    let third = resync(vec![
        send("+ idling\r\n"),
        Step::Sleep(Duration::from_secs(2)),
    ]);
    let server = FakeServer::start_sessions(vec![first, second, third]).await;
    let mut w = watch(server.options(), "INBOX", quick());
    assert!(matches!(
        next(&mut w, 10, "Started").await,
        WatchEvent::Started { exists: 1, .. }
    ));
    let mut seen = Vec::new();
    loop {
        assert!(seen.len() < 12, "no resync in sight: {seen:?}");
        let e = next(&mut w, 10, "the resync of the third connection").await;
        seen.push(format!("{e:?}"));
        if let WatchEvent::Resynced { new, .. } = e {
            assert_eq!(new, 1, "{seen:?}");
            break;
        }
    }
    let news: Vec<&String> = seen.iter().filter(|e| e.starts_with("New(")).collect();
    assert_eq!(news, vec!["New(UidSet(2))"], "{seen:?}");
    let disconnects = seen
        .iter()
        .filter(|e| e.starts_with("Disconnected"))
        .count();
    assert_eq!(
        disconnects, 2,
        "the first IDLE, then the failed attempt: {seen:?}"
    );
    assert_eq!(w.state().known_uids, set(&[1, 2]));
}
