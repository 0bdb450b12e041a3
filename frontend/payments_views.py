"""The payments console: the verification queue, recording a payout account, payment batches
(create, approve, results), adjustments of final months (made by one person, approved by
another) and the audit log. Server-rendered forms; every action goes through
the same services as the API and answers with a redirect back and a message."""

import csv
import io
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from artists.models import Distributor
from artists.payees import payee_row
from frontend import payments_selectors
from frontend.forms import AccessibleErrorsMixin
from frontend.views import staff_refusal
from kalipxo.money import parse_amount, to_minor
from kalipxo.validation import parse_month
from ledger import accounts
from ledger.accounts import Account
from ledger.adjustments import AdjustmentIn, AdjustmentRefused, adjustment_approve, adjustment_record
from ledger.models import Adjustment
from payments import batches, verification
from payments.models import Method, PaymentBatch, Verification
from payments.status_reports import StatusReportError, pain002_results

MAX_RESULTS_FILE = 2 * 1024 * 1024


class PayoutAccountForm(AccessibleErrorsMixin, forms.Form):
    holder = forms.CharField(
        label="Payee id, or distributor:NAME",
        max_length=220,
        help_text="A payee's id (an artist's is its artist id), or \"distributor:\" and its name.",
    )
    legal_name = forms.CharField(label="Legal name", max_length=300)
    method = forms.ChoiceField(label="Payout method", choices=Method.choices)
    iban = forms.CharField(label="IBAN (bank account)", max_length=50, required=False)
    account_holder = forms.CharField(
        label="Account holder's name, as the bank has it", max_length=300, required=False
    )
    paypal_email = forms.CharField(label="PayPal e-mail", max_length=254, required=False)


def _holder(text: str) -> Any:
    if text.startswith("distributor:"):
        return Distributor.objects.filter(name=text.removeprefix("distributor:")).first()
    return payee_row(text)


def _words(body: dict[str, Any]) -> str:
    return " ".join(" ".join(v) if isinstance(v, list) else str(v) for v in body.values())


@login_required
def payments_console(request: HttpRequest) -> HttpResponse:
    if refused := staff_refusal(request):
        return refused
    return _page(request, PayoutAccountForm())


def _page(request: HttpRequest, form: PayoutAccountForm, *, status: int = 200) -> HttpResponse:
    viewer = request.user.get_username()
    context = {
        "nav": "payments",
        "queue": payments_selectors.verification_queue(),
        "record_form": form,
        "batches": payments_selectors.batches_overview(viewer=viewer),
        "payable_months": payments_selectors.payable_months(),
        "audit": payments_selectors.audit_entries(),
        "hold_hours": payments_selectors.hold_hours(),
        "adjustment_form": AdjustmentForm(),
        "adjustments": payments_selectors.adjustments_waiting(viewer=viewer),
        "tax_years": payments_selectors.tax_years(),
    }
    return render(request, "frontend/payments.html", context, status=status)


@login_required
@require_POST
def verification_record_view(request: HttpRequest) -> HttpResponse:
    if refused := staff_refusal(request):
        return refused
    form = PayoutAccountForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    holder = _holder(data["holder"])
    if holder is None:
        form.add_error("holder", "No payee or distributor by that id.")
        return _page(request, form, status=400)
    if data["method"] == Method.IBAN:
        method: dict[str, Any] = {"type": "iban", "iban": data["iban"], "holder": data["account_holder"]}
    else:
        method = {"type": "paypal", "email": data["paypal_email"]}
    try:
        parsed = verification.verification_parse(
            {"status": "pending", "legal_name": data["legal_name"], "payout_method": method}
        )
        verification.verification_record(holder=holder, data=parsed, actor=request.user.get_username())
    except verification.VerificationRejected as exc:
        for name, problems in exc.body.items():
            field = {"payout_method.iban": "iban", "payout_method.holder": "account_holder",
                     "payout_method.email": "paypal_email", "legal_name": "legal_name"}.get(name)  # fmt: skip
            form.add_error(field, " ".join(problems) if isinstance(problems, list) else str(problems))
        return _page(request, form, status=400)
    messages.success(
        request, f"Recorded the payout account of {holder.name}: it waits for verification below."
    )
    return redirect("console-payments")


@login_required
@require_POST
def verification_decide(request: HttpRequest, verification_id: int) -> HttpResponse:
    if refused := staff_refusal(request):
        return refused
    found = Verification.objects.select_related("payee", "distributor").filter(pk=verification_id).first()
    if found is None:
        raise Http404("No such verification.")
    actor, decision = request.user.get_username(), request.POST.get("decision", "")
    reason = request.POST.get("reason", "").strip()[:500]
    holder = found.payee if found.payee_id else found.distributor
    if holder is None:
        raise Http404("No such payee.")
    try:
        if decision == "verify":
            verification.verification_record(
                holder=holder, data=verification.VerificationIn("verified", None, None, reason), actor=actor
            )
        elif decision == "reject":
            if not reason:
                messages.error(request, "Say why it is rejected: the payee is told.")
                return redirect("console-payments")
            verification.verification_record(
                holder=holder, data=verification.VerificationIn("rejected", None, None, reason), actor=actor
            )
        elif decision == "clear":
            if not reason:
                messages.error(request, "Say why the match is someone else: it is kept in the audit log.")
                return redirect("console-payments")
            verification.sanctions_clear(verification=found, actor=actor, reason=reason)
        elif decision == "confirm":
            verification.method_confirm(verification=found, actor=actor)
        else:
            messages.error(request, "Choose verify, reject, clear or re-confirm.")
            return redirect("console-payments")
    except verification.VerificationRejected as exc:
        messages.error(request, _words(exc.body))
        return redirect("console-payments")
    found.refresh_from_db()
    messages.success(request, f"{holder.name}: {found.get_status_display().lower()}.")
    return redirect("console-payments")


