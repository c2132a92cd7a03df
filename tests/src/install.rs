//! Making sure the machine can run the private test servers: Dovecot's package and the
//! mail user, and Cyrus IMAP's packages and extracted binaries.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

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

/// Cyrus's master process, from the `cyrus-common` package.
pub(crate) const CYRUS_MASTER_BIN: &str = "/usr/lib/cyrus/bin/master";

/// `saslpasswd2`, from `sasl2-bin`: writes the users into the private sasldb.
pub(crate) const SASLPASSWD_BIN: &str = "/usr/sbin/saslpasswd2";

/// Where the `cyrus-imapd` package is extracted. It is not installed: it conflicts with
/// `dovecot-imapd` (both provide `imap-server`), so apt would remove Dovecot.
const CYRUS_CACHE_DIR: &str = "/var/cache/imap-async-tests";

/// The system user Cyrus runs as (created by `cyrus-common`).
pub(crate) const CYRUS_USER: &str = "cyrus";

/// The Cyrus programs the harness runs.
#[derive(Debug, Clone)]
pub struct CyrusBinaries {
    /// `master`, which listens and forks the services (from `cyrus-common`).
    pub master: PathBuf,
    /// `ctl_cyrusdb`, which creates and recovers the databases before the services
    /// start (from `cyrus-common`).
    pub ctl_cyrusdb: PathBuf,
    /// `imapd`, from the extracted `cyrus-imapd` package.
    pub imapd: PathBuf,
    /// `idled`, which wakes IDLE sessions at once (from the extracted package).
    pub idled: PathBuf,
    /// `saslpasswd2`, from `sasl2-bin`.
    pub saslpasswd: PathBuf,
    /// uid and gid of the `cyrus` user, which owns the server's files and runs it.
    pub ids: (u32, u32),
}

/// Makes Cyrus IMAP runnable and says where its programs are.
///
/// Installs `cyrus-common` and `sasl2-bin` with apt when missing, and extracts the
/// `cyrus-imapd` package of the same version (for `imapd` and `idled`) into
/// `/var/cache/imap-async-tests/` without installing it, because installing it would
/// remove `dovecot-imapd`. The extraction is redone when it is missing or belongs to
/// another version. Needs root for all of that; without root it fails with a message
/// that says what to install.
pub fn ensure_cyrus_installed() -> io::Result<CyrusBinaries> {
    // Checked once per process: every `Cyrus::start` asks.
    static FOUND: OnceLock<CyrusBinaries> = OnceLock::new();
    if let Some(found) = FOUND.get() {
        return Ok(found.clone());
    }
    let _guard = INSTALL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(found) = FOUND.get() {
        return Ok(found.clone());
    }
    let found = find_or_install_cyrus()?;
    Ok(FOUND.get_or_init(|| found).clone())
}

fn find_or_install_cyrus() -> io::Result<CyrusBinaries> {
    // Without root nothing can be installed: say what is missing before touching the
    // machine-wide lock file (which root may own).
    if !is_root() {
        return find_cyrus_without_installing();
    }
    let _machine = machine_lock()?;
    if !Path::new(CYRUS_MASTER_BIN).exists() || !Path::new(SASLPASSWD_BIN).exists() {
        run_checked(Command::new("apt-get").arg("update"))?;
        run_checked(
            Command::new("apt-get")
                .args([
                    "install",
                    "-y",
                    "--no-install-recommends",
                    "cyrus-common",
                    "sasl2-bin",
                ])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )?;
        for bin in [CYRUS_MASTER_BIN, SASLPASSWD_BIN] {
            if !Path::new(bin).exists() {
                return Err(io::Error::other(format!(
                    "apt-get installed cyrus-common and sasl2-bin but {bin} is still missing"
                )));
            }
        }
    }
    let version = installed_version("cyrus-common")?;
    let extracted = match extract_cyrus_imapd(&version) {
        Ok(dir) => dir,
        Err(first) => {
            // The installed cyrus-common may have left the archive (a security update
            // superseded it): upgrade it, then fetch cyrus-imapd of the new version.
            eprintln!(
                "imap-async-tests: cyrus-imapd {version} cannot be downloaded ({first}); \
                 upgrading cyrus-common"
            );
            run_checked(
                Command::new("apt-get")
                    .args(["install", "-y", "--only-upgrade", "cyrus-common"])
                    .env("DEBIAN_FRONTEND", "noninteractive"),
            )?;
            extract_cyrus_imapd(&installed_version("cyrus-common")?)?
        }
    };
    binaries_in(&extracted)
}

