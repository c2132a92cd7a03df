//! 1,000 sequential `with_session` calls leave the process's open file descriptors where
//! they were. In a test binary of its own, so no other test opens sockets meanwhile.

use std::time::Duration;

use imap_async::{ConnectOptions, Error, with_session};
use imap_async_tests::Dovecot;
use imap_async_tests::probe::open_fds;

#[tokio::test]
async fn a_thousand_sessions_leak_no_file_descriptor() {
    let server = Dovecot::shared();
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
        before, after,
        "open file descriptors before and after 1,000 sessions"
    );
    assert_eq!(
        server.session_log_lines(&user.name, "Logged out", 1001),
        1001,
        "every session logged out"
    );
}
