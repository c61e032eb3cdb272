//! The `confab` command line (clap): every subcommand and its arguments, checked before
//! anything starts. `--help` works on every subcommand; a usage error or an argument that
//! fails its check exits with status 2, in clap's usual form.

use std::path::{Path, PathBuf};

use app::channels::credentials::Credentials;
use app::channels::ChannelKind;
use app::i18n::Locale;
use app::tokens::{TokenScope, MAX_LIFETIME_DAYS};
use clap::builder::{PathBufValueParser, PossibleValuesParser, TypedValueParser};
use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand};

const ENVIRONMENT: &str = "\
Configuration comes from environment variables; see the README:
  CONFAB_DATABASE_URL  (default sqlite://data/confab.db)
  CONFAB_ADDR          (default 127.0.0.1:3000)
  CONFAB_PUBLIC_URL    (default http://<CONFAB_ADDR>)
  CONFAB_DEMO          true: seed demo data into an empty database (default false;
                       refused on a public address unless 'force')
  CONFAB_SECRET_KEY    64 hex digits sealing channel credentials (default: a key file
                       generated in the data folder)";

const CHANNEL_KEYS: &str = "\
KIND and the keys it needs (each as --set KEY=VALUE):
  messenger   page_id app_secret access_token verify_token
  instagram   account_id app_secret access_token verify_token
  whatsapp    phone_number_id app_secret access_token verify_token
  twilio_sms  account_sid auth_token phone_number";

/// Confab, the conversations inbox of a CRM for service businesses. With no command it
/// runs the server.
#[derive(Debug, Parser)]
#[command(name = "confab", version, after_help = ENVIRONMENT)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Run the Confab server (the default)
    Serve,
    /// Create an owner
    #[command(subcommand)]
    Owner(OwnerCommand),
    /// Create API tokens
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Connect and list channels
    #[command(subcommand)]
    Channels(ChannelsCommand),
    /// Copy the running SQLite database, consistently, to a new FILE
    Backup {
        #[arg(value_parser = PathBufValueParser::new().try_map(new_file))]
        file: PathBuf,
    },
    /// Bring the database's schema up to date (serve does it too)
    Migrate,
    /// Write every row of the database to a new FILE (JSON lines)
    Export {
        #[arg(value_parser = PathBufValueParser::new().try_map(new_file))]
        file: PathBuf,
    },
    /// Read an export into a new, empty database (e.g. SQLite -> PostgreSQL)
    Import {
        /// The file `confab export` wrote
        #[arg(value_parser = PathBufValueParser::new().try_map(existing_file))]
        file: PathBuf,
    },
}

#[derive(Debug, PartialEq, Eq, Subcommand)]
pub enum OwnerCommand {
    /// Create an owner (a first one on a new database) and print a generated password
    /// (shown once; change it in the profile)
    Create(OwnerCreate),
}

#[derive(Debug, PartialEq, Eq, Args)]
pub struct OwnerCreate {
    /// The owner's email, their sign-in name
    #[arg(long, value_parser = employee_email)]
    pub email: String,
    /// The owner's name as the team sees it
    #[arg(long, default_value = "Owner", value_parser = person_name)]
    pub name: String,
}

#[derive(Debug, PartialEq, Eq, Subcommand)]
pub enum TokensCommand {
    /// Create an API token for an employee and print it (shown once)
    Create(TokenCreate),
}

#[derive(Debug, PartialEq, Eq, Args)]
pub struct TokenCreate {
    /// The employee the token acts as
    #[arg(long, value_parser = employee_email)]
    pub email: String,
    /// What the token is for, as its list in the profile shows it
    #[arg(long, default_value = "Command line", value_parser = token_name)]
    pub name: String,
    /// What the token may do; repeat for several (phone-card:read when none is given)
    #[arg(
        long = "scope",
        value_name = "SCOPE",
        value_parser = PossibleValuesParser::new(TokenScope::ALL.map(TokenScope::as_str))
            .try_map(|scope| TokenScope::parse(&scope).ok_or("not a scope")),
    )]
    pub scopes: Vec<TokenScope>,
    /// Refuse the token after this many days (it never expires without it)
    #[arg(
        long,
        value_name = "DAYS",
        allow_negative_numbers = true,
        value_parser = clap::value_parser!(i64).range(1..=MAX_LIFETIME_DAYS),
    )]
    pub expires_days: Option<i64>,
}

#[derive(Debug, PartialEq, Eq, Subcommand)]
pub enum ChannelsCommand {
    /// Connect a channel; prints its id and webhook URL
    #[command(after_help = CHANNEL_KEYS)]
    Add(ChannelAdd),
    /// List channels with their status and webhook URLs
    List,
}

