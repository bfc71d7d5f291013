"""The declarative base of the storage service: every table lands in schema storage."""

from sqlalchemy.orm import DeclarativeBase

from schemakit.models import TYPE_ANNOTATION_MAP, service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata("storage", service="storage")
    type_annotation_map = TYPE_ANNOTATION_MAP
