//! Eight-bytes-at-a-time scanning of ASCII word runs for the fingerprint's tokenizer (SWAR: one
//! comparison per byte range and eight bytes instead of a lookup a byte). The classifier's tokenizer
//! measured slower with it (its byte loop is already short), so it keeps its own.

/// The ASCII letters and digits at the start of an eight-byte chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AsciiRun {
    /// How many leading bytes are ASCII letters or digits (8: the run may go on past the chunk).
    pub len: usize,
    /// Whether a capital letter is among them.
    pub upper: bool,
}

impl AsciiRun {
    /// The run at the start of `chunk`. It stops at the first other byte, a non-ASCII one included,
    /// which the caller then looks at on its own.
    #[inline]
    pub fn of(chunk: [u8; 8]) -> AsciiRun {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        let w = u64::from_le_bytes(chunk);
        // With every byte below 0x80, `x + (0x80 - c)` sets a byte's high bit exactly when `x >= c`,
        // without carrying into the next byte. Non-ASCII bytes are masked out of the result.
        let ascii = !w & HIGH;
        let within = |x: u64, lo: u8, hi: u8| {
            let low = x & !HIGH;
            let at_least = |c: u8| low.wrapping_add(ONES * u64::from(0x80 - c)) & HIGH;
            at_least(lo) & !at_least(hi + 1) & ascii
        };
        // Setting bit 5 maps 'A'..='Z' onto 'a'..='z' and no other byte into that range, so one
        // range test finds the letters; the capitals among them are those whose bit 5 was clear
        // (shifted up to bit 7 of the same byte). Digits are tested on the bytes as they are.
        let letter = within(w | (ONES * 0x20), b'a', b'z');
        let upper = letter & !(w << 2);
        let alnum = letter | within(w, b'0', b'9');
        let len = ((!alnum & HIGH).trailing_zeros() / 8) as usize;
        let in_run = match len {
            8 => u64::MAX,
            n => (1u64 << (8 * n)) - 1,
        };
        AsciiRun {
            len,
            upper: upper & in_run != 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same, a byte at a time.
    fn reference(chunk: [u8; 8]) -> AsciiRun {
        let len = chunk
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        AsciiRun {
            len,
            upper: chunk[..len].iter().any(u8::is_ascii_uppercase),
        }
    }

    #[test]
    fn agrees_with_a_byte_at_a_time_on_every_byte_at_every_position() {
        for pos in 0..8 {
            for b in 0..=255u8 {
                for fill in [b'a', b'Q', b'7'] {
                    let mut chunk = [fill; 8];
                    chunk[pos] = b;
                    assert_eq!(AsciiRun::of(chunk), reference(chunk), "{chunk:?}");
                }
            }
        }
        assert_eq!(
            AsciiRun::of(*b"ab cdEFG"),
            AsciiRun {
                len: 2,
                upper: false
            },
            "capitals after the run do not count"
        );
    }
}
