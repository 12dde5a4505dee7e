//! The HTTP surface: one [`router`] for the whole API, built through [`Routes`], which records
//! every (method, path) it registers so a test can check them against the OpenAPI document.

pub mod accounts;
pub mod admin;
pub mod appeals;
pub mod dev;
pub mod identity;
pub mod liveness;
pub mod review;
pub mod reviewer;
pub mod staff;

use axum::extract::{DefaultBodyLimit, MatchedPath, State};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter};
use axum::{Json, Router};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// 201 with a JSON body already serialised (a stored answer of an idempotent write).
fn created_json(body: String) -> Response {
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// Appends `event` by the caller to the audit log (ids only, never personal data).
async fn audit(
    st: &AppState,
    event: &str,
    user: &crate::extract::AuthUser,
    detail: serde_json::Value,
) -> ApiResult<()> {
    st.store
        .audit(event, Some(&user.user_id), &detail, st.clock.unix())
        .await?;
    Ok(())
}

/// Largest JSON body the account endpoints accept.
pub const JSON_BODY_LIMIT: usize = 16 * 1024;

/// A router that remembers what it routes.
pub struct Routes {
    router: Router<AppState>,
    registered: Vec<(&'static str, &'static str)>,
}

impl Routes {
    fn new() -> Routes {
        Routes {
            router: Router::new(),
            registered: Vec::new(),
        }
    }

    /// Adds `handler` for `method` (`get`, `post`, `put`, `delete`) at `path`.
    fn add<H, T>(mut self, method: &'static str, path: &'static str, handler: H) -> Routes
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        let filter = match method {
            "get" => MethodFilter::GET,
            "post" => MethodFilter::POST,
            "put" => MethodFilter::PUT,
            "delete" => MethodFilter::DELETE,
            other => panic!("unsupported method {other}"),
        };
        self.router = self.router.route(path, on(filter, handler));
        self.registered.push((method, path));
        self
    }

    /// [`add`](Self::add) with its own body limit (uploads), instead of [`JSON_BODY_LIMIT`].
    fn add_with_body_limit<H, T>(
        mut self,
        method: &'static str,
        path: &'static str,
        handler: H,
        limit: usize,
    ) -> Routes
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        let filter = match method {
            "post" => MethodFilter::POST,
            "put" => MethodFilter::PUT,
            other => panic!("unsupported method {other} for a body limit"),
        };
        self.router = self.router.route(
            path,
            on(filter, handler).layer(DefaultBodyLimit::max(limit)),
        );
        self.registered.push((method, path));
        self
    }

    /// Every (method, path) registered, in order.
    pub fn registered(&self) -> &[(&'static str, &'static str)] {
        &self.registered
    }
}

