//! Stored answers, compressed.
//!
//! An answer is a booking or a problem in JSON: the same field names, links and time formats
//! every time, around a few dozen bytes that differ (ids, codes, the manage token, times).
//! zstd with a dictionary trained on such answers (`dictionary-2.zstd`, made by
//! `scripts/answer-dictionary` from a real server's answers) keeps a booking's 800 bytes in
//! about a fifth of that, and the answer row is most of the write that an `Idempotency-Key`
//! adds to a booking. A trained dictionary carries entropy tables as well as content, so a
//! small answer is not given tables of its own: that was most of the time it took.
//!
//! The first byte says how the rest is kept, so a dictionary can be replaced by a new version
//! while answers packed with the old one are still within their retention. Answers stored
//! before compression begin with the JSON itself (`{`), never with one of these bytes.

use std::cell::RefCell;

/// The first dictionary: typical answers as plain text, without tables.
const DICTIONARY_1: &[u8] = include_bytes!("dictionary.txt");
/// Trained by `scripts/answer-dictionary`.
const DICTIONARY_2: &[u8] = include_bytes!("dictionary-2.zstd");
/// Dictionary `n` (the first byte of a frame made with it) is `DICTIONARIES[n - 1]`.
const DICTIONARIES: [&[u8]; 2] = [DICTIONARY_1, DICTIONARY_2];

/// The rest is the answer as it was sent.
const PLAIN: u8 = 0;
/// The rest is a zstd frame made with `DICTIONARY_1`; only read, from answers kept before
/// `DICTIONARY_2`.
const ZSTD_DICTIONARY_1: u8 = 1;
/// The rest is a zstd frame made with `DICTIONARY_2`.
const ZSTD_DICTIONARY_2: u8 = 2;

/// With the dictionary's tables, level 1 costs little more than the fastest levels (1.6
/// against 1.5 µs for a booking) and keeps a fifth less (153 against 195 bytes). Frames of any
/// level open the same way.
const LEVEL: i32 = 1;

/// An answer is rendered from one booking: anything far larger is not an answer of ours.
const UNPACKED_MAX: u64 = 1 << 20;

thread_local! {
    // A context per thread, with the dictionary loaded once; compressing then costs
    // microseconds.
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> =
        RefCell::new(compressor());
    static DECOMPRESSORS: RefCell<[Option<zstd::bulk::Decompressor<'static>>; DICTIONARIES.len()]> =
        const { RefCell::new([const { None }; DICTIONARIES.len()]) };
    // Where a frame is made before it is copied behind the nonce: one buffer per thread
    // instead of one per answer.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn compressor() -> Option<zstd::bulk::Compressor<'static>> {
    let made = zstd::bulk::Compressor::with_dictionary(LEVEL, DICTIONARY_2).and_then(|mut c| {
        // The first byte already names the dictionary.
        c.set_parameter(zstd::zstd_safe::CParameter::DictIdFlag(false))?;
        Ok(c)
    });
    made.map_err(|error| {
        tracing::error!(%error, "stored answers cannot be compressed; they are kept as they are")
    })
    .ok()
}

/// Appends `plain` to `out` as it is to be sealed: compressed when that makes it smaller.
pub fn pack_into(out: &mut Vec<u8>, plain: &[u8]) {
    let packed = COMPRESSOR.with(|compressor| {
        let mut compressor = compressor.borrow_mut();
        let compressor = compressor.as_mut()?;
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            scratch.clear();
            scratch.reserve(zstd::zstd_safe::compress_bound(plain.len()));
            let written = compressor.compress_to_buffer(plain, &mut *scratch).ok()?;
            (written < plain.len()).then(|| {
                out.push(ZSTD_DICTIONARY_2);
                out.extend_from_slice(&scratch[..written]);
            })
        })
    });
    if packed.is_none() {
        out.push(PLAIN);
        out.extend_from_slice(plain);
    }
}

/// `plain` packed as releases before `DICTIONARY_2` packed answers.
#[cfg(test)]
pub(super) fn pack_as_before(plain: &[u8]) -> Vec<u8> {
    let frame = zstd::bulk::Compressor::with_dictionary(-1, DICTIONARY_1)
        .unwrap()
        .compress(plain)
        .unwrap();
    [&[ZSTD_DICTIONARY_1][..], &frame].concat()
}

