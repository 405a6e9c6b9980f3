//! Character encoding: detection and transcoding to UTF-8.
//!
//! Precedence, as lenient feed parsers do it: a byte-order mark; the HTTP
//! `Content-Type` charset when one is given (and plausible for the bytes); the XML
//! declaration; a UTF-16/32 byte pattern for `<?xml` without BOM; then a guess (valid
//! UTF-8, else `chardetng`). A document read as UTF-8 whose bytes are not all valid
//! UTF-8 has each invalid byte run decoded as windows-1252 (the usual cause: cp1252
//! text pasted into a UTF-8 feed). The XML declaration itself is rewritten to UTF-8 by
//! the repair pass, which always writes its own declaration.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// A character set the document can be decoded from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    /// Anything `encoding_rs` knows (UTF-8, UTF-16, legacy single/multi-byte sets).
    Enc(&'static Encoding),
    /// UTF-32 little endian (not in `encoding_rs`).
    Utf32Le,
    /// UTF-32 big endian (not in `encoding_rs`).
    Utf32Be,
}

/// Where the chosen charset came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A byte-order mark.
    Bom,
    /// The HTTP `Content-Type` charset parameter.
    Http,
    /// The `encoding` of the XML declaration.
    Declaration,
    /// The UTF-16/32 byte pattern of a leading `<` without a BOM.
    Pattern,
    /// Nothing declared: valid UTF-8, or a statistical guess.
    Guess,
}

/// The result of [`detect`].
#[derive(Clone, Copy, Debug)]
pub struct Detected {
    /// The charset to decode with.
    pub charset: Charset,
    /// Where it came from.
    pub source: Source,
    /// Length of the byte-order mark to skip.
    pub bom_len: usize,
    /// What feed-rs itself would decode with (XML declaration, else UTF-8), when the
    /// document is ASCII-compatible; `None` when feed-rs cannot read it unaided.
    pub feed_rs_view: Option<&'static Encoding>,
}

impl Detected {
    /// True when handing the original bytes to feed-rs decodes them the same way.
    pub fn feed_rs_agrees(&self) -> bool {
        match (self.charset, self.feed_rs_view) {
            (Charset::Enc(e), Some(v)) => e == v,
            _ => false,
        }
    }

    /// True when the document is not ASCII-compatible (UTF-16/32).
    pub fn is_wide(&self) -> bool {
        matches!(self.charset, Charset::Utf32Le | Charset::Utf32Be)
            || self.charset == Charset::Enc(UTF_16LE)
            || self.charset == Charset::Enc(UTF_16BE)
    }
}

/// Works out the document's charset (see the module documentation for the order).
pub fn detect(bytes: &[u8], content_type: Option<&str>) -> Detected {
    let wide = |charset, source, bom_len| Detected {
        charset,
        source,
        bom_len,
        feed_rs_view: None,
    };
    // 1. Byte-order marks (UTF-32 LE before UTF-16 LE: FF FE 00 00 starts both).
    if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) {
        return wide(Charset::Utf32Le, Source::Bom, 4);
    }
    if bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return wide(Charset::Utf32Be, Source::Bom, 4);
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return wide(Charset::Enc(UTF_16LE), Source::Bom, 2);
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return wide(Charset::Enc(UTF_16BE), Source::Bom, 2);
    }
    let bom_len = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    if bom_len == 0 {
        // 2. No BOM: the byte pattern of "<" in a wide encoding.
        match bytes.get(..4) {
            Some([0, 0, 0, b'<']) => return wide(Charset::Utf32Be, Source::Pattern, 0),
            Some([b'<', 0, 0, 0]) => return wide(Charset::Utf32Le, Source::Pattern, 0),
            Some([0, b'<', 0, _]) => return wide(Charset::Enc(UTF_16BE), Source::Pattern, 0),
            Some([b'<', 0, _, 0]) => return wide(Charset::Enc(UTF_16LE), Source::Pattern, 0),
            _ => {}
        }
    }
    let declared = declared_encoding(&bytes[bom_len..]);
    // feed-rs (quick-xml) lets the declaration override even a UTF-8 BOM.
    let feed_rs_view = Some(declared.unwrap_or(UTF_8));
    let done = |charset, source| Detected {
        charset: Charset::Enc(charset),
        source,
        bom_len,
        feed_rs_view,
    };
    if bom_len == 3 {
        return done(UTF_8, Source::Bom);
    }
    // 3. HTTP charset, when it names an ASCII-compatible set ("us-ascii" says nothing
    //    the document's own declaration would not say better).
    if let Some(enc) = content_type.and_then(http_charset)
        && enc != UTF_16LE
        && enc != UTF_16BE
    {
        return done(enc, Source::Http);
    }
    // 4. XML declaration (a "UTF-16" declaration in an 8-bit document is impossible).
    if let Some(enc) = declared
        && enc != UTF_16LE
        && enc != UTF_16BE
    {
        return done(enc, Source::Declaration);
    }
    // 5. Guess.
    if std::str::from_utf8(&bytes[bom_len..]).is_ok() {
        return done(UTF_8, Source::Guess);
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(
        &bytes[..bytes.len().min(64 * 1024)],
        bytes.len() <= 64 * 1024,
    );
    let guess = det.guess(None, chardetng::Utf8Detection::Allow);
    // windows-1252 and UTF-8 are both handled by the mixed decoder.
    done(
        if guess == WINDOWS_1252 { UTF_8 } else { guess },
        Source::Guess,
    )
}

