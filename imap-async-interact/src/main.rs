//! `imap-async-interact`: an interactive shell where `c` is a connected imap-async session.
//!
//! ```text
//! $ imap-async-interact -H imap.example.org -u bob
//! Password:
//! Connecting...
//! Connected.
//!
//! imap-async session is "c" (help for the methods, Ctrl-D to log out and exit)
//! >>> c.select_folder("INBOX")
//! ```
//!
//! Expressions are [Rhai](https://rhai.rs) script. See `docs/interactive-sessions.md`.

mod client;
mod common;
mod more;
mod pretty;
mod shell;
mod trace;

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use imap_async::{ConnectOptions, Session};
use rhai::{Dynamic, Engine, EvalAltResult, ParseErrorType, Scope};
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Editor, Helper};

use client::{Client, Ctx};

/// An interactive shell where `c` is a connected imap-async session.
///
/// Expressions are Rhai script with the library's method names, for example
/// `c.select_folder("INBOX")`, `let ids = c.search(["UNSEEN"])`,
/// `c.fetch(ids, ["ENVELOPE", "FLAGS"])`, `c.idle()`. Type `help` in the shell for the list.
///
/// Without -c or a script, and with a terminal on standard input, the shell is interactive
/// (line editing, history in ~/.imap_async_history, tab completion of methods and folder
/// names). Otherwise standard input is read as a script. A missing username or password is
/// asked for on the terminal (the password without echo).
#[derive(Parser, Debug)]
#[command(name = "imap-async-interact", version)]
struct Cli {
    /// IMAP server host name.
    #[arg(short = 'H', long)]
    host: Option<String>,
    /// User name to log in as (asked for when missing).
    #[arg(short = 'u', long)]
    username: Option<String>,
    /// Password. Other users of this machine can read it in `ps`: prefer the
    /// IMAP_ASYNC_PASSWORD environment variable or the prompt (asked for without echo when
    /// neither -p nor IMAP_ASYNC_PASSWORD gives one).
    #[arg(short = 'p', long)]
    password: Option<String>,
    /// Server port (default: 993 with TLS, 143 with --starttls or --no-ssl).
    #[arg(short = 'P', long)]
    port: Option<u16>,
    /// Use TLS from the first byte (the default).
    #[arg(long, conflicts_with_all = ["no_ssl", "starttls"])]
    ssl: bool,
    /// Plain TCP without TLS (only for loopback and tests; the password travels in clear).
    #[arg(long)]
    no_ssl: bool,
    /// Plain TCP upgraded with STARTTLS before logging in (never falls back to plaintext).
    #[arg(long)]
    starttls: bool,
    /// Do not check the server's certificate or host name (prints a warning).
    #[arg(long)]
    insecure: bool,
    /// PEM file of certificate authorities to trust besides the system's.
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// Name to check the server certificate against (default: the host).
    #[arg(long, value_name = "NAME")]
    tls_server_name: Option<String>,
    /// Seconds to wait for the connection, for each read, and for each whole response.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// While waiting at the prompt, send NOOP every SECS seconds so that the server does
    /// not log the session out for inactivity (0 turns it off). If the server hangs up
    /// anyway, the shell says so and reconnects at the next command, selecting the folder
    /// again.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    keepalive: u64,
    /// Connection details from an INI configuration file (IMAPClient's format); flags given
    /// beside it override the file.
    #[arg(short = 'f', long = "file", value_name = "CONFIG")]
    file: Option<PathBuf>,
    /// Section of the configuration file to use instead of DEFAULT.
    #[arg(long, value_name = "NAME", requires = "file")]
    section: Option<String>,
    /// Print every protocol line sent (C:) and received (S:) on standard error; secrets
    /// show as <redacted>, long literals as their size. `c.trace(false)` turns it off.
    /// RUST_LOG (for example RUST_LOG=imap_async=debug) adds the library's own log.
    #[arg(long)]
    trace: bool,
    /// Run this expression and exit (results printed; non-zero exit on error).
    #[arg(short = 'c', value_name = "EXPR", conflicts_with = "script")]
    command: Option<String>,
    /// Run this script file and exit ("-" reads standard input).
    script: Option<PathBuf>,
}

