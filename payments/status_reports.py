"""Results read from a bank's ISO 20022 payment status report (pain.002): per transaction its
original end-to-end id (our reference) and status, as the results API takes them.

`ACSC` (settled on the creditor's side) and `ACCC` (credited) are `paid`; `RJCT` is `failed`
with its reason code and text; any other status (accepted, pending, in process) says the
payment is still on its way and yields nothing. Elements are matched by local name, so every
pain.002 version reads the same. The parser is the standard library's on Expat 2.5, which
refuses entity expansion attacks; uploads are small (the console caps them at 2 MB).
"""

import xml.etree.ElementTree as ET

PAID = {"ACSC", "ACCC"}
FAILED = {"RJCT"}


class StatusReportError(ValueError):
    pass


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, *names: str) -> ET.Element | None:
    for name in names:
        found = next((c for c in element if _local(c.tag) == name), None)
        if found is None:
            return None
        element = found
    return element


def pain002_results(content: bytes) -> list[dict[str, str]]:
    try:
        root = ET.fromstring(content)  # noqa: S314 - see the module docstring
    except ET.ParseError as exc:
        raise StatusReportError(f"Not an XML status report: {exc}.") from exc
    if not any(_local(e.tag) == "CstmrPmtStsRpt" for e in root.iter()):
        raise StatusReportError("Not a pain.002 payment status report (no CstmrPmtStsRpt).")
    results = []
    for tx in (e for e in root.iter() if _local(e.tag) == "TxInfAndSts"):
        reference, status = _child(tx, "OrgnlEndToEndId"), _child(tx, "TxSts")
        if reference is None or status is None or not reference.text or not status.text:
            continue
        code = status.text.strip()
        if code in PAID:
            results.append({"reference": reference.text.strip(), "status": "paid", "reason": ""})
        elif code in FAILED:
            info = _child(tx, "StsRsnInf")
            reason_code = _child(info, "Rsn", "Cd") if info is not None else None
            text = _child(info, "AddtlInf") if info is not None else None
            reason = " ".join(t.text.strip() for t in (reason_code, text) if t is not None and t.text)
            results.append({"reference": reference.text.strip(), "status": "failed", "reason": reason[:500]})
    return results
