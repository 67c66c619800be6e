"""`harness init`: what a team needs in its own repository to run the harness on its client.

files      the files it writes: templates/ (client file, locustfile, scenario) and the library's
           example pipelines (examples/ci/) with the installed version, all or nothing
cli        the `harness init` subcommand
templates  the client file, locustfile and scenario, copied as they are
"""

from harness.scaffold.files import Pipeline, ScaffoldFile, scaffold_files, write_files

__all__ = ["Pipeline", "ScaffoldFile", "scaffold_files", "write_files"]