#[cfg(test)]
fn pack(plain: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    pack_into(&mut out, plain);
    out
}

/// The answer `pack` was given; `None` if `packed` is not one of its forms.
pub fn unpack(mut packed: Vec<u8>) -> Option<Vec<u8>> {
    match packed.first() {
        Some(&PLAIN) => {
            packed.remove(0);
            Some(packed)
        }
        Some(&dictionary @ (ZSTD_DICTIONARY_1 | ZSTD_DICTIONARY_2)) => {
            decompress(usize::from(dictionary - 1), &packed[1..])
        }
        // Stored before answers were packed.
        Some(_) => Some(packed),
        None => None,
    }
}

/// `frame`, made with `DICTIONARIES[slot]`.
fn decompress(slot: usize, frame: &[u8]) -> Option<Vec<u8>> {
    let size = zstd::zstd_safe::get_frame_content_size(frame).ok()??;
    if size > UNPACKED_MAX {
        return None;
    }
    DECOMPRESSORS.with(|decompressors| {
        let mut decompressors = decompressors.borrow_mut();
        let decompressor = &mut decompressors[slot];
        if decompressor.is_none() {
            *decompressor = zstd::bulk::Decompressor::with_dictionary(DICTIONARIES[slot]).ok();
        }
        decompressor
            .as_mut()?
            .decompress(frame, usize::try_from(size).ok()?)
            .ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOLD: &str = r#"{"id":"4c4d408b-e45a-4711-aa8b-f82129c0f54a","code":"ZHJZ-TYCN","status":"held","checkpoint":"narva","direction":"entry","category":"car","day":"2026-12-10","window":{"start":"2026-12-10T10:00:00Z","end":"2026-12-10T11:00:00Z","start_local":"2026-12-10T12:00:00+02:00","end_local":"2026-12-10T13:00:00+02:00","time_zone":"Europe/Tallinn"},"plate":"AB1234","contact":"a@example.com","priority":"normal","version":1,"hold_expires_at":"2026-12-07T04:14:12.926066361Z","reslotted_from":null,"created_at":"2026-12-07T04:04:12.926066361Z","updated_at":"2026-12-07T04:04:12.926066361Z","links":{"self":"/api/v1/bookings/ZHJZ-TYCN","confirm":"/api/v1/bookings/ZHJZ-TYCN/confirm","reschedule":"/api/v1/bookings/ZHJZ-TYCN/reschedule","calendar":"/api/v1/bookings/ZHJZ-TYCN.ics"},"manage_token":"0d29e1c8a75656918d3eccf5d459f6943a0bbfa9edce704f84a5c498abd1621a"}"#;

    #[test]
    fn a_booking_answer_is_kept_in_under_a_quarter_of_its_size_and_comes_back_whole() {
        let packed = pack(HOLD.as_bytes());

        assert_eq!(packed[0], ZSTD_DICTIONARY_2);
        assert!(
            packed.len() * 4 < HOLD.len(),
            "{} bytes packed from {}",
            packed.len(),
            HOLD.len()
        );
        assert_eq!(unpack(packed).unwrap(), HOLD.as_bytes());
    }

    #[test]
    fn what_does_not_compress_is_kept_as_it_is() {
        let packed = pack(b"{}");

        assert_eq!(packed, b"\0{}");
        assert_eq!(unpack(packed).unwrap(), b"{}");
    }

    #[test]
    fn an_answer_stored_before_packing_opens_as_it_was() {
        assert_eq!(unpack(HOLD.as_bytes().to_vec()).unwrap(), HOLD.as_bytes());
    }

    #[test]
    fn an_answer_packed_with_the_first_dictionary_still_opens() {
        let packed = pack_as_before(HOLD.as_bytes());

        assert_eq!(packed[0], ZSTD_DICTIONARY_1);
        assert_eq!(unpack(packed).unwrap(), HOLD.as_bytes());
    }

    #[test]
    fn a_frame_that_claims_too_much_or_is_cut_short_is_refused() {
        let packed = pack(HOLD.as_bytes());

        assert_eq!(unpack(packed[..packed.len() / 2].to_vec()), None);
        assert_eq!(unpack(vec![ZSTD_DICTIONARY_1, 1, 2, 3]), None);
        assert_eq!(unpack(vec![ZSTD_DICTIONARY_2, 1, 2, 3]), None);
        assert_eq!(unpack(Vec::new()), None);
    }
}
