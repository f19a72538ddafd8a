//! How commands are declared. `commands!` takes every command of the app once and
//! - defines each as a `#[tauri::command]` returning `Result<T, tollgate::Error>`, so the UI
//!   always receives `{code, message}` on failure;
//! - registers all of them ([`handler`](crate::commands::handler));
//! - lists their names ([`NAMES`](crate::commands::NAMES)), checked against the capability;
//! - in tests, writes `Commands.ts`: a map from command name to its request, progress and result
//!   types, plus the list of names, from which the UI derives its whole backend type. A command
//!   without its TypeScript twin cannot be called from the UI without a type error, and a stale
//!   map fails `scripts/check-bindings.sh`.
//!
//! Every command has the same shape: the managed `AppState`, one request named `req` (a struct
//! that derives `Deserialize` and `TS`, or `()` for none) and, for a command that reports
//! progress, a `Channel<T>` named `on_progress` (both names are checked at compile time: the UI
//! passes exactly these keys); it resolves to one response type. In `Commands.ts` that is
//! `name: { args: Request; progress?: T; result: Response }`. Each command first tells the state
//! its name ([`AppState::command_started`](crate::state::AppState::command_started)).

/// A stream of values from a running command to the UI (sync progress, promotion steps): the
/// UI passes a `Channel` from `@tauri-apps/api/core` as the argument. A thin wrapper over
/// [`tauri::ipc::Channel`] that logs instead of failing when the window went away.
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

macro_rules! commands {
    ($(
        $(#[$meta:meta])*
        async fn $name:ident($state:ident, $req:ident: $req_ty:ty $(, $progress:ident: Channel<$step:ty>)? $(,)?) -> $ret:ty $body:block
    )*) => {
        $(
            $(#[$meta])*
            #[tauri::command]
            pub async fn $name(
                $state: tauri::State<'_, $crate::state::AppState>,
                $req: $req_ty
                $(, $progress: $crate::ipc::Channel<$step>)?
            ) -> Result<$ret, tollgate::Error> {
                const _: () = assert!($crate::ipc::same(stringify!($req), "req"), "the request parameter is named `req`");
                $(const _: () = assert!($crate::ipc::same(stringify!($progress), "on_progress"), "the channel parameter is named `on_progress`");)?
                let _ = &$req; // `()` for commands without a request
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
                let progress: [Option<$crate::ipc::TsType>; _] =
                    [$(Some($crate::ipc::TypeScriptMap::ty::<$step>),)? None];
                map.command::<$req_ty, $ret>(stringify!($name), progress[0]);
            )*
            map.render()
        }
    };
}
pub(crate) use commands;

/// `a == b` in a constant: the macro checks parameter names at compile time.
pub const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
pub(crate) use typescript::{TsType, TypeScriptMap};

#[cfg(test)]
mod typescript {
    use std::collections::BTreeSet;

    use ts_rs::{TypeVisitor, TS};

    /// Writes one type's TypeScript name (and records its imports): see [`TypeScriptMap::ty`].
    pub(crate) type TsType = fn(&mut BTreeSet<String>) -> String;

    /// Collects `name: { args: Request; progress?: T; result: Response }` entries, the imports
    /// they need and the command names.
    #[derive(Default)]
    pub(crate) struct TypeScriptMap {
        imports: BTreeSet<String>,
        entries: Vec<String>,
        names: Vec<String>,
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
        /// A function per type so the macro can name `T` without calling anything yet.
        pub(crate) fn ty<T: TS + 'static>(imports: &mut BTreeSet<String>) -> String {
            Imports(imports).visit::<T>();
            T::name()
        }

        pub(crate) fn command<Req: TS + 'static, R: TS + 'static>(
            &mut self,
            name: &str,
            progress: Option<TsType>,
        ) {
            let args = Self::ty::<Req>(&mut self.imports);
            let progress = progress
                .map(|p| format!(" progress: {};", p(&mut self.imports)))
                .unwrap_or_default();
            let result = Self::ty::<R>(&mut self.imports);
            self.entries.push(format!(
                "  {name}: {{ args: {args};{progress} result: {result} }};"
            ));
            self.names.push(name.to_string());
        }

        pub(crate) fn render(&self) -> String {
            let mut out = String::from(
                "// Generated from src-tauri/src/commands.rs by `cargo test -p tollgate-app export_bindings`. Do not edit.\n",
            );
            for i in &self.imports {
                out.push_str(i);
                out.push('\n');
            }
            out.push_str("\n/** Every command the app declares: its request, what it reports while it runs (if anything) and what it resolves to. */\nexport type Commands = {\n");
            for e in &self.entries {
                out.push_str(e);
                out.push('\n');
            }
            out.push_str("};\n\n/** The declared command names, in declaration order (the UI builds its backend from them). */\nexport const COMMAND_NAMES = [\n");
            for n in &self.names {
                out.push_str(&format!("  \"{n}\",\n"));
            }
            out.push_str("] as const satisfies readonly (keyof Commands)[];\n");
            out
        }
    }

    mod sample {
        use tollgate::domain::Segment;

        /// A request, to see the map it produces.
        #[derive(serde::Deserialize, ts_rs::TS)]
        pub struct HistoryRequest {
            pub app: String,
        }

        crate::ipc::commands! {
            /// A command with a request.
            async fn history(state, req: HistoryRequest) -> Vec<Segment> {
                let _ = req.app;
                state.workspace().map(|_| Vec::new())
            }

            /// A command without one that reports progress.
            async fn watch(state, req: (), on_progress: Channel<String>) -> () {
                on_progress.send(String::new());
                state.workspace().map(|_| ())
            }
        }

        #[test]
        fn each_command_has_one_request_and_one_result() {
            assert_eq!(NAMES, ["history", "watch"]);
            let ts = typescript();
            assert!(
                ts.contains("import type { Segment } from \"./Segment\";"),
                "{ts}"
            );
            assert!(
                ts.contains("  history: { args: HistoryRequest; result: Array<Segment> };"),
                "{ts}"
            );
            assert!(
                ts.contains("  watch: { args: null; progress: string; result: null };"),
                "{ts}"
            );
            assert!(
                ts.contains("  \"history\",\n  \"watch\",\n] as const"),
                "{ts}"
            );
            let _ = handler::<tauri::Wry>();
        }
    }
}
