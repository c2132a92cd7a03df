//! The structural scan behind [`Parser::skip_list`]: finding where a parenthesised list
//! ends (RFC 3501 §9 `"(" ... ")"`, with quoted strings and literals inside) 64 bytes at a
//! time.
//!
//! Every ENVELOPE and BODYSTRUCTURE is walked this way once when it arrives (to check that
//! it is whole) and again, in parts, when a view reads a field. A byte-by-byte walk costs
//! several instructions per byte, and real envelopes are dense with quotes and
//! parentheses. Here each block of 64 bytes gets a bit mask per interesting byte (`(`, `)`,
//! `"`, spaces, and the rare `\` and `{`); the quotes' running parity gives which bytes
//! are inside a string, and the parentheses outside strings are visited by their bits
//! alone. Only a `\` (an escape inside a string) or a `{` (a literal's header) stops the
//! block walk, and is handled by itself. The same walk finds an envelope's fields: the
//! element after each run of spaces at the top level.

use super::*;

/// Bit `i` set where byte `i` of a 64-byte block is the byte named.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Marks {
    open: u64,
    close: u64,
    quote: u64,
    /// `\` or `{`: handled one at a time.
    rare: u64,
    space: u64,
}

/// The marks of one block, 16 bytes per SSE2 compare (SSE2 is part of every x86-64 CPU).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
fn marks(block: &[u8; 64]) -> Marks {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8, _mm_slli_epi16,
    };
    let mut m = Marks {
        open: 0,
        close: 0,
        quote: 0,
        rare: 0,
        space: 0,
    };
    // SAFETY: the cfg above makes SSE2 available at compile time, so the intrinsics may be
    // called; each unaligned load reads 16 bytes at offset 0, 16, 32 or 48 of the 64-byte
    // array.
    unsafe {
        let eq = |v: __m128i, c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
        let bits = |v: __m128i| u64::from(_mm_movemask_epi8(v) as u16);
        for k in 0..4 {
            let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast::<__m128i>());
            let shift = 16 * k;
            // `(` and `)` are 0x28 and 0x29: one compare finds both, their low bit tells
            // them apart (moved to the top of each byte, where the mask is taken).
            let paren = bits(eq(_mm_and_si128(v, _mm_set1_epi8(!1)), b'('));
            let odd = bits(_mm_slli_epi16(v, 7));
            m.open |= (paren & !odd) << shift;
            m.close |= (paren & odd) << shift;
            m.quote |= bits(eq(v, b'"')) << shift;
            m.rare |= bits(_mm_or_si128(eq(v, b'\\'), eq(v, b'{'))) << shift;
            m.space |= bits(eq(v, b' ')) << shift;
        }
    }
    m
}

/// The marks of one block, 32 bytes per compare, on CPUs with AVX2.
// Not inlined: inlined into the walk, LLVM takes the masks apart bit by bit.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline(never)]
fn marks_avx2(block: &[u8; 64]) -> Marks {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8,
    };
    let mut m = Marks {
        open: 0,
        close: 0,
        quote: 0,
        rare: 0,
        space: 0,
    };
    for k in 0..2 {
        // SAFETY: an unaligned load of 32 bytes at offset 0 or 32 of the 64-byte array.
        let v = unsafe { _mm256_loadu_si256(block.as_ptr().add(32 * k).cast::<__m256i>()) };
        let shift = 32 * k;
        let open = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'(' as i8));
        let close = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b')' as i8));
        let quote = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'"' as i8));
        let rare = _mm256_or_si256(
            _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\\' as i8)),
            _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'{' as i8)),
        );
        m.open |= u64::from(_mm256_movemask_epi8(open) as u32) << shift;
        m.close |= u64::from(_mm256_movemask_epi8(close) as u32) << shift;
        m.quote |= u64::from(_mm256_movemask_epi8(quote) as u32) << shift;
        m.rare |= u64::from(_mm256_movemask_epi8(rare) as u32) << shift;
        let space = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b' ' as i8));
        m.space |= u64::from(_mm256_movemask_epi8(space) as u32) << shift;
    }
    m
}

/// The marks of one block, byte by byte (targets without SSE2).
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline]
fn marks(block: &[u8; 64]) -> Marks {
    scalar_marks(block)
}

#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
fn scalar_marks(block: &[u8; 64]) -> Marks {
    let mut m = Marks {
        open: 0,
        close: 0,
        quote: 0,
        rare: 0,
        space: 0,
    };
    for (i, &c) in block.iter().enumerate() {
        let bit = 1u64 << i;
        match c {
            b'(' => m.open |= bit,
            b')' => m.close |= bit,
            b'"' => m.quote |= bit,
            b'\\' | b'{' => m.rare |= bit,
            b' ' => m.space |= bit,
            _ => {}
        }
    }
    m
}

