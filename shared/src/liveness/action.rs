//! The four liveness actions (眨眼, 张嘴, 摇头, 点头) and sets of them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::UserError;

/// One action a person is asked to do in front of the camera.
///
/// Serialised as its API name (`blink`, `open_mouth`, `shake_head`, `nod`), the same names the
/// server's `--liveness-actions` setting uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 眨眼: both eyes close briefly and open again.
    Blink,
    /// 张嘴: the mouth opens wide and is held open for a moment.
    OpenMouth,
    /// 摇头: the head turns to one side and to the other.
    ShakeHead,
    /// 点头: the chin goes down and comes back.
    Nod,
}

impl Action {
    /// Every action, in the canonical order used by [`ActionSet`] listings.
    pub const ALL: [Action; 4] = [
        Action::Blink,
        Action::OpenMouth,
        Action::ShakeHead,
        Action::Nod,
    ];

    /// The API / configuration name, e.g. `shake_head`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Blink => "blink",
            Action::OpenMouth => "open_mouth",
            Action::ShakeHead => "shake_head",
            Action::Nod => "nod",
        }
    }

    /// What the app shows and reads out while waiting for this action, e.g. `请眨眼`.
    pub const fn prompt_zh(self) -> &'static str {
        match self {
            Action::Blink => "请眨眼",
            Action::OpenMouth => "请张嘴",
            Action::ShakeHead => "请摇头",
            Action::Nod => "请点头",
        }
    }

    /// The action's short Chinese name, e.g. `眨眼`.
    pub const fn label_zh(self) -> &'static str {
        match self {
            Action::Blink => "眨眼",
            Action::OpenMouth => "张嘴",
            Action::ShakeHead => "摇头",
            Action::Nod => "点头",
        }
    }

    /// Parses an API name (`blink`, `open_mouth`, `shake_head`, `nod`). Surrounding whitespace is
    /// ignored; case matters (names are machine identifiers).
    pub fn parse(s: &str) -> Result<Action, ActionSetError> {
        let name = s.trim();
        if name.is_empty() {
            return Err(ActionSetError::BlankName);
        }
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == name)
            .ok_or_else(|| ActionSetError::Unknown {
                name: truncate_for_display(name),
            })
    }

    /// Position in [`Action::ALL`]; used as a bit index.
    const fn index(self) -> usize {
        match self {
            Action::Blink => 0,
            Action::OpenMouth => 1,
            Action::ShakeHead => 2,
            Action::Nod => 3,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = ActionSetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::parse(s)
    }
}

/// Keeps an operator's typo readable in an error without echoing arbitrary amounts of input.
fn truncate_for_display(s: &str) -> String {
    s.chars().take(32).collect()
}

/// Why an action name or a list of them was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionSetError {
    /// The name is none of `blink`, `open_mouth`, `shake_head`, `nod`.
    #[error(
        "unknown liveness action `{name}` (expected one of blink, open_mouth, shake_head, nod)"
    )]
    Unknown { name: String },
    /// An empty item, e.g. `nod,,blink` or a trailing comma.
    #[error("empty liveness action name in the list")]
    BlankName,
    /// The same action listed twice.
    #[error("liveness action `{0}` is listed more than once")]
    Duplicate(Action),
    /// No action at all.
    #[error("the list of liveness actions is empty; allow at least one of blink, open_mouth, shake_head, nod")]
    Empty,
}

impl UserError for ActionSetError {
    fn code(&self) -> &'static str {
        match self {
            ActionSetError::Unknown { .. } => "liveness_action_unknown",
            ActionSetError::BlankName => "liveness_action_blank",
            ActionSetError::Duplicate(_) => "liveness_action_duplicate",
            ActionSetError::Empty => "liveness_actions_empty",
        }
    }

    fn message(&self) -> String {
        match self {
            ActionSetError::Unknown { .. } => {
                "未知的核验动作,可选:blink(眨眼)、open_mouth(张嘴)、shake_head(摇头)、nod(点头)"
                    .to_owned()
            }
            ActionSetError::BlankName => "核验动作名称不能为空".to_owned(),
            ActionSetError::Duplicate(a) => format!("核验动作“{}”重复", a.label_zh()),
            ActionSetError::Empty => "至少需要一个核验动作".to_owned(),
        }
    }
}

/// A non-empty set of actions a deployment allows challenges to draw from.
///
/// Parsed from the server's `--liveness-actions` setting with [`ActionSet::parse_list`].
/// Iteration, `Display` and serialisation use the canonical order of [`Action::ALL`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActionSet {
    bits: u8,
}

impl ActionSet {
    /// All four actions (the default deployment setting).
    pub const fn all() -> ActionSet {
        ActionSet { bits: 0b1111 }
    }

    /// Parses a comma-separated list of action names, e.g. `shake_head,nod`.
    ///
    /// Whitespace around names is ignored. Unknown names, blank items, duplicates and an empty list
    /// are errors (a typo in a deployment setting must not silently weaken the liveness check).
    pub fn parse_list(s: &str) -> Result<ActionSet, ActionSetError> {
        if s.trim().is_empty() {
            return Err(ActionSetError::Empty);
        }
        let mut bits = 0u8;
        for item in s.split(',') {
            let action = Action::parse(item)?;
            let bit = 1u8 << action.index();
            if bits & bit != 0 {
                return Err(ActionSetError::Duplicate(action));
            }
            bits |= bit;
        }
        Ok(ActionSet { bits })
    }

    /// A set from the given actions; duplicates and emptiness are errors as in [`parse_list`](Self::parse_list).
    pub fn new(actions: impl IntoIterator<Item = Action>) -> Result<ActionSet, ActionSetError> {
        let mut bits = 0u8;
        for action in actions {
            let bit = 1u8 << action.index();
            if bits & bit != 0 {
                return Err(ActionSetError::Duplicate(action));
            }
            bits |= bit;
        }
        if bits == 0 {
            return Err(ActionSetError::Empty);
        }
        Ok(ActionSet { bits })
    }

    pub fn contains(&self, action: Action) -> bool {
        self.bits & (1u8 << action.index()) != 0
    }

    /// Number of actions in the set (1–4).
    pub fn len(&self) -> usize {
        self.bits.count_ones() as usize
    }

    /// Always false: an `ActionSet` is never empty. Present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.bits == 0
    }

    /// The actions in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = Action> + '_ {
        Action::ALL.into_iter().filter(|a| self.contains(*a))
    }

    /// The actions in canonical order, as a vector.
    pub fn to_vec(&self) -> Vec<Action> {
        self.iter().collect()
    }
}

impl Default for ActionSet {
    fn default() -> Self {
        ActionSet::all()
    }
}

impl fmt::Display for ActionSet {
    /// The list in the `--liveness-actions` syntax, e.g. `shake_head,nod`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for a in self.iter() {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            f.write_str(a.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for ActionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActionSet({self})")
    }
}

impl FromStr for ActionSet {
    type Err = ActionSetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ActionSet::parse_list(s)
    }
}

impl Serialize for ActionSet {
    /// Serialised as a list of names, e.g. `["shake_head","nod"]`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for ActionSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let actions = Vec::<Action>::deserialize(deserializer)?;
        ActionSet::new(actions).map_err(serde::de::Error::custom)
    }
}
