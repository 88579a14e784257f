"""The peer of the CRM benchmarks: DjangoCRM (PyPI ``django-crm-admin``), installed when the bench runs.

Never committed: ``install()`` makes a virtual environment under ``var/peer-djangocrm/venv`` with uv
(or ``python -m venv`` + pip), installs the package with ``--no-deps`` (it pins ``mysqlclient``), then
its other ``Requires-Dist`` requirements, plus psycopg and pillow (imported, not declared). Its settings
are ``webcrm/settings.py`` in that site-packages; ours (``peer_settings.py`` beside the venv) import
them and switch the database — its own PostgreSQL database ``xt_peer_djangocrm_<scale>`` on the
run's server (SQLite file when the run is on SQLite), ``DEBUG`` off, a local-memory mail backend. Its
``manage.py setupdata`` makes its tables and users once per database.

The peer is driven through ``agent.py`` run by its interpreter (one long-lived process, JSON lines):
the same companies and leads as ours are loaded into its tables with SQL, its admin changelists are
fetched through Django's test client (as ours are), its XLSX import is run as its admin view runs it.

Anything that fails raises ``Skip`` with the reason: the peer columns stay empty, the run goes on.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

from bench.core import Skip

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "django-crm-admin==3.1.0"
EXTRA = ("psycopg[binary]", "pillow")
LEFT_OUT = ("mysqlclient",)


def home() -> Path:
    return Path(os.environ.get("XIETONG_VAR_DIR", ROOT / "var")) / "peer-djangocrm"


def _python() -> Path:
    return home() / "venv" / "bin" / "python"


def _site_packages() -> Path:
    found = sorted((home() / "venv" / "lib").glob("python3*/site-packages"))
    if not found:
        raise Skip("the peer's virtual environment has no site-packages")
    return found[0]


def _run(args: list[str], what: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=900, **kwargs)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Skip(f"DjangoCRM: {what} failed: {exc}") from None
    if done.returncode != 0:
        raise Skip(f"DjangoCRM: {what} failed: {(done.stderr or done.stdout)[-500:].strip()}")
    return done


def install() -> None:
    """The peer's virtual environment, once (a marker file records a finished install)."""
    marker = home() / "installed"
    if marker.exists() and _python().exists():
        return
    home().mkdir(parents=True, exist_ok=True)
    uv = shutil.which("uv")
    if uv:
        _run([uv, "venv", "--python", sys.executable, str(home() / "venv")], "making its virtual environment")

        def pip(*args: str) -> None:
            _run([uv, "pip", "install", "--python", str(_python()), *args], f"installing {args[-1]}")
    else:
        _run([sys.executable, "-m", "venv", str(home() / "venv")], "making its virtual environment")

        def pip(*args: str) -> None:
            _run([str(_python()), "-m", "pip", "install", "-q", *args], f"installing {args[-1]}")

    pip("--no-deps", PACKAGE)
    metadata = next(_site_packages().glob("django_crm_admin-*.dist-info/METADATA"), None)
    if metadata is None:
        raise Skip("DjangoCRM: its METADATA is missing after the install")
    requirements = [
        line.split(":", 1)[1].strip()
        for line in metadata.read_text().splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    requirements = [r for r in requirements if not r.lower().startswith(LEFT_OUT)]
    reqs = home() / "requirements.txt"
    reqs.write_text("\n".join([*requirements, *EXTRA]) + "\n")
    pip("-r", str(reqs))
    marker.write_text(PACKAGE + "\n")


def database(scale: str) -> dict[str, Any]:
    """The peer's database: its own PostgreSQL database on the run's server, else an SQLite file."""
    from django.db import connection

    if connection.vendor == "postgresql":
        conf = connection.settings_dict
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": f"xt_peer_djangocrm_{scale.lower()}",
            "USER": conf.get("USER") or "",
            "PASSWORD": conf.get("PASSWORD") or "",
            "HOST": conf.get("HOST") or "",
            "PORT": str(conf.get("PORT") or ""),
        }
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(home() / f"crm-{scale}.sqlite3")}


SETTINGS = '''"""Written by bench/peer/djangocrm.py: DjangoCRM's settings with the bench's database."""
import json
import os

from webcrm.settings import *  # noqa: F403

DATABASES = {"default": json.loads(os.environ["PEER_DATABASE"])}
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
'''


def _env(db: dict[str, Any]) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PYTHONPATH")},
        "PYTHONPATH": str(home()),
        "DJANGO_SETTINGS_MODULE": "peer_settings",
        "PEER_DATABASE": json.dumps(db),
    }


