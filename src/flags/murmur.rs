//! MurmurHash3 x86_32, the hash flagd's `fractional` operator buckets with
//! (`github.com/twmb/murmur3` `StringSum32`, seed 0, over the UTF-8 bytes).

/// MurmurHash3 x86_32 of `data` with `seed`.
pub fn murmur3_x86_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h = seed;
    let mut chunks = data.chunks_exact(4);
    for block in &mut chunks {
        let mut k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    let mut k: u32 = 0;
    for (i, b) in tail.iter().enumerate() {
        k ^= u32::from(*b) << (8 * i);
    }
    if !tail.is_empty() {
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// flagd's bucket for a hash: `floor(hash * total_weight / 2^32)`, in `[0, total_weight)`.
pub fn bucket(hash: u32, total_weight: u64) -> u64 {
    (u64::from(hash) * total_weight) >> 32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference vectors of the canonical C++ implementation (SMHasher), the same
    /// ones `twmb/murmur3` tests against.
    #[test]
    fn matches_reference_vectors() {
        assert_eq!(murmur3_x86_32(b"", 0), 0);
        assert_eq!(murmur3_x86_32(b"", 1), 0x514e_28b7);
        assert_eq!(murmur3_x86_32(b"hello", 0), 0x248b_fa47);
        assert_eq!(murmur3_x86_32(b"hello, world", 0), 0x149b_bb7f);
        assert_eq!(murmur3_x86_32(b"19 Jan 2038 at 3:14:07 AM", 0), 0xe31e_8a70);
        assert_eq!(
            murmur3_x86_32(b"The quick brown fox jumps over the lazy dog.", 0),
            0xd5c4_8bfc
        );
        assert_eq!(
            murmur3_x86_32(b"The quick brown fox jumps over the lazy dog", 0),
            0x2e4f_f723
        );
    }

    #[test]
    fn bucket_is_scaled_by_total_weight() {
        assert_eq!(bucket(0, 100), 0);
        assert_eq!(bucket(u32::MAX, 100), 99);
        // 0xd5c48bfc = 3586427900; 3586427900 * 100 / 2^32 = 83.50 -> 83
        assert_eq!(bucket(0xd5c4_8bfc, 100), 83);
        // 0x248bfa47 = 613153351; * 100 / 2^32 = 14.27 -> 14
        assert_eq!(bucket(0x248b_fa47, 100), 14);
    }
}
