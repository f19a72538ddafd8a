//! The command names declared in src/commands.rs, read from its text: `build.rs` cannot use the
//! crate it builds, yet Tauri must know every command there (it makes an `allow-<command>`
//! permission for each and denies the rest). So `build.rs` includes this file and reads the
//! one declaration `commands!` reads; a unit test checks that both see the same names.
//!
//! The grammar it relies on is the macro's own, as rustfmt leaves it: the invocation opens
//! with a line `commands! {` and closes with a line `}`, and each command inside starts with a
//! line `    async fn NAME(` (four spaces: nested functions in a body are indented deeper).

/// The names of the commands declared inside `commands! { ... }` in `source`, in order; an
/// error saying what is wrong when there is no such invocation, it is not closed, it declares
/// nothing, or a name is declared twice.
pub fn command_names(source: &str) -> Result<Vec<String>, String> {
    let mut lines = source.lines();
    lines
        .by_ref()
        .find(|l| l.trim_end() == "commands! {")
        .ok_or("no line `commands! {` in src/commands.rs: declare the commands there")?;
    let mut names: Vec<String> = Vec::new();
    let mut closed = false;
    for line in lines {
        if line.trim_end() == "}" {
            closed = true;
            break;
        }
        let Some(rest) = line.strip_prefix("    async fn ") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() || !rest[name.len()..].starts_with('(') {
            return Err(format!("cannot read a command name in `{}`", line.trim()));
        }
        if names.contains(&name) {
            return Err(format!("command `{name}` is declared twice"));
        }
        names.push(name);
    }
    if !closed {
        return Err("`commands! {` in src/commands.rs is not closed by a line `}`".into());
    }
    if names.is_empty() {
        return Err(
            "`commands! { ... }` in src/commands.rs declares no command (`    async fn NAME(`)"
                .into(),
        );
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::command_names;

    /// build.rs grants exactly the commands the macro registers.
    #[test]
    fn build_rs_reads_the_names_the_macro_declares() {
        let names = command_names(include_str!("commands.rs")).unwrap();
        assert_eq!(names, crate::commands::NAMES);
    }

    #[test]
    fn declarations_and_only_declarations_are_read() {
        let source = "use x;\n\ncommands! {\n    /// `async fn not_this(` in a comment\n    async fn status(state, req: ()) -> Vec<Row> {\n        async fn nested() {}\n        let s = \"}\";\n    }\n\n    async fn team_status(state, req: ()) -> T {\n        body()\n    }\n}\n\nasync fn after() {}\n";
        assert_eq!(command_names(source).unwrap(), ["status", "team_status"]);
    }

    #[test]
    fn a_missing_empty_unclosed_or_doubled_declaration_fails_the_build() {
        let e = command_names("fn main() {}\n").unwrap_err();
        assert!(e.contains("no line `commands! {`"), "{e}");
        let e = command_names("commands! {\n}\n").unwrap_err();
        assert!(e.contains("declares no command"), "{e}");
        let e =
            command_names("commands! {\n    async fn status(state, req: ()) -> T {\n").unwrap_err();
        assert!(e.contains("not closed"), "{e}");
        let e = command_names("commands! {\n    async fn a(s, req: ()) -> T {\n    }\n    async fn a(s, req: ()) -> T {\n    }\n}\n").unwrap_err();
        assert!(e.contains("`a` is declared twice"), "{e}");
    }
}
