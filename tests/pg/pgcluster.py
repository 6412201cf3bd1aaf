# SPDX-License-Identifier: GPL-2.0-or-later
"""A private PostgreSQL cluster for end-to-end tests and benchmarks (the
Python twin of tests/pg/pg-cluster.c): Debian's initdb and pg_ctl in a
temporary directory, a unix socket in that directory and no TCP, run as
the postgres user when we are root (initdb refuses root).  Never a system
service.

    with PgCluster() as pg:
        uri = pg.new_database()      # postgresql:///ots_1?host=...
"""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile


def _bin_dir():
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(found)
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                      key=lambda p: int(p.split("/")[-2]))
    if not versions:
        raise RuntimeError("PostgreSQL's initdb was not found (apt-get install postgresql)")
    return versions[-1]


class PgCluster:
    def __init__(self):
        self.dir = None
        self.bin = _bin_dir()
        self.n = 0

    def _run(self, prog, *args):
        cmd = [os.path.join(self.bin, prog), *args]
        if os.getuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="ots-pg-")
        if os.getuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self._run("initdb", "-D", f"{self.dir}/data", "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-sync")
        self._run("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/log", "-w", "-t", "60",
                  "-o", f"-k '{self.dir}' -p 5432 -c listen_addresses='' -c fsync=on "
                  "-c max_connections=200", "start")
        return self

    def uri(self, database="postgres"):
        return f"postgresql:///{database}?host={self.dir}&port=5432&user=postgres"

    def psql(self, sql, database="postgres"):
        out = subprocess.run(["psql", "-qAt", "-v", "ON_ERROR_STOP=1", self.uri(database),
                              "-c", sql], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def new_database(self):
        self.n += 1
        name = f"ots_{os.getpid()}_{self.n}"
        self.psql(f"CREATE DATABASE {name}")
        return self.uri(name)

    def stop(self):
        if not self.dir:
            return
        try:
            self._run("pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
