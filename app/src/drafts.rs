//! Offline drafts: every change saved on the device as it happens, encrypted at rest.
//!
//! A draft is stored in sled under `draft/{user_id}/{year}` as `nonce (12 bytes) ‖ ciphertext`,
//! sealed with ChaCha20-Poly1305 and the key from a [`KeyStore`]; the record key is the AEAD's
//! associated data, so a sealed draft moved to another user's or year's slot does not open.
//! Each save is flushed to disk before it returns, so a draft survives the app being killed
//! (`tests/draft_survives_kill.rs` proves it with `kill -9`).
//!
//! Where the key lives: on desktop, [`FileKeyStore`] keeps 32 random bytes in `draft.key` in the
//! app's data directory, created with mode 0600 (owner read/write only) on Unix. The Android build
//! implements [`KeyStore`] over the Android Keystore instead. Anyone who can read the key file can
//! read the drafts: the protection is against copies of the database (backups, a lost SD card,
//! another app), not against the logged-in OS user.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, OsRng, Payload};
use chacha20poly1305::{AeadCore, ChaCha20Poly1305, Key, Nonce};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::error::UserError;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error("无法读取或保存草稿密钥")]
    Key(#[source] std::io::Error),
    #[error("草稿密钥文件已损坏")]
    KeyCorrupt,
    #[error("无法打开本机草稿存储")]
    Storage(#[from] sled::Error),
    #[error("本机草稿已损坏,无法恢复")]
    Corrupt,
    #[error("草稿内容无法保存")]
    Encode,
}

impl UserError for DraftError {
    fn code(&self) -> &'static str {
        match self {
            DraftError::Key(_) => "draft_key_io",
            DraftError::KeyCorrupt => "draft_key_corrupt",
            DraftError::Storage(_) => "draft_storage",
            DraftError::Corrupt => "draft_corrupt",
            DraftError::Encode => "draft_encode",
        }
    }

    fn message(&self) -> String {
        self.to_string()
    }
}

/// Where the draft key is kept. Desktop: [`FileKeyStore`]; Android: the Android Keystore.
pub trait KeyStore {
    /// The 32-byte key, created on first use.
    fn load_or_create(&self) -> Result<[u8; KEY_LEN], DraftError>;
}

/// A key file with mode 0600 (see the module docs).
#[derive(Debug, Clone)]
pub struct FileKeyStore {
    path: PathBuf,
}

impl FileKeyStore {
    pub fn new(path: impl Into<PathBuf>) -> FileKeyStore {
        FileKeyStore { path: path.into() }
    }

    /// `draft.key` in `data_dir`.
    pub fn in_dir(data_dir: &Path) -> FileKeyStore {
        FileKeyStore::new(data_dir.join("draft.key"))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl KeyStore for FileKeyStore {
    fn load_or_create(&self) -> Result<[u8; KEY_LEN], DraftError> {
        match fs::read(&self.path) {
            Ok(bytes) => bytes.try_into().map_err(|_| DraftError::KeyCorrupt),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; KEY_LEN] = ChaCha20Poly1305::generate_key(&mut OsRng).into();
                if let Some(dir) = self.path.parent() {
                    fs::create_dir_all(dir).map_err(DraftError::Key)?;
                }
                let mut options = fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&self.path).map_err(DraftError::Key)?;
                file.write_all(&key)
                    .and_then(|()| file.sync_all())
                    .map_err(DraftError::Key)?;
                Ok(key)
            }
            Err(e) => Err(DraftError::Key(e)),
        }
    }
}

/// A fixed key, for tests.
pub struct StaticKey(pub [u8; KEY_LEN]);

impl KeyStore for StaticKey {
    fn load_or_create(&self) -> Result<[u8; KEY_LEN], DraftError> {
        Ok(self.0)
    }
}

/// Encrypted drafts per user and year.
pub struct DraftStore {
    db: sled::Db,
    cipher: ChaCha20Poly1305,
}

