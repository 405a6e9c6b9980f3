//! Character data for the repair pass: text and attribute values (references,
//! entities, illegal characters) and the DOCTYPE internal subset (entity declarations,
//! expanded within a budget; external entities are recorded, never fetched).

use std::collections::HashMap;

use super::is_predefined;
use super::repair::RepairError;
use super::scan::{is_name_byte, is_name_start, xml_char_ok};

/// Total bytes internal entity expansion may add to one document.
pub(super) const ENTITY_BUDGET: usize = 1 << 20;

/// An entity declared in the internal DTD subset.
pub(super) enum Entity {
    /// Replacement text (unexpanded).
    Internal(String),
    /// SYSTEM/PUBLIC: never fetched; references to it are dropped.
    External,
}

/// State of one repair pass shared by its text and markup handling.
pub(super) struct Ctx<'r> {
    /// Entities of the internal subset (first declaration wins).
    pub(super) entities: HashMap<String, Entity>,
    /// Bytes produced by entity expansion so far (bounded by [`ENTITY_BUDGET`]).
    pub(super) expanded: usize,
    /// Repairs applied, for the caller's log.
    pub(super) repairs: &'r mut Vec<&'static str>,
}

/// Records a repair once.
pub(super) fn note(repairs: &mut Vec<&'static str>, what: &'static str) {
    if !repairs.contains(&what) {
        repairs.push(what);
    }
}

pub(super) fn find(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|p| p + from)
}

/// Copies `s` dropping characters illegal in XML (for CDATA sections).
pub(super) fn push_clean(s: &str, out: &mut String, repairs: &mut Vec<&'static str>) {
    if s.bytes()
        .all(|c| c >= 0x20 || c == b'\t' || c == b'\n' || c == b'\r')
        && !s.contains(['\u{FFFE}', '\u{FFFF}'])
    {
        out.push_str(s);
        return;
    }
    note(repairs, "dropped characters illegal in XML");
    out.extend(s.chars().filter(|&c| xml_char_ok(c as u32)));
}

