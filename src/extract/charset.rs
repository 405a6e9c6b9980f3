//! Character-set detection and decoding of fetched HTML bytes.
//!
//! Order of precedence (WHATWG-like): a byte-order mark is unambiguous and wins;
//! then the `charset` parameter of the HTTP `Content-Type` header; then a
//! `<meta charset>` / `<meta http-equiv="Content-Type">` declaration in the first
//! few kilobytes; then valid UTF-8; then a statistical guess by `chardetng`.

use encoding_rs::{Encoding, UTF_8};

/// How many leading bytes are scanned for a `<meta>` charset declaration.
const META_SCAN_BYTES: usize = 8192;

/// Decodes an HTML document to a `String`.
///
/// `content_type` is the raw HTTP `Content-Type` header value, if any
/// (e.g. `text/html; charset=EUC-KR`). Unknown labels are ignored and the next
/// source of information is tried. Malformed sequences become U+FFFD; this
/// function never fails and never panics.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> String {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        return decode_with(enc, &bytes[bom_len..]);
    }
    if let Some(enc) = content_type
        .and_then(charset_param)
        .and_then(label_to_encoding)
    {
        return decode_with(enc, bytes);
    }
    if let Some(enc) = meta_charset(bytes) {
        return decode_with(enc, bytes);
    }
    if std::str::from_utf8(bytes).is_ok() {
        return decode_with(UTF_8, bytes);
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    decode_with(det.guess(None, chardetng::Utf8Detection::Allow), bytes)
}

fn decode_with(enc: &'static Encoding, bytes: &[u8]) -> String {
    let (text, _had_errors) = enc.decode_without_bom_handling(bytes);
    text.into_owned()
}

/// Maps a charset label to an encoding. Per WHATWG, a document cannot
/// declare itself UTF-16 from inside (it would not be readable ASCII), so such
/// labels mean UTF-8; `x-user-defined` likewise becomes windows-1252.
fn label_to_encoding(label: &str) -> Option<&'static Encoding> {
    let enc = Encoding::for_label(label.trim().as_bytes())?;
    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        return Some(UTF_8);
    }
    if enc == encoding_rs::X_USER_DEFINED {
        return Some(encoding_rs::WINDOWS_1252);
    }
    Some(enc)
}

/// Extracts the value of a `charset=` parameter from a header-like string.
fn charset_param(s: &str) -> Option<&str> {
    let lower = s.to_ascii_lowercase();
    let pos = lower.find("charset")?;
    let rest = &s[pos + "charset".len()..];
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let rest = rest.trim_start_matches(['"', '\'']);
    let end = rest
        .find(|c: char| {
            c == '"'
                || c == '\''
                || c == ';'
                || c == ','
                || c.is_whitespace()
                || c == '>'
                || c == '/'
        })
        .unwrap_or(rest.len());
    let v = &rest[..end];
    (!v.is_empty()).then_some(v)
}

/// Prescans the first bytes of the document for a `<meta>` charset declaration.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(META_SCAN_BYTES)];
    // Only ASCII matters here; lossy conversion keeps byte offsets irrelevant.
    let text = String::from_utf8_lossy(head);
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("<meta") {
        let start = from + i;
        let end = lower[start..].find('>').map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(enc) = charset_param(tag).and_then(label_to_encoding) {
            return Some(enc);
        }
        from = end.max(start + 5);
        if from >= lower.len() {
            break;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_param_parsing() {
        assert_eq!(charset_param("text/html; charset=EUC-KR"), Some("EUC-KR"));
        assert_eq!(
            charset_param("text/html; charset=\"shift_jis\""),
            Some("shift_jis")
        );
        assert_eq!(charset_param("text/html"), None);
    }

    #[test]
    fn bom_wins() {
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice("héllo".as_bytes());
        assert_eq!(
            decode_html(&b, Some("text/html; charset=iso-8859-1")),
            "héllo"
        );
    }

    #[test]
    fn meta_utf16_means_utf8() {
        let b = "<meta charset=utf-16><p>ü</p>".as_bytes();
        assert!(decode_html(b, None).contains('ü'));
    }

    #[test]
    fn garbage_does_not_panic() {
        let b: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let _ = decode_html(&b, Some("charset="));
        let _ = decode_html(b"<meta charset", None);
        let _ = decode_html(b"", None);
    }
}
