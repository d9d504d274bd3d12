"""The ASGI entry point for uvicorn workers: `uvicorn --factory optirec.asgi:create`."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from optirec.app import create_app
from optirec.settings import Settings


def create() -> FastAPI:
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return create_app(settings)
