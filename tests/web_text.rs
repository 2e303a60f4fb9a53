//! Text handling that the WebAssembly build hands to JavaScript, against the
//! standard library compiled into the same test, in headless Firefox:
//! `prep::text::lowercase` (JavaScript's `toLowerCase` for non-ASCII text) against
//! `str::to_lowercase` on every Unicode scalar value and on final-sigma contexts.
//! The base model is pretrained natively (std), so its hashed tokens only meet the
//! browser's if the two lower-case the same.
#![cfg(target_arch = "wasm32")]

use localrec::prep::text::{key, lowercase, title_words};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Every Unicode scalar value (surrogates excluded), in order.
fn all_scalars() -> impl Iterator<Item = char> {
    (0u32..=0x10FFFF).filter_map(char::from_u32)
}

/// The scalars whose lower-casing differs between JavaScript and std, one at a time.
fn differing_scalars(chars: &[char]) -> Vec<(u32, String, String)> {
    chars
        .iter()
        .filter_map(|&c| {
            let s = c.to_string();
            let (ours, std) = (lowercase(&s), s.to_lowercase());
            (ours != std).then_some((c as u32, ours, std))
        })
        .collect()
}

#[wasm_bindgen_test]
fn lowercase_matches_std_on_every_scalar_value() {
    let scalars: Vec<char> = all_scalars().collect();
    assert_eq!(scalars.len(), 0x110000 - 0x800);
    let mut differing = Vec::new();
    // Chunks of 512 scalars, each followed by a space (so a Σ meets no cased neighbour
    // other than across the space, which is not case-ignorable), and the same chunk
    // without separators (so every scalar also meets its neighbours: final sigma and
    // case-ignorable context). One JavaScript call per chunk string.
    for chunk in scalars.chunks(512) {
        let spaced: String = chunk.iter().flat_map(|&c| [c, ' ']).collect();
        let packed: String = chunk.iter().collect();
        if lowercase(&spaced) != spaced.to_lowercase()
            || lowercase(&packed) != packed.to_lowercase()
        {
            differing.extend(differing_scalars(chunk));
            // A chunk can differ only in context (final sigma) with every scalar alone equal.
            if differing_scalars(chunk).is_empty() {
                differing.push((chunk[0] as u32, "context".into(), "context".into()));
            }
        }
    }
    assert!(
        differing.is_empty(),
        "{} scalar values lower-case differently in JavaScript and std (first 20: {:?})",
        differing.len(),
        &differing[..differing.len().min(20)]
    );
}

#[wasm_bindgen_test]
fn final_sigma_matches_std() {
    let cases = [
        "Σ",
        "ΣΑ",
        "ΑΣ",
        "ΟΔΟΣ",
        "ΟΔΟΣ ΟΔΟΣ",
        "ΑΣ.",
        "ΑΣ'",
        "Α'Σ",
        "Α.Σ",
        "ΑΣ'Α",
        "Α\u{0301}Σ",
        "ΑΣ\u{0301}",
        "ΑΣ\u{0301}Α",
        "1Σ",
        "Σ1",
        "ΑΣΣ",
        "ΑΣΣΑ",
        "ΑΣ Σ",
        "aΣ",
        "ÅΣ",
        "\u{10400}Σ",
        "Σ\u{10400}",
        "ΑΣ\u{200B}",
        "ΑΣ\u{00AD}Β",
        "ΣΑΣ ΣΑΣ. ΣΑΣ",
        "ΑΣ\u{E0001}",
        "ǅΣ",
        "İSTANBUL",
        "ẞ",
        "Ⅻ Ⓐ",
    ];
    for s in cases {
        assert_eq!(lowercase(s), s.to_lowercase(), "lower-casing {s:?}");
    }
}

#[wasm_bindgen_test]
fn keys_and_title_words_match_std() {
    for s in [
        "NIVEA",
        "Crème Brûlée",
        "ΟΔΟΣ",
        "Straße",
        "ČESKÝ ráj",
        "日本語 Text",
    ] {
        assert_eq!(key(s), s.to_lowercase());
    }
    assert_eq!(
        title_words("Crème BRÛLÉE — ΟΔΟΣ, 30ml"),
        vec!["crème", "brûlée", "οδος", "30ml"]
    );
}
