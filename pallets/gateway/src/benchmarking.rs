//! v2 benchmarks (written below).
