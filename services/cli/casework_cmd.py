"""`mixflow serve casework` and `mixflow serve cases-api`: the case-management processes."""

from services.adapters.db.migrate import current_revision, head_revision
from services.adapters.settings import Settings, mask_url
from services.cli.output import fail, load_settings


def serve_casework() -> None:
    """Persist decisions and referral updates, raise SLA alerts, publish case changes."""
    from services.casework.app import create_faust_app
    from services.cli.worker_cmd import run_worker

    run_worker(_migrated_settings(), "casework", lambda s, t: create_faust_app(s, telemetry=t))


def serve_cases_api() -> None:
    """Serve the cases API (cases, referrals, timelines, status updates, directory)."""
    from services.casework.api import create_api
    from services.cli.worker_cmd import run_api

    settings = _migrated_settings()
    run_api(
        settings,
        "cases-api",
        lambda s, _t: create_api(s),
        host=settings.api.host,
        port=settings.api.cases_port,
    )


def _migrated_settings() -> Settings:
    # Refuse to start on an old schema rather than fail on the first batch or request.
    settings = load_settings()
    url = settings.effective_database_url
    current, head = current_revision(url), head_revision()
    if current != head:
        found = current or "empty"
        fail(f"{mask_url(url)} is at schema {found}, not {head}: run `mixflow db migrate`")
    return settings