#[derive(Debug, PartialEq, Eq, Args)]
pub struct ChannelAdd {
    /// The provider
    #[arg(value_parser = PossibleValuesParser::new(
        ChannelKind::ALL.into_iter().filter(|kind| *kind != ChannelKind::Sandbox).map(ChannelKind::as_str),
    ).try_map(|kind| ChannelKind::parse(&kind).ok_or("not a channel kind")))]
    pub kind: ChannelKind,
    /// The page, account or number as employees know it
    #[arg(long, value_parser = channel_name)]
    pub name: String,
    /// A credential, e.g. --set page_id=1234567890; repeat for each key KIND needs
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = key_value)]
    pub settings: Vec<(String, String)>,
    /// The page or account lacks Meta's Human Agent permission: replies go out within 24
    /// hours of the lead's last message only (not up to 7 days)
    #[arg(long = "no-human-agent", action = clap::ArgAction::SetFalse)]
    pub human_agent: bool,
}

impl Cli {
    /// Parses the arguments (the program's name first, as `std::env::args_os` gives them)
    /// and checks what needs several of them together: a channel's credentials for its
    /// kind, with the settings page's own checks.
    pub fn parse_checked<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let cli = Cli::try_parse_from(args)?;
        if let Some(Command::Channels(ChannelsCommand::Add(add))) = &cli.command {
            if let Err(err) = Credentials::parse_in(Locale::en, add.kind, &add.settings) {
                return Err(subcommand_error(&["channels", "add"], err.to_string()));
            }
        }
        Ok(cli)
    }
}

/// An error in clap's form, with the usage of the subcommand at `path`.
fn subcommand_error(path: &[&str], message: String) -> clap::Error {
    let mut command = Cli::command();
    command.build();
    let mut at = &mut command;
    for name in path {
        at = at
            .find_subcommand_mut(name)
            .expect("the subcommand path names subcommands of `Cli`");
    }
    at.error(ErrorKind::ValueValidation, message)
}

fn employee_email(value: &str) -> Result<String, String> {
    app::employees::check_email(Locale::en, value).map_err(|e| e.to_string())
}

fn person_name(value: &str) -> Result<String, String> {
    app::employees::check_name(Locale::en, "name", value).map_err(|e| e.to_string())
}

fn token_name(value: &str) -> Result<String, String> {
    app::tokens::check_token_name(Locale::en, value).map_err(|e| e.to_string())
}

fn channel_name(value: &str) -> Result<String, String> {
    let name = value.trim();
    if name.is_empty() {
        return Err("the channel needs a name (the page, account or number)".into());
    }
    Ok(name.to_owned())
}

fn key_value(value: &str) -> Result<(String, String), String> {
    let (key, value) = value
        .split_once('=')
        .ok_or("takes KEY=VALUE, e.g. page_id=1234567890")?;
    Ok((key.to_owned(), value.to_owned()))
}

/// A file to be created: none there yet, in a folder that exists.
fn new_file(path: PathBuf) -> Result<PathBuf, String> {
    if path.exists() {
        return Err("it exists already; choose a new file".into());
    }
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !folder.is_dir() {
        return Err(format!("the folder {} does not exist", folder.display()));
    }
    Ok(path)
}

