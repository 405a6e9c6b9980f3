//! Plain text of the cleaned article: the rules (blocks, skipped elements, ruby
//! readings) live in [`crate::text`], shared with every other stage.

pub(crate) use crate::text::{is_block, node_text, squash};
