//! The app's HTTP client against the real server, below the screens: a wrong slide is
//! `bad_credentials` (with a message), the right one logs in, `me` reads the session, and after
//! logging out the token is refused (401).

use app::api::{CaptchaAnswer, LoginRequest, Token};
use shared::error::UserError;

use crate::common::*;

#[test]
fn http_client_logs_in_and_a_wrong_slide_is_bad_credentials() {
    let s = server();
    let vet = s.veteran();
    let api = client();
    let c = api.captcha().unwrap();
    let x = s.captcha_answer(&c.id);
    let wrong = LoginRequest {
        login: vet.phone().into(),
        password: PASSWORD.into(),
        captcha: Some(CaptchaAnswer {
            id: c.id.clone(),
            x: x + 60,
        }),
    };
    let err = api.login(&wrong).unwrap_err();
    assert_eq!(err.code(), "bad_credentials", "{err:?}");
    assert!(!err.message().is_empty());

    let c = api.captcha().unwrap();
    let x = s.captcha_answer(&c.id);
    let ok = LoginRequest {
        login: vet.phone().into(),
        password: PASSWORD.into(),
        captcha: Some(CaptchaAnswer { id: c.id, x }),
    };
    let session = api.login(&ok).unwrap();
    let token = Token::new(session.token);
    let me = api.me(&token).unwrap();
    assert_eq!(me.masked_name, session.user.masked_name);
    assert_eq!(me.masked_name, masked(&vet.person.name));
    assert!(me.masked_phone.contains('*'));
    api.logout(&token).unwrap();
    assert_eq!(
        api.me(&token).unwrap_err().problem().map(|p| p.status),
        Some(401)
    );
}
