//! SEARCH, ESEARCH, SORT, THREAD and FETCH against the real servers (Dovecot, Cyrus), with
//! exact answers derived from the messages each test stores.

use chrono::{Datelike, NaiveDate};
use imap_async::proto::{Address, BodyStructure, FetchItem, Search, ThreadNode, Untagged};
use imap_async::session::{FetchAttr, SearchReturn, SortKey, ThreadAlgorithm};
use imap_async::{ConnectOptions, Error, Seq, SeqSet, Session, Uid, UidSet};
use imap_async_tests::{ImapServer, RealServer, TestUser, on_both_servers};

/// Date header earlier than message 1's, so date order differs from arrival order.
const M1: &[u8] = b"From: Alice <alice@example.org>\r\n\
To: Bob <bob@example.org>\r\n\
Cc: Dave <dave@example.org>\r\n\
Subject: Report 2024\r\n\
Date: Thu, 1 Feb 2024 10:00:00 +0000\r\n\
Message-ID: <1@example.org>\r\n\
\r\n\
The quarterly numbers are attached soon.\r\n";

const M2: &[u8] = b"From: Carol <carol@example.org>\r\n\
To: undisclosed-recipients:;\r\n\
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\r\n\
Date: Fri, 5 Jan 2024 09:00:00 +0100\r\n\
Message-ID: <2@example.org>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: 8bit\r\n\
\r\n\
Viele Gr\xc3\xbc\xc3\x9fe vom Rhein.\r\n";

const M3: &[u8] = b"From: Bob <bob@example.org>\r\n\
To: Alice <alice@example.org>\r\n\
Subject: Re: Report 2024\r\n\
Date: Fri, 15 Mar 2024 08:30:00 -0500\r\n\
Message-ID: <3@example.org>\r\n\
In-Reply-To: <1@example.org>\r\n\
References: <1@example.org>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
\r\n\
--outer\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\
\r\n\
See the attachment and the forwarded mail.\r\n\
--outer\r\n\
Content-Type: application/pdf; name=\"q1.pdf\"\r\n\
Content-Disposition: attachment; filename=\"q1.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSPj4Kc3RyZWFtCg==\r\n\
--outer\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
From: Eve <eve@example.org>\r\n\
Subject: forwarded\r\n\
\r\n\
Inner body.\r\n\
--outer--\r\n";

const M4: &[u8] = b"From: Alice <alice@example.org>\r\n\
To: Bob <bob@example.org>\r\n\
Subject: Re: Re: Report 2024\r\n\
Date: Wed, 20 Mar 2024 12:00:00 +0000\r\n\
Message-ID: <4@example.org>\r\n\
In-Reply-To: <3@example.org>\r\n\
References: <1@example.org> <3@example.org>\r\n\
X-Priority: 1\r\n\
\r\n\
Thanks, all good.\r\n";

const MESSAGES: [&[u8]; 4] = [M1, M2, M3, M4];

fn opts(server: &dyn ImapServer, user: &TestUser) -> ConnectOptions {
    server.plaintext_options(user)
}

/// A user with M1..M4 in INBOX (UIDs 1..4): M1 `\Seen \Flagged`, M2 keyword `$Work`.
fn mailbox(server: &dyn ImapServer) -> TestUser {
    let user = server.new_user();
    let flags: [&[&str]; 4] = [&["\\Seen", "\\Flagged"], &["$Work"], &[], &[]];
    for (m, flags) in MESSAGES.into_iter().zip(flags) {
        server.append_message_with_flags(&user.name, "INBOX", flags, m);
    }
    user
}

async fn session(server: &dyn ImapServer, user: &TestUser) -> Session {
    let mut s = Session::connect(&opts(server, user)).await.expect("login");
    s.select_folder("INBOX").await.expect("select");
    s
}

fn uids(list: &[u32]) -> UidSet {
    list.iter().filter_map(|&n| Uid::new(n)).collect()
}

