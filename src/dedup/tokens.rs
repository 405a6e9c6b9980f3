//! Plain text → tokens: lower-cased words, and single characters for scripts
//! written without spaces between words (Chinese, Japanese, Korean, Thai…), so
//! that one notion of "a few tokens in a row" serves every language.
//!
//! Linear in the input, allocation-free per token (one reused buffer), and
//! never slices inside a character.

use super::hash;

/// One token: the hash of its lower-cased text, and whether it is a single
/// character of a script without spaces (it then weighs less in a shingle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub hash: u64,
    pub spaceless: bool,
}

/// Weight of a word in a shingle.
pub(crate) const WORD_WEIGHT: u32 = 6;
/// Weight of a character of a script without spaces in a shingle: six of
/// them (two to three words of Korean, Chinese or Japanese) make a shingle,
/// as five words do. Shorter than five words' worth, so that a changed word
/// breaks as few shingles as in English.
pub(crate) const CHAR_WEIGHT: u32 = 5;

impl Token {
    /// Its weight in a shingle.
    pub(crate) fn weight(self) -> u32 {
        if self.spaceless {
            CHAR_WEIGHT
        } else {
            WORD_WEIGHT
        }
    }

    /// Its length as text, in half words: a word is 2, a character of a
    /// script without spaces 1 (a word of Korean, Chinese or Japanese is
    /// about two characters).
    pub(crate) fn length(self) -> u32 {
        if self.spaceless { 1 } else { 2 }
    }
}

/// Scripts whose words are not separated by spaces, or whose syllables carry
/// particles (Hangul): each character is a token.
pub(crate) fn is_spaceless(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF      // Thai, Lao
        | 0x1000..=0x109F    // Myanmar
        | 0x1100..=0x11FF    // Hangul Jamo
        | 0x1780..=0x17FF    // Khmer
        | 0x3040..=0x30FF    // Hiragana, Katakana
        | 0x3130..=0x318F    // Hangul compatibility Jamo
        | 0x31F0..=0x31FF    // Katakana extensions
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0xFF66..=0xFF9F    // half-width Katakana
        | 0x20000..=0x3134F) // CJK extensions B–G
}

/// Full-width Latin letters and digits (common in CJK text) as ASCII.
fn fold_width(c: char) -> char {
    match c as u32 {
        0xFF10..=0xFF19 | 0xFF21..=0xFF3A | 0xFF41..=0xFF5A => {
            char::from_u32(c as u32 - 0xFF00 + 0x20).unwrap_or(c)
        }
        _ => c,
    }
}

/// What a non-ASCII character is to the tokeniser.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Separates words.
    Other,
    /// A character of a script without spaces: a token of its own.
    Spaceless,
    /// Part of a word; lower-cases to this one character.
    Word(char),
    /// Part of a word whose lower case is several characters.
    WordSpecial,
}

/// A direct-mapped cache of recent non-ASCII characters' classes: the Unicode
/// tables behind `is_alphanumeric` and `to_lowercase` are binary searches,
/// and a text uses few distinct characters.
pub(crate) struct CharCache([(char, Class); 256]);

impl Default for CharCache {
    fn default() -> CharCache {
        CharCache([('\0', Class::Other); 256])
    }
}

impl CharCache {
    fn class(&mut self, c: char) -> Class {
        let slot = &mut self.0[c as usize & 255];
        if slot.0 == c {
            return slot.1;
        }
        let class = if is_spaceless(c) {
            Class::Spaceless
        } else if c.is_alphanumeric() {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => Class::Word(l),
                _ => Class::WordSpecial,
            }
        } else {
            Class::Other
        };
        *slot = (c, class);
        class
    }
}

/// Appends the tokens of `text` to `out`. A word's hash is [`hash::bytes`]
/// of its lower-cased UTF-8, computed as it is read.
pub(crate) fn tokenize(text: &str, out: &mut Vec<Token>, cache: &mut CharCache) {
    let mut word = hash::Bytes::new();
    let mut utf8 = [0u8; 4];
    for c in text.chars() {
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                word.push(c.to_ascii_lowercase() as u8);
            } else {
                flush(&mut word, out);
            }
            continue;
        }
        let c = fold_width(c);
        match cache.class(c) {
            Class::Other => flush(&mut word, out),
            Class::Spaceless => {
                flush(&mut word, out);
                out.push(Token {
                    hash: hash::bytes(c.encode_utf8(&mut utf8).as_bytes()),
                    spaceless: true,
                });
            }
            Class::Word(l) => l.encode_utf8(&mut utf8).bytes().for_each(|b| word.push(b)),
            Class::WordSpecial => {
                for l in c.to_lowercase() {
                    l.encode_utf8(&mut utf8).bytes().for_each(|b| word.push(b));
                }
            }
        }
    }
    flush(&mut word, out);
}

fn flush(word: &mut hash::Bytes, out: &mut Vec<Token>) {
    if !word.is_empty() {
        out.push(Token {
            hash: word.finish(),
            spaceless: false,
        });
        *word = hash::Bytes::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Token> {
        let mut out = Vec::new();
        tokenize(s, &mut out, &mut CharCache::default());
        out
    }

    #[test]
    fn words_fold_case_width_and_punctuation() {
        assert_eq!(toks("Seoul, SEOUL… seoul"), toks("seoul seoul seoul"));
        assert_eq!(toks("ＫＯＳＰＩ ２０２６"), toks("kospi 2026"));
        assert_eq!(toks("Schiff’s side"), toks("schiff's side"));
        assert_eq!(toks("Köln").len(), 1);
        // 'İ' lower-cases to two characters; the cache keeps one per slot.
        let t = toks("İSTANBUL İstanbul ÖZ öz Ā ā Ā");
        assert_eq!(t[0], t[1]);
        assert_eq!(t[2], t[3]);
        assert_eq!((t[4], t[5]), (t[6], t[4]));
        assert_eq!(toks("").len(), 0);
    }

    #[test]
    fn spaceless_scripts_are_one_token_per_character() {
        let t = toks("서울=연합뉴스 東京 iPhoneを");
        assert_eq!(t.len(), 2 + 4 + 2 + 1 + 1);
        assert!(t[0].spaceless && !t[8].spaceless && t[9].spaceless);
        assert_eq!(toks("東京")[0], toks("東 京")[0]);
        assert_eq!(toks("Köln")[0].hash, hash::bytes("köln".as_bytes()));
    }
}
