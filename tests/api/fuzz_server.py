"""A citybpm server of its own for the API fuzz test: a separate process, database and attachment folder.

The fuzzer renames, disables, deploys and reconfigures whatever the spec lets an admin touch. The suite's session
database (definitions, users, settings) must not see any of that, and the engine's process-wide caches (parsed
specs by definition id, published forms by key and version, node settings) assume one database per process:
hence a process of its own rather than a second app beside the suite's.

    python -m tests.api.fuzz_server DATABASE_URL ATTACHMENTS_DIR PORT_FILE

migrates and seeds the demo data like `citybpm setup --demo`, then serves the app with the same threaded
werkzeug server as the suite's ``server`` fixture, and writes its port to PORT_FILE once it listens (a file, not
stdout: the server's output goes to a log nobody reads while it runs, so it must not share a pipe with the port).
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from werkzeug.serving import make_server

from api.app import create_app
from api.bootstrap import bootstrap

# A fuzzed request to the live-update stream would hold a thread for five minutes; a short stream is the same code.
LIVE_MAX_SECONDS = 0.5


def main(database_url: str, attachments_dir: str, port_file: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "CITYBPM_ENV": "test",
                      "CITYBPM_ATTACHMENTS_DIR": attachments_dir, "CITYBPM_SCHEDULER": "off",
                      "CITYBPM_LIVE_MAX_SECONDS": LIVE_MAX_SECONDS, "CITYBPM_LIVE_PING_SECONDS": 0.2})
    bootstrap(app, demo=True)
    # migrations/env.py runs logging.config.fileConfig, which disables every logger that existed before it:
    # wake them up, or a 500's traceback (api.errors logs it) never reaches server.log
    for logger in logging.Logger.manager.loggerDict.values():
        if isinstance(logger, logging.Logger):
            logger.disabled = False
    http = make_server("127.0.0.1", 0, app, threaded=True)
    Path(port_file + ".tmp").write_text(str(http.server_port))
    Path(port_file + ".tmp").rename(port_file)  # whole or absent: the test polls for it
    http.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:4])
