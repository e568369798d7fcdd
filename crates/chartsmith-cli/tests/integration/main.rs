//! Integration tests of the `chartsmith` command-line tool.

mod cli;
mod helm_conformance;
mod interop;
mod support;
