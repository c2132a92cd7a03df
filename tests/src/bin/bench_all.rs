//! The regression guard (a program that prints figures; nothing here is a test): runs the
//! benchmark programs one after another and prints one table of their headline figures,
//! with the date, the machine and the command, ready for docs/performance.md.
//!
//! Each benchmark program reports its headline figures as lines of the form
//! `SUMMARY<TAB>workload<TAB>imap-async<TAB>async-imap<TAB>note` (any other output is
//! passed through to stderr, so the full figures stay visible). This program collects
//! those lines in order. A program that is not built is skipped (and said so); one that
//! prints no `SUMMARY` line is listed as such.
//!
//! Run: `cargo run --release -p imap-async-tests --features compare-async-imap --bin bench_all -- [--quick] [PROGRAM ...]`
//! (under `cargo run` it first builds every benchmark program of the package with the same
//! profile and features; `--quick` asks for fewer rounds; PROGRAM limits the run to those
//! programs, e.g. `bench_replay bench_collect`)

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The programs, in order, with their arguments (full run, quick run).
const PROGRAMS: &[(&str, &[&str], &[&str])] = &[
    ("bench_replay", &["15"], &["5"]),
    ("bench_collect", &[], &["--rounds", "1"]),
    ("bench_bodies", &["10000", "9"], &["2000", "2"]),
    ("big_body", &["500", "5"], &["64", "2"]),
    (
        "bench_idle",
        &["--watchers-only"],
        &["--watchers-only", "--watchers", "200"],
    ),
];

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_kib: u64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{model}, {cores} cores, {:.1} GiB RAM, Linux {}",
        mem_kib as f64 / 1024.0 / 1024.0,
        kernel.trim()
    )
}

fn now_utc() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    for name in &only {
        assert!(
            PROGRAMS.iter().any(|(p, _, _)| p == name),
            "{name:?}: not one of {:?}",
            PROGRAMS.iter().map(|p| p.0).collect::<Vec<_>>()
        );
    }
    let features = if cfg!(feature = "compare-async-imap") {
        "--features compare-async-imap "
    } else {
        ""
    };
    // Under `cargo run` only this program was built: build its siblings the same way.
    if let Ok(cargo) = std::env::var("CARGO") {
        let mut build = Command::new(cargo);
        build.args(["build", "-p", "imap-async-tests", "--bins"]);
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        if cfg!(feature = "compare-async-imap") {
            build.args(["--features", "compare-async-imap"]);
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "building the benchmark programs failed");
    }
    let dir = std::env::current_exe()
        .expect("own path")
        .parent()
        .expect("own directory")
        .to_path_buf();
    let started = now_utc();
    let mut rows: Vec<[String; 4]> = Vec::new();
    let mut notes = Vec::new();
    for (name, full, short) in PROGRAMS {
        if !only.is_empty() && !only.contains(name) {
            continue;
        }
        let exe = dir.join(name);
        if !exe.exists() {
            notes.push(format!("{name}: not built, skipped"));
            continue;
        }
        let program_args = if quick { short } else { full };
        eprintln!("== bench_all: {name} {}", program_args.join(" "));
        let mut child = Command::new(&exe)
            .args(*program_args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let mut found = 0;
        for line in BufReader::new(child.stdout.take().expect("stdout")).lines() {
            let line = line.unwrap_or_default();
            eprintln!("{line}");
            if let Some(rest) = line.strip_prefix("SUMMARY\t") {
                let mut cells = rest.splitn(4, '\t').map(str::to_owned);
                rows.push(std::array::from_fn(|_| cells.next().unwrap_or_default()));
                found += 1;
            }
        }
        let status = child.wait().expect("wait");
        if !status.success() {
            notes.push(format!(
                "{name}: failed ({status}); its figures are missing"
            ));
        } else if found == 0 {
            notes.push(format!("{name}: ran, printed no SUMMARY line"));
        }
    }
    println!("Measured {started} on {}.", machine());
    println!(
        "Command: `cargo run --release -p imap-async-tests {features}--bin bench_all{}`",
        if args.is_empty() {
            String::new()
        } else {
            format!(" -- {}", args.join(" "))
        }
    );
    println!();
    println!("| workload | imap-async | async-imap | note |");
    println!("|---|---|---|---|");
    for [w, ours, theirs, note] in &rows {
        println!("| {w} | {ours} | {theirs} | {note} |");
    }
    for n in notes {
        println!();
        println!("{n}");
    }
}
