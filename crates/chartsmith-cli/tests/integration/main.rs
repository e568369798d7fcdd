//! Integration tests of the `chartsmith` command-line tool.

mod chart_schemas;
mod cli;
mod dependencies;
mod file_schemas;
mod function_pairs;
mod golden;
mod helm_conformance;
mod helm_habits;
mod interop;
mod lint;
mod oci;
mod packaging;
mod releases;
mod support;
