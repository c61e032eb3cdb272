use confab::cli::{ChannelsCommand, Cli, Command, OwnerCommand, TokensCommand};
use confab::settings::Settings;
use confab::startup::Application;

fn main() {
    // Help, the version and usage errors print and exit here (status 0, 0 and 2).
    let command = match Cli::parse_checked(std::env::args_os()) {
        Ok(cli) => cli.command.unwrap_or(Command::Serve),
        Err(err) => err.exit(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(confab::startup::WORKER_STACK_BYTES)
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(run(command)),
        Err(err) => {
            eprintln!("confab: cannot start the async runtime: {err}");
            std::process::exit(1);
        }
    }
}

async fn run(command: Command) {
    match command {
        Command::Tokens(TokensCommand::Create(create)) => {
            let settings = settings_or_exit();
            let db = database_or_exit(&settings).await;
            let (email, name, expires_days) = (create.email, create.name, create.expires_days);
            let scopes = app::tokens::check_scopes(&create.scopes);
            let expires_at =
                expires_days.map(|days| app::store::now_ms() + days * app::tokens::DAY_MS);
            match app::tokens::store::create_for_email(&db, &email, &name, &scopes, expires_at)
                .await
            {
                Ok(token) => {
                    eprintln!(
                        "API token for {email} with {} (shown once; store it safely):",
                        app::tokens::TokenScope::join(&scopes)
                    );
                    println!("{token}");
                }
                Err(err) => {
                    eprintln!("confab: {err}");
                    std::process::exit(1);
                }
            }
        }
        Command::Owner(OwnerCommand::Create(create)) => {
            let (email, name) = (create.email, create.name);
            let settings = settings_or_exit();
            let db = database_or_exit(&settings).await;
            match app::setup::store::create_owner(&db, &email, &name).await {
                Ok(password) => {
                    eprintln!(
                        "Owner {email} created. Their password (shown once; change it in the profile):"
                    );
                    println!("{password}");
                }
                Err(err) => {
                    eprintln!("confab: {err}");
                    std::process::exit(1);
                }
            }
            db.close().await;
        }
        Command::Channels(ChannelsCommand::Add(add)) => {
            let settings = settings_or_exit();
            let added = confab::commands::add_channel(
                &settings,
                add.kind,
                &add.name,
                &add.settings,
                add.human_agent,
            )
            .await;
            match added {
                Ok((id, url)) => {
                    println!("{}", id.0);
                    println!("{url}");
                    eprintln!(
                        "Channel {} added; give the provider this webhook URL.",
                        id.0
                    );
                }
                Err(err) => {
                    eprintln!("confab: {err}");
                    std::process::exit(1);
                }
            }
        }
        Command::Backup { file } => {
            let settings = settings_or_exit();
            match confab::commands::backup(&settings, &file).await {
                Ok(bytes) => eprintln!("Backed up to {} ({bytes} bytes).", file.display()),
                Err(err) => {
                    eprintln!("confab: {err}");
                    std::process::exit(1);
                }
            }
        }
        Command::Migrate => {
            let settings = settings_or_exit();
            report(confab::commands::migrate(&settings).await, |()| {
                "The database's schema is up to date.".to_string()
            });
        }
        Command::Export { file } => {
            let settings = settings_or_exit();
            report(confab::commands::export(&settings, &file).await, |rows| {
                format!("Exported {rows} rows to {}.", file.display())
            });
        }
        Command::Import { file } => {
            let settings = settings_or_exit();
            report(confab::commands::import(&settings, &file).await, |rows| {
                format!("Imported {rows} rows from {}.", file.display())
            });
        }
        Command::Channels(ChannelsCommand::List) => {
            let settings = settings_or_exit();
            match confab::commands::list_channels(&settings).await {
                Ok(lines) => {
                    println!("id\tkind\tstatus\tname\tprovider id\twebhook URL");
                    for line in lines {
                        println!("{line}");
                    }
                }
                Err(err) => {
                    eprintln!("confab: {err}");
                    std::process::exit(1);
                }
            }
        }
        Command::Serve => {
            confab::telemetry::init();
            let settings = settings_or_exit();
            let app = match Application::build(settings).await {
                Ok(app) => app,
                Err(err) => {
                    eprintln!("confab: could not start: {err}");
                    std::process::exit(1);
                }
            };
            if let Err(err) = app.run_until_stopped().await {
                eprintln!("confab: server stopped: {err}");
                std::process::exit(1);
            }
        }
    }
}

async fn database_or_exit(settings: &Settings) -> app::store::Db {
    match app::store::Db::connect(&settings.database_url).await {
        Ok(db) => db,
        Err(err) => {
            eprintln!("confab: cannot open the database: {err}");
            std::process::exit(1);
        }
    }
}

fn settings_or_exit() -> Settings {
    match Settings::from_env() {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("confab: {message}");
            std::process::exit(2);
        }
    }
}

/// Prints a command's outcome: its summary, or the error and exit status 1.
fn report<T>(outcome: Result<T, String>, summary: impl FnOnce(T) -> String) {
    match outcome {
        Ok(value) => eprintln!("{}", summary(value)),
        Err(err) => {
            eprintln!("confab: {err}");
            std::process::exit(1);
        }
    }
}
