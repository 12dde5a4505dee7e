//! Sending SMS. The server talks to an [`SmsGateway`]; the embedded default, [`OutboxGateway`],
//! stores each message in the `sms_outbox` table (demo mode shows it at
//! `GET /api/v1/dev/sms-outbox`). A deployment plugs in its operator's gateway here.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::clock::Clock;
use crate::store::Store;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Something that delivers a text message to a mobile number.
pub trait SmsGateway: Send + Sync + 'static {
    /// Sends `text` to `phone` (11 digits). Errors are described for the log, never shown.
    fn send<'a>(&'a self, phone: &'a str, text: &'a str) -> BoxFuture<'a, Result<(), String>>;
}

/// The embedded gateway: messages go to the outbox table.
pub struct OutboxGateway {
    store: Store,
    clock: Arc<dyn Clock>,
}

impl OutboxGateway {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> OutboxGateway {
        OutboxGateway { store, clock }
    }
}

impl SmsGateway for OutboxGateway {
    fn send<'a>(&'a self, phone: &'a str, text: &'a str) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            self.store
                .outbox_push(phone, text, self.clock.unix())
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// The text of a verification code message.
pub fn code_message(code: &str, purpose_zh: &str) -> String {
    format!("【退役军人服务】您正在{purpose_zh},验证码为{code},5分钟内有效。请勿将验证码告知他人。")
}

/// The 6-digit code inside a message made by [`code_message`], if any.
pub fn code_in(text: &str) -> Option<String> {
    let start = text.find("验证码为")? + "验证码为".len();
    let code: String = text
        .get(start..)?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (code.len() == 6).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_round_trips_through_the_message() {
        let m = code_message("012345", "注册账号");
        assert!(m.contains("5分钟内有效"));
        assert_eq!(code_in(&m).as_deref(), Some("012345"));
        assert_eq!(code_in("no code here"), None);
    }
}
