//! Modified UTF-7 (RFC 3501 §5.1.3): decoding any bytes never panics, a decoded name encodes
//! back to a form that decodes to it again, and encoding any string gives printable ASCII
//! that decodes back to the same string.
#![no_main]

use imap_async::proto::utf7;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(name) = utf7::decode(data) {
        let again = utf7::encode(&name);
        assert_eq!(utf7::decode(again.as_bytes()).as_deref(), Ok(name.as_str()));
    }
    let text = String::from_utf8_lossy(data);
    let wire = utf7::encode(&text);
    assert!(wire.bytes().all(|b| (0x20..0x7f).contains(&b)), "{wire:?}");
    assert_eq!(
        utf7::decode(wire.as_bytes()).as_deref(),
        Ok(&*text),
        "{wire:?}"
    );
});
