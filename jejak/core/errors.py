"""One error family for jejak, drawn once.

    JejakError                      code            exit  http
    ├── SettingError                bad_setting     1     400
    ├── ProjectError                no_project      1     404
    ├── InputFileError              bad_input_file  1     400
    │   └── MissingColumnError      missing_column  1     400
    ├── LakeError                   lake            1     500
    ├── EngineError                 engine          1     500
    │   └── MissingExtraError       missing_extra   1     500
    ├── TableNotBuiltError          not_built       1     404
    ├── NotFoundError               not_found       1     404
    ├── BrowserError                no_browser      1     500
    └── AccessError                 no_access       1     401
        ├── ForbiddenError          forbidden       1     403
        └── ThrottledError          throttled       1     429

Every message says what happened, what is allowed, and what to do next.
"""

from __future__ import annotations


class JejakError(Exception):
    """Base of every error jejak raises on purpose (CLI exit code 1)."""

    code = "jejak_error"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def as_json(self) -> dict[str, object]:
        """The one JSON error shape shared by the web pages and the CLI."""
        return {"ok": False, "error": {"code": self.code, "message": self.message}, "status": self.http_status}


class SettingError(JejakError):
    """A setting has a value that is not allowed."""

    code = "bad_setting"
    http_status = 400


class ProjectError(JejakError):
    """No jejak project where one was expected."""

    code = "no_project"
    http_status = 404


class InputFileError(JejakError):
    """A whole input file cannot be read (bad rows go to the quarantine instead)."""

    code = "bad_input_file"
    http_status = 400


class OutputFileError(JejakError):
    """A file a command writes (an export, a map) could not be written: the disk is full, the place is gone."""

    code = "bad_output_file"
    http_status = 500


class MissingColumnError(InputFileError):
    """An input file lacks a column jejak needs."""

    code = "missing_column"


class LakeError(JejakError):
    """The event lake is not in a state jejak can use."""

    code = "lake"


class EngineError(JejakError):
    """The compute engine could not run a step."""

    code = "engine"


class MissingExtraError(EngineError):
    """An optional extra (Spark, PDF) is not installed."""

    code = "missing_extra"


class TableNotBuiltError(JejakError):
    """A derived table was asked for before `jejak build` made it."""

    code = "not_built"
    http_status = 404


class NotFoundError(JejakError):
    """Something asked for by name is not there (e.g. a quarantined row that was already re-tried)."""

    code = "not_found"
    http_status = 404


class BrowserError(JejakError):
    """Chromium, needed for PDF and PNG, is missing or failed."""

    code = "no_browser"


class AccessError(JejakError):
    """The dashboard needs a login (or the name and password did not match)."""

    code = "no_access"
    http_status = 401


class ForbiddenError(AccessError):
    """A form came without its CSRF token, or with someone else's."""

    code = "forbidden"
    http_status = 403


class ThrottledError(AccessError):
    """Too many failed logins: wait before the next try."""

    code = "throttled"
    http_status = 429

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
