//! `shared`'s integration tests, one binary (each file a module): the liveness protocol
//! (challenges, the detector, the session, property tests), the primitives' parsers (property
//! tests), the categories' yearly rules, the review form and the review's state machine.
//! `cargo test -p shared --test shared [filter]`.

mod liveness_challenge;
mod liveness_detector;
mod liveness_props;
mod liveness_session;
mod primitives_proptest;
mod review_category;
mod review_form;
mod review_lifecycle;