impl DraftStore {
    /// Opens (or creates) the store in `dir` with the key from `keys`.
    pub fn open(dir: &Path, keys: &dyn KeyStore) -> Result<DraftStore, DraftError> {
        let key = keys.load_or_create()?;
        let db = open_db(dir)?;
        Ok(DraftStore {
            db,
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key)),
        })
    }

    fn record_key(user_id: &str, year: i32) -> Vec<u8> {
        format!("draft/{user_id}/{year}").into_bytes()
    }

    /// Saves `draft` for `user_id` and `year`, replacing the previous one, and flushes to disk.
    pub fn save<T: Serialize>(
        &self,
        user_id: &str,
        year: i32,
        draft: &T,
    ) -> Result<(), DraftError> {
        self.save_record(&Self::record_key(user_id, year), draft)
    }

    /// The saved draft for `user_id` and `year`, if any.
    pub fn load<T: DeserializeOwned>(
        &self,
        user_id: &str,
        year: i32,
    ) -> Result<Option<T>, DraftError> {
        self.load_record(&Self::record_key(user_id, year))
    }

    /// Seals `value` under the record key `key` (e.g. `queue/{user}/{year}`), replacing what was
    /// there, and flushes to disk. The same sealing as drafts: other records of the app that hold
    /// personal data (the submission queue, ID-card photos) use this.
    pub fn save_record<T: Serialize>(&self, key: &[u8], value: &T) -> Result<(), DraftError> {
        let plain = serde_json::to_vec(value).map_err(|_| DraftError::Encode)?;
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plain,
                    aad: key,
                },
            )
            .map_err(|_| DraftError::Encode)?;
        let mut stored = Vec::with_capacity(NONCE_LEN + sealed.len());
        stored.extend_from_slice(&nonce);
        stored.extend_from_slice(&sealed);
        self.db.insert(key, stored)?;
        self.db.flush()?;
        Ok(())
    }

    /// The record sealed under `key`, if any.
    pub fn load_record<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, DraftError> {
        let Some(value) = self.db.get(key)? else {
            return Ok(None);
        };
        if value.len() < NONCE_LEN {
            return Err(DraftError::Corrupt);
        }
        let (nonce, sealed) = value.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: key,
                },
            )
            .map_err(|_| DraftError::Corrupt)?;
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(|_| DraftError::Corrupt)
    }

    /// Removes the record under `key` (no error if there is none) and flushes.
    pub fn delete_record(&self, key: &[u8]) -> Result<(), DraftError> {
        self.db.remove(key)?;
        self.db.flush()?;
        Ok(())
    }

    /// Forgets the draft (after it was submitted).
    pub fn delete(&self, user_id: &str, year: i32) -> Result<(), DraftError> {
        self.db.remove(Self::record_key(user_id, year))?;
        self.db.flush()?;
        Ok(())
    }

    /// Copies the sealed record of one slot into another, bypassing encryption. Test support for
    /// proving that a moved record does not open.
    #[doc(hidden)]
    pub fn copy_raw(&self, from: (&str, i32), to: (&str, i32)) -> Result<(), DraftError> {
        if let Some(v) = self.db.get(Self::record_key(from.0, from.1))? {
            self.db.insert(Self::record_key(to.0, to.1), v)?;
        }
        Ok(())
    }
}

/// Opens the sled database, waiting up to 2 s for its file lock: a store that was just closed
/// (the app re-opened after logout, or a draft writer restarted) may still hold the lock while
/// sled's background flusher finishes.
fn open_db(dir: &Path) -> Result<sled::Db, sled::Error> {
    let mut tries = 0;
    loop {
        match sled::open(dir) {
            Err(sled::Error::Io(e))
                if tries < 40 && e.to_string().contains("could not acquire lock") =>
            {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        name: String,
        id_number: String,
        address: String,
    }

    fn sample() -> Sample {
        Sample {
            name: "陈松".into(),
            id_number: "11010519491231002X".into(),
            address: "辽宁省大连市甘井子区百合湾11号楼".into(),
        }
    }

    fn all_bytes(dir: &Path) -> Vec<u8> {
        let mut out = Vec::new();
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(all_bytes(&path));
            } else {
                out.extend(fs::read(&path).unwrap());
            }
        }
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn drafts_round_trip_per_user_and_year() {
        let dir = tempfile::tempdir().unwrap();
        let store = DraftStore::open(dir.path(), &StaticKey([7; 32])).unwrap();
        store.save("u1", 2026, &sample()).unwrap();
        assert_eq!(store.load::<Sample>("u1", 2026).unwrap(), Some(sample()));
        assert_eq!(store.load::<Sample>("u1", 2025).unwrap(), None);
        assert_eq!(store.load::<Sample>("u2", 2026).unwrap(), None);
        store.delete("u1", 2026).unwrap();
        assert_eq!(store.load::<Sample>("u1", 2026).unwrap(), None);
    }

    #[test]
    fn database_files_never_hold_personal_data_in_plain_text() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = DraftStore::open(dir.path(), &StaticKey([9; 32])).unwrap();
            for _ in 0..20 {
                store.save("u1", 2026, &sample()).unwrap();
            }
        }
        let bytes = all_bytes(dir.path());
        assert!(!bytes.is_empty());
        let s = sample();
        for secret in [
            s.id_number.as_bytes(),
            s.name.as_bytes(),
            s.address.as_bytes(),
        ] {
            assert!(!contains(&bytes, secret), "plain text found on disk");
        }

        // Control: the same scan does find the data when it is stored without encryption.
        let plain_dir = tempfile::tempdir().unwrap();
        {
            let db = sled::open(plain_dir.path()).unwrap();
            db.insert("x", serde_json::to_vec(&s).unwrap()).unwrap();
            db.flush().unwrap();
        }
        assert!(contains(
            &all_bytes(plain_dir.path()),
            s.id_number.as_bytes()
        ));
    }

    #[test]
    fn wrong_key_or_moved_record_does_not_open() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = DraftStore::open(dir.path(), &StaticKey([1; 32])).unwrap();
            store.save("u1", 2026, &sample()).unwrap();
            store.copy_raw(("u1", 2026), ("u2", 2026)).unwrap();
            assert_eq!(
                store.load::<Sample>("u2", 2026).unwrap_err().code(),
                "draft_corrupt"
            );
        }
        let store = DraftStore::open(dir.path(), &StaticKey([2; 32])).unwrap();
        assert_eq!(
            store.load::<Sample>("u1", 2026).unwrap_err().code(),
            "draft_corrupt"
        );
    }

    #[test]
    fn key_file_is_created_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let keys = FileKeyStore::in_dir(&dir.path().join("data"));
        let first = keys.load_or_create().unwrap();
        assert_eq!(keys.load_or_create().unwrap(), first);
        assert_ne!(first, [0; 32]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(keys.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        fs::write(keys.path(), b"short").unwrap();
        assert_eq!(
            keys.load_or_create().unwrap_err().code(),
            "draft_key_corrupt"
        );
    }
}
