//! Integration tests of the `chartsmith` command-line tool.

mod cli;
mod function_pairs;
mod golden;
mod helm_conformance;
mod interop;
mod support;