impl Ctx<'_> {
    /// Writes text (or an attribute value when `attr`), fixing references and characters.
    pub(super) fn text(
        &mut self,
        s: &str,
        attr: bool,
        out: &mut String,
    ) -> Result<(), RepairError> {
        let b = s.as_bytes();
        let mut run = 0;
        let mut k = 0;
        while k < b.len() {
            let c = b[k];
            let special = match c {
                b'&' | b'<' => true,
                b'"' => attr,
                0..=8 | 11 | 12 | 14..=31 => true,
                0xEF => b.get(k + 1) == Some(&0xBF) && matches!(b.get(k + 2), Some(0xBE | 0xBF)),
                _ => false,
            };
            if !special {
                k += 1;
                continue;
            }
            out.push_str(&s[run..k]);
            match c {
                b'&' => k = self.reference(s, k, out)?,
                b'<' => {
                    out.push_str("&lt;");
                    k += 1;
                }
                b'"' => {
                    out.push_str("&quot;");
                    k += 1;
                }
                0xEF => {
                    note(self.repairs, "dropped characters illegal in XML");
                    k += 3;
                }
                _ => {
                    note(self.repairs, "dropped characters illegal in XML");
                    k += 1;
                }
            }
            run = k;
        }
        out.push_str(&s[run..]);
        Ok(())
    }

    /// Handles the reference starting at `s[k] == '&'`; returns where text continues.
    fn reference(&mut self, s: &str, k: usize, out: &mut String) -> Result<usize, RepairError> {
        let b = s.as_bytes();
        let mut j = k + 1;
        if b.get(j) == Some(&b'#') {
            j += 1;
            let hex = matches!(b.get(j), Some(b'x' | b'X'));
            if hex {
                j += 1;
            }
            let digits = j;
            while j < b.len()
                && (if hex {
                    b[j].is_ascii_hexdigit()
                } else {
                    b[j].is_ascii_digit()
                })
            {
                j += 1;
            }
            if j == digits || j - digits > 8 {
                note(self.repairs, "escaped a bare &");
                out.push_str("&amp;");
                return Ok(k + 1);
            }
            let v = u32::from_str_radix(&s[digits..j], if hex { 16 } else { 10 }).unwrap_or(0);
            let v = if (0x80..=0x9F).contains(&v) {
                note(self.repairs, "mapped a cp1252 character reference");
                let byte = [v as u8];
                let (t, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
                t.chars().next().map_or(v, |c| c as u32)
            } else {
                v
            };
            if xml_char_ok(v) {
                out.push_str("&#");
                out.push_str(&v.to_string());
                out.push(';');
            } else {
                note(self.repairs, "dropped characters illegal in XML");
            }
            return Ok(if b.get(j) == Some(&b';') { j + 1 } else { j });
        }
        while j < b.len() && j - k < 40 && is_name_byte(b[j]) {
            j += 1;
        }
        if j == k + 1 || b.get(j) != Some(&b';') || !is_name_start(b[k + 1]) {
            note(self.repairs, "escaped a bare &");
            out.push_str("&amp;");
            return Ok(k + 1);
        }
        let name = &s[k + 1..j];
        if is_predefined(name) {
            out.push_str(&s[k..=j]);
        } else if let Some(ent) = self.entities.get(name) {
            match ent {
                Entity::External => note(self.repairs, "dropped an external entity reference"),
                Entity::Internal(_) => {
                    note(self.repairs, "expanded an internal entity");
                    self.expand(name, 0, out)?;
                }
            }
        } else if let Some((a, b)) = crate::text::named_entity(name) {
            note(self.repairs, "mapped HTML entities to character references");
            for c in std::iter::once(a).chain(b) {
                out.push_str("&#");
                out.push_str(&u32::from(c).to_string());
                out.push(';');
            }
        } else {
            note(self.repairs, "escaped an unknown entity");
            out.push_str("&amp;");
            out.push_str(name);
            out.push(';');
        }
        Ok(j + 1)
    }

    /// Expands internal entity `name` into `out`, within the budget.
    fn expand(&mut self, name: &str, level: usize, out: &mut String) -> Result<(), RepairError> {
        // Each reference costs at least its own length: empty entities can't bomb either.
        self.spend(name.len() + 2)?;
        if level > 8 {
            return Err(RepairError::EntityLimit);
        }
        let Some(Entity::Internal(value)) = self.entities.get(name) else {
            return Ok(());
        };
        let value = value.clone();
        let b = value.as_bytes();
        let mut run = 0;
        let mut k = 0;
        while k < b.len() {
            if b[k] != b'&' {
                k += 1;
                continue;
            }
            self.spend(k - run)?;
            self.text(&value[run..k], false, out)?;
            let mut j = k + 1;
            while j < b.len() && is_name_byte(b[j]) {
                j += 1;
            }
            let inner = &value[k + 1..j];
            if b.get(j) == Some(&b';')
                && matches!(self.entities.get(inner), Some(Entity::Internal(_)))
            {
                self.expand(inner, level + 1, out)?;
                k = j + 1;
            } else {
                let before = out.len();
                k = self.reference(&value, k, out)?;
                self.spend(out.len() - before)?;
            }
            run = k;
        }
        self.spend(b.len() - run)?;
        self.text(&value[run..], false, out)
    }

    fn spend(&mut self, bytes: usize) -> Result<(), RepairError> {
        self.expanded += bytes;
        if self.expanded > ENTITY_BUDGET {
            Err(RepairError::EntityLimit)
        } else {
            Ok(())
        }
    }

    /// Reads a DOCTYPE from just after `<!DOCTYPE`, recording internal-subset entity
    /// declarations; returns the index after the DOCTYPE.
    pub(super) fn doctype(&mut self, b: &[u8], mut i: usize) -> usize {
        let n = b.len();
        // Up to the internal subset or the end, skipping quoted ids.
        while i < n && b[i] != b'[' && b[i] != b'>' {
            i = skip_quoted(b, i);
        }
        if i >= n || b[i] == b'>' {
            return i + 1;
        }
        i += 1;
        while i < n {
            match b[i] {
                b']' => {
                    return find(b, i, b">").map_or(n, |p| p + 1);
                }
                b'<' if b[i..].starts_with(b"<!--") => i = find(b, i, b"-->").map_or(n, |p| p + 3),
                b'<' if b[i..].starts_with(b"<!ENTITY") => i = self.entity_decl(b, i + 8),
                b'<' => {
                    while i < n && b[i] != b'>' {
                        i = skip_quoted(b, i);
                    }
                    i += 1;
                }
                _ => i += 1,
            }
        }
        n
    }

    fn entity_decl(&mut self, b: &[u8], mut i: usize) -> usize {
        let n = b.len();
        let ws = |b: &[u8], mut i: usize| {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            i
        };
        i = ws(b, i);
        let parameter = b.get(i) == Some(&b'%');
        if parameter {
            i = ws(b, i + 1);
        }
        let s = i;
        while i < n && is_name_byte(b[i]) {
            i += 1;
        }
        let name = String::from_utf8_lossy(&b[s..i]).into_owned();
        i = ws(b, i);
        let entity = match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let end = b[i + 1..]
                    .iter()
                    .position(|&c| c == q)
                    .map_or(n, |p| p + i + 1);
                let v = String::from_utf8_lossy(&b[i + 1..end]).into_owned();
                i = end + 1;
                Entity::Internal(v)
            }
            _ => Entity::External,
        };
        while i < n && b[i] != b'>' {
            i = skip_quoted(b, i);
        }
        if !parameter && !name.is_empty() {
            self.entities.entry(name).or_insert(entity);
        }
        i + 1
    }
}

/// Advances one byte, or past a whole quoted string when `b[i]` is a quote.
pub(super) fn skip_quoted(b: &[u8], i: usize) -> usize {
    match b[i] {
        q @ (b'"' | b'\'') => b[i + 1..]
            .iter()
            .position(|&c| c == q)
            .map_or(b.len(), |p| i + p + 2),
        _ => i + 1,
    }
}
