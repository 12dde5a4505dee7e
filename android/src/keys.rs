//! Android keys → what the app does with them, and the back button → the app's back navigation.
//!
//! Pure functions over Android's raw key codes (`AKEYCODE_*`, which are stable NDK constants) and
//! the app's screen names, so they are tested on the host.

/// `AKEYCODE_*` values used here (from `<android/keycodes.h>`).
pub mod code {
    pub const BACK: u32 = 4;
    pub const DPAD_UP: u32 = 19;
    pub const DPAD_DOWN: u32 = 20;
    pub const DPAD_LEFT: u32 = 21;
    pub const DPAD_RIGHT: u32 = 22;
    pub const TAB: u32 = 61;
    pub const ENTER: u32 = 66;
    pub const DEL: u32 = 67;
    pub const ESCAPE: u32 = 111;
    pub const FORWARD_DEL: u32 = 112;
    pub const MOVE_HOME: u32 = 122;
    pub const MOVE_END: u32 = 123;
    pub const NUMPAD_ENTER: u32 = 160;
}

/// Keys that are not text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    Backspace,
    Delete,
    Return,
    Tab,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
}

/// What a key press means for the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMeaning {
    /// The system back key: the app's back navigation ([`back_action`]).
    Back,
    Special(Special),
    /// A printable character (from the device's key character map).
    Text(char),
    /// Volume, power, camera …: left to the system.
    System,
}

/// The meaning of `key_code`; `unicode` is what the key character map gives for it with the
/// current meta state (`None` for keys that print nothing).
pub fn key_meaning(key_code: u32, unicode: Option<char>) -> KeyMeaning {
    let special = match key_code {
        code::BACK | code::ESCAPE => return KeyMeaning::Back,
        code::DEL => Special::Backspace,
        code::FORWARD_DEL => Special::Delete,
        code::ENTER | code::NUMPAD_ENTER => Special::Return,
        code::TAB => Special::Tab,
        code::DPAD_LEFT => Special::Left,
        code::DPAD_RIGHT => Special::Right,
        code::DPAD_UP => Special::Up,
        code::DPAD_DOWN => Special::Down,
        code::MOVE_HOME => Special::Home,
        code::MOVE_END => Special::End,
        _ => {
            return match unicode {
                Some(c) if !c.is_control() => KeyMeaning::Text(c),
                _ => KeyMeaning::System,
            }
        }
    };
    KeyMeaning::Special(special)
}

/// What the back key does on a screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackAction {
    /// The soft keyboard is up: close it (what every Android text field does first).
    HideKeyboard,
    /// In the review wizard past its first step: the previous step (`WizardPage.prev`).
    WizardPrevious,
    /// On the wizard's first step: leave the wizard for the home screen (`WizardPage.exit`,
    /// which saves the draft first).
    WizardExit,
    /// 注册 / 忘记密码: back to 登录.
    ToLogin,
    /// Any other screen reached from 首页: back to 首页.
    ToHome,
    /// 登录 and 首页 are the roots: let Android move the app to the background.
    LeaveApp,
}

/// The back key's action on `screen` (the app's `Nav.screen`), with the wizard on step
/// `wizard_step` (0-based) and whether the soft keyboard is showing.
pub fn back_action(screen: &str, wizard_step: i32, keyboard_shown: bool) -> BackAction {
    if keyboard_shown {
        return BackAction::HideKeyboard;
    }
    match screen {
        "wizard" if wizard_step > 0 => BackAction::WizardPrevious,
        "wizard" => BackAction::WizardExit,
        "register" | "reset" => BackAction::ToLogin,
        "login" | "home" => BackAction::LeaveApp,
        _ => BackAction::ToHome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_back_editing_keys_and_text() {
        assert_eq!(key_meaning(code::BACK, None), KeyMeaning::Back);
        assert_eq!(
            key_meaning(code::DEL, None),
            KeyMeaning::Special(Special::Backspace)
        );
        assert_eq!(
            key_meaning(code::FORWARD_DEL, None),
            KeyMeaning::Special(Special::Delete)
        );
        assert_eq!(
            key_meaning(code::ENTER, Some('\n')),
            KeyMeaning::Special(Special::Return)
        );
        assert_eq!(
            key_meaning(code::NUMPAD_ENTER, None),
            KeyMeaning::Special(Special::Return)
        );
        assert_eq!(
            key_meaning(code::DPAD_LEFT, None),
            KeyMeaning::Special(Special::Left)
        );
        assert_eq!(
            key_meaning(code::MOVE_END, None),
            KeyMeaning::Special(Special::End)
        );
        // AKEYCODE_1 = 8 and AKEYCODE_X = 52 print what the character map says.
        assert_eq!(key_meaning(8, Some('1')), KeyMeaning::Text('1'));
        assert_eq!(key_meaning(52, Some('X')), KeyMeaning::Text('X'));
        // Volume up (24) prints nothing; a control character is not text.
        assert_eq!(key_meaning(24, None), KeyMeaning::System);
        assert_eq!(key_meaning(999, Some('\u{7}')), KeyMeaning::System);
    }

    #[test]
    fn back_walks_back_through_the_wizard_then_home() {
        assert_eq!(back_action("wizard", 4, false), BackAction::WizardPrevious);
        assert_eq!(back_action("wizard", 1, false), BackAction::WizardPrevious);
        assert_eq!(back_action("wizard", 0, false), BackAction::WizardExit);
        assert_eq!(back_action("register", 0, false), BackAction::ToLogin);
        assert_eq!(back_action("reset", 0, false), BackAction::ToLogin);
        assert_eq!(back_action("login", 0, false), BackAction::LeaveApp);
        assert_eq!(back_action("home", 0, false), BackAction::LeaveApp);
        // A screen added later (results, 我的) goes home rather than closing the app.
        assert_eq!(back_action("result", 0, false), BackAction::ToHome);
        // The keyboard closes first, whatever the screen.
        assert_eq!(back_action("wizard", 3, true), BackAction::HideKeyboard);
    }
}
