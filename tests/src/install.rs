//! Making sure the machine can run a private Dovecot: the package and the mail user.

use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// The Dovecot master binary; its presence means `dovecot-imapd` is installed. Used by
/// absolute path because `/usr/sbin` is not on every PATH.
pub(crate) const DOVECOT_BIN: &str = "/usr/sbin/dovecot";

/// The unprivileged system user that owns all mail of the test servers.
pub(crate) const MAIL_USER: &str = "vmail";

/// Serialises installation inside this process; the file lock in [`machine_lock`]
/// serialises it between test processes (cargo and nextest run several at once).
static INSTALL_LOCK: Mutex<()> = Mutex::new(());

/// Installs `dovecot-imapd` with apt if `/usr/sbin/dovecot` is missing.
///
/// Needs root for the installation; without root it fails with a message that says
/// what to install. Safe to call from many tests at once: the work is done once.
pub fn ensure_dovecot_installed() -> io::Result<()> {
    if Path::new(DOVECOT_BIN).exists() {
        return Ok(());
    }
    let _guard = INSTALL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _machine = machine_lock()?;
    // Another thread or process may have installed it while we waited for the locks.
    if Path::new(DOVECOT_BIN).exists() {
        return Ok(());
    }
    if !is_root() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "Dovecot is not installed (/usr/sbin/dovecot is missing) and we are not root: \
             install it with `sudo apt-get install --no-install-recommends dovecot-imapd`",
        ));
    }
    run_checked(Command::new("apt-get").arg("update"))?;
    run_checked(
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "dovecot-imapd"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    if !Path::new(DOVECOT_BIN).exists() {
        return Err(io::Error::other(
            "apt-get installed dovecot-imapd but /usr/sbin/dovecot is still missing",
        ));
    }
    Ok(())
}

/// Returns the uid and gid of the mail user, creating it (as a system user) if missing.
pub(crate) fn ensure_mail_user() -> io::Result<(u32, u32)> {
    if let Some(ids) = lookup_user(MAIL_USER) {
        return Ok(ids);
    }
    let _guard = INSTALL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _machine = machine_lock()?;
    if let Some(ids) = lookup_user(MAIL_USER) {
        return Ok(ids);
    }
    if !is_root() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("the mail user `{MAIL_USER}` is missing and we are not root to create it"),
        ));
    }
    run_checked(Command::new("useradd").args([
        "--system",
        "--user-group",
        "--no-create-home",
        "--home-dir",
        "/nonexistent",
        "--shell",
        "/usr/sbin/nologin",
        MAIL_USER,
    ]))?;
    lookup_user(MAIL_USER)
        .ok_or_else(|| io::Error::other(format!("useradd ran but `{MAIL_USER}` is not found")))
}

/// Whether this process runs as root.
pub(crate) fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Looks up a user's uid and primary gid in the system's user database.
pub(crate) fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let cname = CString::new(name).ok()?;
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: all pointers are valid for the duration of the call and `buf` is large
    // enough for any sane passwd entry; getpwnam_r is the thread-safe variant.
    let rc = unsafe {
        libc::getpwnam_r(
            cname.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() {
        return None;
    }
    Some((pwd.pw_uid, pwd.pw_gid))
}

/// Takes an exclusive lock shared by all test processes on this machine, so that two
/// processes never run apt-get or useradd at the same time (apt would fail on its lock).
fn machine_lock() -> io::Result<File> {
    let path = std::env::temp_dir().join("imap-async-tests-install.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    // SAFETY: the fd is valid while `file` lives; the lock is released when it closes.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(file)
}

/// Runs a command with inherited output (so a slow apt-get shows progress) and turns a
/// non-zero exit into an error naming the command.
fn run_checked(cmd: &mut Command) -> io::Result<()> {
    let status = cmd.stdin(Stdio::null()).status().map_err(|e| {
        io::Error::new(e.kind(), format!("cannot run {:?}: {e}", cmd.get_program()))
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("{cmd:?} failed: {status}")))
    }
}