/// The charset parameter of a Content-Type value, leniently parsed
/// (`charset=x`, `charset = "x"`, `charset:x`). `None` for unknown labels and ASCII.
pub fn http_charset(content_type: &str) -> Option<&'static Encoding> {
    let lower = content_type.to_ascii_lowercase();
    let at = lower.find("charset")?;
    let rest = lower[at + 7..].trim_start();
    let rest = rest.strip_prefix(['=', ':'])?.trim_start();
    let rest = rest.trim_start_matches(['"', '\'']);
    let label: String = rest
        .chars()
        .take_while(|c| !matches!(c, ';' | '"' | '\'' | ' ' | ','))
        .collect();
    if matches!(label.as_str(), "us-ascii" | "ascii" | "") {
        return None;
    }
    Encoding::for_label(label.as_bytes())
}

/// The `encoding` pseudo-attribute of a leading XML declaration, if it names a known set.
pub fn declared_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &bytes[start..bytes.len().min(start + 512)];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = &head[..end];
    let at = decl.windows(8).position(|w| w == b"encoding")?;
    let mut rest = &decl[at + 8..];
    while let [b' ' | b'\t' | b'\r' | b'\n' | b'=', tail @ ..] = rest {
        rest = tail;
    }
    let quote = *rest.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let label = &rest[1..];
    let label = &label[..label.iter().position(|&b| b == quote)?];
    Encoding::for_label(label.trim_ascii())
}

/// Decodes the whole document to UTF-8 text (BOM removed), recording what was done.
pub fn decode(bytes: &[u8], det: &Detected, repairs: &mut Vec<&'static str>) -> String {
    let body = &bytes[det.bom_len..];
    match det.charset {
        Charset::Utf32Le | Charset::Utf32Be => {
            repairs.push("decoded UTF-32 to UTF-8");
            let be = det.charset == Charset::Utf32Be;
            body.chunks(4)
                .map(|c| {
                    let mut w = [0u8; 4];
                    w[..c.len()].copy_from_slice(c);
                    let v = if be {
                        u32::from_be_bytes(w)
                    } else {
                        u32::from_le_bytes(w)
                    };
                    char::from_u32(v).unwrap_or('\u{FFFD}')
                })
                .collect()
        }
        Charset::Enc(enc) if enc == UTF_8 => {
            if det.source == Source::Http {
                repairs.push("used the HTTP charset");
            }
            if det.source == Source::Bom && det.feed_rs_view != Some(UTF_8) {
                repairs.push("let the BOM override the declared encoding");
            }
            decode_utf8_lenient(body, repairs)
        }
        Charset::Enc(enc) => {
            repairs.push(match det.source {
                Source::Http => "used the HTTP charset",
                Source::Guess => "guessed the encoding",
                _ if det.is_wide() => "decoded UTF-16 to UTF-8",
                _ => "decoded a legacy encoding to UTF-8",
            });
            enc.decode_without_bom_handling(body).0.into_owned()
        }
    }
}

/// UTF-8, with every run of invalid bytes decoded as windows-1252.
pub fn decode_utf8_lenient(mut bytes: &[u8], repairs: &mut Vec<&'static str>) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_owned();
    }
    repairs.push("decoded cp1252 bytes in UTF-8 text");
    let mut out = String::with_capacity(bytes.len() + 16);
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let good = e.valid_up_to();
                // Safe: from_utf8 validated this prefix.
                out.push_str(std::str::from_utf8(&bytes[..good]).unwrap_or_default());
                let bad = e.error_len().unwrap_or(bytes.len() - good);
                let (text, _) = WINDOWS_1252.decode_without_bom_handling(&bytes[good..good + bad]);
                out.push_str(&text);
                bytes = &bytes[good + bad..];
            }
        }
    }
}
