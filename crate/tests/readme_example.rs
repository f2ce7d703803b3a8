//! The crate README shows `examples/verify_alb.rs` (which CI runs): the two must not drift.

#[test]
fn readme_shows_the_alb_example_as_it_is() {
    let readme = include_str!("../README.md");
    let example = include_str!("../examples/verify_alb.rs");
    // The example without its leading doc comment is the README's code block.
    let code: String = example
        .lines()
        .skip_while(|line| line.starts_with("//!"))
        .map(|line| format!("{line}\n"))
        .collect();
    let block = format!("```rust\n{code}```");
    assert!(
        readme.contains(&block),
        "crate/README.md's Rust block differs from examples/verify_alb.rs:\n{block}"
    );
}
