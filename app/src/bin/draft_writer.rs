//! Types into a draft forever, saving after every keystroke, until it is killed.
//! `draft-writer DATA_DIR` prints `saved N` after save N is on disk. Used by
//! `tests/draft_survives_kill.rs` (kill -9 mid-typing, then the draft must come back).

use app::drafts::{DraftStore, FileKeyStore};
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct TypingDraft<'a> {
    seq: u64,
    name: &'a str,
    id_number: &'a str,
    address: String,
}

fn main() {
    let Some(dir) = std::env::args_os().nth(1).map(std::path::PathBuf::from) else {
        eprintln!("usage: draft-writer DATA_DIR");
        std::process::exit(2);
    };
    let store = match DraftStore::open(&dir.join("drafts"), &FileKeyStore::in_dir(&dir)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot open drafts: {e}");
            std::process::exit(1);
        }
    };
    let address: Vec<char> = "辽宁省大连市甘井子区百合湾11号楼3单元5-2".chars().collect();
    let mut stdout = std::io::stdout();
    for seq in 1u64.. {
        let typed = (seq as usize) % (address.len() + 1);
        let draft = TypingDraft {
            seq,
            name: "陈松",
            id_number: "11010519491231002X",
            address: address[..typed].iter().collect(),
        };
        if let Err(e) = store.save("u1", 2026, &draft) {
            eprintln!("save failed: {e}");
            std::process::exit(1);
        }
        if writeln!(stdout, "saved {seq}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            std::process::exit(0);
        }
    }
}