fn seqs(list: &[u32]) -> SeqSet {
    list.iter().filter_map(|&n| Seq::new(n)).collect()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

async fn every_criteria_family(server: &dyn ImapServer) {
    let user = mailbox(server);
    let mut s = session(server, &user).await;

    // Flags and keywords.
    assert_eq!(s.search(Search::seen()).await.unwrap(), uids(&[1]));
    assert_eq!(s.search(Search::unseen()).await.unwrap(), uids(&[2, 3, 4]));
    assert_eq!(s.search(Search::flagged()).await.unwrap(), uids(&[1]));
    assert_eq!(
        s.search(Search::keyword("$Work")).await.unwrap(),
        uids(&[2])
    );
    assert_eq!(
        s.search(Search::unkeyword("$Work")).await.unwrap(),
        uids(&[1, 3, 4])
    );
    assert_eq!(s.search(Search::deleted()).await.unwrap(), UidSet::new());

    // Dates: Date header (SENT*), exact; internal dates relative to the save time.
    assert_eq!(
        s.search(Search::sent_before(date(2024, 2, 1)))
            .await
            .unwrap(),
        uids(&[2])
    );
    assert_eq!(
        s.search(Search::sent_on(date(2024, 2, 1))).await.unwrap(),
        uids(&[1])
    );
    assert_eq!(
        s.search(Search::sent_since(date(2024, 3, 15)))
            .await
            .unwrap(),
        uids(&[3, 4])
    );
    let saved = s.fetch(&uids(&[1]), FetchAttr::InternalDate).await.unwrap()[0]
        .internal_date()
        .expect("internal date");
    let saved_day = saved.date_naive();
    let next_day = saved_day.succ_opt().unwrap();
    assert_eq!(
        s.search(Search::on(saved_day)).await.unwrap(),
        uids(&[1, 2, 3, 4])
    );
    assert_eq!(
        s.search(Search::since(next_day)).await.unwrap(),
        UidSet::new()
    );
    assert_eq!(
        s.search(Search::before(saved_day)).await.unwrap(),
        UidSet::new()
    );

    // Sizes, against the sizes Dovecot reports (which are the stored sizes).
    let sizes: Vec<(u32, u64)> = s
        .fetch(&UidSet::all(), FetchAttr::Rfc822Size)
        .await
        .unwrap()
        .iter()
        .map(|f| (f.uid().unwrap().get(), f.size().unwrap()))
        .collect();
    assert_eq!(
        sizes.iter().map(|&(_, n)| n).collect::<Vec<_>>(),
        MESSAGES.iter().map(|m| m.len() as u64).collect::<Vec<_>>()
    );
    let m3 = M3.len() as u64;
    assert_eq!(s.search(Search::larger(m3 - 1)).await.unwrap(), uids(&[3]));
    let small: Vec<u32> = sizes
        .iter()
        .filter(|&&(_, n)| n < m3)
        .map(|&(u, _)| u)
        .collect();
    assert_eq!(s.search(Search::smaller(m3)).await.unwrap(), uids(&small));

    // Headers and text.
    assert_eq!(
        s.search(Search::from("alice")).await.unwrap(),
        uids(&[1, 4])
    );
    assert_eq!(s.search(Search::to("alice")).await.unwrap(), uids(&[3]));
    assert_eq!(s.search(Search::cc("dave")).await.unwrap(), uids(&[1]));
    assert_eq!(
        s.search(Search::header("X-Priority", "1")).await.unwrap(),
        uids(&[4])
    );
    assert_eq!(
        s.search(Search::header("In-Reply-To", "")).await.unwrap(),
        uids(&[3, 4])
    );
    assert_eq!(
        s.search(Search::subject("report")).await.unwrap(),
        uids(&[1, 3, 4])
    );
    assert_eq!(
        s.search(Search::body("quarterly")).await.unwrap(),
        uids(&[1])
    );
    assert_eq!(
        s.search(Search::text("forwarded")).await.unwrap(),
        uids(&[3])
    );

    // OR / NOT nesting and AND groups.
    let key = Search::or(Search::from("carol"), !Search::subject("report"));
    assert_eq!(s.search(key).await.unwrap(), uids(&[2]));
    let key = !Search::or(
        Search::seen(),
        Search::or(Search::keyword("$Work"), Search::to("alice")),
    );
    assert_eq!(s.search(key).await.unwrap(), uids(&[4]));
    let key = Search::or(
        Search::from("alice").and(Search::unseen()),
        Search::cc("dave").and(Search::flagged()),
    );
    assert_eq!(s.search(key).await.unwrap(), uids(&[1, 4]));

    // UID and sequence sets, in both result kinds.
    let two_three: UidSet = "2:3".parse().unwrap();
    assert_eq!(
        s.search(Search::uid(two_three).and(Search::unseen()))
            .await
            .unwrap(),
        uids(&[2, 3])
    );
    assert_eq!(
        s.seq_search(Search::seq(seqs(&[1, 4])).and(Search::from("alice")))
            .await
            .unwrap(),
        seqs(&[1, 4])
    );
    assert_eq!(s.seq_search(Search::seen()).await.unwrap(), seqs(&[1]));

    // The raw escape hatch, and its checks.
    assert_eq!(s.search("UNSEEN FROM \"alice\"").await.unwrap(), uids(&[4]));
    let err = s.search("ALL\r\nA9 LOGOUT").await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    // The session is still in sync after the refusal.
    assert_eq!(s.search(Search::all()).await.unwrap(), uids(&[1, 2, 3, 4]));
    s.logout().await.unwrap();
}
on_both_servers!(every_criteria_family);

async fn modseq_search_after_enable_condstore(server: &dyn ImapServer) {
    let user = mailbox(server);
    let mut s = Session::connect(&opts(server, &user)).await.unwrap();
    assert_eq!(s.enable(&["CONDSTORE"]).await.unwrap(), vec!["CONDSTORE"]);
    let info = s.select_folder("INBOX").await.unwrap();
    let highest = info.highest_modseq.expect("HIGHESTMODSEQ");
    server.add_flags(&user.name, "INBOX", "3", &["\\Answered"]);
    s.noop().await.unwrap();
    let r = s
        .search_full::<Uid>(Search::modseq(highest + 1))
        .await
        .unwrap();
    assert_eq!(r.ids, uids(&[3]));
    let m3 = s.fetch(&uids(&[3]), FetchAttr::ModSeq).await.unwrap()[0]
        .modseq()
        .expect("MODSEQ");
    assert!(m3 > highest);
    assert_eq!(
        r.modseq,
        Some(m3),
        "the search reports the highest MODSEQ of its matches"
    );
    let r = s
        .search_full::<Seq>(Search::modseq(highest + 1))
        .await
        .unwrap();
    assert_eq!(r.ids, seqs(&[3]));
    assert_eq!(r.modseq, Some(m3));
    assert_eq!(
        s.search(Search::modseq(m3 + 1)).await.unwrap(),
        UidSet::new()
    );
    s.logout().await.unwrap();
}
on_both_servers!(modseq_search_after_enable_condstore);

async fn non_ascii_subject_with_nested_criteria_keeps_the_charset(server: &dyn ImapServer) {
    // IMAPClient #645: nested criteria lost the charset (UnicodeEncodeError).
    let user = mailbox(server);
    let mut s = session(server, &user).await;
    let key = Search::or(Search::subject("Köln"), Search::from("nobody"))
        .and(!Search::or(Search::seen(), Search::body("nothing here")));
    assert_eq!(s.search(key.clone()).await.unwrap(), uids(&[2]));
    assert_eq!(s.seq_search(key).await.unwrap(), seqs(&[2]));
    let deep = !Search::not(Search::or(Search::seen(), Search::body("Grüße vom")));
    assert_eq!(s.search(deep).await.unwrap(), uids(&[1, 2]));
    assert_eq!(
        s.search(Search::subject("grüße").and(Search::keyword("$Work")))
            .await
            .unwrap(),
        uids(&[2])
    );
    // Raw criteria must stay ASCII: they are sent verbatim.
    let err = s.search("SUBJECT Köln").await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    s.logout().await.unwrap();
}
on_both_servers!(non_ascii_subject_with_nested_criteria_keeps_the_charset);

async fn esearch_min_max_count_all(server: &dyn ImapServer) {
    let user = mailbox(server);
    for _ in 0..6 {
        server.append_message(&user.name, "INBOX", M4);
    }
    // UIDs 1..10; expunge 6 so ALL has two ranges.
    server.expunge(&user.name, "INBOX", "6");
    let mut s = session(server, &user).await;
    let all = [
        SearchReturn::Min,
        SearchReturn::Max,
        SearchReturn::Count,
        SearchReturn::All,
    ];
    let r = s.esearch(Search::from("alice"), &all).await.unwrap();
    assert_eq!(r.min, Uid::new(1));
    assert_eq!(r.max, Uid::new(10));
    assert_eq!(r.count, Some(7));
    assert_eq!(
        r.all.as_ref().map(|a| a.to_string()).as_deref(),
        Some("1,4:5,7:10")
    );
    let r = s
        .esearch(Search::unseen(), &[SearchReturn::Count])
        .await
        .unwrap();
    assert_eq!((r.count, r.min, r.max, r.all), (Some(8), None, None, None));
    let r = s.seq_esearch(Search::from("alice"), &all).await.unwrap();
    assert_eq!(r.min, Seq::new(1));
    assert_eq!(r.max, Seq::new(9));
    assert_eq!(r.count, Some(7));
    assert_eq!(r.all.map(|a| a.to_string()).as_deref(), Some("1,4:9"));
    // Nothing matches: COUNT 0, no MIN/MAX, an empty ALL.
    let r = s.esearch(Search::deleted(), &all).await.unwrap();
    assert_eq!((r.count, r.min, r.max), (Some(0), None, None));
    assert_eq!(r.all, Some(UidSet::new()));
    // `search` itself goes through ESEARCH here and keeps ranges.
    assert_eq!(
        s.search(Search::all()).await.unwrap().to_string(),
        "1:5,7:10"
    );
    assert!(
        s.take_unsolicited().is_empty(),
        "no ESEARCH leaks to the queue"
    );
    s.logout().await.unwrap();
}
on_both_servers!(esearch_min_max_count_all);

async fn sort_by_date_subject_and_reverse(server: &dyn ImapServer) {
    let user = mailbox(server);
    let mut s = session(server, &user).await;
    let u = |v: &[u32]| v.iter().map(|&n| Uid::new(n).unwrap()).collect::<Vec<_>>();
    assert_eq!(
        s.sort([SortKey::Date], Search::all()).await.unwrap(),
        u(&[2, 1, 3, 4])
    );
    assert_eq!(
        s.sort([SortKey::Date.reverse()], Search::all())
            .await
            .unwrap(),
        u(&[4, 3, 1, 2])
    );
    // Base subjects: "Grüße aus Köln" < "Report 2024" (x3, then by sequence number).
    assert_eq!(
        s.sort([SortKey::Subject], Search::all()).await.unwrap(),
        u(&[2, 1, 3, 4])
    );
    assert_eq!(
        s.sort([SortKey::Subject.reverse(), SortKey::Date.reverse()], "ALL")
            .await
            .unwrap(),
        u(&[4, 3, 1, 2])
    );
    assert_eq!(
        s.sort(
            [SortKey::Arrival],
            Search::subject("Köln").or(Search::cc("dave"))
        )
        .await
        .unwrap(),
        u(&[1, 2])
    );
    let by_size = s.seq_sort([SortKey::Size], Search::all()).await.unwrap();
    let mut expected: Vec<(usize, u32)> = MESSAGES
        .iter()
        .enumerate()
        .map(|(i, m)| (m.len(), i as u32 + 1))
        .collect();
    expected.sort();
    assert_eq!(
        by_size.iter().map(|q| q.get()).collect::<Vec<_>>(),
        expected.iter().map(|&(_, n)| n).collect::<Vec<_>>()
    );
    s.logout().await.unwrap();
}
on_both_servers!(sort_by_date_subject_and_reverse);

async fn thread_references(server: &dyn ImapServer) {
    let user = mailbox(server);
    let mut s = session(server, &user).await;
    let threads = s
        .thread(ThreadAlgorithm::References, Search::all())
        .await
        .unwrap();
    // (2)(1 3 4): M2 alone; M3 answers M1, M4 answers M3. Threads in date order.
    assert_eq!(
        threads,
        vec![
            ThreadNode {
                members: vec![2],
                children: vec![]
            },
            ThreadNode {
                members: vec![1, 3, 4],
                children: vec![]
            },
        ]
    );
    // Without M3, M4 still hangs under M1 through its References.
    let threads = s
        .seq_thread(ThreadAlgorithm::References, !Search::seq(seqs(&[3])))
        .await
        .unwrap();
    assert_eq!(
        threads,
        vec![
            ThreadNode {
                members: vec![2],
                children: vec![]
            },
            ThreadNode {
                members: vec![1, 4],
                children: vec![]
            },
        ]
    );
    s.logout().await.unwrap();
}
on_both_servers!(thread_references);

async fn envelope_keeps_group_syntax(server: &dyn ImapServer) {
    let user = mailbox(server);
    let mut s = session(server, &user).await;
    let msgs = s.fetch(&uids(&[2]), FetchAttr::Envelope).await.unwrap();
    let env = msgs[0].envelope().expect("envelope");
    assert_eq!(
        env.to,
        Some(vec![
            Address {
                name: None,
                route: None,
                mailbox: Some("undisclosed-recipients".into()),
                host: None
            },
            Address::default(),
        ])
    );
    assert_eq!(env.message_id.as_deref(), Some(&b"<2@example.org>"[..]));
    assert_eq!(
        env.subject.as_deref(),
        Some(&b"=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?="[..])
    );
    s.logout().await.unwrap();
}
on_both_servers!(envelope_keeps_group_syntax);

fn single(b: &BodyStructure) -> (&[u8], &[u8]) {
    match b {
        BodyStructure::Single {
            media_type,
            media_subtype,
            ..
        } => (media_type, media_subtype),
        other => panic!("expected a single part, got {other:?}"),
    }
}

async fn bodystructure_of_multipart_with_attachment_and_message(server: &dyn ImapServer) {
    let user = mailbox(server);
    let mut s = session(server, &user).await;
    let seq3 = seqs(&[3]);
    let msgs = s.fetch(&seq3, FetchAttr::BodyStructure).await.unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].seq, 3);
    let BodyStructure::Multipart {
        parts,
        media_subtype,
        ext,
    } = msgs[0].body_structure().expect("bodystructure")
    else {
        panic!("expected a multipart");
    };
    assert!(media_subtype.eq_ignore_ascii_case(b"mixed"));
    let ext = ext.as_ref().expect("BODYSTRUCTURE has extension data");
    assert!(
        ext.params.iter().any(
            |(k, v)| k.eq_ignore_ascii_case(b"boundary") && v.as_deref() == Some(&b"outer"[..])
        )
    );
    assert_eq!(parts.len(), 3);
    let (t, st) = single(&parts[0]);
    assert!(t.eq_ignore_ascii_case(b"text") && st.eq_ignore_ascii_case(b"plain"));
    let BodyStructure::Single {
        media_type,
        media_subtype,
        params,
        encoding,
        ext,
        ..
    } = &parts[1]
    else {
        panic!("part 2 is single");
    };
    assert!(media_type.eq_ignore_ascii_case(b"application"));
    assert!(media_subtype.eq_ignore_ascii_case(b"pdf"));
    assert!(encoding.as_ref().unwrap().eq_ignore_ascii_case(b"base64"));
    assert!(
        params
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case(b"name") && v.as_deref() == Some(&b"q1.pdf"[..]))
    );
    let disp = ext
        .as_ref()
        .and_then(|e| e.disposition.as_ref())
        .expect("disposition");
    assert!(disp.kind.eq_ignore_ascii_case(b"attachment"));
    assert!(
        disp.params
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case(b"filename")
                && v.as_deref() == Some(&b"q1.pdf"[..]))
    );
    let BodyStructure::Single {
        media_type,
        media_subtype,
        message,
        ..
    } = &parts[2]
    else {
        panic!("part 3 is single");
    };
    assert!(media_type.eq_ignore_ascii_case(b"message"));
    assert!(media_subtype.eq_ignore_ascii_case(b"rfc822"));
    let (inner_env, inner_body) = message.as_deref().expect("enclosed message");
    assert_eq!(inner_env.subject.as_deref(), Some(&b"forwarded"[..]));
    let (t, st) = single(inner_body);
    assert!(t.eq_ignore_ascii_case(b"text") && st.eq_ignore_ascii_case(b"plain"));
    s.logout().await.unwrap();
}
on_both_servers!(bodystructure_of_multipart_with_attachment_and_message);

