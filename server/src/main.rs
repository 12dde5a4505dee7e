//! The `server` binary: serve the API, or import a roster CSV.
//!
//! ```text
//! server [--demo] [--listen ADDR] [--data-dir DIR] [--tls-cert PEM --tls-key PEM]
//! server import-roster [--data-dir DIR] FILE.csv
//! ```
//! `DATABASE_URL=postgres://…` selects PostgreSQL instead of SQLite in the data directory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use server::app::{open_store, shutdown_signal, Application, Dependencies, Settings};
use server::clock::{Clock, SystemClock};

#[derive(Parser, Debug)]
#[command(
    name = "server",
    about = "Zhanyou (战友) server: accounts, login security and the yearly review"
)]
struct Cli {
    /// Seed demo data, print the demo logins and enable /api/v1/dev/* routes.
    #[arg(long)]
    demo: bool,
    /// Address to listen on. Plain HTTP is only allowed on loopback addresses.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Directory of the embedded database and stored files.
    #[arg(long, default_value = "data", global = true)]
    data_dir: PathBuf,
    /// PostgreSQL URL; without it the embedded SQLite database in --data-dir is used.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// PEM certificate chain: serve HTTPS (with --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key (with --tls-cert).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// The liveness actions challenges may draw from, comma-separated: blink, open_mouth,
    /// shake_head, nod (default: all four).
    #[arg(long, value_parser = parse_actions)]
    liveness_actions: Option<shared::liveness::ActionSet>,
    /// Session lifetime in hours.
    #[arg(long, default_value_t = 12)]
    session_hours: i64,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Load roster (建档立卡) records from a CSV file with the header
    /// name,id_number,phones,category,district,reference_photo.
    ImportRoster {
        /// The CSV file.
        file: PathBuf,
    },
}

/// `--liveness-actions`: a clear message for a bad list (clap prints it and exits with 2).
fn parse_actions(s: &str) -> Result<shared::liveness::ActionSet, String> {
    shared::liveness::ActionSet::parse_list(s).map_err(|e| {
        format!(
            "{e} ({}); allowed names: blink, open_mouth, shake_head, nod",
            shared::UserError::code(&e)
        )
    })
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
}

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let settings = Settings {
        listen: cli.listen,
        data_dir: cli.data_dir.clone(),
        database_url: cli.database_url.clone().filter(|u| !u.trim().is_empty()),
        demo: cli.demo,
        tls: cli.tls_cert.clone().zip(cli.tls_key.clone()),
        session_ttl_secs: cli.session_hours.clamp(1, 24 * 30) * 3600,
        liveness_actions: cli
            .liveness_actions
            .unwrap_or_else(shared::liveness::ActionSet::all),
        ..Settings::default()
    };
    match cli.command {
        Some(Command::ImportRoster { file }) => import_roster(&settings, &file).await,
        None => serve(settings).await,
    }
}

async fn import_roster(settings: &Settings, file: &std::path::Path) -> ExitCode {
    let store = match open_store(settings).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot open the database: {e}");
            return ExitCode::FAILURE;
        }
    };
    let clock = SystemClock;
    let result = server::roster::import(
        &store,
        &settings.data_dir,
        file,
        clock.today_cn(),
        clock.unix(),
    )
    .await;
    store.close().await;
    match result {
        Ok(report) => {
            print!("{report}");
            if report.rejected.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> ExitCode {
    let demo = settings.demo;
    let app = match Application::build(settings, Dependencies::default()).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if demo {
        match server::demo::seed(app.state()).await {
            Ok(logins) => println!("{}", server::demo::describe(&logins)),
            Err(e) => {
                eprintln!("error: seeding demo data failed: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let scheme = if app.is_tls() { "https" } else { "http" };
    println!(
        "Zhanyou server listening on {scheme}://{}",
        app.local_addr()
    );
    tracing::info!(addr = %app.local_addr(), demo, "listening");
    match app.run_until(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liveness_actions_are_parsed_and_bad_lists_refused() {
        let cli = Cli::try_parse_from(["server", "--liveness-actions", "shake_head,nod"]).unwrap();
        let set = cli.liveness_actions.unwrap();
        assert_eq!(set.len(), 2);
        assert!(set.contains(shared::liveness::Action::Nod));
        assert!(!set.contains(shared::liveness::Action::Blink));
        assert!(Cli::try_parse_from(["server"])
            .unwrap()
            .liveness_actions
            .is_none());
        for bad in ["blink,wink", "nod,nod", "", "nod,"] {
            let err = Cli::try_parse_from(["server", "--liveness-actions", bad])
                .expect_err(bad)
                .to_string();
            assert!(err.contains("allowed names: blink"), "{bad}: {err}");
            assert!(err.contains("liveness_action"), "{bad}: {err}");
        }
    }
}
