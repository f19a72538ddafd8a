//! The `tollgate` command line: a thin adapter over `tollgate::api`.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
