//! The structural scan behind [`Parser::skip_list`]: finding where a parenthesised list
//! ends (RFC 3501 §9 `"(" ... ")"`, with quoted strings and literals inside) 64 bytes at a
//! time.
//!
//! Every ENVELOPE and BODYSTRUCTURE is walked this way once when it arrives (to check that
//! it is whole) and again, in parts, when a view reads a field. A byte-by-byte walk costs
//! several instructions per byte, and real envelopes are dense with quotes and
//! parentheses. Here each block of 64 bytes gets a bit mask per interesting byte (`(`, `)`,
//! `"`, and the rare `\` and `{`); the quotes' running parity gives which bytes are inside
//! a string, and the parentheses outside strings are visited by their bits alone. Only a `\` (an escape inside a string) or a `{` (a literal's
//! header) stops the block walk, and is handled by itself.

use super::*;

/// Bit `i` set where byte `i` of a 64-byte block is the byte named.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Marks {
    open: u64,
    close: u64,
    quote: u64,
    /// `\` or `{`: handled one at a time.
    rare: u64,
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
    };
    for (i, &c) in block.iter().enumerate() {
        let bit = 1u64 << i;
        match c {
            b'(' => m.open |= bit,
            b')' => m.close |= bit,
            b'"' => m.quote |= bit,
            b'\\' | b'{' => m.rare |= bit,
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

impl Parser<'_> {
    /// Skip the list starting at the cursor's `(` to just past its matching `)`, without
    /// decoding it: strings (quoted, with `\"` and `\\` escapes, or literals, `~{` of
    /// literal8 included) may hold any bytes. Lists deeper than `max_depth` fail with
    /// `too_deep`, so a hostile response cannot make a later decoder recurse without end.
    pub(super) fn skip_list(&mut self, max_depth: u32, too_deep: &'static str) -> R<()> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: this CPU has AVX2 (checked just above; the check is cached).
            return unsafe { self.skip_list_avx2(max_depth, too_deep) };
        }
        self.walk_list(max_depth, too_deep, marks)
    }

    /// [`Self::skip_list`] compiled for AVX2: 32 bytes per compare.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn skip_list_avx2(&mut self, max_depth: u32, too_deep: &'static str) -> R<()> {
        self.walk_list(max_depth, too_deep, |block| marks_avx2(block))
    }

    /// The walk of [`Self::skip_list`], with the marks of a block computed by `marks`.
    #[inline(always)]
    fn walk_list(
        &mut self,
        max_depth: u32,
        too_deep: &'static str,
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
            let mut bits = open | close;
            while bits != 0 {
                let i = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                depth = depth
                    .wrapping_add(2 * (open >> i & 1) as u32)
                    .wrapping_sub(1);
                if depth.wrapping_sub(1) >= max_depth {
                    if depth == 0 {
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
                    p.literal().map_err(|f| f.reason)?;
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
                p.walk_list(max_depth, "too deep", marks)
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
        for (i, c) in [(0, b'('), (5, b')'), (17, b'"'), (33, b'\\'), (63, b'{')] {
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

    proptest! {
        #[test]
        fn skip_list_agrees_with_the_byte_walk(b in listish(), max_depth in 1u32..6) {
            let got = skip(&b, max_depth);
            let want = reference(&b, max_depth);
            // The reference stops at its first failure; the scan may find the same
            // failure elsewhere only for the unterminated cases, which are the same.
            prop_assert_eq!(got, want);
        }
    }
}
