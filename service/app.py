"""The FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from matching.warm import warm_up
from service import errors, openapi
from service.admin import routes as admin
from service.audit import routes as audit
from service.cases import routes as cases
from service.db import open_pool
from service.desk import router as desk_router
from service.dossier import routes as dossier
from service.evidence import routes as evidence
from service.health import routes as health
from service.identities import routes as identities
from service.indexing import algorithm
from service.middleware import RequestGuard
from service.ops.migrate import app_url
from service.partner import routes as partner
from service.retention import routes as retention
from service.runs import routes as runs
from service.settings import Settings, get_settings
from service.subject_rights import routes as subject_rights


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the pool opens in the lifespan, on the service role's URL."""
    settings = settings or get_settings()
    algorithm.register()  # the face comparator joins the library's features

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = settings.app_database_url or app_url(
            settings.database_url or "", settings.app_db_password
        )
        pool = open_pool(url, min_size=settings.pool_min_size, max_size=settings.pool_max_size)
        app.state.pool = pool
        warm_up()  # the first query of each script must not wait for its tables
        try:
            yield
        finally:
            pool.close()

    app = FastAPI(
        title="Tessera",
        version="0.1.0",
        summary="Identity case-matching: evidence in, explained candidate identities out.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    errors.install(app)
    app.add_middleware(
        RequestGuard,
        max_body=settings.max_body_bytes,
        max_upload=settings.max_upload_bytes,
        max_bulk=settings.max_bulk_bytes,
    )
    for router in (
        health.router,
        admin.router,
        audit.router,
        cases.router,
        dossier.router,
        evidence.router,
        identities.router,
        identities.imports_router,
        runs.router,
        partner.router,
        retention.router,
        subject_rights.router,
        desk_router,
    ):
        app.include_router(router)
    openapi.install(app)
    return app
