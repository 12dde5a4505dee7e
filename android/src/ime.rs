//! The soft keyboard (IME) → key presses Slint's text fields understand.
//!
//! With GameActivity, the IME edits a copy of the field's text (GameTextInput's
//! `InputConnection`) and reports the whole state after each change: text, selection and the
//! composing region (拼音 being typed, before a 汉字 is chosen). Slint's public platform API takes
//! key presses, so each new state is turned into the presses that make the field's text equal to
//! it: move the caret to the end of the changed part, delete what went, type what came, and put
//! the caret where the IME has it. Text being composed is typed into the field as it goes and
//! replaced when the IME commits, as Android's own text fields show it.
//!
//! Offsets are UTF-8 byte offsets (GameTextInput's and Slint's unit); the presses count
//! characters, which is what one Backspace or arrow press moves over for CJK text.

/// One step of editing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Left(usize),
    Right(usize),
    Backspace(usize),
    Insert(String),
}

/// What the IME's copy of the field holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImeText {
    pub text: String,
    /// Caret (the selection's end), a UTF-8 byte offset; clamped into the text.
    pub caret: usize,
}

impl ImeText {
    pub fn new(text: impl Into<String>, caret: usize) -> ImeText {
        ImeText {
            text: text.into(),
            caret,
        }
    }

    /// The caret as a count of characters before it (a caret inside a character, or past the
    /// end, is moved back to the nearest boundary).
    fn caret_chars(&self) -> usize {
        let mut at = self.caret.min(self.text.len());
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        self.text[..at].chars().count()
    }
}

/// The presses that turn the field from `old` into `new`.
pub fn edits(old: &ImeText, new: &ImeText) -> Vec<Edit> {
    let a: Vec<char> = old.text.chars().collect();
    let b: Vec<char> = new.text.chars().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let max_suffix = a.len().min(b.len()) - prefix;
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    let removed = a.len() - prefix - suffix;
    let inserted: String = b[prefix..b.len() - suffix].iter().collect();
    let mut out = Vec::new();
    let mut caret = old.caret_chars();
    if removed > 0 || !inserted.is_empty() {
        // Stand just after the part that changes.
        let target = prefix + removed;
        push_move(&mut out, caret, target);
        if removed > 0 {
            out.push(Edit::Backspace(removed));
        }
        if !inserted.is_empty() {
            caret = prefix + inserted.chars().count();
            out.push(Edit::Insert(inserted));
        } else {
            caret = prefix;
        }
    }
    push_move(&mut out, caret, new.caret_chars());
    out
}

fn push_move(out: &mut Vec<Edit>, from: usize, to: usize) {
    if to < from {
        out.push(Edit::Left(from - to));
    } else if to > from {
        out.push(Edit::Right(to - from));
    }
}

/// Whether the app's own change of a field (`field`, e.g. cleared after a failed login) must be
/// pushed to the IME. Not when it only echoes what the IME itself reported (`ime`): pushing the
/// echo back would restart the IME and lose the 拼音 being composed.
pub fn must_push(field: &ImeText, ime: &ImeText) -> bool {
    field.text != ime.text
}

/// Applies `edits` to `text` as a text field would (for tests, and as the reference for what
/// the presses mean).
pub fn apply(start: &ImeText, edits: &[Edit]) -> ImeText {
    let mut chars: Vec<char> = start.text.chars().collect();
    let mut caret = start.caret_chars();
    for e in edits {
        match e {
            Edit::Left(n) => caret = caret.saturating_sub(*n),
            Edit::Right(n) => caret = (caret + n).min(chars.len()),
            Edit::Backspace(n) => {
                let from = caret.saturating_sub(*n);
                chars.drain(from..caret);
                caret = from;
            }
            Edit::Insert(s) => {
                let ins: Vec<char> = s.chars().collect();
                let n = ins.len();
                chars.splice(caret..caret, ins);
                caret += n;
            }
        }
    }
    let text: String = chars.iter().collect();
    let caret_bytes = chars[..caret].iter().map(|c| c.len_utf8()).sum();
    ImeText::new(text, caret_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> ImeText {
        ImeText::new(s, s.len())
    }

    #[test]
    fn pinyin_composition_then_commit_ends_with_the_hanzi() {
        // 拼音 "zhong" typed letter by letter (composing), then 中 chosen, then 国.
        let states = ["z", "zh", "zhong", "中", "中g", "中guo", "中国"];
        let mut field = t("");
        let mut ime = t("");
        for s in states {
            let next = t(s);
            let e = edits(&ime, &next);
            field = apply(&field, &e);
            assert_eq!(field, next, "after {s}: {e:?}");
            ime = next;
        }
        assert_eq!(field.text, "中国");
        // The commit of 中 over "zhong" is five backspaces and one insert.
        assert_eq!(
            edits(&t("zhong"), &t("中")),
            vec![Edit::Backspace(5), Edit::Insert("中".into())]
        );
    }

    #[test]
    fn edits_in_the_middle_move_the_caret_there_and_back() {
        // 北京市东城区 → the IME replaces 京 with 海 while the caret was after 北 … 京.
        let old = ImeText::new("北京市", "北京".len());
        let new = ImeText::new("北海市", "北海".len());
        let e = edits(&old, &new);
        assert_eq!(e, vec![Edit::Backspace(1), Edit::Insert("海".into())]);
        assert_eq!(apply(&old, &e), new);
        // Caret at the end, change in the middle, caret stays at the end.
        let old = t("13300001234");
        let new = t("1330001234");
        let e = edits(&old, &new);
        assert_eq!(apply(&old, &e), new);
        assert_eq!(e[0], Edit::Left(4));
    }

    #[test]
    fn caret_only_moves_and_deletions() {
        assert_eq!(
            edits(&t("abc"), &ImeText::new("abc", 1)),
            vec![Edit::Left(2)]
        );
        assert_eq!(edits(&t("abc"), &t("abc")), vec![]);
        assert_eq!(edits(&t("中文"), &t("中")), vec![Edit::Backspace(1)]);
        assert_eq!(edits(&t("中文"), &t("")), vec![Edit::Backspace(2)]);
        // Repeated characters: "aa" → "aaa" is one insert, whatever the diff picks.
        let e = edits(&t("aa"), &t("aaa"));
        assert_eq!(apply(&t("aa"), &e), t("aaa"));
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn a_caret_inside_a_character_or_past_the_end_is_clamped() {
        let inside = ImeText::new("中", 1);
        assert_eq!(inside.caret_chars(), 0);
        let past = ImeText::new("ab", 99);
        assert_eq!(past.caret_chars(), 2);
        assert_eq!(apply(&past, &[Edit::Backspace(5)]), t(""));
    }

    #[test]
    fn only_real_changes_are_pushed_back_to_the_ime() {
        assert!(!must_push(&t("中"), &t("中")));
        assert!(must_push(&t(""), &t("中")));
    }
}
