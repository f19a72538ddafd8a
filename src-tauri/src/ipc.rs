//! How commands are declared. `commands!` takes every command of the app once and
//! - defines each as a `#[tauri::command]` returning `Result<T, tollgate::Error>`, so the UI
//!   always receives `{code, message}` on failure;
//! - registers all of them ([`handler`](crate::commands::handler));
//! - lists their names ([`NAMES`](crate::commands::NAMES)), checked against the capability;
//! - in tests, writes `Commands.ts`: a map from command name to its arguments and result type,
//!   which the UI's `invoke` wrapper is typed with. A command without its TypeScript twin
//!   cannot be called from the UI without a type error, and a stale map fails
//!   `scripts/check-bindings.sh`.
//!
//! The first parameter of every command is the managed `AppState`; the others are the
//! arguments the UI passes (camelCase on the JavaScript side, as Tauri converts them). Each
//! command first tells the state its name
//! ([`AppState::command_started`](crate::state::AppState::command_started)).

/// A stream of values from a running command to the UI (sync progress, promotion steps): the
/// UI passes a `Channel` from `@tauri-apps/api/core` as the argument. A thin wrapper over
/// [`tauri::ipc::Channel`] that also has a TypeScript type (`Channel<T>`) for the command map.
pub struct Channel<T>(tauri::ipc::Channel<T>);

impl<T: serde::Serialize + Clone> Channel<T> {
    /// Send one value. A window that went away is no reason to stop the work: logged only.
    pub fn send(&self, value: T) {
        if let Err(e) = self.0.send(value) {
            tracing::debug!("a progress message was not delivered: {e}");
        }
    }
}

impl<'de, R: tauri::Runtime, T> tauri::ipc::CommandArg<'de, R> for Channel<T> {
    fn from_command(
        command: tauri::ipc::CommandItem<'de, R>,
    ) -> Result<Self, tauri::ipc::InvokeError> {
        tauri::ipc::Channel::from_command(command).map(Channel)
    }
}

impl<T: ts_rs::TS + 'static> ts_rs::TS for Channel<T> {
    type WithoutGenerics = Channel<ts_rs::Dummy>;
    type OptionInnerType = Self;

    fn name() -> String {
        format!("Channel<{}>", T::name())
    }
    fn inline() -> String {
        format!("Channel<{}>", T::inline())
    }
    fn inline_flattened() -> String {
        panic!("a Channel cannot be flattened")
    }
    fn decl() -> String {
        panic!("a Channel is declared by @tauri-apps/api")
    }
    fn decl_concrete() -> String {
        panic!("a Channel is declared by @tauri-apps/api")
    }
    fn visit_generics(v: &mut impl ts_rs::TypeVisitor)
    where
        Self: 'static,
    {
        v.visit::<T>();
    }
}

