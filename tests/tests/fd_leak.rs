//! 1,000 sequential `with_session` calls, against each real server (Dovecot, Cyrus), leave
//! the process's open file descriptors where they were. In a test binary of its own, with
//! one test running the servers one after the other, so no other test opens sockets
//! meanwhile.

use std::time::Duration;

use imap_async::{ConnectOptions, Error, with_session};
use imap_async_tests::probe::open_fds;
use imap_async_tests::{Cyrus, Dovecot, ImapServer};

#[tokio::test]
async fn a_thousand_sessions_leak_no_file_descriptor() {
    // Both servers started before any count: starting one opens files in this process
    // (its log, the pipes to its master).
    let servers: [&dyn ImapServer; 2] = [Dovecot::shared(), Cyrus::shared()];
    for server in servers {
        thousand_sessions(server).await;
    }
}

async fn thousand_sessions(server: &dyn ImapServer) {
    let user = server.new_user();
    let opts = ConnectOptions::new(server.host())
        .port(server.imaps_port().expect("TLS listener"))
        .ca_file(server.ca_pem_path())
        .tls_server_name("localhost")
        .command_timeout(Duration::from_secs(10))
        .login(&user.name, user.password.as_str());
    // One session first, so lazily opened process-wide files (system roots, the log) are
    // already counted.
    with_session(&opts, async |c| c.noop().await.map(drop))
        .await
        .unwrap();
    let before = open_fds();
    for i in 0..1000u32 {
        let r = with_session(&opts, async |c| {
            if i % 3 == 1 {
                return Err(Error::other("failing on purpose"));
            }
            c.noop().await?;
            Ok(i)
        })
        .await;
        assert_eq!(r.is_ok(), i % 3 != 1, "iteration {i}: {r:?}");
    }
    let after = open_fds();
    assert_eq!(
        before,
        after,
        "open file descriptors before and after 1,000 sessions with {}",
        server.name()
    );
    assert_eq!(
        server.logouts(&user.name, 1001),
        1001,
        "every session logged out of {}",
        server.name()
    );
}