/// Bit `i` set when an odd number of bits `0..=i` of `x` are set: with `x` the quotes of
/// a block, the bytes from an opening quote up to (not including) its closing one.
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// The lowest `n` bits (`n` ≤ 64).
fn low_bits(n: usize) -> u64 {
    if n >= 64 { !0 } else { (1u64 << n) - 1 }
}

/// The top-level elements of a list, found by the walk.
#[derive(Default)]
struct Fields {
    /// Where the first [`FIELDS`] elements start.
    at: [u32; FIELDS],
    /// How many elements were started.
    count: usize,
    /// Just past the last separator seen (the list's `(`, or a space at the top level).
    after_separator: usize,
}

impl Fields {
    /// A separator at `pos`: an element starts after it, or, when it follows another
    /// separator, the element begun there starts later.
    fn separator(&mut self, pos: usize) {
        let start = u32::try_from(pos + 1).unwrap_or(u32::MAX);
        let slot = if self.count > 0 && self.after_separator == pos {
            self.count - 1
        } else {
            self.count += 1;
            self.count - 1
        };
        if let Some(at) = self.at.get_mut(slot) {
            *at = start;
        }
        self.after_separator = pos + 1;
    }

    /// The list's `)` at `pos`: an element that would start there (after trailing
    /// spaces, or in `()`) is none.
    fn close(&mut self, pos: usize) {
        if self.after_separator == pos {
            self.count -= 1;
        }
    }
}