/// What a non-root process can use: everything already installed and extracted.
fn find_cyrus_without_installing() -> io::Result<CyrusBinaries> {
    if !Path::new(CYRUS_MASTER_BIN).exists() || !Path::new(SASLPASSWD_BIN).exists() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "Cyrus IMAP is not installed (/usr/lib/cyrus/bin/master or /usr/sbin/saslpasswd2 \
             is missing) and we are not root: install it with `sudo apt-get install \
             --no-install-recommends cyrus-common sasl2-bin`",
        ));
    }
    let version = installed_version("cyrus-common")?;
    binaries_in(&extract_cyrus_imapd(&version)?)
}

fn binaries_in(extracted: &Path) -> io::Result<CyrusBinaries> {
    let bin = extracted.join("usr/lib/cyrus/bin");
    let ids = lookup_user(CYRUS_USER).ok_or_else(|| {
        io::Error::other(format!(
            "cyrus-common is installed but the system user `{CYRUS_USER}` is missing"
        ))
    })?;
    Ok(CyrusBinaries {
        master: PathBuf::from(CYRUS_MASTER_BIN),
        ctl_cyrusdb: PathBuf::from(CYRUS_MASTER_BIN).with_file_name("ctl_cyrusdb"),
        imapd: bin.join("imapd"),
        idled: bin.join("idled"),
        saslpasswd: PathBuf::from(SASLPASSWD_BIN),
        ids,
    })
}

/// The installed version of a Debian package, as `dpkg-query` reports it.
fn installed_version(package: &str) -> io::Result<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", package])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot run dpkg-query: {e}")))?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !out.status.success() || version.is_empty() {
        return Err(io::Error::other(format!(
            "dpkg-query cannot tell the version of {package}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(version)
}

/// The directory holding the extracted `cyrus-imapd` package of `version`, downloading
/// and extracting it first if needed. Its `imapd` links against the libraries of
/// `cyrus-common`, so the versions must be equal.
fn extract_cyrus_imapd(version: &str) -> io::Result<PathBuf> {
    let cache = Path::new(CYRUS_CACHE_DIR);
    let dir = cache.join(format!("cyrus-imapd-{}", version.replace([':', '/'], "_")));
    let ready = |dir: &Path| {
        ["imapd", "idled"]
            .iter()
            .all(|b| dir.join("usr/lib/cyrus/bin").join(b).exists())
    };
    if ready(&dir) {
        return Ok(dir);
    }
    if !is_root() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "the extracted cyrus-imapd package is missing ({}) and we are not root to \
                 download it (`apt-get download cyrus-imapd={version}` and `dpkg -x` it there)",
                dir.display()
            ),
        ));
    }
    fs::create_dir_all(cache)?;
    // Whatever the umask: the `cyrus` user runs imapd from here.
    fs::set_permissions(cache, fs::Permissions::from_mode(0o755))?;
    let download = cache.join("download");
    let _ = fs::remove_dir_all(&download);
    fs::create_dir_all(&download)?;
    // apt's download sandbox user cannot write into a root-only directory; it falls back
    // to downloading as root with a warning, which is fine here.
    let mut fetch = Command::new("apt-get");
    fetch
        .arg("download")
        .arg(format!("cyrus-imapd={version}"))
        .current_dir(&download);
    if run_checked(&mut fetch).is_err() {
        // The package lists may be older than the installed cyrus-common.
        run_checked(Command::new("apt-get").arg("update"))?;
        run_checked(&mut fetch)?;
    }
    let deb = fs::read_dir(&download)?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or_else(|| io::Error::other("apt-get download left no cyrus-imapd .deb behind"))?;
    // Extracted beside and renamed into place, so that a half extraction is never used.
    let partial = cache.join("extracting");
    let _ = fs::remove_dir_all(&partial);
    run_checked(Command::new("dpkg").arg("-x").arg(&deb).arg(&partial))?;
    fs::set_permissions(&partial, fs::Permissions::from_mode(0o755))?;
    let _ = fs::remove_dir_all(&dir);
    fs::rename(&partial, &dir)?;
    let _ = fs::remove_dir_all(&download);
    if !ready(&dir) {
        return Err(io::Error::other(format!(
            "the extracted cyrus-imapd package in {} has no imapd or idled",
            dir.display()
        )));
    }
    Ok(dir)
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
