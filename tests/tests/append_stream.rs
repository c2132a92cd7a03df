//! APPEND streamed from a reader ([`Session::append_reader`]) against the real servers:
//! a message of a few MB generated as it is read is stored byte for byte.

use imap_async::{Session, UidSet};
use imap_async_tests::generated::GeneratedMessage;
use imap_async_tests::{ImapServer, on_both_servers};

const SIZE: u64 = 3 * 1024 * 1024 + 17;

async fn append_reader_stores_a_few_mb_byte_for_byte(server: &dyn ImapServer) {
    let user = server.new_user();
    let mut session = Session::connect(&server.plaintext_options(&user))
        .await
        .unwrap();
    let stored = session
        .append_reader(
            "INBOX",
            GeneratedMessage::new(SIZE),
            SIZE,
            &["\\Seen", "$Restored"],
            None,
        )
        .await
        .unwrap()
        .expect("both servers have UIDPLUS: APPENDUID");
    assert_eq!(stored.uids.count(), Some(1));
    session.select_folder("INBOX").await.unwrap();
    let fetched = session
        .fetch(&stored.uids, "(RFC822.SIZE FLAGS BODY.PEEK[])")
        .await
        .unwrap();
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0].size(), Some(SIZE));
    let body = fetched[0].body("").expect("the body");
    let expected = GeneratedMessage::to_vec(SIZE);
    assert_eq!(body.len(), expected.len());
    assert!(body[..] == expected[..], "the stored bytes differ");
    // `\Recent` goes to the first session that sees the message: this one.
    let mut flags = fetched[0].flags().unwrap();
    flags.retain(|f| f != "\\Recent");
    flags.sort();
    assert_eq!(flags, ["$Restored", "\\Seen"]);
    // The session goes on normally after a streamed literal.
    let all: UidSet = session.search("ALL").await.unwrap();
    assert_eq!(all, stored.uids);
    session.logout().await.unwrap();
}
on_both_servers!(append_reader_stores_a_few_mb_byte_for_byte);
