//! 字数: how long a text is, counted the way WPS and Word count it (SPEC.md §3a), so that
//! what an office counts in its word processor is what the limits hold it to.
//!
//! The text is split into extended grapheme clusters. Whitespace counts 0; a cluster whose
//! first character is East Asian wide or full-width counts 1; every maximal run of other
//! clusters (Latin letters, digits, ASCII punctuation) counts 1, as a word. The page's live
//! counter uses the same wide ranges, served from [`wide_ranges`].

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthChar;

/// Whether `c` is East Asian wide or full-width (East_Asian_Width W or F): two columns in a
/// terminal, one 字 in a word processor.
pub fn is_wide(c: char) -> bool {
    c.width() == Some(2)
}

/// The 字数 of `text` (SPEC.md §3a).
pub fn count(text: &str) -> usize {
    let mut n = 0;
    let mut in_word = false;
    for cluster in text.graphemes(true) {
        let Some(first) = cluster.chars().next() else {
            continue;
        };
        if first.is_whitespace() {
            in_word = false;
        } else if is_wide(first) {
            n += 1;
            in_word = false;
        } else if !in_word {
            n += 1;
            in_word = true;
        }
    }
    n
}

/// The wide characters as inclusive ranges of code points, for the page's live counter.
pub fn wide_ranges() -> Vec<(u32, u32)> {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for c in (0..=0x10FFFF_u32).filter_map(char::from_u32) {
        if !is_wide(c) {
            continue;
        }
        let cp = c as u32;
        match ranges.last_mut() {
            Some((_, end)) if *end + 1 == cp => *end = cp,
            _ => ranges.push((cp, cp)),
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specs_examples() {
        assert_eq!(count("优质服务窗口"), 6);
        assert_eq!(count("按期办结率100%，群众满意率99.8%。"), 14);
        assert_eq!(count("Hello world 你好"), 4);
        assert_eq!(count("ＡＢＣ"), 3);
        assert_eq!(count("👍🏽好"), 2);
        assert_eq!(count("  \n\r\n\t　 "), 0);
        assert_eq!(count(""), 0);
    }

    #[test]
    fn mixed_texts() {
        // A word runs until whitespace or a wide character.
        assert_eq!(count("全年办件1.2万件"), 7);
        assert_eq!(
            count("“一窗通办”"),
            6,
            "curly quotes are not wide: a word each"
        );
        assert_eq!(count("e.g. ISO9001认证"), 4);
        // A combining accent stays in its cluster; the word is still one.
        assert_eq!(count("cafe\u{301} re\u{301}sume\u{301}"), 2);
        // Hangul and kana are wide; the ideographic space is whitespace.
        assert_eq!(count("한국어　かな"), 5);
        // A line break ends a word.
        assert_eq!(count("abc\ndef"), 2);
    }

    #[test]
    fn the_ranges_hold_exactly_the_wide_characters() {
        let ranges = wide_ranges();
        assert!(ranges.windows(2).all(|w| w[0].1 + 1 < w[1].0));
        let inside = |cp: u32| ranges.iter().any(|&(a, b)| a <= cp && cp <= b);
        for c in ['优', '，', '。', 'Ａ', '한', 'か', '👍'] {
            assert!(inside(c as u32), "{c}");
        }
        for c in ['A', '1', '%', ' ', '“', 'é'] {
            assert!(!inside(c as u32), "{c}");
        }
    }
}
