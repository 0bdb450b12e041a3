"""The statement download (docs/rules.md §4 Statements): the readable document by default,
the machine-readable detail with `?detail=1`. Who may read which statement is decided by
the view before this is called."""

from collections.abc import Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from kalipxo.validation import month_label
from payouts.models import PayeeResult
from payouts.statement_document import document_rows, is_draft
from payouts.statements import csv_lines, statement_rows

DETAIL_PARAMETER = OpenApiParameter(
    "detail",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    enum=[0, 1],
    description=(
        "0 (default): the statement as a document (header, lines in cents, totals, policy). "
        "1: the machine-readable detail, one row per stage with exact amounts."
    ),
)
DETAIL_CHOICES = {"0": False, "1": True}
DETAIL_PROBLEM = "Use detail=1 for the machine-readable detail, or detail=0 (or nothing) for the statement."
# Spreadsheets take a CSV without a byte-order mark for the local code page and garble
# names such as "Beyoncé"; the document is for people, so it carries one. The detail is
# for programs and stays as it always was.
BOM = "\ufeff"


def wants_detail(request: Request) -> bool:
    raw = request.query_params.get("detail")
    if raw is None:
        return False
    if raw not in DETAIL_CHOICES:
        raise ValidationError({"detail": [DETAIL_PROBLEM]})
    return DETAIL_CHOICES[raw]


def _with_bom(lines: Iterable[str]) -> Iterator[str]:
    yield BOM
    yield from lines


def statement_response(request: Request, result: PayeeResult) -> StreamingHttpResponse:
    run = result.run
    detail = wants_detail(request)
    rows: Iterable[Iterable[Any]] = statement_rows(run, result) if detail else document_rows(run, result)
    body = csv_lines(rows) if detail else _with_bom(csv_lines(rows))
    name = f"kalipxo-statement-{month_label(run.month)}-{result.payee}"
    name += ("-detail" if detail else "") + ("-DRAFT" if is_draft(run) else "")
    response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name.replace(chr(34), "")}.csv"'
    return response
