use confab::cli::Command;
use confab::settings::Settings;
use confab::startup::Application;

#[tokio::main]
async fn main() {
    let command = match Command::parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("{message}\n\n{}", confab::cli::USAGE);
            std::process::exit(2);
        }
    };
    match command {
        Command::Help => println!("{}", confab::cli::USAGE),
        Command::Serve => {
            confab::telemetry::init();
            let settings = match Settings::from_env() {
                Ok(settings) => settings,
                Err(message) => {
                    eprintln!("confab: {message}");
                    std::process::exit(2);
                }
            };
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
