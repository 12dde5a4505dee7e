//! Real-name verification of accounts: the [`IdentityVerifier`] the server asks, and the
//! embedded default [`RosterVerifier`].
//!
//! A deployment plugs in the public-security (national platform) check by implementing the
//! trait; without one, only the 建档立卡 roster can confirm an identity, and everyone else goes to
//! manual review (spec S1, decision Q-6). Absence from the roster says nothing about an identity,
//! so it is `Unsupported`, never `Failed`.

use shared::id::IdDocument;
use shared::identity::{RealNameSource, VerifierResult};
use shared::name::PersonName;

use crate::sms::BoxFuture;
use crate::store::Store;

/// Something that can confirm that a name belongs to a document.
pub trait IdentityVerifier: Send + Sync + 'static {
    /// Checks `name` against `document`: the answer, and who gave it (the source a `Passed`
    /// status records). Errors are for the log (the caller answers 500).
    fn verify<'a>(
        &'a self,
        name: &'a PersonName,
        document: &'a IdDocument,
    ) -> BoxFuture<'a, Result<(VerifierResult, RealNameSource), String>>;
}

/// The embedded verifier: a 居民身份证 whose number and name are in the roster passes, one whose
/// number is there under another name fails; anything else is `Unsupported`.
pub struct RosterVerifier {
    store: Store,
}

impl RosterVerifier {
    pub fn new(store: Store) -> RosterVerifier {
        RosterVerifier { store }
    }
}

impl IdentityVerifier for RosterVerifier {
    fn verify<'a>(
        &'a self,
        name: &'a PersonName,
        document: &'a IdDocument,
    ) -> BoxFuture<'a, Result<(VerifierResult, RealNameSource), String>> {
        Box::pin(async move {
            let Some(id) = document.id_number() else {
                return Ok((VerifierResult::Unsupported, RealNameSource::Roster));
            };
            let person = self
                .store
                .roster_by_id_number(id.as_str())
                .await
                .map_err(|e| e.to_string())?;
            let result = match person {
                Some(p) if p.name == name.as_str() => VerifierResult::Passed,
                Some(_) => VerifierResult::Failed,
                None => VerifierResult::Unsupported,
            };
            Ok((result, RealNameSource::Roster))
        })
    }
}

/// The demo's stand-in for the national platform: listed documents pass with their name and
/// fail with any other; everything else goes to the roster ([`RosterVerifier`]).
pub struct ListVerifier {
    roster: RosterVerifier,
    known: Vec<(shared::id::DocumentKind, String, String)>,
}

impl ListVerifier {
    /// `known`: (kind, normalised number, name) the fake service recognises.
    pub fn new(
        store: Store,
        known: Vec<(shared::id::DocumentKind, String, String)>,
    ) -> ListVerifier {
        ListVerifier {
            roster: RosterVerifier::new(store),
            known,
        }
    }
}

impl IdentityVerifier for ListVerifier {
    fn verify<'a>(
        &'a self,
        name: &'a PersonName,
        document: &'a IdDocument,
    ) -> BoxFuture<'a, Result<(VerifierResult, RealNameSource), String>> {
        Box::pin(async move {
            let listed = self
                .known
                .iter()
                .find(|(k, n, _)| *k == document.kind() && n == document.as_str());
            let service = RealNameSource::IdentityService;
            match listed {
                Some((_, _, known_name)) if known_name == name.as_str() => {
                    Ok((VerifierResult::Passed, service))
                }
                Some(_) => Ok((VerifierResult::Failed, service)),
                None => self.roster.verify(name, document).await,
            }
        })
    }
}