/// The routes of the API. Dev routes only when `demo` is set.
pub fn routes(demo: bool) -> Routes {
    let mut r = Routes::new()
        .add("get", "/healthz", healthz)
        .add("get", "/api/v1/openapi.json", openapi)
        .add("post", "/api/v1/sms-codes", accounts::request_sms_code)
        .add("post", "/api/v1/accounts", accounts::register)
        .add("get", "/api/v1/captchas", accounts::new_captcha)
        .add("post", "/api/v1/sessions", accounts::login)
        .add("post", "/api/v1/sessions/sms", accounts::sms_login)
        .add("delete", "/api/v1/sessions/current", accounts::logout)
        .add("post", "/api/v1/password-resets", accounts::reset_password)
        .add_with_body_limit(
            "post",
            "/api/v1/password-appeals",
            appeals::submit,
            appeals::APPEAL_BODY_LIMIT,
        )
        .add("get", "/api/v1/password-appeals", appeals::list)
        .add("get", "/api/v1/password-appeals/{id}", appeals::detail)
        .add(
            "get",
            "/api/v1/password-appeals/{id}/scans/{side}",
            appeals::scan,
        )
        .add(
            "post",
            "/api/v1/password-appeals/{id}/decision",
            appeals::decide,
        )
        .add("post", "/api/v1/password-resets/appeal", appeals::reset)
        .add("get", "/api/v1/me", accounts::me)
        .add("put", "/api/v1/me/phone", accounts::change_phone)
        .add(
            "post",
            "/api/v1/accounts/personal",
            identity::register_personal,
        )
        .add("get", "/api/v1/me/identity", identity::my_identity)
        .add("put", "/api/v1/me/identity", identity::update_my_identity)
        .add_with_body_limit(
            "post",
            "/api/v1/me/identity/scans",
            identity::upload_scan,
            crate::uploads::UPLOAD_BODY_LIMIT,
        )
        .add(
            "post",
            "/api/v1/me/identity/manual-review",
            identity::request_manual_review,
        )
        .add(
            "get",
            "/api/v1/real-name-reviews",
            identity::real_name_queue,
        )
        .add(
            "get",
            "/api/v1/real-name-reviews/{id}",
            identity::real_name_request,
        )
        .add(
            "post",
            "/api/v1/real-name-reviews/{id}/decision",
            identity::decide_real_name,
        )
        .add(
            "get",
            "/api/v1/me/reference-photo",
            liveness::my_reference_photo,
        )
        .add("get", "/api/v1/audit-log", admin::audit_log)
        .add("get", "/api/v1/admin/accounts", admin::accounts)
        .add("post", "/api/v1/admin/accounts", admin::create_account)
        .add(
            "put",
            "/api/v1/admin/accounts/{user_id}/status",
            admin::set_account_status,
        )
        .add("get", "/api/v1/admin/review-windows", admin::review_windows)
        .add(
            "put",
            "/api/v1/admin/review-windows/{year}/{category}",
            admin::set_review_window,
        )
        .add(
            "get",
            "/api/v1/admin/payment-status.csv",
            admin::payment_status_csv,
        )
        .add("get", "/api/v1/reviews/current", review::current)
        .add("put", "/api/v1/reviews/current/draft", review::save_draft)
        .add_with_body_limit(
            "post",
            "/api/v1/uploads",
            review::upload,
            crate::uploads::UPLOAD_BODY_LIMIT,
        )
        .add("get", "/api/v1/uploads/{id}", review::get_upload)
        .add("post", "/api/v1/liveness/challenges", review::new_challenge)
        .add(
            "post",
            "/api/v1/liveness/challenges/{id}/evidence",
            liveness::evidence,
        )
        .add(
            "put",
            "/api/v1/admin/people/{person_id}/reference-photo",
            liveness::set_reference_photo,
        )
        .add(
            "post",
            "/api/v1/reviews/current/submissions",
            review::submit,
        )
        .add("get", "/api/v1/review-queue", reviewer::queue)
        .add("get", "/api/v1/submissions/{id}", reviewer::detail)
        .add(
            "post",
            "/api/v1/submissions/{id}/decision",
            reviewer::decide,
        )
        // Staff on tablets, their records in the reviewer's queue, and their administration.
        .add("get", "/api/v1/staff/people", staff::people::people)
        .add("get", "/api/v1/staff/people/{id}", staff::people::person)
        .add_with_body_limit(
            "post",
            "/api/v1/staff/people/{id}/uploads",
            staff::photos::upload,
            crate::uploads::UPLOAD_BODY_LIMIT,
        )
        .add(
            "post",
            "/api/v1/staff/people/{id}/liveness/challenges",
            staff::assisted::new_challenge,
        )
        .add(
            "post",
            "/api/v1/staff/people/{id}/submissions",
            staff::assisted::submit,
        )
        .add(
            "post",
            "/api/v1/staff/people/{id}/confirmations",
            staff::confirmations::confirm,
        )
        .add(
            "post",
            "/api/v1/staff/people/{id}/death",
            staff::deaths::record_death,
        )
        .add(
            "post",
            "/api/v1/staff/people/{id}/reference-photo",
            staff::reference_photo::reference_photo,
        )
        .add("get", "/api/v1/staff/summary", staff::summary::summary)
        .add(
            "get",
            "/api/v1/staff/summary.csv",
            staff::summary::summary_export,
        )
        .add(
            "get",
            "/api/v1/confirmations/{id}",
            reviewer::confirmation_detail,
        )
        .add(
            "post",
            "/api/v1/confirmations/{id}/decision",
            reviewer::decide_confirmation,
        )
        .add("get", "/api/v1/death-records/{id}", reviewer::death_detail)
        .add(
            "post",
            "/api/v1/death-records/{id}/decision",
            reviewer::decide_death,
        )
        .add(
            "post",
            "/api/v1/admin/people/{id}/death/undo",
            admin::undo_death,
        )
        .add(
            "put",
            "/api/v1/admin/staff/{user_id}/districts",
            admin::set_districts,
        );
    if demo {
        r = r.add("get", "/api/v1/dev/sms-outbox", dev::sms_outbox).add(
            "get",
            "/api/v1/dev/captchas/{id}",
            dev::captcha_answer,
        );
    }
    r
}

/// The complete service: routes, error fallbacks, body limit, tracing, cache headers.
pub fn router(state: AppState) -> Router {
    let demo = state.demo;
    routes(demo)
        .router
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        // Responses hold personal data: never cache them.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(
            // Spans carry the route template only: never the query string or path values, which
            // may hold a phone number.
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default();
                tracing::info_span!("request", method = %req.method(), route)
            }),
        )
        .with_state(state)
}

async fn healthz(State(st): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    st.store.ping().await?;
    Ok(Json(serde_json::json!({"status": "ok"})))
}

async fn openapi() -> ApiResult<([(header::HeaderName, &'static str); 1], &'static str)> {
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::DOCUMENT,
    ))
}
