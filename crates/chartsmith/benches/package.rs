//! Benchmarks of packaging and indexing, in process (the whole-process comparison with helm is
//! `bench/package.sh`).
//!
//! Run with `cargo bench -p chartsmith --bench package`. Cases:
//!
//! - `archive/<chart>`: `package::archive` of a seed chart (read, check, compress; nothing
//!   written), for `charts/mysql-chart` and `charts/redis`;
//! - `load_archive/<chart>`: loading that archive back as hostile input (what `template`,
//!   `show`, `pull` and `repo index` do per archive);
//! - `index/<n>`: `repo::index` over a directory of `n` archives (copies of the two seed
//!   archives under distinct versions), without `--merge`.
//!
//! The book's `performance.md` ("Packaging and repo index") records the whole-process figures.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::{Path, PathBuf};

use chartsmith::chart::loader::{LoadOptions, load_archive};
use chartsmith::chart::package::{PackageOptions, archive};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn seed(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../charts")
        .join(name)
}

fn packaged(name: &str) -> Vec<u8> {
    archive(&seed(name), &PackageOptions::default(), 315_532_800)
        .unwrap_or_else(|e| panic!("cannot package {name}: {e}"))
        .1
}

fn package_and_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("archive");
    for name in ["mysql-chart", "redis"] {
        let dir = seed(name);
        group.bench_with_input(BenchmarkId::from_parameter(name), &dir, |b, dir| {
            b.iter(|| archive(black_box(dir), &PackageOptions::default(), 315_532_800))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("load_archive");
    for name in ["mysql-chart", "redis"] {
        let bytes = packaged(name);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &bytes, |b, bytes| {
            b.iter(|| load_archive(black_box(bytes), name, &LoadOptions::default()))
        });
    }
    group.finish();
}

fn index(c: &mut Criterion) {
    let mut group = c.benchmark_group("index");
    group.sample_size(20);
    for n in [20usize, 100] {
        let dir = tempfile::tempdir().expect("tempdir");
        for i in 0..n {
            let name = if i % 2 == 0 { "mysql-chart" } else { "redis" };
            let options = PackageOptions {
                destination: dir.path().to_path_buf(),
                version: Some(format!("1.0.{i}")),
                ..PackageOptions::default()
            };
            chartsmith::chart::package::package(&seed(name), &options)
                .unwrap_or_else(|e| panic!("cannot package {name}: {e}"));
        }
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), dir.path(), |b, dir| {
            b.iter(|| chartsmith::repo::index(black_box(dir), None, None))
        });
    }
    group.finish();
}

criterion_group!(benches, package_and_load, index);
criterion_main!(benches);
