//! The interactive shell: one command a line, replies printed as in
//! one-shot mode. On a terminal it uses rustyline (line editing, history in
//! `$XDG_STATE_HOME/gibson/history` or `~/.gibson_history` when writable);
//! with piped input it runs the lines one by one without prompts.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

use crate::args::Cli;
use crate::client::Client;
use crate::format;
use gibson_cli::exit::{self, EXIT_USAGE};

use crate::output::{self, Format};
use crate::parse::{self, Words, COMMANDS};
use crate::route;

/// What a shell line asks for.
enum Step {
    /// Go on; the line's exit code (0 if it succeeded).
    Continue(i32),
    /// Leave the shell.
    Quit,
}

/// Runs the shell; returns the exit code (for piped input, that of the last
/// line that failed, else 0).
pub(crate) fn run(cli: &Cli) -> i32 {
    let (mut conn, addr) = match Client::from_cli(cli) {
        Ok(c) => c,
        Err(e) => {
            exit::print_error(&e);
            return EXIT_USAGE;
        }
    };
    let format = format(cli);
    if std::io::stdin().is_terminal() {
        interactive(cli, &mut conn, &addr, format)
    } else {
        piped(cli, &mut conn, format)
    }
}

fn piped(cli: &Cli, conn: &mut Client, format: Format) -> i32 {
    let mut code = 0;
    for line in std::io::stdin().lock().split(b'\n') {
        let Ok(line) = line else { break };
        let line = String::from_utf8_lossy(&line);
        match step(cli, conn, &line, format) {
            Step::Continue(0) => {}
            Step::Continue(c) => code = c,
            Step::Quit => break,
        }
    }
    code
}

fn interactive(cli: &Cli, conn: &mut Client, addr: &str, format: Format) -> i32 {
    let mut editor = match DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            exit::print_error(&format_args!("cannot start the line editor: {e}"));
            return piped(cli, conn, format);
        }
    };
    let history = history_file();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    println!("gibson shell, server {addr}: :help for commands, :quit or Ctrl-D to leave");
    let prompt = format!("{addr}> ");
    loop {
        match editor.readline(&prompt) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                // A bracketed paste of several lines arrives as one: run
                // each line.
                if line
                    .lines()
                    .any(|l| matches!(step(cli, conn, l, format), Step::Quit))
                {
                    break;
                }
            }
            // Ctrl-C drops the line being typed.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                exit::print_error(&e);
                break;
            }
        }
    }
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    0
}

/// Runs one line.
fn step(cli: &Cli, conn: &mut Client, line: &str, format: Format) -> Step {
    let trimmed = line.trim();
    match trimmed {
        "" => return Step::Continue(0),
        ":q" | ":quit" | ":exit" | "quit" | "exit" => return Step::Quit,
        ":help" | ":h" | "help" | "?" => {
            print!("{}", help());
            return Step::Continue(0);
        }
        _ if trimmed.starts_with(':') => {
            exit::print_error(&format_args!(
                "unknown shell command {trimmed} (:help, :quit)"
            ));
            return Step::Continue(EXIT_USAGE);
        }
        _ => {}
    }
    let words = match Words::from_line(line) {
        Ok(w) => w,
        Err(e) => {
            exit::print_error(&e);
            return Step::Continue(EXIT_USAGE);
        }
    };
    if words
        .first()
        .is_some_and(|w| w.eq_ignore_ascii_case(b"route"))
    {
        return Step::Continue(route::run(cli, &words.all()[1..]));
    }
    let request = match parse::parse(&words) {
        Ok(r) => r,
        Err(e) => {
            exit::print_error(&e);
            return Step::Continue(EXIT_USAGE);
        }
    };
    match conn.execute(request) {
        Ok(out) => {
            let _ = output::print(&out, format);
            Step::Continue(0)
        }
        Err(e) => {
            exit::print_error(&e);
            Step::Continue(exit::exit_code(&e))
        }
    }
}

/// The `:help` text.
pub(crate) fn help() -> String {
    let mut s = String::from("Commands (names in any case; the protocol's argument order):\n");
    for (name, args, what) in COMMANDS {
        let usage = format!("{name} {args}");
        s.push_str(&format!("  {usage:<24} {what}\n"));
    }
    s.push_str(&format!("  {:<24} {}\n", route::USAGE, route::WHAT));
    s.push_str(
        "\nA TTL is 1 to 32767 seconds, or 0 or never for no expiry (the library's rule:\n\
         a negative TTL is refused). LOCK/MLOCK: 1 or more seconds, or -1 until UNLOCK.\n\
         Words are separated by blanks; \"quoted words\" may hold blanks and escapes\n\
         (\\\" \\\\ \\n \\r \\t \\0 \\xHH). The value of SET/MSET is the rest of the line,\n\
         or one quoted word unescaped: SET 0 k \"a\\x00b\".\n\
         Replies: OK, (nil) / (not found) when absent, numbers bare, values quoted.\n\
         Shell: :help, :quit (or Ctrl-D).\n",
    );
    s
}

/// Where history is kept: `$XDG_STATE_HOME/gibson/history`, else
/// `~/.gibson_history`; `None` if neither can be written.
fn history_file() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir).join("gibson");
        if std::fs::create_dir_all(&dir).is_ok() {
            let path = dir.join("history");
            if writable(&path) {
                return Some(path);
            }
        }
    }
    let home = std::env::var_os("HOME").filter(|d| !d.is_empty())?;
    let path = PathBuf::from(home).join(".gibson_history");
    writable(&path).then_some(path)
}

fn writable(path: &std::path::Path) -> bool {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .is_ok()
}
