//! Integration tests of the `chartsmith` command-line tool.

mod helm_conformance;