macro_rules! commands {
    ($(
        $(#[$meta:meta])*
        async fn $name:ident($state:ident $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty $body:block
    )*) => {
        $(
            $(#[$meta])*
            #[tauri::command]
            pub async fn $name(
                $state: tauri::State<'_, $crate::state::AppState>
                $(, $arg: $ty)*
            ) -> Result<$ret, tollgate::Error> {
                $state.command_started(stringify!($name));
                $body
            }
        )*

        /// The invoke handler with every declared command.
        pub fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }

        /// The declared command names, as the UI invokes them.
        #[cfg_attr(not(test), allow(dead_code))]
        pub const NAMES: &[&str] = &[$(stringify!($name)),*];

        #[cfg(test)]
        pub(crate) fn typescript() -> String {
            let mut map = $crate::ipc::TypeScriptMap::default();
            $(
                map.command::<$ret>(stringify!($name), &[$((stringify!($arg), $crate::ipc::TypeScriptMap::arg::<$ty>)),*]);
            )*
            map.render()
        }
    };
}
pub(crate) use commands;

#[cfg(test)]
pub(crate) use typescript::TypeScriptMap;

#[cfg(test)]
mod typescript {
    use std::collections::BTreeSet;

    use ts_rs::{TypeVisitor, TS};

    /// Writes one argument's TypeScript type (and records its imports): see [`TypeScriptMap::arg`].
    pub(crate) type ArgType = fn(&mut BTreeSet<String>) -> String;

    /// Collects `name: { args: {...}; result: T }` entries and the imports they need.
    #[derive(Default)]
    pub(crate) struct TypeScriptMap {
        imports: BTreeSet<String>,
        entries: Vec<String>,
    }

    /// Records every exported type reachable through generics (`Array<StatusRow>` → `StatusRow`).
    struct Imports<'a>(&'a mut BTreeSet<String>);

    impl TypeVisitor for Imports<'_> {
        fn visit<T: TS + 'static + ?Sized>(&mut self) {
            match T::output_path() {
                Some(path) => {
                    let module = path.with_extension("").to_string_lossy().replace('\\', "/");
                    self.0.insert(format!(
                        "import type {{ {} }} from \"./{module}\";",
                        T::ident()
                    ));
                }
                None => T::visit_generics(self),
            }
        }
    }

    impl TypeScriptMap {
        /// A function per argument so the macro can name `T` without calling anything yet.
        pub(crate) fn arg<T: TS + 'static>(imports: &mut BTreeSet<String>) -> String {
            Imports(imports).visit::<T>();
            T::name()
        }

        pub(crate) fn command<R: TS + 'static>(&mut self, name: &str, args: &[(&str, ArgType)]) {
            let args: Vec<String> = args
                .iter()
                .map(|(arg, ty)| format!("{}: {}", camel_case(arg), ty(&mut self.imports)))
                .collect();
            Imports(&mut self.imports).visit::<R>();
            let args = if args.is_empty() {
                "{}".to_string()
            } else {
                format!("{{ {} }}", args.join("; "))
            };
            self.entries.push(format!(
                "  {name}: {{ args: {args}; result: {} }};",
                R::name()
            ));
        }

        pub(crate) fn render(&self) -> String {
            let mut out = String::from(
                "// Generated from src-tauri/src/commands.rs by `cargo test -p tollgate-app export_bindings`. Do not edit.\n",
            );
            for i in &self.imports {
                out.push_str(i);
                out.push('\n');
            }
            if self.entries.iter().any(|e| e.contains("Channel<")) {
                out.push_str("import type { Channel } from \"@tauri-apps/api/core\";\n");
            }
            out.push_str("\n/** Every command the app declares: its arguments and what it resolves to. */\nexport type Commands = {\n");
            for e in &self.entries {
                out.push_str(e);
                out.push('\n');
            }
            out.push_str("};\n");
            out
        }
    }

    /// Tauri's default renaming of command arguments: `app_name` → `appName`.
    fn camel_case(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut upper = false;
        for c in s.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.extend(c.to_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn arguments_are_camel_case() {
        assert_eq!(camel_case("app_name"), "appName");
        assert_eq!(camel_case("app"), "app");
    }

    mod sample {
        use tollgate::domain::Segment;

        crate::ipc::commands! {
            /// A command with arguments, to see the map they produce.
            async fn history(state, app_name: String, env: Option<String>) -> Vec<Segment> {
                let _ = (app_name, env);
                state.workspace().map(|_| Vec::new())
            }
        }

        #[test]
        fn arguments_are_listed_in_camel_case_with_their_types() {
            assert_eq!(NAMES, ["history"]);
            let ts = typescript();
            assert!(
                ts.contains("import type { Segment } from \"./Segment\";"),
                "{ts}"
            );
            assert!(ts.contains("  history: { args: { appName: string; env: string | null }; result: Array<Segment> };"), "{ts}");
            let _ = handler::<tauri::Wry>();
        }
    }
}
