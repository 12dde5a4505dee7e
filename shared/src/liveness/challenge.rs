//! The server-issued liveness challenge: an id, a nonce, 1–3 distinct actions in random order and
//! an expiry of at most two minutes.
//!
//! Randomness and "now" are parameters: the server passes its RNG and clock reading, tests pass a
//! seeded `StdRng` and fixed times.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::action::{Action, ActionSet};
use crate::error::UserError;

/// Fewest actions drawn when the allowed set has at least this many.
pub const MIN_ACTIONS: usize = 2;
/// Most actions in one challenge.
pub const MAX_ACTIONS: usize = 3;
/// The longest a challenge may live (and the default lifetime).
pub const MAX_CHALLENGE_TTL_SECS: i64 = 120;

/// Draws the actions of a new challenge: 2 or 3 (each with probability ½) distinct actions from
/// `allowed`, in uniformly random order.
///
/// If `allowed` has fewer actions than the drawn count, every allowed action is used (in random
/// order): a deployment restricted to `shake_head,nod` always gets both, one restricted to a single
/// action gets a one-action challenge. Weaker, but that is the operator's explicit choice.
pub fn draw_actions(rng: &mut impl Rng, allowed: &ActionSet) -> Vec<Action> {
    let count = rng.gen_range(MIN_ACTIONS..=MAX_ACTIONS);
    let mut pool = allowed.to_vec();
    // A full Fisher–Yates shuffle makes every ordered selection of `count` actions equally likely.
    pool.shuffle(rng);
    pool.truncate(count);
    pool
}

/// Why a challenge (or one of its parts) could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    #[error("a challenge needs at least one action")]
    NoActions,
    #[error("a challenge has at most {MAX_ACTIONS} actions")]
    TooManyActions,
    #[error("action `{0}` appears twice in the challenge")]
    DuplicateAction(Action),
    #[error("challenge lifetime must be positive and at most {MAX_CHALLENGE_TTL_SECS} s")]
    InvalidTtl,
    #[error("challenge id must be 32 lower-case hexadecimal characters")]
    InvalidId,
    #[error("challenge nonce must be 64 lower-case hexadecimal characters")]
    InvalidNonce,
}

impl UserError for ChallengeError {
    fn code(&self) -> &'static str {
        match self {
            ChallengeError::NoActions => "challenge_actions_empty",
            ChallengeError::TooManyActions => "challenge_actions_too_many",
            ChallengeError::DuplicateAction(_) => "challenge_actions_duplicate",
            ChallengeError::InvalidTtl => "challenge_ttl_invalid",
            ChallengeError::InvalidId => "challenge_id_invalid",
            ChallengeError::InvalidNonce => "challenge_nonce_invalid",
        }
    }

    fn message(&self) -> String {
        match self {
            ChallengeError::NoActions => "核验动作不能为空".to_owned(),
            ChallengeError::TooManyActions => format!("核验动作最多{MAX_ACTIONS}个"),
            ChallengeError::DuplicateAction(a) => format!("核验动作“{}”重复", a.label_zh()),
            ChallengeError::InvalidTtl => "核验有效期设置不正确".to_owned(),
            ChallengeError::InvalidId => "核验编号格式不正确".to_owned(),
            ChallengeError::InvalidNonce => "核验随机数格式不正确".to_owned(),
        }
    }
}

/// The actions of one challenge, in the order they must be done: 1–3 distinct actions.
///
/// (Challenges drawn by [`draw_actions`] have 2–3 unless the deployment allows fewer actions.)
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChallengeActions(Vec<Action>);

impl ChallengeActions {
    pub fn new(
        actions: impl IntoIterator<Item = Action>,
    ) -> Result<ChallengeActions, ChallengeError> {
        let mut out: Vec<Action> = Vec::new();
        for action in actions {
            if out.contains(&action) {
                return Err(ChallengeError::DuplicateAction(action));
            }
            if out.len() == MAX_ACTIONS {
                return Err(ChallengeError::TooManyActions);
            }
            out.push(action);
        }
        if out.is_empty() {
            return Err(ChallengeError::NoActions);
        }
        Ok(ChallengeActions(out))
    }

    /// Draws with [`draw_actions`]; never fails because an [`ActionSet`] is never empty.
    pub fn draw(rng: &mut impl Rng, allowed: &ActionSet) -> ChallengeActions {
        ChallengeActions(draw_actions(rng, allowed))
    }

    pub fn as_slice(&self) -> &[Action] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false (a challenge has at least one action). Present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<Action> {
        self.0.get(index).copied()
    }

    /// Position of `action` in the challenge, if it is part of it.
    pub fn position(&self, action: Action) -> Option<usize> {
        self.0.iter().position(|a| *a == action)
    }

