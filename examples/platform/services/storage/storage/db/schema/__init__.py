"""Every table of the storage service; import models from here."""

from storage.db.schema.base import Base
from storage.db.schema.files import File, FileTag, Folder, Tag, Theme, UserSetting

__all__ = ["Base", "File", "FileTag", "Folder", "Tag", "Theme", "UserSetting"]
