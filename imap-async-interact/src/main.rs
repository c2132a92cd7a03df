//! `imap-async-interact`: not written yet (issue 7). For now it prints its usage and says so.

fn main() {
    eprintln!(
        "imap-async-interact: the interactive shell is not implemented yet (tracked as issue 7).\n\
         Usage (planned): imap-async-interact -H HOST [-u USER] [-p PORT] [--ssl|--starttls] | -f CONFIG.ini"
    );
    std::process::exit(2);
}
