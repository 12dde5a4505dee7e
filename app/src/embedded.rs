//! The demo server inside the desktop app (feature `embedded-server`): with no `--server`, the
//! app starts the `server` crate in demo mode on 127.0.0.1 (a free port) on its own thread and
//! runtime, with its data under the app's data directory, and points itself at it.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use server::demo::DemoLogin;
use server::{Application, Dependencies, Settings};
use shared::api::accounts::Role;

/// A running embedded server.
pub struct EmbeddedServer {
    /// e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// The seeded logins (made-up people).
    pub logins: Vec<DemoLogin>,
    /// Where its database and files are.
    pub data_dir: PathBuf,
}

impl EmbeddedServer {
    /// What the login screen shows testers: the registered veterans' phones and the password.
    pub fn login_note(&self) -> String {
        let mut s = format!(
            "演示模式:本机内置服务器,数据均为虚构。密码均为 {}\n",
            server::demo::DEMO_PASSWORD
        );
        for l in self
            .logins
            .iter()
            .filter(|l| l.registered && l.role == Role::Veteran)
        {
            s.push_str(&format!("{} {}:{}\n", l.label, l.name, l.phone));
        }
        s.trim_end().to_owned()
    }
}

/// Starts the demo server with its data in `data_dir` and waits until it listens.
pub fn start(data_dir: &Path) -> Result<EmbeddedServer, String> {
    let dir = data_dir.to_path_buf();
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("embedded-server".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(format!("cannot start a runtime: {e}")));
                    return;
                }
            };
            rt.block_on(async move {
                let settings = Settings {
                    listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
                    data_dir: dir.clone(),
                    demo: true,
                    ..Settings::default()
                };
                let app = match Application::build(settings, Dependencies::default()).await {
                    Ok(app) => app,
                    Err(e) => {
                        let _ = tx.send(Err(format!("cannot start the demo server: {e}")));
                        return;
                    }
                };
                let logins = match server::demo::seed(app.state()).await {
                    Ok(l) => l,
                    Err(e) => {
                        let _ = tx.send(Err(format!("seeding demo data failed: {e}")));
                        return;
                    }
                };
                let url = format!("http://{}", app.local_addr());
                let _ = tx.send(Ok(EmbeddedServer {
                    url,
                    logins,
                    data_dir: dir,
                }));
                // Serves until the process exits.
                let _ = app.run_until(std::future::pending::<()>()).await;
            });
        })
        .map_err(|e| format!("cannot start the server thread: {e}"))?;
    rx.recv()
        .map_err(|_| "the demo server stopped while starting".to_owned())?
}