async fn body_peek_sections_and_partial_keyed_as_asked(server: &dyn ImapServer) {
    let user = mailbox(server);
    let mut s = session(server, &user).await;
    let mime = FetchAttr::body_peek("1.MIME");
    let head = FetchAttr::body_peek("").partial(0, 10);
    let part2 = FetchAttr::body_peek("2");
    let by_uid = s
        .fetch_map(&uids(&[3]), [mime.clone(), head.clone(), part2.clone()])
        .await
        .unwrap();
    let m = &by_uid[&Uid::new(3).unwrap()];
    assert_eq!(
        m.data(&mime).as_deref(),
        Some(&b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"[..])
    );
    assert_eq!(m.data(&head).as_deref(), Some(&M3[..10]));
    assert!(
        matches!(
            m.get(&head),
            Some(FetchItem::Body {
                origin: Some(0),
                ..
            })
        ),
        "a partial answer is BODY[]<0>"
    );
    assert!(
        m.data(&FetchAttr::body_peek("")).is_none(),
        "no whole body was asked"
    );
    assert_eq!(
        m.data(&part2).as_deref(),
        Some(&b"JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSPj4Kc3RyZWFtCg=="[..])
    );
    // Sequence numbers key the same data by Seq.
    let by_seq = s.fetch_map(&seqs(&[2, 3]), head.clone()).await.unwrap();
    assert_eq!(by_seq.keys().map(|q| q.get()).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(
        by_seq[&Seq::new(2).unwrap()].data(&head).as_deref(),
        Some(&M2[..10])
    );
    // PEEK left \Seen alone.
    assert_eq!(s.search(Search::seen()).await.unwrap(), uids(&[1]));
    s.logout().await.unwrap();
}
on_both_servers!(body_peek_sections_and_partial_keyed_as_asked);

async fn internaldate_zone_is_kept(server: &dyn ImapServer) {
    let user = mailbox(server);
    let mut s = session(server, &user).await;
    let msgs = s
        .fetch(&UidSet::all(), [FetchAttr::InternalDate, FetchAttr::Uid])
        .await
        .unwrap();
    assert_eq!(msgs.len(), 4);
    let first = msgs[0].internal_date().unwrap();
    match server.as_dovecot() {
        // doveadm prints the received date as a Unix time; the zone is Dovecot's own.
        Some(dovecot) => assert_eq!(
            first.format("%Y-%m-%d %H:%M:%S").to_string(),
            doveadm_received_date(dovecot, &user)
        ),
        // Cyrus: the date as the server sent it, read by the harness in a session of its
        // own and parsed here by chrono, instant and offset.
        None => {
            let raw = imap_async_tests::Cyrus::shared().raw_internal_date(&user.name, "INBOX", 1);
            let sent = chrono::DateTime::parse_from_str(raw.trim(), "%d-%b-%Y %H:%M:%S %z")
                .unwrap_or_else(|e| panic!("{raw:?}: {e}"));
            assert_eq!(first, sent, "{raw}");
            assert_eq!(first.offset(), sent.offset(), "{raw}");
        }
    }
    let zone = first.offset().local_minus_utc();
    for m in &msgs {
        let d = m.internal_date().unwrap();
        assert_eq!(
            d.offset().local_minus_utc(),
            zone,
            "one zone for the mailbox"
        );
        assert!(d.year() >= 2024);
    }
    s.logout().await.unwrap();
}
on_both_servers!(internaldate_zone_is_kept);

/// Message 1's received date as `doveadm fetch date.received` shows it.
fn doveadm_received_date(server: &imap_async_tests::Dovecot, user: &TestUser) -> String {
    let out = server
        .doveadm(
            &[
                "fetch",
                "-u",
                &user.name,
                "date.received",
                "mailbox",
                "INBOX",
                "uid",
                "1",
            ],
            None,
        )
        .expect("doveadm fetch");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix("date.received: "))
        .unwrap_or_else(|| panic!("no date.received in {text:?}"))
        .trim()
        .to_owned()
}

async fn changedsince_and_vanished(server: &dyn ImapServer) {
    let user = mailbox(server);
    let mut s = Session::connect(&opts(server, &user)).await.unwrap();
    let enabled = s.enable(&["QRESYNC"]).await.unwrap();
    match server.kind() {
        RealServer::Dovecot => assert_eq!(enabled, vec!["QRESYNC"]),
        // QRESYNC implies CONDSTORE (RFC 7162 §3.2.3); Cyrus lists both as enabled and the
        // client reports what the server said.
        RealServer::Cyrus => assert_eq!(enabled, vec!["CONDSTORE", "QRESYNC"]),
    }
    let highest = s
        .select_folder("INBOX")
        .await
        .unwrap()
        .highest_modseq
        .expect("HIGHESTMODSEQ");
    // Another session changes message 4 and expunges message 2.
    let mut other = session(server, &user).await;
    server.add_flags(&user.name, "INBOX", "4", &["\\Draft"]);
    server.expunge(&user.name, "INBOX", "2");
    other.noop().await.unwrap();
    other.logout().await.unwrap();
    // Let this session learn of the expunge, then ask what changed since `highest`.
    let news = s.noop().await.unwrap();
    assert!(
        news.iter().any(
            |u| matches!(u, Untagged::Vanished { earlier: false, uids } if uids == &vec![(2, 2)])
        ),
        "{news:?}"
    );
    let changes = s
        .fetch_vanished(&UidSet::all(), FetchAttr::Flags, highest)
        .await
        .unwrap();
    assert_eq!(changes.vanished, uids(&[2]));
    assert_eq!(changes.messages.len(), 1, "{:?}", changes.messages);
    let m4 = &changes.messages[0];
    assert_eq!(m4.uid(), Uid::new(4));
    assert!(m4.flags().unwrap().iter().any(|f| f == "\\Draft"));
    assert!(m4.modseq().unwrap() > highest);

    let changed = s
        .fetch_changed_since(&SeqSet::all(), FetchAttr::Flags, highest)
        .await
        .unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].seq, 3, "message 4 is now the third");
    let unchanged = s
        .fetch_changed_since(&UidSet::all(), FetchAttr::Flags, m4.modseq().unwrap())
        .await
        .unwrap();
    assert!(unchanged.is_empty());
    assert!(s.take_unsolicited().is_empty());
    s.logout().await.unwrap();
}
on_both_servers!(changedsince_and_vanished);