impl Parser<'_> {
    /// Skip the list starting at the cursor's `(` to just past its matching `)`, without
    /// decoding it: strings (quoted, with `\"` and `\\` escapes, or literals, `~{` of
    /// literal8 included) may hold any bytes. Lists deeper than `max_depth` fail with
    /// `too_deep`, so a hostile response cannot make a later decoder recurse without end.
    pub(super) fn skip_list(&mut self, max_depth: u32, too_deep: &'static str) -> R<()> {
        self.walk::<false>(max_depth, too_deep, &mut Fields::default())
    }

    /// Like [`Self::skip_list`] for an envelope (RFC 3501 §9 `envelope`), finding where
    /// each of its fields starts in the same pass: `None` when it does not have ten
    /// elements separated by spaces (the field-by-field walk, which takes more leniency,
    /// then decides).
    pub(super) fn scan_envelope_fields(&mut self) -> R<Option<[u32; FIELDS]>> {
        let mut fields = Fields::default();
        self.walk::<true>(3, "envelope nested too deeply", &mut fields)?;
        Ok((fields.count == FIELDS).then_some(fields.at))
    }

    /// The walk with the widest compares this CPU has; with `ELEMENTS`, the top-level
    /// elements' starts go to `fields`.
    fn walk<const ELEMENTS: bool>(
        &mut self,
        max_depth: u32,
        too_deep: &'static str,
        fields: &mut Fields,
    ) -> R<()> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: this CPU has AVX2 (checked just above; the check is cached).
            return unsafe { self.walk_avx2::<ELEMENTS>(max_depth, too_deep, fields) };
        }
        self.walk_list::<ELEMENTS>(max_depth, too_deep, fields, marks)
    }

    /// [`Self::walk`] compiled for AVX2: 32 bytes per compare.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn walk_avx2<const ELEMENTS: bool>(
        &mut self,
        max_depth: u32,
        too_deep: &'static str,
        fields: &mut Fields,
    ) -> R<()> {
        self.walk_list::<ELEMENTS>(max_depth, too_deep, fields, |block| marks_avx2(block))
    }

    /// The walk of [`Self::skip_list`], with the marks of a block computed by `marks`.
    #[inline(always)]
    fn walk_list<const ELEMENTS: bool>(
        &mut self,
        max_depth: u32,
        too_deep: &'static str,
        fields: &mut Fields,
        marks: impl Fn(&[u8; 64]) -> Marks,
    ) -> R<()> {
        if self.peek() != Some(b'(') {
            return self.fail("expected '('");
        }
        let b = self.b;
        let mut at = self.pos;
        let mut depth = 0u32;
        let mut in_string = false;
        while at < b.len() {
            let n = (b.len() - at).min(64);
            let m = match b.get(at..at + 64) {
                Some(whole) => marks(whole.try_into().unwrap_or(&[0; 64])),
                None => {
                    // The end of the buffer: padded with zero bytes, which mark nothing.
                    let mut padded = [0u8; 64];
                    padded[..n].copy_from_slice(&b[at..]);
                    marks(&padded)
                }
            };
            // The block is walked up to its first rare byte (or its end).
            let rare = m.rare & low_bits(n);
            let stop = if rare == 0 {
                n
            } else {
                rare.trailing_zeros() as usize
            };
            let upto = low_bits(stop);
            let quote = m.quote & upto;
            let parity = prefix_xor(quote);
            let inside = parity ^ if in_string { !0 } else { 0 };
            let open = m.open & upto & !inside;
            let close = m.close & upto & !inside;
            // The parentheses in order, without a branch on which kind each is: the depth
            // after each, and one test for both ends (the list closed, or too deep).
            let space = if ELEMENTS {
                m.space & upto & !inside
            } else {
                0
            };
            let mut bits = open | close | space;
            while bits != 0 {
                let i = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if ELEMENTS {
                    if space >> i & 1 == 1 {
                        if depth == 1 {
                            fields.separator(at + i);
                        }
                        continue;
                    }
                    if depth == 0 {
                        // The list's own `(`: the first element starts after it.
                        fields.separator(at + i);
                    }
                }
                depth = depth
                    .wrapping_add(2 * (open >> i & 1) as u32)
                    .wrapping_sub(1);
                if depth.wrapping_sub(1) >= max_depth {
                    if depth == 0 {
                        if ELEMENTS {
                            fields.close(at + i);
                        }
                        self.pos = at + i + 1;
                        return Ok(());
                    }
                    self.pos = at + i;
                    return self.fail(too_deep);
                }
            }
            // The top bit of the running parity: whether a string is still open.
            in_string ^= parity >> 63 == 1;
            if stop == n {
                at += n;
                continue;
            }
            let p = at + stop;
            at = match (b[p], in_string) {
                // Inside a string only `\"` and `\\` are escapes.
                (b'\\', true) if matches!(b.get(p + 1), Some(b'"' | b'\\')) => p + 2,
                // A `\` outside a string, a `{` inside one: an ordinary byte.
                (_, true) | (b'\\', false) => p + 1,
                // `{`: a literal.
                (_, false) => {
                    self.pos = p;
                    self.literal_span()?;
                    self.pos
                }
            };
        }
        self.pos = b.len();
        self.fail(if in_string {
            "unterminated quoted string"
        } else {
            "unterminated list"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The byte-by-byte reference for [`Parser::skip_list`]: where the list ends, or the
    /// reason it fails.
    fn reference(b: &[u8], max_depth: u32) -> Result<usize, &'static str> {
        if b.first() != Some(&b'(') {
            return Err("expected '('");
        }
        let mut depth = 0u32;
        let mut at = 0;
        while at < b.len() {
            match b[at] {
                b'(' => {
                    depth += 1;
                    if depth > max_depth {
                        return Err("too deep");
                    }
                    at += 1;
                }
                b')' => {
                    depth -= 1;
                    at += 1;
                    if depth == 0 {
                        return Ok(at);
                    }
                }
                b'"' => {
                    at += 1;
                    loop {
                        match b.get(at) {
                            None => return Err("unterminated quoted string"),
                            Some(b'"') => break,
                            Some(b'\\') if matches!(b.get(at + 1), Some(b'"' | b'\\')) => at += 2,
                            Some(_) => at += 1,
                        }
                    }
                    at += 1;
                }
                b'{' => {
                    let raw = Bytes::copy_from_slice(b);
                    let mut p = Parser::over(&raw, at);
                    p.literal_span().map_err(|f| f.reason)?;
                    at = p.pos;
                }
                _ => at += 1,
            }
        }
        Err("unterminated list")
    }

    /// [`Parser::skip_list`] on `b`, checked to give the same with the SSE2 (or portable)
    /// marks as with the ones this CPU chose.
    fn skip(b: &[u8], max_depth: u32) -> Result<usize, &'static str> {
        let raw = Bytes::copy_from_slice(b);
        let run = |portable: bool| {
            let mut p = Parser::over(&raw, 0);
            let done = if portable {
                p.walk_list::<false>(max_depth, "too deep", &mut Fields::default(), marks)
            } else {
                p.skip_list(max_depth, "too deep")
            };
            match done {
                Ok(()) => Ok(p.pos),
                Err(f) => Err(f.reason),
            }
        };
        let chosen = run(false);
        assert_eq!(run(true), chosen);
        chosen
    }

    #[test]
    fn marks_match_the_bytes() {
        let mut block = [b'a'; 64];
        for (i, c) in [
            (0, b'('),
            (5, b')'),
            (17, b'"'),
            (33, b'\\'),
            (63, b'{'),
            (40, b' '),
        ] {
            block[i] = c;
        }
        let m = marks(&block);
        assert_eq!(m, scalar_marks(&block));
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: this CPU has AVX2.
            assert_eq!(unsafe { marks_avx2(&block) }, m);
        }
        assert_eq!(m.open, 1);
        assert_eq!(m.close, 1 << 5);
        assert_eq!(m.quote, 1 << 17);
        assert_eq!(m.rare, 1 << 33 | 1 << 63);
        assert_eq!(m.space, 1 << 40);
    }

    #[test]
    fn skips_lists_across_blocks() {
        let long = format!(
            "({} \"a)b\" {{3}}\r\n)x) \"q\\\"(\" (NIL))rest",
            "x".repeat(70)
        );
        let end = long.find("rest").unwrap();
        assert_eq!(skip(long.as_bytes(), 8), Ok(end));
        assert_eq!(reference(long.as_bytes(), 8), Ok(end));
        assert_eq!(skip(b"((a) \"b", 8), Err("unterminated quoted string"));
        assert_eq!(skip(b"((a) b", 8), Err("unterminated list"));
        assert_eq!(skip(b"(((a)))", 2), Err("too deep"));
        assert_eq!(skip(b"a(b)", 2), Err("expected '('"));
    }

    /// Bytes made mostly of the ones the scan looks at, so that every case (strings across
    /// blocks, escapes, literals, depth limits) comes up.
    fn listish() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"(".to_vec()),
            Just(b")".to_vec()),
            Just(b"\"".to_vec()),
            Just(b"\\".to_vec()),
            Just(b"\\\"".to_vec()),
            Just(b"{3}\r\n".to_vec()),
            Just(b"{2}\r\n)\"".to_vec()),
            Just(b"{".to_vec()),
            Just(b" NIL ".to_vec()),
            "[a-z ]{1,40}".prop_map(String::into_bytes),
        ];
        proptest::collection::vec(piece, 0..60).prop_map(|v| [b"(".to_vec(), v.concat()].concat())
    }

    /// Envelope-like lists: about ten elements of every form, with runs of spaces.
    fn envelopes() -> impl Strategy<Value = Vec<u8>> {
        let element = prop_oneof![
            Just(b"NIL".to_vec()),
            Just(b"\"a (b) \\\" c\"".to_vec()),
            Just(b"\"\"".to_vec()),
            Just(b"{4}\r\n) (\"".to_vec()),
            Just(b"((\"N a\" NIL \"m\" \"h\")(NIL NIL \"g\" NIL))".to_vec()),
            Just(b"()".to_vec()),
            "[a-z]{1,70}".prop_map(|s| format!("\"{s}\"").into_bytes()),
        ];
        let gap = prop_oneof![Just(b" ".to_vec()), Just(b"   ".to_vec()), Just(Vec::new())];
        (
            proptest::collection::vec((element, gap.clone()), 8..12),
            gap.clone(),
            gap,
        )
            .prop_map(|(elements, lead, trail)| {
                let mut v = b"(".to_vec();
                v.extend(lead);
                for (i, (e, g)) in elements.iter().enumerate() {
                    if i > 0 {
                        v.extend(if g.is_empty() { b" ".as_slice() } else { g });
                    }
                    v.extend(e);
                }
                v.extend(trail);
                v.extend(b") rest");
                v
            })
    }

    proptest! {
        #[test]
        fn skip_list_agrees_with_the_byte_walk(b in listish(), max_depth in 1u32..6) {
            let got = skip(&b, max_depth);
            let want = reference(&b, max_depth);
            // The reference stops at its first failure; the scan may find the same
            // failure elsewhere only for the unterminated cases, which are the same.
            prop_assert_eq!(got, want);
        }

        #[test]
        fn envelope_fields_in_one_pass_are_the_walks(b in envelopes()) {
            let raw = Bytes::from(b);
            let mut scan = Parser::over(&raw, 0);
            let scanned = scan.scan_envelope_fields().ok().flatten();
            let mut walk = Parser::over(&raw, 0);
            let walked = walk.envelope_fields().ok();
            // Ten elements: both find the same starts and end at the same place; any other
            // number: neither gives fields.
            prop_assert_eq!(scanned, walked);
            if scanned.is_some() {
                prop_assert_eq!(scan.pos, walk.pos);
            }
        }
    }
}
