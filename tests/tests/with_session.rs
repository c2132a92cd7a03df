//! `with_session` logs out and closes on every path, against the real servers (Dovecot,
//! Cyrus).

use imap_async::{ConnectOptions, Error, Security, with_session};
use imap_async_tests::{ImapServer, TestUser, on_both_servers};

fn options(server: &dyn ImapServer, user: &TestUser) -> ConnectOptions {
    server.options(user, Security::Tls)
}

async fn ok_path_logs_out(server: &dyn ImapServer) {
    let user = server.new_user();
    let exists = with_session(
        &options(server, &user),
        async |c| -> imap_async::Result<u32> { Ok(c.select_folder("INBOX").await?.exists) },
    )
    .await
    .expect("with_session");
    assert_eq!(exists, 0);
    assert_eq!(server.logouts(&user.name, 1), 1, "server saw the LOGOUT");
}
on_both_servers!(ok_path_logs_out);

async fn error_path_logs_out_and_returns_the_error(server: &dyn ImapServer) {
    let user = server.new_user();
    let err = with_session(&options(server, &user), async |c| {
        c.select_folder("No such folder").await?;
        Ok(())
    })
    .await
    .expect_err("selecting a missing folder fails");
    match &err {
        Error::No { command, .. } => assert_eq!(command, "SELECT"),
        other => panic!("expected NO to SELECT, got {other:?}"),
    }
    assert_eq!(
        server.logouts(&user.name, 1),
        1,
        "server saw the LOGOUT after the error"
    );

    // A user error travels through unchanged too.
    let err = with_session(
        &options(server, &user),
        async |_c| -> imap_async::Result<()> { Err(Error::other("my own failure")) },
    )
    .await
    .unwrap_err();
    assert_eq!(err.to_string(), "my own failure");
    assert_eq!(server.logouts(&user.name, 2), 2);
}
on_both_servers!(error_path_logs_out_and_returns_the_error);

async fn panic_path_logs_out_and_resumes_the_panic(server: &dyn ImapServer) {
    let user = server.new_user();
    let opts = options(server, &user);
    let task = tokio::spawn(async move {
        with_session(&opts, async |c| -> imap_async::Result<()> {
            c.select_folder("INBOX").await?;
            panic!("boom inside the closure");
        })
        .await
    });
    let joined = task.await;
    let panic = joined.expect_err("the panic propagates");
    assert!(panic.is_panic());
    let message = panic.into_panic();
    assert_eq!(
        message.downcast_ref::<&str>(),
        Some(&"boom inside the closure")
    );
    assert_eq!(
        server.logouts(&user.name, 1),
        1,
        "server saw the LOGOUT despite the panic"
    );
}
on_both_servers!(panic_path_logs_out_and_resumes_the_panic);
