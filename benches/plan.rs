//! Planning throughput on generated inventories of 10k, 100k and 1M secrets.
//!
//! Prints, for each size: the pure decision step (`decide`, one core) and the
//! whole plan (record lookup, decision, plan entry) in decisions per second,
//! plus the cost per secret, so linear growth shows as a flat column.
//!
//! Run: `cargo bench --bench plan`

use std::hint::black_box;
use std::time::Instant;

use chrono::{TimeDelta, Utc};
use tenure::config;
use tenure::governance::{RecordMatch, SecretFacts};
use tenure::plan::plan_facts;
use tenure::policy::{Subject, decide};

const RECORDS: usize = 1_000;
const GLOBS: usize = 50;

fn write_config(dir: &std::path::Path) -> std::path::PathBuf {
    let mut text = String::from(
        "[tenure]\ninclude = [\"gov.toml\"]\n[providers.local]\ntype = \"local\"\npath = \"v.tvault\"\n[targets.gen]\ntype = \"generate\"\n",
    );
    let mut gov = String::new();
    for i in 0..RECORDS {
        gov.push_str(&format!(
            "[[records]]\nid = \"r{i}\"\nsecrets = \"local:svc{}/secret{i}\"\ntarget = \"gen\"\nowner = \"owner{}\"\npurpose = \"bench\"\nworkloads = [\"w{}\"]\nmax_age = \"90d\"\nrenew_before = \"7d\"\nreview_by = 2030-01-01\napproval = {{ by = \"ciso\", at = 2026-01-01 }}\n",
            i % GLOBS,
            i % 100,
            i % 200
        ));
    }
    for g in 0..GLOBS {
        gov.push_str(&format!(
            "[[records]]\nid = \"g{g}\"\nsecrets = \"local:svc{g}/*\"\ntarget = \"gen\"\nowner = \"owner{}\"\npurpose = \"bench\"\nmax_age = \"30d\"\napproval = {{ by = \"ciso\", at = 2026-01-01 }}\n",
            g % 100
        ));
    }
    for o in 0..100 {
        let status = if o % 10 == 0 { "left" } else { "active" };
        gov.push_str(&format!(
            "[[owners]]\nid = \"owner{o}\"\nstatus = \"{status}\"\n"
        ));
    }
    for w in 0..200 {
        let status = if w % 20 == 0 {
            "decommissioned"
        } else {
            "running"
        };
        gov.push_str(&format!(
            "[[workloads]]\nid = \"w{w}\"\nstatus = \"{status}\"\n"
        ));
    }
    std::fs::write(dir.join("gov.toml"), gov).expect("write");
    let path = dir.join("tenure.toml");
    std::fs::write(&path, text.split_off(0)).expect("write");
    path
}

fn inventory(n: usize) -> Vec<SecretFacts> {
    let now = Utc::now();
    (0..n)
        .map(|i| {
            let address = format!("local:svc{}/secret{i}", i % GLOBS)
                .parse()
                .expect("address");
            let mut facts =
                SecretFacts::new(address, Some(now - TimeDelta::days((i % 120) as i64)));
            facts.owner_tag = Some(format!("owner{}", i % 100));
            facts.workload_tag = Some(format!("w{}", i % 200));
            facts
        })
        .collect()
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config::load(&write_config(dir.path())).expect("config");
    let governance = &config.governance;
    let now = Utc::now();
    println!(
        "records: {} exact + {GLOBS} globs; owners: 100; workloads: 200",
        RECORDS
    );
    println!(
        "{:>9}  {:>22}  {:>10}  {:>22}  {:>10}  {:>14}",
        "secrets",
        "decide (decisions/s)",
        "ns/secret",
        "plan (decisions/s)",
        "ns/secret",
        "plan vs 10k"
    );
    // `cargo bench` passes --bench; under `cargo test` this runs as a quick smoke test.
    let sizes: &[usize] = if std::env::args().any(|a| a == "--bench") {
        &[10_000, 100_000, 1_000_000]
    } else {
        &[1_000]
    };
    let mut base: Option<f64> = None;
    for &n in sizes {
        let facts = inventory(n);
        // Resolve records once, so the first figure is the pure decision step.
        let resolved: Vec<Option<usize>> = facts
            .iter()
            .map(|f| match governance.index.find(&f.address) {
                RecordMatch::One(i) => Some(i),
                _ => None,
            })
            .collect();
        let lookup = |id: &str| governance.workloads.get(id);
        let start = Instant::now();
        let mut compliant = 0usize;
        for (f, r) in facts.iter().zip(&resolved) {
            let record = r.map(|i| &governance.records[i]);
            let subject = Subject {
                facts: f,
                record,
                conflicting_records: false,
                owner: record.and_then(|r| governance.owners.get(&r.owner)),
                owners_modelled: true,
                workload: &lookup,
            };
            let decision = decide(black_box(&subject), &config.defaults, now);
            compliant += usize::from(!decision.kind.is_action());
        }
        let decide_secs = start.elapsed().as_secs_f64();
        black_box(compliant);

        let start = Instant::now();
        let plan = plan_facts(&config, black_box(facts), now);
        let plan_secs = start.elapsed().as_secs_f64();
        black_box(plan.secrets.len());

        let per_secret = plan_secs * 1e9 / n as f64;
        let first = *base.get_or_insert(per_secret);
        println!(
            "{:>9}  {:>22.0}  {:>10.1}  {:>22.0}  {:>10.1}  {:>13.2}x",
            n,
            n as f64 / decide_secs,
            decide_secs * 1e9 / n as f64,
            n as f64 / plan_secs,
            per_secret,
            per_secret / first
        );
    }
}
