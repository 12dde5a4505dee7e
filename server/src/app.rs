//! Building and running the server: [`Application::build`] opens the store, binds the listener
//! (port 0 picks a free port, as the tests do) and [`Application::run_until`] serves until the
//! shutdown future resolves, then drains in-flight requests.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::passwords::{HashCost, Passwords};
use crate::sms::{OutboxGateway, SmsGateway};
use crate::state::AppState;
use crate::store::Store;

/// How the server is configured (from the command line, or by a test).
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    /// The embedded database and stored files live here.
    pub data_dir: PathBuf,
    /// `postgres://…` selects PostgreSQL; `None` = SQLite in `data_dir`. Any sqlx URL works.
    pub database_url: Option<String>,
    /// Demo mode: dev routes on.
    pub demo: bool,
    /// PEM certificate chain and private key: serve HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub session_ttl_secs: i64,
    pub hash_cost: HashCost,
    /// The actions liveness challenges may draw from (`--liveness-actions`; default all four).
    pub liveness_actions: shared::liveness::ActionSet,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            demo: false,
            tls: None,
            session_ttl_secs: 12 * 3600,
            hash_cost: HashCost::PRODUCTION,
            liveness_actions: shared::liveness::ActionSet::all(),
        }
    }
}

/// Things a test may replace.
pub struct Dependencies {
    pub clock: Arc<dyn Clock>,
    /// `None` = the embedded outbox gateway.
    pub sms: Option<Arc<dyn SmsGateway>>,
    /// `None` = the roster ([`crate::identity::RosterVerifier`]); in demo mode the demo's fake
    /// identity service ([`crate::identity::ListVerifier`]).
    pub identity: Option<Arc<dyn crate::identity::IdentityVerifier>>,
}

impl Default for Dependencies {
    fn default() -> Self {
        Dependencies {
            clock: Arc::new(SystemClock),
            sms: None,
            identity: None,
        }
    }
}

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("refusing to serve plain HTTP on {0}: it is not a loopback address; give --tls-cert and --tls-key")]
    PlainHttpNotLoopback(SocketAddr),
    #[error("cannot open the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("cannot load the TLS certificate or key: {0}")]
    Tls(std::io::Error),
    #[error("{0}")]
    Other(String),
}

/// A server that is bound and ready to run.
pub struct Application {
    listener: std::net::TcpListener,
    local_addr: SocketAddr,
    state: AppState,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
}

/// Opens the store `settings` describe.
pub async fn open_store(settings: &Settings) -> Result<Store, sqlx::Error> {
    match &settings.database_url {
        Some(url) => Store::connect(url).await,
        None => Store::open_sqlite_dir(&settings.data_dir).await,
    }
}

impl Application {
    pub async fn build(settings: Settings, deps: Dependencies) -> Result<Application, StartError> {
        if settings.tls.is_none() && !settings.listen.ip().is_loopback() {
            return Err(StartError::PlainHttpNotLoopback(settings.listen));
        }
        let tls = match &settings.tls {
            Some((cert, key)) => {
                let _ = rustls::crypto::ring::default_provider().install_default();
                Some(
                    axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                        .await
                        .map_err(StartError::Tls)?,
                )
            }
            None => None,
        };
        let store = open_store(&settings).await?;
        let sms = deps
            .sms
            .unwrap_or_else(|| Arc::new(OutboxGateway::new(store.clone(), deps.clock.clone())));
        let identity: Arc<dyn crate::identity::IdentityVerifier> = match deps.identity {
            Some(v) => v,
            None if settings.demo => Arc::new(crate::identity::ListVerifier::new(
                store.clone(),
                crate::demo::demo_identities(),
            )),
            None => Arc::new(crate::identity::RosterVerifier::new(store.clone())),
        };
        let passwords =
            Passwords::new(settings.hash_cost).map_err(|e| StartError::Other(e.to_string()))?;
        let blobs = crate::blobs::LocalDirBlobStore::new(&settings.data_dir.join("blobs"))
            .map_err(|e| StartError::Other(format!("cannot create the blob directory: {e}")))?;
        let state = AppState {
            store,
            clock: deps.clock,
            sms,
            passwords,
            session_ttl_secs: settings.session_ttl_secs,
            demo: settings.demo,
            blobs: Arc::new(blobs),
            liveness_actions: settings.liveness_actions,
            recheck: Arc::new(crate::recheck::Recheck::new(settings.data_dir.clone())),
            identity,
        };
        let listener = std::net::TcpListener::bind(settings.listen)
            .map_err(|e| StartError::Bind(settings.listen, e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| StartError::Bind(settings.listen, e))?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| StartError::Bind(settings.listen, e))?;
        Ok(Application {
            listener,
            local_addr,
            state,
            tls,
        })
    }

    /// The address actually bound (the port, when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish (up to 10 s) and
    /// closes the database.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let store = self.state.store.clone();
        let clock = self.state.clock.clone();
        let purger = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(3600));
            loop {
                tick.tick().await;
                if let Err(e) = store.purge_expired(clock.unix()).await {
                    tracing::warn!(error = %e, "purging expired rows failed");
                }
            }
        });
        let store = self.state.store.clone();
        let app = crate::routes::router(self.state);
        let result = match self.tls {
            None => {
                let listener = tokio::net::TcpListener::from_std(self.listener)?;
                axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
            Some(config) => {
                let handle = axum_server::Handle::new();
                let h = handle.clone();
                tokio::spawn(async move {
                    shutdown.await;
                    h.graceful_shutdown(Some(Duration::from_secs(10)));
                });
                axum_server::from_tcp_rustls(self.listener, config)
                    .handle(handle)
                    .serve(app.into_make_service())
                    .await
            }
        };
        purger.abort();
        store.close().await;
        result
    }
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
