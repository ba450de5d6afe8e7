//! Sets of received byte ranges, for reassembly (IP fragments, QUIC CRYPTO
//! frames): kept sorted and merged, so "is everything from 0 to n here?" is
//! a look at the first range.

/// Adds `[start, end)` to `ranges`, merging overlapping and touching ranges.
pub fn insert(ranges: &mut Vec<(usize, usize)>, new: (usize, usize)) {
    ranges.push(new);
    ranges.sort_unstable();
    let mut merged = 0;
    for i in 1..ranges.len() {
        let (s, e) = ranges[i];
        if s <= ranges[merged].1 {
            ranges[merged].1 = ranges[merged].1.max(e);
        } else {
            merged += 1;
            ranges[merged] = (s, e);
        }
    }
    ranges.truncate(merged + 1);
}

#[cfg(test)]
mod tests {
    #[test]
    fn merges_overlapping_and_touching() {
        let mut r = vec![];
        super::insert(&mut r, (10, 20));
        super::insert(&mut r, (0, 5));
        super::insert(&mut r, (5, 10));
        assert_eq!(r, vec![(0, 20)]);
        super::insert(&mut r, (30, 40));
        super::insert(&mut r, (15, 32));
        assert_eq!(r, vec![(0, 40)]);
        super::insert(&mut r, (50, 60));
        assert_eq!(r, vec![(0, 40), (50, 60)]);
    }
}
