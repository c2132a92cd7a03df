//! What Dovecot cannot show, from a scripted server: Gmail's X-GM-RAW capability check
//! (the X-GM-RAW exchange itself is in the quirk corpus, `tests/quirks/gmail-x-gm-raw.imap`),
//! and a server without ESEARCH (plain `* SEARCH ... (MODSEQ n)`).

use imap_async::proto::Search;
use imap_async::session::SortKey;
use imap_async::{ConnectOptions, Error, Session, Uid};
use imap_async_tests::fake::{FakeServer, Step, expect, send};

fn opts(server: &FakeServer) -> ConnectOptions {
    server.options()
}

fn script(caps: &str, rest: Vec<Step>) -> Vec<Step> {
    let mut s = vec![
        send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake ready\r\n"),
        expect("LOGIN"),
        send(&format!(
            "{{tag}} OK [CAPABILITY IMAP4rev1 {caps}] logged in\r\n"
        )),
    ];
    s.extend(rest);
    s.push(expect("LOGOUT"));
    s.push(send("* BYE bye\r\n{tag} OK\r\n"));
    s
}

#[tokio::test]
async fn gmail_search_needs_x_gm_ext_1_and_sort_display_is_checked() {
    let server = FakeServer::start(script("SORT", vec![])).await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let err = s.gmail_search("is:starred").await.unwrap_err();
    assert!(
        matches!(&err, Error::MissingCapability { capability, .. } if capability == "X-GM-EXT-1"),
        "{err:?}"
    );
    let err = s
        .sort([SortKey::DisplayFrom], Search::all())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::MissingCapability { capability, .. } if capability == "SORT=DISPLAY"),
        "{err:?}"
    );
    s.logout().await.unwrap();
    assert_eq!(
        server.finish().await.len(),
        2,
        "nothing was sent for either"
    );
}

#[tokio::test]
async fn plain_search_with_modseq_without_esearch() {
    let server = FakeServer::start(script(
        "CONDSTORE LITERAL+",
        vec![
            expect("UID SEARCH CHARSET UTF-8 OR SUBJECT {5+}Köln NOT MODSEQ 5"),
            send("* SEARCH 2 3 8 (MODSEQ 917)\r\n{tag} OK done\r\n"),
            expect(" SEARCH ALL"),
            send("* SEARCH\r\n{tag} OK done\r\n"),
        ],
    ))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let r = s
        .search_full::<Uid>(Search::or(Search::subject("Köln"), !Search::modseq(5)))
        .await
        .unwrap();
    assert_eq!(r.ids.to_string(), "2:3,8");
    assert_eq!(r.modseq, Some(917));
    assert!(s.seq_search(Search::all()).await.unwrap().is_empty());
    s.logout().await.unwrap();
    server.finish().await;
}

#[tokio::test]
async fn search_uses_esearch_all_when_offered_and_keeps_ranges() {
    let server = FakeServer::start(script(
        "ESEARCH",
        vec![
            expect("UID SEARCH RETURN (ALL) UNSEEN"),
            send("* ESEARCH (TAG \"{tag}\") UID ALL 1:3000000,3000002\r\n{tag} OK done\r\n"),
        ],
    ))
    .await;
    let mut s = Session::connect(&opts(&server)).await.unwrap();
    let found = s.search(Search::unseen()).await.unwrap();
    assert_eq!(found.to_string(), "1:3000000,3000002");
    assert_eq!(found.count(), Some(3_000_001));
    s.logout().await.unwrap();
    server.finish().await;
}