async fn unsolicited_fetch_does_not_break_or_shrink_a_range_fetch(server: &dyn ImapServer) {
    // IMAPClient #334/#564: a FETCH sent because another client changed flags broke the
    // parsing of a range fetch.
    let user = mailbox(server);
    let mut s = session(server, &user).await;
    for set_is_uid in [true, false] {
        server.add_flags(&user.name, "INBOX", "3", &["$Changed"]);
        let items = [FetchAttr::Envelope, FetchAttr::Rfc822Size];
        // (count, sequence numbers, FLAGS of message 3 if its answer carried them)
        let (fetched, seqs_seen, flags_of_3): (usize, Vec<u32>, Option<Vec<imap_async::Flag>>) =
            if set_is_uid {
                let m = s.fetch(&UidSet::all(), items).await.unwrap();
                let flags = m.iter().find(|f| f.seq == 3).and_then(|f| f.flags());
                (m.len(), m.iter().map(|f| f.seq).collect(), flags)
            } else {
                let m = s.fetch(&SeqSet::all(), items).await.unwrap();
                let flags = m.iter().find(|f| f.seq == 3).and_then(|f| f.flags());
                (m.len(), m.iter().map(|f| f.seq).collect(), flags)
            };
        assert_eq!(fetched, 4, "every message is returned");
        assert_eq!(seqs_seen, [1, 2, 3, 4]);
        let queued = s.take_unsolicited();
        let foreign: Vec<_> = queued
            .iter()
            .filter_map(|u| match u {
                Untagged::Fetch { seq, items } => Some((*seq, items.clone())),
                _ => None,
            })
            .collect();
        match server.kind() {
            // Dovecot sends the change as a FETCH of its own, which goes to the queue.
            RealServer::Dovecot => {
                assert_eq!(foreign.len(), 1, "{queued:?}");
                assert_eq!(foreign[0].0, 3);
                assert!(
                    foreign[0].1.iter().any(
                        |i| matches!(i, FetchItem::Flags(f) if f.iter().any(|x| &x[..] == b"$Changed"))
                    ),
                    "{foreign:?}"
                );
            }
            // Cyrus folds the new FLAGS into its answer for message 3
            // (`* 3 FETCH (FLAGS (...) ENVELOPE ... RFC822.SIZE n)`): the client keeps them
            // with that message, and nothing extra is queued.
            RealServer::Cyrus => {
                assert!(foreign.is_empty(), "{queued:?}");
                let flags = flags_of_3.expect("message 3 came with its new FLAGS");
                assert!(flags.iter().any(|f| f == "$Changed"), "{flags:?}");
            }
        }
        server.remove_flags(&user.name, "INBOX", "3", &["$Changed"]);
        s.noop().await.unwrap();
    }
    s.logout().await.unwrap();
}
on_both_servers!(unsolicited_fetch_does_not_break_or_shrink_a_range_fetch);