/// Where the script comes from.
enum Mode {
    Interactive,
    Command(String),
    Script(String),
    Lines,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mode = match (&cli.command, &cli.script) {
        (Some(c), _) => Mode::Command(c.clone()),
        (None, Some(p)) if p.as_os_str() == "-" => Mode::Lines,
        (None, Some(p)) => match std::fs::read_to_string(p) {
            Ok(s) => Mode::Script(s),
            Err(e) => {
                eprintln!("error: cannot read script {}: {e}", p.display());
                return ExitCode::from(2);
            }
        },
        (None, None) if std::io::stdin().is_terminal() => Mode::Interactive,
        (None, None) => Mode::Lines,
    };
    let source = match options(&cli) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let keepalive = (cli.keepalive > 0).then(|| Duration::from_secs(cli.keepalive));
    let trace_switch = trace::install(cli.trace);
    let ctx = match Ctx::new(keepalive, trace_switch) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let interactive = matches!(mode, Mode::Interactive);
    // Status lines go to stderr when stdout carries a script's results.
    let say = |s: &str| {
        if interactive {
            println!("{s}");
        } else {
            eprintln!("{s}");
        }
    };
    let opts = match source {
        Source::Flags(opts) => *opts,
        Source::Config(section, server_name) => match ctx.rt.block_on(section.connect_options()) {
            Ok(opts) => match server_name {
                Some(name) => opts.tls_server_name(name),
                None => opts,
            },
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    say("Connecting...");
    let connected = ctx.rt.block_on(async {
        tokio::select! {
            r = Session::connect(&opts) => Some(r),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    match connected {
        Some(Ok(s)) => *ctx.session.lock().unwrap_or_else(|p| p.into_inner()) = Some(s),
        Some(Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
        None => {
            eprintln!("interrupted");
            return ExitCode::FAILURE;
        }
    }
    say("Connected.");
    let engine = shell::engine(ctx.clone());
    let mut scope = Scope::new();
    scope.push("c", Client(ctx.clone()));

    let ok = match mode {
        Mode::Interactive => {
            println!(
                "\nimap-async session is \"c\" (help for the methods, Ctrl-D to log out and exit)"
            );
            repl(&engine, &mut scope, &ctx);
            true
        }
        Mode::Command(src) | Mode::Script(src) => eval_print(&engine, &mut scope, &ctx, &src),
        Mode::Lines => run_lines(&engine, &mut scope, &ctx),
    };
    let logged_out = ctx.logout();
    if let Err(e) = &logged_out {
        eprintln!("error: logging out: {e}");
    }
    if interactive {
        match logged_out {
            Ok(client::LogoutOutcome::LoggedOut) => println!("Logged out."),
            Ok(client::LogoutOutcome::AlreadyClosed) => {
                println!("The server had already closed the connection.")
            }
            _ => {}
        }
    }
    if ok && logged_out.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Where the connection options come from: flags alone, or a configuration file section
/// with the flags given beside it applied on top (its OAuth2 token is fetched once the
/// runtime runs).
enum Source {
    Flags(Box<ConnectOptions>),
    Config(Box<imap_async::ConfigSection>, Option<String>),
}

/// Connection options from the flags, or from `-f CONFIG [--section NAME]` overridden by
/// the flags.
fn options(cli: &Cli) -> Result<Source, String> {
    if let Some(file) = &cli.file {
        return config_options(cli, file);
    }
    let host = cli
        .host
        .clone()
        .ok_or("no server given: use -H HOST (or -f CONFIG)")?;
    let mut opts = ConnectOptions::new(host);
    if cli.starttls {
        opts = opts.starttls();
    } else if cli.no_ssl {
        opts = opts.plaintext();
    }
    if let Some(port) = cli.port {
        opts = opts.port(port);
    }
    if let Some(ca) = &cli.ca_file {
        opts = opts.ca_file(ca);
    }
    if let Some(name) = &cli.tls_server_name {
        opts = opts.tls_server_name(name);
    }
    if cli.insecure {
        warn_insecure();
        opts = opts
            .danger_accept_invalid_certs()
            .danger_skip_hostname_check();
    }
    if let Some(t) = cli.timeout {
        // Every wait: each read, and each whole response however slowly it trickles in.
        let t = Duration::from_secs(t);
        opts = opts
            .connect_timeout(t)
            .command_timeout(t)
            .response_timeout(t);
    }
    let username = match &cli.username {
        Some(u) => u.clone(),
        None => ask_tty("Username: ")?,
    };
    let password = match &cli.password {
        Some(p) => p.clone(),
        None => match std::env::var(PASSWORD_VAR) {
            Ok(p) => p,
            Err(_) => rpassword::prompt_password("Password: ").map_err(|e| {
                format!("no password given (-p or {PASSWORD_VAR}) and cannot ask for one: {e}")
            })?,
        },
    };
    Ok(Source::Flags(Box::new(opts.login(username, password))))
}

/// The password's environment variable: the same one that overrides a configuration
/// file's `password` (`imap_async::config::env_var_name("password")`).
const PASSWORD_VAR: &str = "IMAP_ASYNC_PASSWORD";

fn warn_insecure() {
    eprintln!(
        "warning: --insecure: the server's certificate and host name are NOT checked; \
         anyone on the path can read and change this session"
    );
}

/// A configuration file's section (DEFAULT unless --section), with the flags given beside
/// `-f` taking precedence over the file.
fn config_options(cli: &Cli, file: &std::path::Path) -> Result<Source, String> {
    let config = imap_async::Config::from_file(file).map_err(|e| e.to_string())?;
    let mut section = match &cli.section {
        None => config.default,
        Some(name) => config.alternates.get(name).cloned().ok_or_else(|| {
            let known: Vec<&str> = config.alternates.keys().map(String::as_str).collect();
            format!(
                "{}: no section [{name}] (sections: DEFAULT{}{})",
                file.display(),
                if known.is_empty() { "" } else { ", " },
                known.join(", ")
            )
        })?,
    };
    if let Some(h) = &cli.host {
        section.host = h.clone();
    }
    if let Some(u) = &cli.username {
        section.username = Some(u.clone());
    }
    if let Some(p) = &cli.password {
        // A password on the command line means password login, whatever the file says.
        section.password = Some(imap_async::Secret::new(p.clone()));
        section.oauth2 = None;
    }
    let security_flag = cli.ssl || cli.no_ssl || cli.starttls;
    if cli.ssl {
        (section.ssl, section.starttls) = (true, false);
    } else if cli.starttls {
        (section.ssl, section.starttls) = (false, true);
    } else if cli.no_ssl {
        (section.ssl, section.starttls) = (false, false);
    }
    match cli.port {
        Some(p) => section.port = p,
        // The file's port belonged to its own choice of TLS.
        None if security_flag => section.port = if section.ssl { 993 } else { 143 },
        None => {}
    }
    if let Some(ca) = &cli.ca_file {
        section.ssl_ca_file = Some(ca.clone());
    }
    if cli.insecure {
        warn_insecure();
        section.ssl_verify_cert = false;
        section.ssl_check_hostname = false;
    }
    if let Some(t) = cli.timeout {
        section.timeout = Some(Duration::from_secs(t));
    }
    Ok(Source::Config(
        Box::new(section),
        cli.tls_server_name.clone(),
    ))
}

/// Reads one line from the terminal (not standard input, which may be the script).
fn ask_tty(prompt: &str) -> Result<String, String> {
    let fail = |e: std::io::Error| format!("no username given (-u) and cannot ask for one: {e}");
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(fail)?;
    tty.write_all(prompt.as_bytes()).map_err(fail)?;
    let mut line = String::new();
    std::io::BufReader::new(tty)
        .read_line(&mut line)
        .map_err(fail)?;
    let line = line.trim().to_owned();
    if line.is_empty() {
        return Err("no username given".into());
    }
    Ok(line)
}

/// Prints an evaluation error the way the shell shows every error.
fn show_error(e: &EvalAltResult) {
    match e {
        EvalAltResult::ErrorRuntime(d, _) => eprintln!("error: {d}"),
        EvalAltResult::ErrorTerminated(_, _) => eprintln!("error: interrupted"),
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => show_error(inner),
        other => eprintln!("error: {other}"),
    }
}

/// Evaluates one piece of script, printing its value; false on error.
fn eval_print(engine: &Engine, scope: &mut Scope, ctx: &Ctx, src: &str) -> bool {
    ctx.clear_interrupt();
    if src.trim() == "help" {
        print!("{}", shell::help_text(None));
        return true;
    }
    match engine.eval_with_scope::<Dynamic>(scope, src) {
        Ok(v) => {
            // A trailing `;` silences the value, as in Julia or MATLAB.
            if !v.is_unit() && !src.trim_end().ends_with(';') {
                println!("{}", pretty::pretty(&v));
            }
            true
        }
        Err(e) => {
            show_error(&e);
            false
        }
    }
}

/// True when `src` only lacks its end (an open bracket or block): read another line.
fn incomplete(engine: &Engine, src: &str) -> bool {
    match engine.compile(src) {
        Ok(_) => false,
        Err(e) => matches!(
            *e.0,
            ParseErrorType::MissingToken(..) | ParseErrorType::UnexpectedEOF
        ),
    }
}

/// Standard input that is not a terminal: statement by statement like the shell, printing
/// each result; stops at the first error.
fn run_lines(engine: &Engine, scope: &mut Scope, ctx: &Ctx) -> bool {
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("error: reading standard input: {e}");
        return false;
    }
    let mut chunk = String::new();
    for line in input.lines() {
        chunk.push_str(line);
        chunk.push('\n');
        if chunk.trim().is_empty() || incomplete(engine, &chunk) {
            continue;
        }
        if !eval_print(engine, scope, ctx, &chunk) {
            return false;
        }
        chunk.clear();
    }
    chunk.trim().is_empty() || eval_print(engine, scope, ctx, &chunk)
}

/// Tab completion: folder names inside a string, method names after `c.`, else the names
/// a line can start with.
struct ShellHelper {
    folders: Vec<String>,
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let pair = |s: &str, rep: String| Pair {
            display: s.to_owned(),
            replacement: rep,
        };
        // Inside a string literal (an odd number of quotes before the cursor): folders.
        if before.matches('"').count() % 2 == 1 {
            let start = before.rfind('"').map_or(0, |i| i + 1);
            let word = &before[start..];
            let found = self
                .folders
                .iter()
                .filter(|f| f.starts_with(word))
                .map(|f| pair(f, f.clone()))
                .collect();
            return Ok((start, found));
        }
        let start = before
            .rfind(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
            .map_or(0, |i| i + 1);
        let word = &before[start..];
        let after_c = before[..start].ends_with("c.");
        let mut found: Vec<Pair> = shell::all_methods()
            .filter(|m| m.name.starts_with(word))
            .map(|m| pair(m.name, format!("{}(", m.name)))
            .collect();
        if !after_c {
            for name in ["help", "print", "let", "for", "c"] {
                if name.starts_with(word) && !word.is_empty() {
                    found.push(pair(name, name.to_owned()));
                }
            }
        }
        Ok((start, found))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}
impl Highlighter for ShellHelper {}
impl Validator for ShellHelper {}
impl Helper for ShellHelper {}

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".imap_async_history"))
}

fn repl(engine: &Engine, scope: &mut Scope, ctx: &Arc<Ctx>) {
    // Folder names for completion, fetched once.
    let folders = engine
        .eval_with_scope::<Dynamic>(scope, "c.list_folders().map(|f| f.name)")
        .ok()
        .and_then(|v| v.try_cast::<rhai::Array>())
        .map(|a| a.into_iter().map(|d| d.to_string()).collect())
        .unwrap_or_default();
    let mut rl: Editor<ShellHelper, DefaultHistory> = match Editor::new() {
        Ok(rl) => rl,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return;
        }
    };
    rl.set_helper(Some(ShellHelper { folders }));
    let history = history_path();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    let mut chunk = String::new();
    loop {
        let prompt = if chunk.is_empty() { ">>> " } else { "... " };
        // The session is kept alive in the background while the user types.
        let parked = ctx.park();
        let read = rl.readline(prompt);
        ctx.unpark(parked);
        match read {
            Ok(line) => {
                chunk.push_str(&line);
                chunk.push('\n');
                if chunk.trim().is_empty() {
                    chunk.clear();
                    continue;
                }
                if incomplete(engine, &chunk) {
                    continue;
                }
                let _ = rl.add_history_entry(chunk.trim_end());
                if let Some(h) = &history {
                    let _ = rl.save_history(h);
                }
                eval_print(engine, scope, ctx, &chunk);
                chunk.clear();
            }
            Err(ReadlineError::Interrupted) => {
                // Ctrl-C at the prompt drops the line being typed.
                chunk.clear();
                println!("KeyboardInterrupt");
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        }
    }
}

#[cfg(test)]
mod password_tests {
    #[test]
    fn the_password_variable_is_the_one_that_overrides_a_config_file() {
        assert_eq!(
            super::PASSWORD_VAR,
            imap_async::config::env_var_name("password")
        );
    }
}
