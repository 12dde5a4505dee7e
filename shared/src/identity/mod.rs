//! Real-name identity on the account platform (seed 003 §4.1; the spec's S1): which documents
//! each 类型 takes and which of them can be verified automatically ([`documents`]), the
//! real-name status and its state machine ([`status`]), and the person's fields, with those
//! whose change re-runs verification ([`person`]), and the password appeal ([`appeal`]).
//!
//! Like the rest of `shared`, no I/O: the server runs the verifier and stores the status; these
//! types say what is allowed.

pub mod appeal;
pub mod documents;
pub mod person;
pub mod status;

pub use documents::{allowed_documents, check_document_kind, IdentityRegion};
pub use person::{
    check_sex, sex_of_document, triggers_verification, Ethnicity, IdentityField, Sex, SexError,
};
pub use status::{
    RealNameEvent, RealNameSource, RealNameStatus, RealNameTransitionError, VerifierResult,
};