    pub fn iter(&self) -> impl Iterator<Item = Action> + '_ {
        self.0.iter().copied()
    }

    /// The prompts in order, e.g. `请摇头,请点头`.
    pub fn prompts_zh(&self) -> String {
        self.0
            .iter()
            .map(|a| a.prompt_zh())
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl TryFrom<Vec<Action>> for ChallengeActions {
    type Error = ChallengeError;
    fn try_from(v: Vec<Action>) -> Result<Self, Self::Error> {
        ChallengeActions::new(v)
    }
}

impl TryFrom<&[Action]> for ChallengeActions {
    type Error = ChallengeError;
    fn try_from(v: &[Action]) -> Result<Self, Self::Error> {
        ChallengeActions::new(v.iter().copied())
    }
}

impl Serialize for ChallengeActions {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ChallengeActions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = Vec::<Action>::deserialize(deserializer)?;
        ChallengeActions::new(v).map_err(serde::de::Error::custom)
    }
}

/// Parses a fixed-length lower-case hex string; upper case is normalised.
fn parse_hex(s: &str, len: usize) -> Option<String> {
    let s = s.trim();
    if s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Some(s.to_ascii_lowercase())
    } else {
        None
    }
}

macro_rules! hex_token {
    ($(#[$doc:meta])* $name:ident, $len:expr, $err:expr, $debug:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<$name, ChallengeError> {
                parse_hex(s, $len).map($name).ok_or($err)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                $debug(&self.0, f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = ChallengeError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_token!(
    /// A challenge's public id: 128 random bits as 32 lower-case hex characters.
    ChallengeId,
    32,
    ChallengeError::InvalidId,
    |s: &str, f: &mut fmt::Formatter<'_>| write!(f, "ChallengeId({s})")
);

hex_token!(
    /// The challenge's nonce: 256 random bits as 64 lower-case hex characters. The client binds its
    /// evidence to it; `Debug` does not print it.
    Nonce,
    64,
    ChallengeError::InvalidNonce,
    |_s: &str, f: &mut fmt::Formatter<'_>| f.write_str("Nonce(***)")
);

impl ChallengeId {
    pub fn generate(rng: &mut impl Rng) -> ChallengeId {
        ChallengeId(format!("{:032x}", rng.gen::<u128>()))
    }
}

impl Nonce {
    pub fn generate(rng: &mut impl Rng) -> Nonce {
        Nonce(format!(
            "{:032x}{:032x}",
            rng.gen::<u128>(),
            rng.gen::<u128>()
        ))
    }
}

/// A liveness challenge as the server issues it.
///
/// Invariants (checked when built and when deserialised): 1–3 distinct actions, and a lifetime
/// `expires_at - issued_at` in `(0, 120 s]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Challenge {
    id: ChallengeId,
    nonce: Nonce,
    actions: ChallengeActions,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl Challenge {
    /// Issues a challenge at `now` living the maximum two minutes.
    pub fn issue(rng: &mut impl Rng, allowed: &ActionSet, now: DateTime<Utc>) -> Challenge {
        let actions = ChallengeActions::draw(rng, allowed);
        Challenge {
            id: ChallengeId::generate(rng),
            nonce: Nonce::generate(rng),
            actions,
            issued_at: now,
            expires_at: now + Duration::seconds(MAX_CHALLENGE_TTL_SECS),
        }
    }

    /// Issues a challenge living `ttl` (positive, at most two minutes).
    pub fn issue_with_ttl(
        rng: &mut impl Rng,
        allowed: &ActionSet,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Challenge, ChallengeError> {
        check_ttl(ttl)?;
        let mut c = Challenge::issue(rng, allowed, now);
        c.expires_at = now + ttl;
        Ok(c)
    }

    /// Rebuilds a stored challenge, checking its invariants.
    pub fn from_parts(
        id: ChallengeId,
        nonce: Nonce,
        actions: ChallengeActions,
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Challenge, ChallengeError> {
        check_ttl(expires_at - issued_at)?;
        Ok(Challenge {
            id,
            nonce,
            actions,
            issued_at,
            expires_at,
        })
    }

    pub fn id(&self) -> &ChallengeId {
        &self.id
    }
    pub fn nonce(&self) -> &Nonce {
        &self.nonce
    }
    pub fn actions(&self) -> &ChallengeActions {
        &self.actions
    }
    pub fn issued_at(&self) -> DateTime<Utc> {
        self.issued_at
    }
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// True from `expires_at` on.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }
}

fn check_ttl(ttl: Duration) -> Result<(), ChallengeError> {
    if ttl <= Duration::zero() || ttl > Duration::seconds(MAX_CHALLENGE_TTL_SECS) {
        return Err(ChallengeError::InvalidTtl);
    }
    Ok(())
}

#[derive(Deserialize)]
struct ChallengeRecord {
    id: ChallengeId,
    nonce: Nonce,
    actions: ChallengeActions,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl<'de> Deserialize<'de> for Challenge {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let r = ChallengeRecord::deserialize(deserializer)?;
        Challenge::from_parts(r.id, r.nonce, r.actions, r.issued_at, r.expires_at)
            .map_err(serde::de::Error::custom)
    }
}
