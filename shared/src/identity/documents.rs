//! The seed's table "自然人所在地区以及证件类型对实名认证的影响" (seed 003 §4.1.3): for each 类型 the
//! document kinds offered, and whether the national platform can verify them automatically.
//!
//! | 类型 | 证件类型 | 是否实名认证 |
//! |---|---|---|
//! | 中华人民共和国大陆地区 | 居民身份证 | 是 |
//! | | 外国人永久居留证 (our 外国人永久居留身份证) | 否 |
//! | 中华人民共和国港、澳、台地区 | 往来港澳通行证 | 是 |
//! | | 往来台湾通行证 | 是 |
//! | | 港澳居民来往内地通行证 | 是 |
//! | | 台湾居民来往大陆通行证 | 是 |
//! | 其他 | 境外护照 | 否 |
//! | | 护照 (中国) — **proposal**, not in the seed: Chinese citizens abroad | 否 |
//!
//! The seed files the two *mainland* residents' permits (往来港澳/台湾通行证) under 港澳台 and the
//! foreigners' permanent residence card under 大陆; the table is kept as the seed has it, since it
//! only decides which kinds each picker offers.

use serde::{Deserialize, Serialize};

use crate::error::UserError;
use crate::id::DocumentKind;

/// The seed's "类型" (身份类型) of a natural person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityRegion {
    /// 中华人民共和国大陆地区
    Mainland,
    /// 中华人民共和国港、澳、台地区
    HkMacaoTaiwan,
    /// 其他
    Other,
}

impl IdentityRegion {
    pub const ALL: [IdentityRegion; 3] = [
        IdentityRegion::Mainland,
        IdentityRegion::HkMacaoTaiwan,
        IdentityRegion::Other,
    ];

    /// The seed's label.
    pub fn label_zh(self) -> &'static str {
        match self {
            IdentityRegion::Mainland => "中华人民共和国大陆地区",
            IdentityRegion::HkMacaoTaiwan => "中华人民共和国港、澳、台地区",
            IdentityRegion::Other => "其他",
        }
    }
}

/// The document kinds a person of `region` may register with, in picker order, each with
/// whether it is verified automatically (`true`) or only by manual review.
pub fn allowed_documents(region: IdentityRegion) -> &'static [(DocumentKind, bool)] {
    match region {
        IdentityRegion::Mainland => &[
            (DocumentKind::ResidentIdCard, true),
            (DocumentKind::ForeignPermanentResidence, false),
        ],
        IdentityRegion::HkMacaoTaiwan => &[
            (DocumentKind::MainlandHkMacaoPermit, true),
            (DocumentKind::MainlandTaiwanPermit, true),
            (DocumentKind::HkMacaoPermit, true),
            (DocumentKind::TaiwanPermit, true),
        ],
        IdentityRegion::Other => &[
            (DocumentKind::ForeignPassport, false),
            (DocumentKind::ChinesePassport, false),
        ],
    }
}

/// A document kind the person's 类型 does not offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("document kind {kind:?} not allowed for {region:?}")]
pub struct DocumentKindNotAllowed {
    pub region: IdentityRegion,
    pub kind: DocumentKind,
}

impl UserError for DocumentKindNotAllowed {
    fn code(&self) -> &'static str {
        "document_kind_not_allowed"
    }

    fn message(&self) -> String {
        "所选证件类型与类型不符".to_owned()
    }
}

/// Whether `kind` may be chosen under `region`; `Ok(auto_verifiable)` when it may.
pub fn check_document_kind(
    region: IdentityRegion,
    kind: DocumentKind,
) -> Result<bool, DocumentKindNotAllowed> {
    allowed_documents(region)
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, auto)| *auto)
        .ok_or(DocumentKindNotAllowed { region, kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (类型, 证件类型) pair, exactly as the seed's table (plus the proposed 护照 (中国)).
    #[test]
    fn the_seed_table_exactly() {
        use DocumentKind as K;
        use IdentityRegion as R;
        let expected: &[(R, K, Option<bool>)] = &[
            (R::Mainland, K::ResidentIdCard, Some(true)),
            (R::Mainland, K::ForeignPermanentResidence, Some(false)),
            (R::HkMacaoTaiwan, K::MainlandHkMacaoPermit, Some(true)),
            (R::HkMacaoTaiwan, K::MainlandTaiwanPermit, Some(true)),
            (R::HkMacaoTaiwan, K::HkMacaoPermit, Some(true)),
            (R::HkMacaoTaiwan, K::TaiwanPermit, Some(true)),
            (R::Other, K::ForeignPassport, Some(false)),
            (R::Other, K::ChinesePassport, Some(false)),
        ];
        for region in R::ALL {
            for kind in K::ALL {
                let want = expected
                    .iter()
                    .find(|(r, k, _)| *r == region && *k == kind)
                    .and_then(|e| e.2);
                assert_eq!(
                    check_document_kind(region, kind).ok(),
                    want,
                    "{region:?} {kind:?}"
                );
            }
        }
        // Every kind is offered somewhere, exactly once.
        for kind in K::ALL {
            let n = R::ALL
                .iter()
                .filter(|r| check_document_kind(**r, kind).is_ok())
                .count();
            assert_eq!(n, 1, "{kind:?}");
        }
        let e = check_document_kind(R::Other, K::ResidentIdCard).unwrap_err();
        assert_eq!(e.code(), "document_kind_not_allowed");
        assert_eq!(e.message(), "所选证件类型与类型不符");
    }
}