@login_required
@require_POST
def batch_create_view(request: HttpRequest) -> HttpResponse:
    if refused := staff_refusal(request):
        return refused
    month = parse_month(request.POST.get("month"))
    if isinstance(month, str):
        messages.error(request, month)
        return redirect("console-payments")
    try:
        batch, created = batches.batch_create(month=month, actor=request.user.get_username())
    except batches.BatchRefused as exc:
        messages.error(request, _words(exc.body))
        return redirect("console-payments")
    count = batch.payments.count()
    verb = "Created" if created else "There already is"
    messages.success(
        request, f"{verb} the batch of {month:%B %Y}: {count} payments. Someone else approves it next."
    )
    return redirect("console-payments")


def _batch(batch_id: int) -> PaymentBatch:
    batch = PaymentBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise Http404("No such payment batch.")
    return batch


@login_required
@require_POST
def batch_approve_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    if refused := staff_refusal(request):
        return refused
    try:
        batch = batches.batch_approve(batch=_batch(batch_id), actor=request.user.get_username())
    except batches.BatchRefused as exc:
        messages.error(request, _words(exc.body))
        return redirect("console-payments")
    messages.success(request, f"Approved the batch of {batch.month:%B %Y}: its files can be downloaded.")
    return redirect("console-payments")


def results_from_csv(content: bytes) -> list[dict[str, str]]:
    """`reference,status,reason` rows (a header row is skipped), as the results API takes them."""
    text = content.decode("utf-8-sig", errors="replace")
    rows = []
    for row in csv.reader(io.StringIO(text)):
        if not row or not row[0].strip() or row[0].strip().lower() == "reference":
            continue
        rows.append({"reference": row[0].strip(), "status": (row[1] if len(row) > 1 else "").strip().lower(),
                     "reason": (row[2] if len(row) > 2 else "").strip()})  # fmt: skip
    return rows


@login_required
@require_POST
def batch_results_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    if refused := staff_refusal(request):
        return refused
    batch = _batch(batch_id)
    upload = request.FILES.get("results")
    if upload is None or upload.size is None or upload.size > MAX_RESULTS_FILE:
        messages.error(request, "Choose a results file (CSV: reference,status,reason) of at most 2 MB.")
        return redirect("console-payments")
    content = upload.read()
    try:
        # A bank's own status report (pain.002, XML), or our CSV of reference,status,reason.
        rows = pain002_results(content) if content.lstrip()[:1] == b"<" else results_from_csv(content)
    except StatusReportError as exc:
        messages.error(request, f"Nothing applied: {exc}")
        return redirect("console-payments")
    try:
        items = batches.results_parse(batch, rows)
        changed = batches.results_apply(batch=batch, items=items, actor=request.user.get_username())
    except batches.BatchRefused as exc:
        messages.error(request, f"Nothing applied: {_words(exc.body)}")
        return redirect("console-payments")
    messages.success(
        request, f"Applied {len(changed)} results ({len(items) - len(changed)} were already applied)."
    )
    return redirect("console-payments")


class AdjustmentForm(AccessibleErrorsMixin, forms.Form):
    holder = forms.CharField(label="Payee id, or distributor:NAME", max_length=220)
    month = forms.ChoiceField(label="Posted with the month", choices=())
    amount = forms.CharField(
        label="Amount (negative: owed less)", max_length=30, help_text='e.g. "12.50" or "-3.00"'
    )
    reason = forms.CharField(label="Reason (shown on the statement)", max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        month = self.fields["month"]
        if isinstance(month, forms.ChoiceField):  # always: declared above
            month.choices = [(m["key"], m["name"]) for m in payments_selectors.open_months()]


def _holder_account(text: str) -> Account | None:
    holder = _holder(text)
    if isinstance(holder, Distributor):
        return accounts.fees(str(holder.pk))
    return accounts.payable(holder.pk) if holder is not None else None


@login_required
@require_POST
def adjustment_record_view(request: HttpRequest) -> HttpResponse:
    if refused := staff_refusal(request):
        return refused
    form = AdjustmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Adjustment not recorded: " + _words(dict(form.errors)))
        return redirect("console-payments")
    data = form.cleaned_data
    account = _holder_account(data["holder"])
    month = parse_month(data["month"])
    try:
        amount = to_minor(parse_amount(data["amount"], allow_negative=True))
        if account is None or isinstance(month, str):
            raise ValueError("No payee or distributor by that id." if account is None else month)
        adjustment_record(
            data=AdjustmentIn(account, month, amount, data["reason"]), created_by=request.user.get_username()
        )
    except (ValueError, AdjustmentRefused) as exc:
        messages.error(request, f"Adjustment not recorded: {exc}")
        return redirect("console-payments")
    messages.success(request, "Adjustment recorded: someone else approves it; its month's run then posts it.")
    return redirect("console-payments")


@login_required
@require_POST
def adjustment_approve_view(request: HttpRequest, adjustment_id: int) -> HttpResponse:
    if refused := staff_refusal(request):
        return refused
    found = Adjustment.objects.filter(pk=adjustment_id).first()
    if found is None:
        raise Http404("No such adjustment.")
    try:
        adjustment_approve(adjustment=found, approved_by=request.user.get_username())
    except AdjustmentRefused as exc:
        messages.error(request, str(exc))
        return redirect("console-payments")
    messages.success(request, f"Adjustment approved: it is posted when {found.month:%B %Y} is finalized.")
    return redirect("console-payments")