fn existing_file(path: PathBuf) -> Result<PathBuf, String> {
    if !path.is_file() {
        return Err("no such file".into());
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        let args = std::iter::once("confab").chain(args.iter().copied());
        Cli::parse_checked(args).map(|cli| cli.command.unwrap_or(Command::Serve))
    }

    /// The error's text as the terminal shows it.
    fn refusal(args: &[&str]) -> (ErrorKind, String) {
        let err = parse(args).unwrap_err();
        (err.kind(), err.render().to_string())
    }

    #[test]
    fn commands_parse() {
        assert_eq!(parse(&[]).unwrap(), Command::Serve);
        assert_eq!(parse(&["serve"]).unwrap(), Command::Serve);
        assert_eq!(refusal(&["serve", "--port"]).0, ErrorKind::UnknownArgument);
        assert!(refusal(&["serve", "--port"]).1.contains("--port"));
        assert_eq!(refusal(&["frobnicate"]).0, ErrorKind::InvalidSubcommand);
        assert_eq!(
            parse(&["tokens", "create", "--email", "a@b.co"]).unwrap(),
            Command::Tokens(TokensCommand::Create(TokenCreate {
                email: "a@b.co".into(),
                name: "Command line".into(),
                scopes: vec![],
                expires_days: None,
            }))
        );
        assert_eq!(
            parse(&[
                "tokens",
                "create",
                "--name",
                "Zapier",
                "--email",
                "a@b.co",
                "--scope",
                "conversations:write",
                "--scope",
                "conversations:read",
                "--expires-days",
                "30"
            ])
            .unwrap(),
            Command::Tokens(TokensCommand::Create(TokenCreate {
                email: "a@b.co".into(),
                name: "Zapier".into(),
                scopes: vec![
                    TokenScope::ConversationsWrite,
                    TokenScope::ConversationsRead
                ],
                expires_days: Some(30),
            }))
        );
        let (kind, text) = refusal(&["tokens", "create", "--email", "a@b.co", "--scope", "admin"]);
        assert_eq!(kind, ErrorKind::InvalidValue);
        assert!(text.contains("phone-card:read"), "{text}");
        for days in ["0", "-1", "x", "100000"] {
            let (kind, text) = refusal(&[
                "tokens",
                "create",
                "--email",
                "a@b.co",
                "--expires-days",
                days,
            ]);
            assert_eq!(kind, ErrorKind::ValueValidation, "{days}: {text}");
            assert!(text.contains("--expires-days"), "{text}");
        }
        let (kind, text) = refusal(&["tokens", "create"]);
        assert_eq!(kind, ErrorKind::MissingRequiredArgument);
        assert!(text.contains("--email"), "{text}");
        assert_eq!(
            refusal(&["tokens", "create", "--email"]).0,
            ErrorKind::InvalidValue
        );
        assert_eq!(
            refusal(&["tokens", "create", "--email", "nope"]).0,
            ErrorKind::ValueValidation
        );
        assert_eq!(
            refusal(&["tokens", "create", "--email", "a@b.co", "--admin"]).0,
            ErrorKind::UnknownArgument
        );
        assert_eq!(
            refusal(&["tokens", "create", "--email", "a@b.co", "--name", " "]).0,
            ErrorKind::ValueValidation
        );
    }

    #[test]
    fn owner_create_parses_and_checks_the_email() {
        assert_eq!(
            parse(&["owner", "create", "--email", " Ana@Shop.com "]).unwrap(),
            Command::Owner(OwnerCommand::Create(OwnerCreate {
                email: "ana@shop.com".into(),
                name: "Owner".into()
            }))
        );
        assert_eq!(
            parse(&[
                "owner",
                "create",
                "--name",
                "Ana Lima",
                "--email",
                "ana@shop.com"
            ])
            .unwrap(),
            Command::Owner(OwnerCommand::Create(OwnerCreate {
                email: "ana@shop.com".into(),
                name: "Ana Lima".into()
            }))
        );
        assert!(refusal(&["owner", "create"]).1.contains("--email"));
        let (kind, text) = refusal(&["owner", "create", "--email", "nope"]);
        assert_eq!(kind, ErrorKind::ValueValidation);
        assert!(text.contains("valid email"), "{text}");
        assert!(text.contains("'nope'"), "{text}");
        assert_eq!(
            refusal(&["owner", "create", "--email", "a@b.co", "--admin"]).0,
            ErrorKind::UnknownArgument
        );
        let (kind, text) = refusal(&["owner"]);
        assert_eq!(kind, ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand);
        assert!(text.contains("create"), "{text}");
    }

    #[test]
    fn channel_and_file_commands_parse_and_check_their_arguments() {
        let twilio = [
            "channels",
            "add",
            "twilio_sms",
            "--name",
            " Shop SMS ",
            "--set",
            "account_sid=AC1",
            "--set",
            "auth_token=tok",
            "--set",
            "phone_number=+15558675310",
        ];
        assert_eq!(
            parse(&twilio).unwrap(),
            Command::Channels(ChannelsCommand::Add(ChannelAdd {
                kind: ChannelKind::TwilioSms,
                name: "Shop SMS".into(),
                settings: vec![
                    ("account_sid".into(), "AC1".into()),
                    ("auth_token".into(), "tok".into()),
                    ("phone_number".into(), "+15558675310".into()),
                ],
                human_agent: true,
            }))
        );
        let without_tag = [twilio.as_slice(), &["--no-human-agent"]].concat();
        match parse(&without_tag).unwrap() {
            Command::Channels(ChannelsCommand::Add(add)) => assert!(!add.human_agent),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse(&["channels", "list"]).unwrap(),
            Command::Channels(ChannelsCommand::List)
        );
        let (kind, text) = refusal(&["channels", "add", "telegram", "--name", "x"]);
        assert_eq!(kind, ErrorKind::InvalidValue);
        assert!(text.contains("twilio_sms"), "{text}");
        assert_eq!(
            refusal(&["channels", "add", "sandbox", "--name", "x"]).0,
            ErrorKind::InvalidValue
        );
        assert!(
            refusal(&["channels", "add", "twilio_sms", "--set", "account_sid=AC1"])
                .1
                .contains("--name")
        );
        let (kind, text) = refusal(&[
            "channels",
            "add",
            "twilio_sms",
            "--name",
            "x",
            "--set",
            "account_sid",
        ]);
        assert_eq!(kind, ErrorKind::ValueValidation);
        assert!(text.contains("KEY=VALUE"), "{text}");
        // The settings page's credential checks, in clap's form with the subcommand's usage.
        let (kind, text) = refusal(&[
            "channels",
            "add",
            "messenger",
            "--name",
            "x",
            "--set",
            "page_id=1",
        ]);
        assert_eq!(kind, ErrorKind::ValueValidation);
        assert!(text.contains("app_secret"), "{text}");
        assert!(text.contains("Usage: confab channels add"), "{text}");

        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("b.db");
        let new_text = new.to_str().unwrap();
        assert_eq!(
            parse(&["backup", new_text]).unwrap(),
            Command::Backup { file: new.clone() }
        );
        assert_eq!(
            parse(&["export", new_text]).unwrap(),
            Command::Export { file: new.clone() }
        );
        let (kind, text) = refusal(&["import", new_text]);
        assert_eq!(kind, ErrorKind::ValueValidation);
        assert!(text.contains("no such file"), "{text}");
        std::fs::write(&new, "").unwrap();
        assert_eq!(
            parse(&["import", new_text]).unwrap(),
            Command::Import { file: new.clone() }
        );
        for command in ["backup", "export"] {
            let (kind, text) = refusal(&[command, new_text]);
            assert_eq!(kind, ErrorKind::ValueValidation);
            assert!(text.contains("exists already"), "{text}");
        }
        let nowhere = dir.path().join("no/such/folder/b.db");
        let (_, text) = refusal(&["backup", nowhere.to_str().unwrap()]);
        assert!(text.contains("does not exist"), "{text}");
        assert_eq!(refusal(&["backup"]).0, ErrorKind::MissingRequiredArgument);
        assert_eq!(refusal(&["export", "--all"]).0, ErrorKind::UnknownArgument);
        assert_eq!(refusal(&["backup", "a", "b"]).0, ErrorKind::UnknownArgument);
        assert_eq!(parse(&["migrate"]).unwrap(), Command::Migrate);
        assert_eq!(refusal(&["migrate", "now"]).0, ErrorKind::UnknownArgument);
    }

    #[test]
    fn every_subcommand_has_its_help_and_the_version_is_shown() {
        let (kind, text) = refusal(&["--help"]);
        assert_eq!(kind, ErrorKind::DisplayHelp);
        for listed in [
            "serve",
            "owner",
            "tokens",
            "channels",
            "backup",
            "migrate",
            "export",
            "import",
            "CONFAB_DATABASE_URL",
        ] {
            assert!(text.contains(listed), "{listed} missing from:\n{text}");
        }
        assert_eq!(refusal(&["help"]).0, ErrorKind::DisplayHelp);
        let subcommands: [(&[&str], &str); 10] = [
            (&["serve"], "Usage: confab serve"),
            (&["owner"], "Usage: confab owner"),
            (&["owner", "create"], "--email <EMAIL>"),
            (&["tokens", "create"], "possible values: phone-card:read"),
            (&["channels"], "Usage: confab channels"),
            (
                &["channels", "add"],
                "twilio_sms  account_sid auth_token phone_number",
            ),
            (&["channels", "list"], "Usage: confab channels list"),
            (&["backup"], "Usage: confab backup <FILE>"),
            (&["migrate"], "Usage: confab migrate"),
            (&["import"], "The file `confab export` wrote"),
        ];
        for (path, expected) in subcommands {
            let with_help = [path, &["--help"]].concat();
            let (kind, text) = refusal(&with_help);
            assert_eq!(kind, ErrorKind::DisplayHelp, "{path:?}");
            assert!(
                text.contains(expected),
                "{path:?}: {expected} missing from:\n{text}"
            );
        }
        let (kind, text) = refusal(&["--version"]);
        assert_eq!(kind, ErrorKind::DisplayVersion);
        assert_eq!(text.trim(), format!("confab {}", env!("CARGO_PKG_VERSION")));
        // Exit statuses: 0 for help and version, 2 for a usage error.
        assert_eq!(parse(&["--help"]).unwrap_err().exit_code(), 0);
        assert_eq!(parse(&["--version"]).unwrap_err().exit_code(), 0);
        assert_eq!(parse(&["frobnicate"]).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
