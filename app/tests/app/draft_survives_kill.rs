//! The draft survives `kill -9` mid-typing: a child process saves a draft after every
//! "keystroke"; we kill it at an arbitrary point and the last save it reported is on disk.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use app::drafts::{DraftStore, FileKeyStore};

#[test]
fn draft_comes_back_after_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut total_checked = 0;
    // Three rounds, each killed at a different point, each continuing on the same store.
    for stop_after in [37u64, 120, 263] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_draft-writer"))
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut last_reported = 0u64;
        for line in lines.by_ref() {
            let line = line.unwrap();
            last_reported = line.strip_prefix("saved ").unwrap().parse().unwrap();
            if last_reported >= stop_after {
                break;
            }
        }
        // Child::kill sends SIGKILL on Unix: no destructor, no flush, no clean shutdown.
        child.kill().unwrap();
        let status = child.wait().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(
                status.signal(),
                Some(9),
                "child was not killed by SIGKILL: {status:?}"
            );
        }
        assert!(last_reported >= stop_after);

        let store = DraftStore::open(
            &dir.path().join("drafts"),
            &FileKeyStore::in_dir(dir.path()),
        )
        .unwrap();
        let draft: serde_json::Value = store
            .load("u1", 2026)
            .unwrap()
            .expect("draft restored after kill -9");
        let seq = draft["seq"].as_u64().unwrap();
        // Everything reported as saved is there (the child may have saved one more before dying).
        assert!(
            seq >= last_reported,
            "restored seq {seq} < last reported {last_reported}"
        );
        assert_eq!(draft["id_number"], "11010519491231002X");
        assert_eq!(draft["name"], "陈松");
        total_checked += 1;
    }
    assert_eq!(total_checked, 3);
}