def _create_database(db: dict[str, Any]) -> None:
    if db["ENGINE"] != "django.db.backends.postgresql":
        return
    import psycopg

    with psycopg.connect(
        dbname="postgres",
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        autocommit=True,
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def prepare(scale: str) -> dict[str, Any]:
    """Installed, its database made and ``setupdata`` run (once per database)."""
    install()
    (home() / "peer_settings.py").write_text(SETTINGS)
    db = database(scale)
    _create_database(db)
    ready = home() / f"ready-{db['NAME'].replace('/', '_')}"
    if not ready.exists():
        _run(
            [str(_python()), str(_site_packages() / "manage.py"), "setupdata"],
            "manage.py setupdata",
            env=_env(db),
            cwd=str(home()),
        )
        ready.write_text("setupdata done\n")
    return db


class Agent:
    """The long-lived process in the peer's environment (``agent.py``)."""

    def __init__(self, db: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            [str(_python()), str(Path(__file__).with_name("agent.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(db),
            cwd=str(home()),
        )
        first = self.process.stdout.readline() if self.process.stdout else ""
        if not first:
            err = self.process.stderr.read()[-500:] if self.process.stderr else ""
            raise Skip(f"DjangoCRM's agent did not start: {err}")
        atexit.register(self.close)

    def ask(self, **cmd: Any) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(cmd) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise Skip("DjangoCRM's agent stopped")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise Skip(f"DjangoCRM: {answer['error']}")
        return answer

    def get_times(self, url: str, n: int) -> list[float]:
        return list(self.ask(op="get", url=url, n=n)["times"])

    def import_xlsx(self, path: Path) -> tuple[float, int]:
        answer = self.ask(op="import", path=str(path))
        if not answer["created"]:
            raise Skip("DjangoCRM's import created no company")
        return float(answer["seconds"]), int(answer["created"])

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


_failed: list[str] = []


@cache
def _agent(scale: str) -> Agent:
    db = prepare(scale)
    agent = Agent(db)
    _load_data(agent, scale)
    return agent


def agent() -> Agent:
    """The peer, ready with the run's data (installed, set up, loaded on first use); Skip if it cannot be."""
    if os.environ.get("XIETONG_BENCH_NO_PEER"):
        raise Skip("the peer is turned off (XIETONG_BENCH_NO_PEER)")
    if _failed:
        raise Skip(_failed[0])
    try:
        return _agent(_current_scale())
    except Skip as exc:
        _failed.append(str(exc))
        raise


def _current_scale() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT scale FROM bench_crm_dataset")
        row = cursor.fetchone()
    if row is None:
        raise Skip("no CRM data set in this database")
    return str(row[0])


def _load_data(agent: Agent, scale: str) -> None:
    """The data set's customers as companies and its leads as leads, with SQL, in the peer's tables."""
    from bench import crm_data

    dataset = crm_data.loaded(scale)
    if dataset is None:
        raise Skip("no CRM data set in this database")
    directory = home() / "data"
    directory.mkdir(exist_ok=True)
    from django.db import connection

    companies = directory / f"companies-{scale}.tsv"
    leads = directory / f"leads-{scale}.tsv"
    with connection.cursor() as cursor:
        if not companies.exists():
            cursor.execute(
                "SELECT c.id, c.name, c.city, c.address, c.website, k.email, k.mobile, c.credit_code "
                "FROM customers_customer c LEFT JOIN customers_contact k ON k.customer_id = c.id AND k.is_primary "
                "WHERE c.id BETWEEN %s AND %s ORDER BY c.id",
                [dataset.first_customer_id, dataset.last_customer_id],
            )
            _write_tsv(
                companies,
                ["full_name", "city_name", "address", "website", "email", "phone", "registration_number", "token"],
                ([r[1], r[2], r[3], r[4], r[5] or "", r[6] or "", r[7], f"bx{r[0]:09d}"] for r in cursor.fetchall()),
            )
        if not leads.exists():
            cursor.execute(
                "SELECT id, contact_name, company, email, mobile, city FROM leads_lead WHERE id BETWEEN %s AND %s "
                "ORDER BY id",
                [dataset.first_lead_id, dataset.last_lead_id],
            )
            _write_tsv(
                leads,
                ["first_name", "company_name", "email", "mobile", "city_name", "token"],
                ([r[1], r[2], r[3], r[4], r[5], f"bx{r[0]:09d}"] for r in cursor.fetchall()),
            )
    agent.ask(op="load", table="company", path=str(companies))
    agent.ask(op="load", table="lead", path=str(leads))


def _write_tsv(path: Path, columns: list[str], rows: Any) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write("\t".join(columns) + "\n")
        for row in rows:
            f.write("\t".join(str(v).replace("\t", " ").replace("\n", " ") for v in row) + "\n")
    tmp.rename(path)


def changelist_url(list_name: str, offset: int) -> str:
    """The peer's changelist URL that shows row ``offset`` (customers → companies, leads → leads)."""
    table = {"customers": "company", "leads": "lead"}[list_name]
    return str(agent().ask(op="url", table=table, offset=offset)["url"])


def import_file(directory: Path, csv_path: Path, rows: int) -> Path:
    """The first ``rows`` rows of B1's CSV as an XLSX in the peer's import columns (written once)."""
    import csv

    from openpyxl import Workbook

    agent()  # installable at all? (else Skip before writing anything)
    path = directory / f"peer-import-{rows}.xlsx"
    if path.exists():
        return path
    book = Workbook(write_only=True)
    sheet = book.create_sheet("companies")
    sheet.append(["full_name", "city_name", "address", "website", "email", "description"])
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for line, row in enumerate(itertools.islice(reader, rows), start=2):
            sheet.append([row[0], row[5], row[6], row[7], f"info@c{line}.example.cn", row[9]])
    book.save(path)
    return path
