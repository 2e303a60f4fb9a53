//! Property tests of the text parsers the CLI reads (sequences, sessions, prefix-label TSV,
//! attribute JSON), of the ranking metrics, and of the preprocessing cleaners: valid files
//! parse with counts that add up; one malformed line anywhere is rejected naming that line;
//! arbitrary text never panics; event cleaning accounts for every input record.
#![cfg(not(target_arch = "wasm32"))]

use localrec::eval::data::{
    parse_attributes, parse_prefix_labels, parse_sequences, parse_sessions,
};
use localrec::eval::metrics::RankOutcome;
use localrec::prep::{clean_events, Catalog, CatalogItem, CleanConfig, RawEvent};
use localrec::rec::ItemVocab;
use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn token() -> impl Strategy<Value = String> {
    "[a-z0-9_:.-]{1,6}"
}

fn line_of(e: &localrec::Error) -> Option<usize> {
    let s = e.to_string();
    let at = s.find("line ")? + 5;
    s[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn valid_sequence_files_parse_with_counts_that_add_up(
        users in proptest::collection::vec((token(), proptest::collection::vec(token(), 1..8)), 1..20),
        blank_every in 2usize..6,
        crlf in any::<bool>(),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut text = String::new();
        for (i, (u, items)) in users.iter().enumerate() {
            if i % blank_every == 0 {
                text.push_str("   ");
                text.push_str(nl);
            }
            text.push_str(&format!("{u}\t{}{nl}", items.join(" ")));
        }
        let mut vocab = ItemVocab::new();
        let parsed = parse_sequences(&text, &mut vocab).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed.len(), users.len());
        let total: usize = parsed.iter().map(|u| u.items.len()).sum();
        prop_assert_eq!(total, users.iter().map(|(_, i)| i.len()).sum::<usize>());
        for (p, (u, items)) in parsed.iter().zip(&users) {
            prop_assert_eq!(&p.user, u);
            let ids: Vec<&str> = p.items.iter().map(|&i| vocab.id(i).unwrap_or("?")).collect();
            prop_assert_eq!(ids, items.iter().map(|s| s.as_str()).collect::<Vec<_>>());
        }
        // Sessions see the same tokens (the user id counts as an item there).
        let mut v2 = ItemVocab::new();
        let sessions = parse_sessions(&text, &mut v2).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(sessions.len(), users.len());
    }

    #[test]
    fn a_user_line_without_items_is_rejected_naming_its_line(
        users in proptest::collection::vec((token(), proptest::collection::vec(token(), 1..5)), 1..15),
        at in any::<usize>(),
    ) {
        let mut lines: Vec<String> = users.iter().map(|(u, i)| format!("{u} {}", i.join(" "))).collect();
        let at = at % (lines.len() + 1);
        lines.insert(at, "lonely_user".to_string());
        let text = lines.join("\n");
        let e = parse_sequences(&text, &mut ItemVocab::new()).unwrap_err();
        prop_assert_eq!(line_of(&e), Some(at + 1), "{}", e);
    }

    #[test]
    fn a_bad_prefix_label_row_is_rejected_naming_its_line(
        rows in proptest::collection::vec((proptest::collection::vec(token(), 1..5), token()), 1..15),
        at in any::<usize>(),
        bad in prop_oneof![
            Just("a b c".to_string()),
            Just("\tlabel".to_string()),
            Just("a\tb c".to_string()),
            Just("a\tb\tc".to_string()),
            Just("a\t".to_string()),
        ],
    ) {
        let mut lines: Vec<String> = rows.iter().map(|(p, l)| format!("{}\t{l}", p.join(" "))).collect();
        let at = at % (lines.len() + 1);
        lines.insert(at, bad.clone());
        let text = format!("prefix\tlabel\n{}\n", lines.join("\n"));
        let e = parse_prefix_labels(&text, &mut ItemVocab::new()).unwrap_err();
        // +1 for 1-based numbering, +1 for the header.
        prop_assert_eq!(line_of(&e), Some(at + 2), "{:?}: {}", bad, e);
        // Without the bad row every row parses.
        lines.remove(at);
        let ok = format!("prefix\tlabel\n{}\n", lines.join("\n"));
        let parsed = parse_prefix_labels(&ok, &mut ItemVocab::new()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed.len(), rows.len());
    }

    #[test]
    fn arbitrary_text_never_panics_and_line_numbers_are_in_range(text in "(\\PC|[\t\n\r \"\\[\\]{},:])*") {
        let n_lines = text.lines().count().max(1);
        let mut vocab = ItemVocab::new();
        for res in [
            parse_sequences(&text, &mut vocab).map(|v| v.len()),
            parse_sessions(&text, &mut vocab).map(|v| v.len()),
            parse_prefix_labels(&text, &mut vocab).map(|v| v.len()),
        ] {
            if let Err(e) = res {
                if let Some(l) = line_of(&e) {
                    prop_assert!(l >= 1 && l <= n_lines, "line {} of {}: {}", l, n_lines, e);
                }
            }
        }
        let newlines = text.bytes().filter(|&b| b == b'\n').count();
        if let Err(e) = parse_attributes(&text, &vocab, &mut ItemVocab::new()) {
            if let Some(l) = line_of(&e) {
                prop_assert!(l >= 1 && l <= newlines + 1, "attributes line {} of {}: {}", l, newlines + 1, e);
            }
        }
    }

    #[test]
    fn attribute_json_round_trips_and_errors_name_the_line(
        items in proptest::collection::vec((token(), proptest::collection::vec(prop_oneof![token(), (0u32..1000).prop_map(|n| n.to_string())], 0..4)), 1..12),
        break_at in any::<usize>(),
    ) {
        let mut vocab = ItemVocab::new();
        for (id, _) in &items {
            vocab.intern(id).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        let lines: Vec<String> = items
            .iter()
            .map(|(id, attrs)| {
                let list: Vec<String> = attrs.iter().map(|a| if a.parse::<u32>().is_ok() { a.clone() } else { format!("\"{a}\"") }).collect();
                format!("\"{id}\": [{}]", list.join(", "))
            })
            .collect();
        let text = format!("{{\n{}\n}}", lines.join(",\n"));
        let mut attrs = ItemVocab::new();
        let (parsed, unknown) = parse_attributes(&text, &vocab, &mut attrs).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(unknown, 0);
        prop_assert_eq!(parsed.len(), vocab.len());
        // Break one item's line with a stray comma: the error names that line (line 1 is `{`).
        let at = break_at % lines.len();
        let mut broken = lines.clone();
        broken[at] = broken[at].replacen('[', "[,", 1);
        let text = format!("{{\n{}\n}}", broken.join(",\n"));
        let e = parse_attributes(&text, &vocab, &mut attrs).unwrap_err();
        prop_assert_eq!(line_of(&e), Some(at + 2), "{}", e);
    }

    #[test]
    fn rank_metrics_are_probabilities_or_named_errors(
        scores in proptest::collection::vec(prop_oneof![8 => -10.0f32..10.0, 1 => Just(f32::NAN), 1 => Just(0.5f32)], 1..40),
        target in 0u32..45,
        excluded in proptest::collection::vec(0u32..45, 0..6),
    ) {
        match RankOutcome::from_scores(&scores, target, &excluded) {
            Ok(o) => {
                let mut last = 0.0;
                for k in [1usize, 5, 10, 20, 50] {
                    let hr = o.hit_rate(k);
                    prop_assert!((0.0..=1.0).contains(&hr) && hr >= last, "HR@{} = {}", k, hr);
                    last = hr;
                    let nd = o.ndcg(k);
                    prop_assert!((0.0..=1.0).contains(&nd), "NDCG@{} = {}", k, nd);
                }
                let rr = o.reciprocal_rank(None);
                prop_assert!(rr > 0.0 && rr <= 1.0, "MRR {}", rr);
            }
            Err(e) => {
                let nan = scores.iter().any(|s| s.is_nan());
                prop_assert!(nan || target as usize >= scores.len(), "unexpected error {}", e);
            }
        }
    }

    #[test]
    fn event_cleaning_accounts_for_every_record(
        n_items in 1usize..10,
        raw in proptest::collection::vec(
            (0u32..14, 0usize..8, prop_oneof![6 => 0.0f64..1e7, 1 => Just(f64::NAN), 1 => Just(-1.0), 1 => Just(1e300)],
             proptest::option::of(prop_oneof![Just(-3.0f64), Just(0.0), Just(2.0), Just(1e9), Just(f64::NAN)]),
             proptest::option::of(prop_oneof![Just(-1.0f64), Just(5e3), Just(1e12), Just(f64::INFINITY)])),
            0..80),
        burst in 2usize..12,
    ) {
        let items: Vec<CatalogItem> = (0..n_items).map(|i| CatalogItem { id: format!("i{i}"), ..CatalogItem::default() }).collect();
        let (catalog, _) = Catalog::from_items(items).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let kinds = ["view", "click", "add_to_cart", "remove_from_cart", "purchase", "search", "bogus", ""];
        let now = 5e6;
        let events: Vec<RawEvent> = raw
            .iter()
            .map(|&(item, kind, ts, quantity, dwell)| RawEvent {
                item_id: format!("i{item}"),
                kind: kinds[kind].to_string(),
                timestamp: now - ts,
                quantity,
                dwell_ms: dwell,
                ..RawEvent::default()
            })
            .collect();
        let cfg = CleanConfig { burst_max_events: burst, max_events: 40, min_timestamp_ms: 0.0, ..CleanConfig::default() };
        let (kept, report) = clean_events(&catalog, events.clone(), &cfg, now).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(report.input, events.len());
        prop_assert_eq!(report.kept, kept.len());
        let dropped: usize = report.dropped.values().sum();
        prop_assert_eq!(report.kept + dropped, report.input, "{:?}", report.dropped);
        prop_assert_eq!(report.rejected.len(), dropped);
        prop_assert!(kept.len() <= cfg.max_events);
        prop_assert!(kept.windows(2).all(|w| w[0].ts_ms <= w[1].ts_ms && w[0].session <= w[1].session));
        for e in &kept {
            prop_assert!((e.item as usize) < n_items);
            prop_assert!(e.quantity.is_finite() && e.quantity > 0.0);
            prop_assert!(e.dwell_ms.is_none_or(|d| d.is_finite() && d >= 0.0));
        }
    }
}
