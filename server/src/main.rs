//! `server`: read the configuration, build the app, serve it. Nothing else lives here.

use server::{build_app, commands, serve_with_drain, Config};
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // A missing .env is normal; the environment alone is enough.
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")))
        .init();

    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("helpdesk: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let command = args.next();
    if matches!(command.as_deref(), Some("help" | "--help" | "-h")) {
        println!("{}", commands::USAGE);
        return Ok(());
    }
    let config = Config::from_env()?;
    match command.as_deref() {
        None => {}
        Some("demo") => return Ok(commands::demo(&config, args).await?),
        Some("analytics-rebuild") => return Ok(commands::analytics_rebuild(&config).await?),
        Some(other) => return Err(format!("unknown command {other}\n\n{}", commands::USAGE).into()),
    }
    tracing::info!(?config, "starting");
    let app = build_app(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let url = format!("http://{}/admin/login", listener.local_addr()?);
    if let Some(bootstrap) = &app.bootstrap {
        println!("\nCreated the first super admin.\n  Sign in at {url}\n  Email:    {}", bootstrap.email);
        match &bootstrap.generated_password {
            Some(password) => {
                println!("  Password: {password}\n  (generated; shown only this once — change it after signing in)\n")
            }
            None => println!("  Password: the one in HELPDESK_ADMIN_PASSWORD\n"),
        }
    }
    println!("Helpdesk is listening: {url}");
    serve_with_drain(listener, app, shutdown_signal(), config.drain).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
