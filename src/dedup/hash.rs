//! The one hash behind every stored value: FNV-1a (64-bit) over the bytes,
//! then MurmurHash3's 64-bit finaliser so that every output bit depends on
//! every input bit. Both are published, fixed algorithms with fixed constants:
//! a signature stored by one release is compared by the next, so nothing here
//! may depend on a random seed, the platform or the Rust version (std's
//! `DefaultHasher` promises none of that). The unit test pins its outputs.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// MurmurHash3's `fmix64`: a bijection on `u64` with full avalanche.
pub(crate) const fn mix(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// The hash of a byte string (a token's UTF-8 bytes).
pub(crate) fn bytes(data: &[u8]) -> u64 {
    let mut h = Bytes::new();
    data.iter().for_each(|&b| h.push(b));
    h.finish()
}

/// [`bytes`], fed one byte at a time.
pub(crate) struct Bytes {
    state: u64,
    len: usize,
}

impl Bytes {
    pub(crate) fn new() -> Bytes {
        Bytes {
            state: FNV_OFFSET,
            len: 0,
        }
    }
    pub(crate) fn push(&mut self, b: u8) {
        self.state = (self.state ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        self.len += 1;
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub(crate) fn finish(&self) -> u64 {
        mix(self.state)
    }
}

/// Order-sensitive combination of a sequence of hashes (a shingle's tokens):
/// one multiplication per part, the finaliser once.
pub(crate) fn sequence(parts: impl IntoIterator<Item = u64>) -> u64 {
    mix(parts.into_iter().fold(FNV_OFFSET, |h, p| {
        (h.rotate_left(23) ^ p).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// These values are stored in databases; if this test fails, the change
    /// breaks every stored signature and needs a new signature version.
    #[test]
    fn outputs_are_pinned() {
        let got = [
            bytes(b""),
            bytes(b"seoul"),
            bytes("서울".as_bytes()),
            mix(1),
            sequence([1, 2, 3]),
        ];
        assert_eq!(
            got.map(|h| format!("{h:016x}")),
            [
                "efd01f60ba992926",
                "c8b0c7ae22834704",
                "89c1ffd293017d7e",
                "b456bcfc34c2cb2c",
                "0f9d78cab52c7db4",
            ]
        );
    }

    #[test]
    fn sequences_depend_on_order() {
        assert_ne!(sequence([1, 2]), sequence([2, 1]));
        assert_ne!(sequence([1]), sequence([1, 0]));
    }
}
