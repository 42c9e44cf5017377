"""The Salesforce sandbox's errors in Salesforce's shapes: a REST error
(``[{"message", "errorCode", "fields"}]``), an OAuth token endpoint's, and a SOAP login fault.

Separate from :mod:`plansync.sandbox.salesforce_app` so that the SOQL parser
(:mod:`plansync.sandbox.soql`), which answers a query it cannot run as Salesforce does, can
raise one without importing the app that imports it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

from plansync.sandbox.common import HttpError


class ApiError(HttpError):
    """A REST error: ``[{"message": ..., "errorCode": ..., "fields": [...]}]``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Iterable[str] | None = None,
        headers: Iterable[tuple[str, str]] = (),
    ):
        super().__init__(status, headers)
        self.code = code
        self.message = message
        self.fields = list(fields) if fields is not None else None

    def body(self) -> list[dict[str, Any]]:
        error: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields is not None:
            error["fields"] = self.fields
        return [error]


class OAuthError(HttpError):
    """An OAuth token endpoint error: ``{"error": ..., "error_description": ...}``."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(status)
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class SoapFault(HttpError):
    """A SOAP login fault (HTTP 500), with the ``sf:exceptionCode`` simple-salesforce reads."""

    def __init__(self, code: str, message: str):
        super().__init__(500, [("Content-Type", "text/xml;charset=UTF-8")])
        self.code = code
        self.message = message

    def body(self) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
            'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:sf="urn:fault.partner.soap.sforce.com" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
            f"<faultcode>sf:{self.code}</faultcode>"
            f"<faultstring>{escape(self.code)}: {escape(self.message)}</faultstring>"
            '<detail><sf:LoginFault xsi:type="sf:LoginFault">'
            f"<sf:exceptionCode>{self.code}</sf:exceptionCode>"
            f"<sf:exceptionMessage>{escape(self.message)}</sf:exceptionMessage>"
            "</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
        ).encode()
