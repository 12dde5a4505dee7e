//! The client of the server's `/api/v1` over HTTP with reqwest (blocking, rustls): the
//! accounts endpoints here; the review, liveness and staff/reviewer endpoints in the
//! submodules. Blocking: the UI calls it off its thread.

use std::time::Duration;

use reqwest::blocking::{Client, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::api::problem::{Problem, PROBLEM_JSON};

mod liveness;
mod review;
mod staff;

use super::{
    ApiError, Captcha, LoginRequest, PasswordResetRequest, Profile, RegisterRequest,
    RegisterResponse, SessionResponse, SmsCodeRequest, SmsLoginRequest, Token,
};

/// The server at `base` (e.g. `http://127.0.0.1:8080`).
#[derive(Debug, Clone)]
pub struct HttpClient {
    base: String,
    client: Client,
}

impl HttpClient {
    /// A client for the server at `base`. Fails only if the TLS stack cannot be set up.
    pub fn new(base: &str) -> Result<HttpClient, ApiError> {
        let client = Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .user_agent(concat!("zhanyou-app/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| ApiError::Network)?;
        Ok(HttpClient {
            base: base.trim_end_matches('/').to_owned(),
            client,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    fn send(req: RequestBuilder) -> Result<Response, ApiError> {
        let resp = req.send().map_err(|_| ApiError::Network)?;
        if resp.status().is_success() {
            Ok(resp)
        } else {
            Err(error_from(resp))
        }
    }

    fn json<T: DeserializeOwned>(req: RequestBuilder) -> Result<T, ApiError> {
        let resp = Self::send(req)?;
        let status = resp.status().as_u16();
        resp.json::<T>()
            .map_err(|_| ApiError::BadResponse { status })
    }

    fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        Self::json(self.client.post(self.url(path)).json(body))
    }

    fn post_no_content<B: Serialize>(&self, path: &str, body: &B) -> Result<(), ApiError> {
        Self::send(self.client.post(self.url(path)).json(body)).map(drop)
    }
}

/// Turns an error response into an [`ApiError`]: a problem body when the server sent one.
fn error_from(resp: Response) -> ApiError {
    let status = resp.status().as_u16();
    let is_problem = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with(PROBLEM_JSON) || ct.starts_with("application/json"));
    if !is_problem {
        return ApiError::BadResponse { status };
    }
    match resp.json::<Problem>() {
        Ok(problem) => ApiError::Problem(problem),
        Err(_) => ApiError::BadResponse { status },
    }
}

impl HttpClient {
    /// `GET /api/v1/captchas`.
    pub fn captcha(&self) -> Result<Captcha, ApiError> {
        Self::json(self.client.get(self.url("/api/v1/captchas")))
    }

    /// `POST /api/v1/sessions`.
    pub fn login(&self, req: &LoginRequest) -> Result<SessionResponse, ApiError> {
        self.post_json("/api/v1/sessions", req)
    }

    /// `POST /api/v1/sessions/sms`.
    pub fn login_sms(&self, req: &SmsLoginRequest) -> Result<SessionResponse, ApiError> {
        self.post_json("/api/v1/sessions/sms", req)
    }

    /// `POST /api/v1/sms-codes` (202).
    pub fn send_sms_code(&self, req: &SmsCodeRequest) -> Result<(), ApiError> {
        self.post_no_content("/api/v1/sms-codes", req)
    }

    /// `POST /api/v1/accounts` (201).
    pub fn register(&self, req: &RegisterRequest) -> Result<RegisterResponse, ApiError> {
        self.post_json("/api/v1/accounts", req)
    }

    /// `POST /api/v1/password-resets` (204).
    pub fn reset_password(&self, req: &PasswordResetRequest) -> Result<(), ApiError> {
        self.post_no_content("/api/v1/password-resets", req)
    }

    /// `GET /api/v1/me`.
    pub fn me(&self, token: &Token) -> Result<Profile, ApiError> {
        Self::json(
            self.client
                .get(self.url("/api/v1/me"))
                .bearer_auth(token.expose()),
        )
    }

    /// `GET /api/v1/me/identity`: 我的信息 with the 实名认证 status.
    pub fn my_identity(
        &self,
        token: &Token,
    ) -> Result<shared::api::identity::IdentityView, ApiError> {
        Self::json(
            self.client
                .get(self.url("/api/v1/me/identity"))
                .bearer_auth(token.expose()),
        )
    }

    /// `DELETE /api/v1/sessions/current` (204).
    pub fn logout(&self, token: &Token) -> Result<(), ApiError> {
        Self::send(
            self.client
                .delete(self.url("/api/v1/sessions/current"))
                .bearer_auth(token.expose()),
        )
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    //! Against a one-shot HTTP stub on 127.0.0.1:0 that answers with canned responses.
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::mpsc;

    use super::*;
    use crate::api::CaptchaAnswer;
    use shared::error::UserError;

    /// Serves one request with `status`, `content_type` and `body`; sends back the request line,
    /// headers and body it received.
    fn stub(
        status: &'static str,
        content_type: &'static str,
        body: &'static str,
    ) -> (String, mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                head.push_str(&line);
            }
            let mut body_in = vec![0; len];
            reader.read_exact(&mut body_in).unwrap();
            head.push_str(&String::from_utf8_lossy(&body_in));
            let mut stream = stream;
            write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            tx.send(head).unwrap();
        });
        (format!("http://{addr}"), rx)
    }

    fn login_req() -> LoginRequest {
        LoginRequest {
            login: "13300001234".into(),
            password: "abc12345".into(),
            captcha: Some(CaptchaAnswer {
                id: "c1".into(),
                x: 120,
            }),
        }
    }

    #[test]
    fn locked_account_problem_is_typed_with_its_lock_end() {
        let (base, seen) = stub(
            "423 Locked",
            "application/problem+json",
            r#"{"status":423,"code":"account_locked","message":"账号已锁定,请稍后再试","locked_until":"2026-02-01T10:15:00Z"}"#,
        );
        let err = HttpClient::new(&base)
            .unwrap()
            .login(&login_req())
            .unwrap_err();
        let problem = err.problem().expect("a problem body");
        assert_eq!(problem.status, 423);
        assert_eq!(err.code(), "account_locked");
        assert_eq!(
            problem.locked_until.as_deref(),
            Some("2026-02-01T10:15:00Z")
        );
        let request = seen.recv().unwrap();
        assert!(
            request.starts_with("POST /api/v1/sessions HTTP/1.1"),
            "{request}"
        );
        assert!(
            request.contains(r#""captcha":{"id":"c1","x":120}"#),
            "{request}"
        );
    }

    #[test]
    fn field_errors_arrive_with_their_fields() {
        let (base, _seen) = stub(
            "422 Unprocessable Entity",
            "application/problem+json",
            r#"{"status":422,"code":"invalid_fields","message":"填写的信息有误,请按提示修改","errors":[{"field":"id_number","code":"id_number_checksum","message":"身份证号校验位不正确,请核对"}]}"#,
        );
        let err = HttpClient::new(&base)
            .unwrap()
            .register(&RegisterRequest::default())
            .unwrap_err();
        assert_eq!(err.code(), "invalid_fields");
        assert_eq!(
            err.problem().unwrap().field("id_number").unwrap().code,
            "id_number_checksum"
        );
    }

    #[test]
    fn success_body_is_decoded_and_bearer_token_sent() {
        let (base, seen) = stub(
            "200 OK",
            "application/json",
            r#"{"id":"u1","role":"veteran","masked_name":"**松","masked_id_number":"110101********002X","masked_phone":"133****1234","category":"self_employed_officer","category_label":"自主择业军转干部","districts":[{"code":"110101","name":"北京市/东城区"}]}"#,
        );
        let profile = HttpClient::new(&base)
            .unwrap()
            .me(&Token::new("tok-123"))
            .unwrap();
        assert_eq!(profile.masked_name, "**松");
        assert_eq!(profile.districts[0].code, "110101");
        let request = seen.recv().unwrap().to_ascii_lowercase();
        assert!(
            request.contains("authorization: bearer tok-123"),
            "{request}"
        );
    }

    #[test]
    fn error_without_problem_body_and_garbage_success_are_bad_responses() {
        let (base, _s) = stub("502 Bad Gateway", "text/html", "<html>bad gateway</html>");
        let err = HttpClient::new(&base).unwrap().captcha().unwrap_err();
        assert_eq!(err, ApiError::BadResponse { status: 502 });
        let (base, _s) = stub("200 OK", "application/json", r#"{"not":"a captcha"}"#);
        let err = HttpClient::new(&base).unwrap().captcha().unwrap_err();
        assert_eq!(err, ApiError::BadResponse { status: 200 });
    }

    #[test]
    fn unreachable_server_is_a_network_error() {
        // Bind then drop: nothing listens on this port any more.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = HttpClient::new(&format!("http://127.0.0.1:{port}/"))
            .unwrap()
            .captcha()
            .unwrap_err();
        assert_eq!(err, ApiError::Network);
        assert_eq!(err.code(), "network_unreachable");
    }
}
