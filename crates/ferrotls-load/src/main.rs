//! `ferrotls-load`: the load and soak run (see `ferrotls_load::load`).

use std::process::ExitCode;

use ferrotls_load::load::{parse_args, Command, USAGE};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse_args(&args) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Command::Serve(opts)) => match ferrotls_load::load::serve(&opts) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ferrotls-load serve: {e}");
                ExitCode::FAILURE
            }
        },
        Ok(Command::Run(opts)) => match ferrotls_load::load::run(&opts) {
            Ok(report) => {
                report.print();
                if report.passed() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
            Err(e) => {
                eprintln!("ferrotls-load: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("ferrotls-load: {e}");
            ExitCode::from(2)
        }
    }
}
