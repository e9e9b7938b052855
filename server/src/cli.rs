//! The command line: `serve`, `migrate` and `demo`, with the configuration flags every command
//! shares.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use gatehouse_domain::demo;

use crate::config::{Config, LogFormat, Overrides};

#[derive(Debug, Parser)]
#[command(
    name = "gatehouse-server",
    version,
    about = "The Gatehouse platform server"
)]
pub struct Cli {
    /// A TOML configuration file (GATEHOUSE_* variables and flags override it).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The data directory: SQLite database, master key, demo.json.
    #[arg(long = "data", global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, global = true, value_name = "ADDR")]
    pub bind: Option<String>,
    /// `postgres://...` to use PostgreSQL instead of SQLite in the data directory.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the platform.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Seed a demo tenant and event (once), write DIR/demo.json, then serve.
    Demo,
}

impl Cli {
    pub fn config(&self) -> Result<Config, crate::config::ConfigError> {
        Config::load(
            self.config.as_deref(),
            |k| std::env::var(k).ok(),
            &Overrides {
                bind: self.bind.clone(),
                data_dir: self.data_dir.clone(),
                database_url: self.database_url.clone(),
            },
        )
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config()?;
    init_logging(config.log_format);
    match cli.command {
        Command::Migrate => {
            let state = crate::app::open(config).await?;
            println!("migrations applied ({})", state.db().dialect());
            state.db().close().await;
            Ok(())
        }
        Command::Serve => {
            let state = crate::app::open(config).await?;
            let listener = crate::app::bind(state.config()).await?;
            crate::app::announce(&listener)?;
            crate::app::serve(listener, state).await
        }
        Command::Demo => {
            let state = crate::app::open(config).await?;
            let demo = demo::seed_or_load(state.domain()).await?;
            let listener = crate::app::bind(state.config()).await?;
            let url = format!("http://{}", listener.local_addr()?);
            let file = demo::demo_file(state.domain(), &demo, &url).await?;
            demo::write_demo_file(&state.config().data_dir, &file)?;
            crate::app::announce(&listener)?;
            crate::app::serve(listener, state).await
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GATEHOUSE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
